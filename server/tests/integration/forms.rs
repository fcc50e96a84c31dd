//! Forms over HTTP on both databases: the builder, giving forms to clients, filling them with
//! validation, reading the answers, and a form answered with every check-in.

use crate::common;

use common::checkins::Submission;
use common::{build_form, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    an_intake_form_is_built_given_filled_and_read,
    bad_answers_are_refused_and_nothing_is_stored,
    editing_a_form_never_changes_what_was_given,
    bad_form_definitions_are_refused,
    a_check_in_form_is_answered_with_each_check_in,
);

fn field(label: &str, field_type: &str, required: bool) -> Value {
    json!({ "label": label, "field_type": field_type, "required": required })
}

fn intake_fields() -> Value {
    json!([
        field("About you", "heading", false),
        field("What do you want to achieve?", "long_text", true),
        { "label": "Goal weight", "field_type": "number", "required": true,
          "min": "30", "max": "300", "unit": "kg" },
        { "label": "Diet", "field_type": "single_choice", "required": true,
          "options": "Omnivore\nVegetarian\nVegan" },
        { "label": "Sports", "field_type": "multi_choice", "required": false,
          "options": "Running\nCycling\nSwimming" },
        field("Any injuries?", "yes_no", true),
        field("Energy lately", "rating", false),
        field("Start date", "date", false),
        field("Occupation", "text", false),
    ])
}

async fn assign(app: &TestApp, coach: &reqwest::Client, form_id: &str, client_id: &str) -> String {
    let id = app
        .ok(
            coach,
            "forms/assign",
            &[("form_id", form_id), ("client_id", client_id)],
        )
        .await;
    id.as_str().unwrap().to_owned()
}

async fn submit(
    app: &TestApp,
    client: &reqwest::Client,
    assignment_id: &str,
    answers: Value,
) -> common::Response {
    app.call_json(
        client,
        "portal/forms/submit",
        &json!({ "assignment_id": assignment_id, "answers": answers }),
    )
    .await
}

fn good_answers() -> Value {
    json!({
        "f2": ["Run a half marathon"],
        "f3": ["72.5"],
        "f4": ["Vegetarian"],
        "f5": ["Running", "Swimming"],
        "f6": ["no"],
        "f7": ["6"],
        "f8": ["2027-01-10"],
        "f9": [""],
    })
}

async fn an_intake_form_is_built_given_filled_and_read(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let form_id = build_form(app, &coach, "Intake", "intake", intake_fields()).await;
    let doc = app.ok(&coach, "forms/get", &[("form_id", &form_id)]).await;
    let fields = doc["definition"]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 9);
    assert_eq!(fields[2]["id"], "f3");
    assert_eq!(fields[2]["min"], 30.0);
    assert_eq!(
        fields[3]["options"],
        json!(["Omnivore", "Vegetarian", "Vegan"])
    );
    let list = app.ok(&coach, "forms/list", &[]).await;
    assert_eq!(list[0]["kind"], "intake");
    assert_eq!(list[0]["field_count"], 9);

    let assignment = assign(app, &coach, &form_id, &client_id).await;
    let mine = app.ok(&client, "portal/forms/list", &[]).await;
    assert_eq!(mine[0]["assignment_id"], assignment.as_str());
    assert_eq!(mine[0]["status"], "pending");

    let done = submit(app, &client, &assignment, good_answers()).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.body["status"], "submitted");

    for args in [
        [("client_id", client_id.as_str()), ("form_id", "")],
        [("client_id", ""), ("form_id", form_id.as_str())],
    ] {
        let responses = app.ok(&coach, "forms/responses", &args).await;
        let answers = &responses[0]["answers"];
        assert_eq!(responses[0]["client_name"], "Riley Client");
        assert_eq!(answers["f3"], json!({ "type": "number", "value": 72.5 }));
        assert_eq!(
            answers["f4"],
            json!({ "type": "choice", "value": "Vegetarian" })
        );
        assert_eq!(
            answers["f5"],
            json!({ "type": "choices", "value": ["Running", "Swimming"] })
        );
        assert_eq!(answers["f6"], json!({ "type": "yes_no", "value": false }));
        assert_eq!(answers["f7"], json!({ "type": "rating", "value": 6 }));
        assert_eq!(
            answers["f9"],
            Value::Null,
            "unanswered optional fields are absent"
        );
    }
}

