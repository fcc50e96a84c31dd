//! The first owned resource: a coach's profile. Another coach gets the same not-found as a
//! missing id, and nothing is changed.

use crate::common;

use common::TestApp;
use reqwest::StatusCode;

on_both_backends!(
    coach_reads_and_updates_own_profile,
    another_coach_gets_not_found,
    anonymous_is_unauthenticated,
    invalid_updates_change_nothing,
);

fn update_form<'a>(workspace: &'a str, name: &'a str, units: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("workspace_id", workspace),
        ("name", name),
        ("brand_name", "Strong & Well"),
        ("units", units),
        ("timezone", "Europe/London"),
    ]
}

async fn coach_reads_and_updates_own_profile(app: &TestApp) {
    let client = app.client();
    let id = app.signup_coach(&client, "Ann", "ann@example.com").await;
    let profile = app
        .ok(&client, "coach/profile/get", &[("workspace_id", &id)])
        .await;
    assert_eq!(profile["name"], "Ann");
    assert_eq!(profile["units"], "metric");
    assert_eq!(profile["timezone"], "UTC");
    assert_eq!(profile["brand_name"], "");

    let updated = app
        .ok(
            &client,
            "coach/profile/update",
            &update_form(&id, "Ann Lee", "imperial"),
        )
        .await;
    assert_eq!(updated["name"], "Ann Lee");
    // The login email is not part of the profile: it changes only through `account/email`.
    assert_eq!(updated["email"], "ann@example.com");
    assert_eq!(updated["brand_name"], "Strong & Well");
    assert_eq!(updated["units"], "imperial");
    assert_eq!(updated["timezone"], "Europe/London");
    let me = app.ok(&client, "auth/me", &[]).await;
    assert_eq!(me["name"], "Ann Lee");
}

async fn another_coach_gets_not_found(app: &TestApp) {
    let ann = app.client();
    let ann_id = app.signup_coach(&ann, "Ann", "ann@example.com").await;
    let bob = app.client();
    app.signup_coach(&bob, "Bob", "bob@example.com").await;

    let foreign = app
        .call(&bob, "coach/profile/get", &[("workspace_id", &ann_id)])
        .await;
    let missing = app
        .call(
            &bob,
            "coach/profile/get",
            &[("workspace_id", "no-such-workspace")],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(
        (foreign.status, &foreign.body),
        (missing.status, &missing.body),
        "foreign and missing must look alike"
    );

    let write = app
        .call(
            &bob,
            "coach/profile/update",
            &update_form(&ann_id, "Hijacked", "metric"),
        )
        .await;
    assert_eq!(write.status, StatusCode::NOT_FOUND);
    let profile = app
        .ok(&ann, "coach/profile/get", &[("workspace_id", &ann_id)])
        .await;
    assert_eq!(profile["name"], "Ann");
}

async fn anonymous_is_unauthenticated(app: &TestApp) {
    let id = app
        .signup_coach(&app.client(), "Ann", "ann@example.com")
        .await;
    let response = app
        .call(&app.client(), "coach/profile/get", &[("workspace_id", &id)])
        .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.kind(), "unauthenticated");
}

async fn invalid_updates_change_nothing(app: &TestApp) {
    let client = app.client();
    let id = app.signup_coach(&client, "Ann", "ann@example.com").await;
    let long = "x".repeat(101);
    let cases = [
        (
            update_form(&id, "Ann", "furlongs"),
            StatusCode::BAD_REQUEST,
            "Units must be",
        ),
        (
            update_form(&id, &long, "metric"),
            StatusCode::BAD_REQUEST,
            "Name is too long",
        ),
    ];
    for (form, status, message) in cases {
        let response = app.call(&client, "coach/profile/update", &form).await;
        assert_eq!(response.status, status, "{form:?}");
        let detail = response.body["detail"].as_str().unwrap_or_default();
        assert!(detail.starts_with(message), "{detail}");
    }
    let mut bad_tz = update_form(&id, "Ann", "metric");
    bad_tz[4] = ("timezone", "Mars/Olympus");
    assert_eq!(
        app.call(&client, "coach/profile/update", &bad_tz)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    // No refused update applied any part of itself.
    let profile = app
        .ok(&client, "coach/profile/get", &[("workspace_id", &id)])
        .await;
    assert_eq!(profile["name"], "Ann");
    assert_eq!(profile["email"], "ann@example.com");
    assert_eq!(profile["units"], "metric");
}
