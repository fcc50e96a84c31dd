//! Goals over HTTP on both databases: measurement goals follow check-ins, habit goals are logged
//! by the client, bad input is refused and nothing is created.

use crate::common;

use common::checkins::Submission;
use common::TestApp;
use reqwest::StatusCode;
use serde_json::Value;

on_both_backends!(
    a_measurement_goal_follows_check_ins,
    a_goal_set_before_any_check_in_starts_at_the_first,
    habit_goals_are_logged_by_the_client,
    bad_goals_are_refused_and_nothing_is_created,
    goals_can_be_completed_abandoned_and_deleted,
);

fn goal_form<'a>(
    client_id: &'a str,
    kind: &'a str,
    target: &'a str,
    per_week: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", client_id),
        ("title", "Wedding weight"),
        ("kind", kind),
        ("metric", "weight"),
        ("target", target),
        ("target_date", "2027-06-01"),
        ("per_week", per_week),
    ]
}

/// Sets a goal as the coach; returns the client's goals afterwards.
async fn create_goal(app: &TestApp, coach: &reqwest::Client, form: &[(&str, &str)]) -> Value {
    app.ok(coach, "goals/create", form).await
}

async fn weigh_in(app: &TestApp, client: &reqwest::Client, kg: &str) {
    app.checkin_ok(client, &Submission::default().field("weight", kg))
        .await;
}

async fn a_measurement_goal_follows_check_ins(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    weigh_in(app, &client, "80").await;
    let goals = create_goal(app, &coach, &goal_form(&client_id, "measurement", "75", "")).await;
    assert_eq!(goals[0]["target"]["kind"], "measurement");
    assert_eq!(goals[0]["target"]["target"], 75.0);
    assert_eq!(goals[0]["start_value"], 80.0);
    assert_eq!(goals[0]["current_value"], 80.0);
    assert_eq!(goals[0]["progress_percent"], 0);

    weigh_in(app, &client, "78.5").await;
    for (who, endpoint, args) in [
        (
            &coach,
            "goals/list",
            vec![("client_id", client_id.as_str())],
        ),
        (&client, "portal/goals/list", vec![]),
    ] {
        let goals = app.ok(who, endpoint, &args).await;
        assert_eq!(goals[0]["current_value"], 78.5, "{endpoint}");
        assert_eq!(goals[0]["progress_percent"], 30, "{endpoint}");
        assert_eq!(goals[0]["status"], "active");
    }
    // Overshooting counts as done; the coach still decides when it is completed.
    weigh_in(app, &client, "74").await;
    let goals = app.ok(&client, "portal/goals/list", &[]).await;
    assert_eq!(goals[0]["progress_percent"], 100);
    assert_eq!(goals[0]["status"], "active");
}

async fn a_goal_set_before_any_check_in_starts_at_the_first(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let goals = create_goal(app, &coach, &goal_form(&client_id, "measurement", "75", "")).await;
    assert_eq!(goals[0]["start_value"], Value::Null);
    assert_eq!(goals[0]["progress_percent"], Value::Null);
    weigh_in(app, &client, "80").await;
    weigh_in(app, &client, "77.5").await;
    let goals = app.ok(&client, "portal/goals/list", &[]).await;
    assert_eq!(goals[0]["start_value"], 80.0);
    assert_eq!(goals[0]["progress_percent"], 50);
}

/// The client logs `times` for this week; returns the answer.
async fn log(
    app: &TestApp,
    client: &reqwest::Client,
    goal_id: &str,
    times: &str,
) -> common::Response {
    app.call(
        client,
        "portal/goals/log",
        &[("goal_id", goal_id), ("times_done", times)],
    )
    .await
}