async fn bad_answers_are_refused_and_nothing_is_stored(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let form_id = build_form(app, &coach, "Intake", "intake", intake_fields()).await;
    let assignment = assign(app, &coach, &form_id, &client_id).await;
    let with = |key: &str, value: Value| {
        let mut answers = good_answers();
        answers[key] = value;
        answers
    };
    let mut missing = good_answers();
    missing.as_object_mut().unwrap().remove("f6");
    let cases = [
        (missing, "“Any injuries?” is required."),
        (
            with("f2", json!(["  "])),
            "“What do you want to achieve?” is required.",
        ),
        (
            with("f4", json!(["Carnivore"])),
            "“Diet”: “Carnivore” is not one of the options.",
        ),
        (
            with("f5", json!(["Running", "Rowing"])),
            "“Sports”: “Rowing” is not one of the options.",
        ),
        (
            with("f3", json!(["350"])),
            "“Goal weight” must be between 30 kg and 300 kg.",
        ),
        (
            with("f3", json!(["heavy"])),
            "“Goal weight” must be a number.",
        ),
        (
            with("f7", json!(["0"])),
            "“Energy lately” must be a whole number from 1 to 10.",
        ),
        (
            with("f8", json!(["10/01/2027"])),
            "“Start date” must be a date like 1990-04-25.",
        ),
        (
            with("f4", json!(["Vegan", "Omnivore"])),
            "“Diet” takes one answer.",
        ),
        (
            with("nope", json!(["x"])),
            "This form has no field \"nope\".",
        ),
    ];
    for (answers, message) in cases {
        let response = submit(app, &client, &assignment, answers).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{message}");
        assert_eq!(response.body["detail"], message);
    }
    let mine = app
        .ok(
            &client,
            "portal/forms/get",
            &[("assignment_id", &assignment)],
        )
        .await;
    assert_eq!(mine["status"], "pending");
    assert_eq!(mine["answers"], json!({}));

    // Another client's form is not found, exactly like a missing one.
    let other_id = app
        .create_client(&coach, "Sam Sibling", "sam@example.com")
        .await;
    let sibling = app.invite_and_join(&coach, &other_id).await;
    let foreign = submit(app, &sibling, &assignment, good_answers()).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
}

async fn editing_a_form_never_changes_what_was_given(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let form_id = build_form(app, &coach, "Intake", "intake", intake_fields()).await;
    let assignment = assign(app, &coach, &form_id, &client_id).await;
    app.ok_json(
        &coach,
        "forms/save",
        &json!({ "form_id": form_id, "form": { "name": "Intake v2", "kind": "intake",
                 "fields": [ field("Only question", "text", true) ] } }),
    )
    .await;
    let mine = app
        .ok(
            &client,
            "portal/forms/get",
            &[("assignment_id", &assignment)],
        )
        .await;
    assert_eq!(mine["definition"]["name"], "Intake");
    assert_eq!(mine["definition"]["fields"].as_array().unwrap().len(), 9);
    let done = submit(app, &client, &assignment, good_answers()).await;
    assert_eq!(
        done.status,
        StatusCode::OK,
        "answers follow the form as it was given"
    );

    // Deleting the template keeps the answers.
    app.ok(&coach, "forms/delete", &[("form_id", &form_id)])
        .await;
    let responses = app
        .ok(
            &coach,
            "forms/responses",
            &[("client_id", client_id.as_str()), ("form_id", "")],
        )
        .await;
    assert_eq!(responses[0]["answers"]["f4"]["value"], "Vegetarian");
}

