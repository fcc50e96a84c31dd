//! Time zones over HTTP on both databases: a coach behind UTC types a session's time on their
//! own wall clock and reads it back there; their client, ahead of UTC, reads the same session on
//! theirs (a different date from UTC's on each side); accounts start in the zone their browser
//! says; habit weeks are the client's own; unknown zones are refused and change nothing.

use crate::common;

use common::{TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::Value;

on_both_backends!(
    each_person_types_and_reads_times_on_their_own_clock,
    accounts_start_in_the_zone_their_browser_says,
    habit_weeks_are_the_clients_own,
);

/// 2026-12-02T01:30Z: the evening of 1 December in Los Angeles (UTC-8), the afternoon of
/// 2 December in Auckland (UTC+13).
const HELD_AT: i64 = 1_796_175_000_000;

async fn set_coach_zone(app: &TestApp, coach: &reqwest::Client, zone: &str) -> common::Response {
    let me = app.ok(coach, "auth/me", &[]).await;
    app.call(
        coach,
        "coach/profile/update",
        &[
            ("workspace_id", me["user_id"].as_str().unwrap()),
            ("name", "Casey Coach"),
            ("brand_name", ""),
            ("units", "metric"),
            ("timezone", zone),
        ],
    )
    .await
}

fn clock_zone(me: &Value) -> &str {
    me["clock"]["zone"].as_str().unwrap_or_default()
}

async fn each_person_types_and_reads_times_on_their_own_clock(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    // Until the coach sets a zone, the workspace is in UTC, and so is its client's portal.
    assert_eq!(clock_zone(&app.ok(&client, "auth/me", &[]).await), "UTC");
    let saved = set_coach_zone(app, &coach, "America/Los_Angeles").await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let me = app.ok(&coach, "auth/me", &[]).await;
    assert_eq!(clock_zone(&me), "America/Los_Angeles");
    assert!(
        me["clock"]["offsets"]
            .as_array()
            .is_some_and(|o| o.len() > 2),
        "{me}"
    );
    // A client who has not chosen a zone lives by their coach's.
    assert_eq!(
        clock_zone(&app.ok(&client, "auth/me", &[]).await),
        "America/Los_Angeles"
    );

    // 17:30 typed in Los Angeles on 1 December is 01:30 UTC on the 2nd.
    let session = app
        .ok(
            &coach,
            "sessions/create",
            &[
                ("client_id", client_id.as_str()),
                ("held_at", "2026-12-01T17:30"),
                ("duration_min", "45"),
                ("title", "Evening call"),
                ("tags", ""),
                ("private_notes", ""),
                ("summary", "Bedtime at 22:30."),
                ("transcript", ""),
            ],
        )
        .await;
    let session_id = session.as_str().unwrap().to_owned();
    let list = app
        .ok(&coach, "sessions/list", &[("client_id", &client_id)])
        .await;
    assert_eq!(list[0]["held_at"], HELD_AT);
    let (status, page) = app
        .page(&coach, &format!("/coach/clients/{client_id}/sessions"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        // (From 2027 the page adds the year: "Tue 1 Dec 2026, 17:30".)
        page.contains("Tue 1 Dec") && page.contains("17:30"),
        "the coach's page: {page}"
    );
    assert!(page.contains("datetime=\"2026-12-01T17:30-08:00\""));
    assert!(
        !page.contains("Wed 2 Dec"),
        "UTC's date leaked onto the coach's page"
    );
    // Editing keeps reading the wall clock: the form shows the local time, and saving it back
    // unchanged moves nothing.
    let (_, session_page) = app
        .page(&coach, &format!("/coach/sessions/{session_id}"))
        .await;
    assert!(session_page.contains("value=\"2026-12-01T17:30\""));
    assert!(session_page.contains("Date and time (America/Los_Angeles)"));

    app.ok(
        &coach,
        "sessions/share",
        &[("session_id", &session_id), ("shared", "true")],
    )
    .await;
    let me = app
        .ok(
            &client,
            "portal/timezone/update",
            &[("timezone", "Pacific/Auckland")],
        )
        .await;
    assert_eq!(clock_zone(&me), "Pacific/Auckland");
    let (status, portal) = app.page(&client, "/portal").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        portal.contains("Wed 2 Dec") && portal.contains("14:30"),
        "the portal: {portal}"
    );
    assert!(portal.contains("datetime=\"2026-12-02T14:30+13:00\""));
    assert!(
        !portal.contains("Tue 1 Dec"),
        "the coach's date leaked into the portal"
    );
    // The coach's own clock did not move with the client's.
    assert_eq!(
        clock_zone(&app.ok(&coach, "auth/me", &[]).await),
        "America/Los_Angeles"
    );

    // Zones that do not exist are refused by name, and nothing changes.
    for bad in ["Mars/Olympus", "Europe/Atlantis", "US/Pacific", ""] {
        let refused = app
            .call(&client, "portal/timezone/update", &[("timezone", bad)])
            .await;
        refused.assert_refused(
            StatusCode::BAD_REQUEST,
            "Time zone: choose one from the list",
        );
        let refused = set_coach_zone(app, &coach, bad).await;
        refused.assert_refused(StatusCode::BAD_REQUEST, "Time zone");
    }
    assert_eq!(
        clock_zone(&app.ok(&client, "auth/me", &[]).await),
        "Pacific/Auckland"
    );
    assert_eq!(
        clock_zone(&app.ok(&coach, "auth/me", &[]).await),
        "America/Los_Angeles"
    );
    // A bad typed time is refused by its field.
    let refused = app
        .call(
            &coach,
            "sessions/update",
            &[
                ("session_id", session_id.as_str()),
                ("held_at", "2026-12-01 17:30"),
                ("duration_min", "45"),
                ("title", "Evening call"),
                ("tags", ""),
                ("private_notes", ""),
                ("summary", ""),
            ],
        )
        .await;
    refused.assert_refused(StatusCode::BAD_REQUEST, "Date and time must look like");

    // The picker's list: every zone a setting takes, for anyone signed in and no one else.
    let zones = app.ok(&client, "account/time_zones", &[]).await;
    let zones: Vec<&str> = zones
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(zones.contains(&"Pacific/Auckland") && zones.contains(&"UTC"));
    assert!(!zones.contains(&"US/Pacific"));
    let anonymous = app.call(&app.client(), "account/time_zones", &[]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

async fn accounts_start_in_the_zone_their_browser_says(app: &TestApp) {
    let coach = app.client();
    let signed_up = app
        .ok(
            &coach,
            "auth/signup",
            &[
                ("name", "Tomo Coach"),
                ("email", "tomo@example.com"),
                ("password", PASSWORD),
                ("timezone", "Asia/Tokyo"),
            ],
        )
        .await;
    assert_eq!(clock_zone(&signed_up["me"]), "Asia/Tokyo");
    let workspace = signed_up["me"]["user_id"].as_str().unwrap();
    let profile = app
        .ok(&coach, "coach/profile/get", &[("workspace_id", workspace)])
        .await;
    assert_eq!(profile["timezone"], "Asia/Tokyo");

    // A client accepting an invitation from a browser in Lisbon lives by Lisbon's clock.
    let client_id = app
        .create_client(&coach, "Rui Client", "rui@example.com")
        .await;
    let token = app.invite(&coach, &client_id).await;
    let client = app.client();
    let me = app
        .ok(
            &client,
            "invites/accept",
            &[
                ("token", token.as_str()),
                ("password", PASSWORD),
                ("timezone", "Europe/Lisbon"),
            ],
        )
        .await;
    assert_eq!(clock_zone(&me), "Europe/Lisbon");

    // A zone the database does not know is a hint ignored, not a failed sign-up: UTC.
    let signed_up = app
        .ok(
            &app.client(),
            "auth/signup",
            &[
                ("name", "Nemo"),
                ("email", "nemo@example.com"),
                ("password", PASSWORD),
                ("timezone", "Atlantis/Capital"),
            ],
        )
        .await;
    assert_eq!(clock_zone(&signed_up["me"]), "UTC");
}

/// The week a habit count is kept under, read back from the store.
async fn stored_week(app: &TestApp, goal_id: &str) -> String {
    let (week,): (String,) =
        sqlx::query_as("SELECT week_start FROM goal_habit_weeks WHERE goal_id = $1")
            .bind(goal_id)
            .fetch_one(app.db.reader())
            .await
            .expect("one logged week");
    week
}

async fn habit_weeks_are_the_clients_own(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let goals = app
        .ok(
            &coach,
            "goals/create",
            &[
                ("client_id", client_id.as_str()),
                ("title", "Walk"),
                ("kind", "habit"),
                ("metric", "weight"),
                ("target", ""),
                ("target_date", "2027-06-01"),
                ("per_week", "4"),
            ],
        )
        .await;
    let goal_id = goals[0]["id"].as_str().unwrap().to_owned();
    // Kiritimati is 14 hours ahead of UTC: from Sunday 10:00 UTC it is Monday there, a week
    // UTC has not started. The week logged is the one on the client's calendar. (Only on those
    // Sunday hours do the two weeks differ, so only then could a store that ignored the zone
    // fail here; `time_zones::tests` checks the arithmetic at fixed instants either side.)
    app.ok(
        &client,
        "portal/timezone/update",
        &[("timezone", "Pacific/Kiritimati")],
    )
    .await;
    let before = app::server::now_millis();
    let logged = app
        .call(
            &client,
            "portal/goals/log",
            &[("goal_id", goal_id.as_str()), ("times_done", "3")],
        )
        .await;
    assert_eq!(logged.status, StatusCode::OK, "{}", logged.body);
    let after = app::server::now_millis();
    let week = stored_week(app, &goal_id).await;
    let expected =
        [before, after].map(|at| app::server::time_zones::week_start("Pacific/Kiritimati", at));
    assert!(expected.contains(&week), "{week} not in {expected:?}");
    // And the count is read back in the same week.
    assert_eq!(logged.body[0]["current_value"], 3.0);
}
