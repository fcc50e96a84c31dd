//! Meal and workout plans over HTTP on both databases: templates, copies that stay independent,
//! the client's active plan, reordering, PDFs, and bad input that changes nothing.

use crate::common;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    a_meal_plan_template_becomes_the_clients_plan,
    editing_a_template_never_changes_its_copies,
    a_workout_plan_keeps_its_order_and_parameters,
    only_one_plan_of_a_kind_is_active,
    bad_plans_are_refused_and_nothing_changes,
    plans_export_as_pdfs,
);

fn food(name: &str, quantity: &str, protein: &str, carbs: &str, fat: &str) -> Value {
    json!({ "name": name, "quantity": quantity, "unit": "g", "protein": protein,
            "carbs": carbs, "fat": fat, "kcal": "" })
}

fn meal_draft(first_food: Value) -> Value {
    json!({
        "notes": "Drink 2 litres of water a day.",
        "target_protein": "150", "target_carbs": "", "target_fat": "", "target_kcal": "2200",
        "days": [{
            "name": "Training day", "notes": "",
            "meals": [
                { "name": "Breakfast", "notes": "Before 9", "foods": [
                    first_food,
                    food("Greek yoghurt", "200", "20", "8", "0"),
                ]},
                { "name": "Lunch", "notes": "", "foods": [ food("Chicken breast", "150", "46", "0", "5") ]},
            ],
        }],
    })
}

async fn create_plan(
    app: &TestApp,
    coach: &reqwest::Client,
    kind: &str,
    name: &str,
    client_id: &str,
) -> String {
    let id = app
        .ok(
            coach,
            &format!("{kind}_plans/create"),
            &[("name", name), ("client_id", client_id)],
        )
        .await;
    id.as_str().unwrap().to_owned()
}

async fn save_plan(
    app: &TestApp,
    coach: &reqwest::Client,
    kind: &str,
    plan_id: &str,
    name: &str,
    plan: &Value,
) -> common::Response {
    app.call_json(
        coach,
        &format!("{kind}_plans/save"),
        &json!({ "plan_id": plan_id, "name": name, "plan": plan }),
    )
    .await
}