async fn bad_form_definitions_are_refused(app: &TestApp) {
    let (coach, _client, client_id) = app.coach_and_client().await;
    let form_id = build_form(app, &coach, "Intake", "intake", intake_fields()).await;
    let before = app.ok(&coach, "forms/get", &[("form_id", &form_id)]).await;
    let cases = [
        (
            json!({ "name": " ", "kind": "intake", "fields": [] }),
            "Form name is required.",
        ),
        (
            json!({ "name": "X", "kind": "survey", "fields": [] }),
            "Form type must be \"intake\", \"checkin\" or \"questionnaire\".",
        ),
        (
            json!({ "name": "X", "kind": "intake", "fields": [ field("Diet", "single_choice", true) ] }),
            "Field 1 (Diet): give at least one option, one per line.",
        ),
        (
            json!({ "name": "X", "kind": "intake", "fields": [ field("", "text", true) ] }),
            "Field 1: a label is required.",
        ),
        (
            json!({ "name": "X", "kind": "intake", "fields": [
                { "label": "Age", "field_type": "number", "min": "90", "max": "10" } ] }),
            "Field 1 (Age): the minimum must not be above the maximum.",
        ),
    ];
    for (form, message) in cases {
        let response = app
            .call_json(
                &coach,
                "forms/save",
                &json!({ "form_id": form_id, "form": form }),
            )
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{message}");
        assert_eq!(response.body["detail"], message);
    }
    assert_eq!(
        app.ok(&coach, "forms/get", &[("form_id", &form_id)]).await,
        before
    );

    let empty = app
        .ok(
            &coach,
            "forms/create",
            &[("name", "Empty"), ("kind", "questionnaire")],
        )
        .await;
    let refused = app
        .call(
            &coach,
            "forms/assign",
            &[
                ("form_id", empty.as_str().unwrap()),
                ("client_id", &client_id),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
}

async fn a_check_in_form_is_answered_with_each_check_in(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let fields = json!([
        field("Hardest moment this week", "text", true),
        field("Sleep quality", "rating", false),
    ]);
    let form_id = build_form(app, &coach, "Weekly questions", "checkin", fields).await;
    let intake = build_form(app, &coach, "Intake", "intake", intake_fields()).await;
    let wrong_kind = app
        .call(
            &coach,
            "forms/set_checkin_form",
            &[("client_id", &client_id), ("form_id", &intake)],
        )
        .await;
    assert_eq!(wrong_kind.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.ok(&client, "portal/checkin_form", &[]).await,
        Value::Null
    );

    app.ok(
        &coach,
        "forms/set_checkin_form",
        &[("client_id", &client_id), ("form_id", &form_id)],
    )
    .await;
    let chosen = app
        .ok(&coach, "forms/checkin_form", &[("client_id", &client_id)])
        .await;
    assert_eq!(chosen, form_id.as_str());
    let form = app.ok(&client, "portal/checkin_form", &[]).await;
    assert_eq!(form["name"], "Weekly questions");

    // A required question left out: nothing is recorded.
    let refused = app
        .submit_checkin(&client, &Submission::default().field("weight", "80"))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.body["detail"],
        "“Hardest moment this week” is required."
    );
    assert_eq!(
        app.ok(&client, "portal/checkins/list", &[]).await,
        json!([])
    );

    let id = app
        .checkin_ok(
            &client,
            &Submission::default()
                .field("weight", "80")
                .field("form.f1", "Friday night out")
                .field("form.f2", "8"),
        )
        .await;
    let review = app.ok(&coach, "checkins/get", &[("checkin_id", &id)]).await;
    let answered = &review["current"]["form"];
    assert_eq!(answered["definition"]["name"], "Weekly questions");
    assert_eq!(answered["answers"]["f1"]["value"], "Friday night out");
    assert_eq!(answered["answers"]["f2"]["value"], 8);
    let mine = app
        .ok(&client, "portal/checkins/get", &[("checkin_id", &id)])
        .await;
    assert_eq!(mine["form"]["answers"]["f2"]["value"], 8);
    let text = app
        .pdf_text(&coach, &format!("/api/checkins/{id}/pdf"))
        .await;
    assert!(
        text.contains("Hardest moment this week: Friday night out"),
        "{text:?}"
    );
    assert!(text.contains("Sleep quality: 8 / 10"), "{text:?}");

    // Without a check-in form, form answers are refused rather than dropped.
    app.ok(
        &coach,
        "forms/set_checkin_form",
        &[("client_id", &client_id), ("form_id", "")],
    )
    .await;
    let stale = app
        .submit_checkin(&client, &Submission::default().field("form.f1", "x"))
        .await;
    assert_eq!(stale.status, StatusCode::BAD_REQUEST);
}