async fn habit_goals_are_logged_by_the_client(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let goals = create_goal(app, &coach, &goal_form(&client_id, "habit", "", "4")).await;
    let habit = goals[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        goals[0]["target"],
        serde_json::json!({"kind": "habit", "per_week": 4})
    );
    assert_eq!(goals[0]["progress_percent"], 0);

    let logged = log(app, &client, &habit, "2").await;
    assert_eq!(logged.status, StatusCode::OK, "{}", logged.body);
    let goals = logged.body;
    assert_eq!(goals[0]["current_value"], 2.0);
    assert_eq!(goals[0]["progress_percent"], 50);
    // The count for the week is replaced, not added to.
    let logged = log(app, &client, &habit, "5").await;
    assert_eq!(logged.status, StatusCode::OK, "{}", logged.body);
    let goals = logged.body;
    assert_eq!(goals[0]["current_value"], 5.0);
    assert_eq!(goals[0]["progress_percent"], 100);
    let seen_by_coach = app
        .ok(&coach, "goals/list", &[("client_id", &client_id)])
        .await;
    assert_eq!(seen_by_coach[0]["current_value"], 5.0);

    for bad in ["-1", "two", "101"] {
        let response = log(app, &client, &habit, bad).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(
            response.body["detail"],
            "Times done must be a whole number from 0 to 100."
        );
    }

    // Measurement goals follow check-ins; finished goals take no more logs.
    let goals = create_goal(app, &coach, &goal_form(&client_id, "measurement", "75", "")).await;
    let measurement = goals
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["target"]["kind"] == "measurement")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = log(app, &client, &measurement, "1").await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    app.ok(
        &coach,
        "goals/set_status",
        &[("goal_id", &habit), ("status", "completed")],
    )
    .await;
    let response = log(app, &client, &habit, "1").await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.body["detail"], "This goal is no longer active.");
}

async fn bad_goals_are_refused_and_nothing_is_created(app: &TestApp) {
    let (coach, _, client_id) = app.coach_and_client().await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            common::with(goal_form(&client_id, "measurement", "75", ""), "title", " "),
            "Goal is required.",
        ),
        (
            goal_form(&client_id, "measurement", "-5", ""),
            "Weight must be between 20 kg and 400 kg.",
        ),
        (
            goal_form(&client_id, "measurement", "", ""),
            "Target weight is required.",
        ),
        (
            common::with(
                goal_form(&client_id, "measurement", "75", ""),
                "metric",
                "iq",
            ),
            "Choose which measurement the goal is for.",
        ),
        (
            common::with(
                goal_form(&client_id, "measurement", "75", ""),
                "target_date",
                "2027-02-30",
            ),
            "Target date must be a date like 1990-04-25.",
        ),
        (
            goal_form(&client_id, "habit", "", "0"),
            "Times a week must be a whole number from 1 to 50.",
        ),
        (
            goal_form(&client_id, "dream", "", ""),
            "Goal type must be \"measurement\" or \"habit\".",
        ),
    ];
    for (form, message) in cases {
        let response = app.call(&coach, "goals/create", &form).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{message}");
        assert_eq!(response.body["detail"], message);
    }
    let goals = app
        .ok(&coach, "goals/list", &[("client_id", &client_id)])
        .await;
    assert_eq!(goals, serde_json::json!([]));
}

async fn goals_can_be_completed_abandoned_and_deleted(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let goals = create_goal(app, &coach, &goal_form(&client_id, "habit", "", "3")).await;
    let id = goals[0]["id"].as_str().unwrap().to_owned();
    for status in ["completed", "abandoned", "active"] {
        app.ok(
            &coach,
            "goals/set_status",
            &[("goal_id", &id), ("status", status)],
        )
        .await;
        let mine = app.ok(&client, "portal/goals/list", &[]).await;
        assert_eq!(mine[0]["status"], status);
    }
    let response = app
        .call(
            &coach,
            "goals/set_status",
            &[("goal_id", &id), ("status", "paused")],
        )
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    app.ok(&coach, "goals/delete", &[("goal_id", &id)]).await;
    assert_eq!(
        app.ok(&client, "portal/goals/list", &[]).await,
        serde_json::json!([])
    );
    let again = app.call(&coach, "goals/delete", &[("goal_id", &id)]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}