async fn meal_template(app: &TestApp, coach: &reqwest::Client) -> String {
    let id = create_plan(app, coach, "meal", "Lean bulk", "").await;
    let saved = save_plan(
        app,
        coach,
        "meal",
        &id,
        "Lean bulk",
        &meal_draft(food("Oats", "80", "10", "54", "6")),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    id
}

async fn copy_plan(
    app: &TestApp,
    coach: &reqwest::Client,
    kind: &str,
    plan_id: &str,
    client_id: &str,
) -> String {
    let id = app
        .ok(
            coach,
            &format!("{kind}_plans/copy"),
            &[("plan_id", plan_id), ("client_id", client_id)],
        )
        .await;
    id.as_str().unwrap().to_owned()
}

async fn a_meal_plan_template_becomes_the_clients_plan(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    assert_eq!(app.ok(&client, "portal/meal_plan", &[]).await, Value::Null);
    let template = meal_template(app, &coach).await;
    let templates = app
        .ok(&coach, "meal_plans/list", &[("client_id", "")])
        .await;
    assert_eq!(templates.as_array().unwrap().len(), 1);
    assert_eq!(templates[0]["client_id"], Value::Null);

    let copy = copy_plan(app, &coach, "meal", &template, &client_id).await;
    let plans = app
        .ok(&coach, "meal_plans/list", &[("client_id", &client_id)])
        .await;
    assert_eq!(plans[0]["id"], copy.as_str());
    assert_eq!(plans[0]["active"], true, "a client's first plan is active");
    assert_eq!(plans[0]["template_name"], "Lean bulk");

    let mine = app.ok(&client, "portal/meal_plan", &[]).await;
    assert_eq!(mine["summary"]["id"], copy.as_str());
    assert_eq!(mine["client_name"], "Riley Client");
    let breakfast = &mine["body"]["days"][0]["meals"][0];
    assert_eq!(breakfast["name"], "Breakfast");
    assert_eq!(breakfast["foods"][0]["name"], "Oats");
    assert_eq!(breakfast["foods"][0]["macros"]["protein_g"], 10.0);
    // Kcal left empty is worked out from the macros.
    assert_eq!(
        breakfast["foods"][0]["macros"]["kcal"],
        4.0 * 10.0 + 4.0 * 54.0 + 9.0 * 6.0
    );
    assert_eq!(mine["body"]["targets"]["kcal"], 2200.0);
    assert_eq!(mine["body"]["targets"]["carbs_g"], Value::Null);
}

async fn editing_a_template_never_changes_its_copies(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let template = meal_template(app, &coach).await;
    let copy = copy_plan(app, &coach, "meal", &template, &client_id).await;

    let edited = meal_draft(food("Rice", "100", "3", "28", "0"));
    let saved = save_plan(app, &coach, "meal", &template, "Lean bulk v2", &edited).await;
    assert_eq!(saved.status, StatusCode::OK);
    assert_eq!(
        saved.body["body"]["days"][0]["meals"][0]["foods"][0]["name"],
        "Rice"
    );
    let mine = app.ok(&client, "portal/meal_plan", &[]).await;
    assert_eq!(mine["summary"]["name"], "Lean bulk");
    assert_eq!(
        mine["body"]["days"][0]["meals"][0]["foods"][0]["name"],
        "Oats"
    );

    // And editing the copy leaves the template alone.
    let per_client = meal_draft(food("Oats", "60", "8", "40", "5"));
    let saved = save_plan(app, &coach, "meal", &copy, "Riley's bulk", &per_client).await;
    assert_eq!(saved.status, StatusCode::OK);
    let template_now = app
        .ok(&coach, "meal_plans/get", &[("plan_id", &template)])
        .await;
    assert_eq!(template_now["summary"]["name"], "Lean bulk v2");
    assert_eq!(
        template_now["body"]["days"][0]["meals"][0]["foods"][0]["name"],
        "Rice"
    );
    let mine = app.ok(&client, "portal/meal_plan", &[]).await;
    assert_eq!(mine["summary"]["name"], "Riley's bulk");
    assert_eq!(
        mine["body"]["days"][0]["meals"][0]["foods"][0]["quantity"],
        60.0
    );

    // Deleting the template keeps the copy.
    app.ok(&coach, "meal_plans/delete", &[("plan_id", &template)])
        .await;
    let mine = app.ok(&client, "portal/meal_plan", &[]).await;
    assert_eq!(mine["summary"]["id"], copy.as_str());
    assert_eq!(mine["summary"]["template_name"], Value::Null);
}

fn exercise(name: &str, sets: &str, reps: &str, load: &str, unit: &str) -> Value {
    json!({ "name": name, "sets": sets, "reps": reps, "load": load, "load_unit": unit,
            "tempo": "3-1-1", "effort_scale": "rpe", "effort": "8", "rest_secs": "120",
            "notes": "" })
}

fn session(name: &str, day: &str, exercises: Vec<Value>) -> Value {
    json!({ "name": name, "day": day, "warm_up": "5 min bike", "cool_down": "Stretch hips",
            "notes": "", "exercises": exercises })
}

async fn a_workout_plan_keeps_its_order_and_parameters(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let template = create_plan(app, &coach, "workout", "Upper/lower", "").await;
    let squat = exercise("Back squat", "4", "6-8", "100", "kg");
    let rdl = exercise("Romanian deadlift", "3", "8-10", "70", "percent_1rm");
    let press = exercise("Bench press", "3", "5", "", "bodyweight");
    let plan = json!({ "notes": "", "sessions": [
        session("Lower", "Monday", vec![squat.clone(), rdl.clone()]),
        session("Upper", "Thursday", vec![press.clone()]),
    ]});
    let saved = save_plan(app, &coach, "workout", &template, "Upper/lower", &plan).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let first = &saved.body["body"]["sessions"][0]["exercises"][0];
    assert_eq!(first["sets"], 4);
    assert_eq!(first["reps"], "6-8");
    assert_eq!(first["load"], json!({ "value": 100.0, "unit": "kg" }));
    assert_eq!(first["effort"], json!({ "scale": "rpe", "value": 8.0 }));
    assert_eq!(first["rest_secs"], 120);

    // Reordering is saving the sessions and exercises in their new order.
    let reordered = json!({ "notes": "", "sessions": [
        session("Upper", "Thursday", vec![press]),
        session("Lower", "Monday", vec![rdl, squat]),
    ]});
    save_plan(app, &coach, "workout", &template, "Upper/lower", &reordered).await;
    let copy = copy_plan(app, &coach, "workout", &template, &client_id).await;
    let mine = app.ok(&client, "portal/workout_plan", &[]).await;
    assert_eq!(mine["summary"]["id"], copy.as_str());
    let sessions = &mine["body"]["sessions"];
    assert_eq!(sessions[0]["name"], "Upper");
    assert_eq!(sessions[0]["exercises"][0]["load"]["unit"], "bodyweight");
    assert_eq!(sessions[1]["exercises"][0]["name"], "Romanian deadlift");
    assert_eq!(sessions[1]["exercises"][1]["name"], "Back squat");
    assert_eq!(sessions[1]["warm_up"], "5 min bike");

    // A meal plan's id is not a workout plan, and the other way round.
    let meal = meal_template(app, &coach).await;
    let wrong = app
        .call(&coach, "workout_plans/get", &[("plan_id", &meal)])
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    let wrong = app
        .call(&coach, "meal_plans/get", &[("plan_id", &template)])
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
}

async fn only_one_plan_of_a_kind_is_active(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let template = meal_template(app, &coach).await;
    let first = copy_plan(app, &coach, "meal", &template, &client_id).await;
    let second = create_plan(app, &coach, "meal", "Cut", &client_id).await;
    let mine = app.ok(&client, "portal/meal_plan", &[]).await;
    assert_eq!(
        mine["summary"]["id"],
        first.as_str(),
        "a later plan waits until the coach activates it"
    );
    let pdf = format!("/api/meal_plans/{second}/pdf");
    let hidden = client.get(app.url(&pdf)).send().await.unwrap();
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);

    app.ok(
        &coach,
        "meal_plans/activate",
        &[("plan_id", &second), ("active", "true")],
    )
    .await;
    let plans = app
        .ok(&coach, "meal_plans/list", &[("client_id", &client_id)])
        .await;
    let active: Vec<_> = plans
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["active"] == true)
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(active, [second.as_str()]);
    let mine = app.ok(&client, "portal/meal_plan", &[]).await;
    assert_eq!(mine["summary"]["id"], second.as_str());
    app.pdf_text(&client, &pdf).await;

    app.ok(
        &coach,
        "meal_plans/activate",
        &[("plan_id", &second), ("active", "false")],
    )
    .await;
    assert_eq!(app.ok(&client, "portal/meal_plan", &[]).await, Value::Null);

    let template_active = app
        .call(
            &coach,
            "meal_plans/activate",
            &[("plan_id", &template), ("active", "true")],
        )
        .await;
    assert_eq!(template_active.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        template_active.body["detail"],
        "A template is not shown to anyone; copy it to a client first."
    );
}

async fn bad_plans_are_refused_and_nothing_changes(app: &TestApp) {
    let (coach, _client, _) = app.coach_and_client().await;
    let template = meal_template(app, &coach).await;
    let before = app
        .ok(&coach, "meal_plans/get", &[("plan_id", &template)])
        .await;

    let cases = [
        (
            "Lean bulk",
            meal_draft(food("Oats", "80", "-10", "54", "6")),
            "Day 1 (Training day), meal 1 (Breakfast), food 1 (Oats): Protein must not be negative.",
        ),
        (
            "Lean bulk",
            meal_draft(food("", "80", "10", "54", "6")),
            "Day 1 (Training day), meal 1 (Breakfast), food 1: a name is required.",
        ),
        (
            "Lean bulk",
            meal_draft(food("Oats", "0", "10", "54", "6")),
            "Day 1 (Training day), meal 1 (Breakfast), food 1 (Oats): Quantity must be more than 0.",
        ),
        (
            "  ",
            meal_draft(food("Oats", "80", "10", "54", "6")),
            "Plan name is required.",
        ),
    ];
    for (name, draft, message) in cases {
        let response = save_plan(app, &coach, "meal", &template, name, &draft).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{message}");
        assert_eq!(response.body["detail"], message);
    }
    let after = app
        .ok(&coach, "meal_plans/get", &[("plan_id", &template)])
        .await;
    assert_eq!(before, after, "a refused save changes nothing");

    let empty_name = app
        .call(
            &coach,
            "meal_plans/create",
            &[("name", ""), ("client_id", "")],
        )
        .await;
    assert_eq!(empty_name.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty_name.body["detail"], "Plan name is required.");

    let workout = create_plan(app, &coach, "workout", "Strength", "").await;
    let mut bad = exercise("Squat", "3", "5", "100", "kg");
    bad["effort"] = json!("12");
    let response = save_plan(
        app,
        &coach,
        "workout",
        &workout,
        "Strength",
        &json!({ "sessions": [session("Lower", "Monday", vec![bad])] }),
    )
    .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.body["detail"],
        "Session 1 (Lower), exercise 1 (Squat): RPE must be between 1 and 10."
    );
    let unchanged = app
        .ok(&coach, "workout_plans/get", &[("plan_id", &workout)])
        .await;
    assert_eq!(unchanged["body"]["sessions"], json!([]));
    let list = app
        .ok(&coach, "meal_plans/list", &[("client_id", "")])
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "nothing half-created");
}

async fn plans_export_as_pdfs(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    app.set_brand(&coach, "Casey Coach", "Casey Strength Co")
        .await;
    let meal = meal_template(app, &coach).await;
    let meal_copy = copy_plan(app, &coach, "meal", &meal, &client_id).await;
    let workout = create_plan(app, &coach, "workout", "Upper/lower", "").await;
    let plan = json!({ "sessions": [session("Lower", "Monday", vec![
        exercise("Back squat", "4", "6-8", "100", "kg"),
    ])]});
    save_plan(app, &coach, "workout", &workout, "Upper/lower", &plan).await;
    let workout_copy = copy_plan(app, &coach, "workout", &workout, &client_id).await;

    // The coach exports templates too; the client their active plans.
    for (who, meal_id, workout_id) in [
        (&coach, &meal, &workout),
        (&coach, &meal_copy, &workout_copy),
        (&client, &meal_copy, &workout_copy),
    ] {
        let text = app
            .pdf_text(who, &format!("/api/meal_plans/{meal_id}/pdf"))
            .await;
        for expected in [
            "Casey Strength Co",
            "Meal plan: Lean bulk",
            "Daily targets: P 150 g",
            "Training day",
            "80 g Oats",
            "Chicken breast",
        ] {
            assert!(text.contains(expected), "{expected:?} missing: {text:?}");
        }
        let text = app
            .pdf_text(who, &format!("/api/workout_plans/{workout_id}/pdf"))
            .await;
        for expected in [
            "Casey Strength Co",
            "Workout plan: Upper/lower",
            "Lower (Monday)",
            "Back squat",
            "6-8",
            "RPE 8",
            "Cool-down: Stretch hips",
        ] {
            assert!(text.contains(expected), "{expected:?} missing: {text:?}");
        }
    }
    let copy_text = app
        .pdf_text(&client, &format!("/api/meal_plans/{meal_copy}/pdf"))
        .await;
    assert!(copy_text.contains("For Riley Client"), "{copy_text:?}");
    let template = client
        .get(app.url(&format!("/api/meal_plans/{meal}/pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(template.status(), StatusCode::NOT_FOUND);
}
