//! The coach's "Today" over HTTP on both databases: check-ins waiting (and the navigation's
//! count), clients overdue for their check-in day, to-dos due, invitations not accepted and
//! deletion requests, each appearing and leaving as it should, in one workspace only.

use crate::common;

use common::checkins::Submission;
use common::{build_form, client_form, with, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

on_both_backends!(
    what_needs_the_coach_comes_and_goes,
    today_is_the_coachs_own,
    the_roster_shows_check_ins_compliance_and_overdue,
    the_clients_next_steps_come_and_go,
);

/// Gives Riley a check-in day, `days_from_today` away on the (UTC) calendar.
async fn check_in_on(
    app: &TestApp,
    coach: &reqwest::Client,
    client_id: &str,
    days_from_today: i64,
) {
    let clock = app::domain::Clock::utc(app::server::now_millis());
    let weekday = clock.civil(clock.now + days_from_today * DAY_MS).weekday;
    let day = app::domain::Weekday::ALL[weekday as usize].as_str();
    set_check_in_day(app, coach, client_id, day).await;
}

/// The portal home's "next": the check-in on its day and after a missed one, forms waiting, and
/// the coach's recent reply; each leaves when done, and only the client's own show.
async fn the_clients_next_steps_come_and_go(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let next = app.ok(&client, "portal/next_steps", &[]).await;
    assert_eq!(
        next,
        serde_json::json!({"checkin": null, "forms_waiting": [], "recent_reply": null})
    );

    // Today is the check-in day: due, until a check-in comes in.
    check_in_on(app, &coach, &client_id, 0).await;
    let next = app.ok(&client, "portal/next_steps", &[]).await;
    assert_eq!(next["checkin"]["overdue"], false, "{next}");
    let checkin = app
        .checkin_ok(&client, &Submission::default().field("weight", "80"))
        .await;
    let next = app.ok(&client, "portal/next_steps", &[]).await;
    assert_eq!(next["checkin"], Value::Null, "{next}");

    // Yesterday was the day, and nothing came in from the day before it: overdue.
    check_in_on(app, &coach, &client_id, -1).await;
    backdate_join(app, &client_id, 30).await;
    sqlx::query("UPDATE checkins SET submitted_at = submitted_at - $1 WHERE client_id = $2")
        .bind(10 * DAY_MS)
        .bind(&client_id)
        .execute(app.db.writer())
        .await
        .expect("backdate");
    let next = app.ok(&client, "portal/next_steps", &[]).await;
    assert_eq!(next["checkin"]["overdue"], true, "{next}");
    assert_eq!(next["recent_reply"], Value::Null);

    // The coach's reply is news for a week.
    app.ok(
        &coach,
        "checkins/review",
        &[("checkin_id", checkin.as_str()), ("reply", "Good week.")],
    )
    .await;
    let next = app.ok(&client, "portal/next_steps", &[]).await;
    assert_eq!(
        next["recent_reply"]["checkin_id"],
        checkin.as_str(),
        "{next}"
    );
    sqlx::query("UPDATE checkins SET reviewed_at = reviewed_at - $1 WHERE id = $2")
        .bind(8 * DAY_MS)
        .bind(&checkin)
        .execute(app.db.writer())
        .await
        .expect("age the reply");
    let next = app.ok(&client, "portal/next_steps", &[]).await;
    assert_eq!(next["recent_reply"], Value::Null, "{next}");

    // A form waits until it is answered.
    let fields =
        serde_json::json!([{"label": "Anything else?", "field_type": "text", "required": false}]);
    let form_id = build_form(app, &coach, "Intake", "intake", fields).await;
    app.ok(
        &coach,
        "forms/assign",
        &[
            ("form_id", form_id.as_str()),
            ("client_id", client_id.as_str()),
        ],
    )
    .await;
    let next = app.ok(&client, "portal/next_steps", &[]).await;
    assert_eq!(next["forms_waiting"][0]["name"], "Intake", "{next}");
    let assignment = next["forms_waiting"][0]["assignment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let answered = app
        .call_json(
            &client,
            "portal/forms/submit",
            &serde_json::json!({"assignment_id": assignment, "answers": {}}),
        )
        .await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
    let next = app.ok(&client, "portal/next_steps", &[]).await;
    assert_eq!(next["forms_waiting"], serde_json::json!([]));

    // Another client of the same coach has none of Riley's.
    let sam = app
        .create_client(&coach, "Sam Second", "sam@example.com")
        .await;
    let sam = app.invite_and_join(&coach, &sam).await;
    let theirs = app.ok(&sam, "portal/next_steps", &[]).await;
    assert_eq!(
        theirs,
        serde_json::json!({"checkin": null, "forms_waiting": [], "recent_reply": null})
    );
    // Coaches have no portal.
    assert_eq!(
        app.call(&coach, "portal/next_steps", &[]).await.status,
        StatusCode::FORBIDDEN
    );
}

const DAY_MS: i64 = 86_400_000;

/// Makes the client's account `days` old (a check-in day before they joined is not missed).
async fn backdate_join(app: &TestApp, client_id: &str, days: i64) {
    let then = app::server::now_millis() - days * DAY_MS;
    sqlx::query(
        "UPDATE users SET created_at = $1 WHERE id = (SELECT user_id FROM clients WHERE id = $2)",
    )
    .bind(then)
    .bind(client_id)
    .execute(app.db.writer())
    .await
    .expect("backdate");
}

/// Gives Riley, the client of `coach_and_client`, a check-in day (`monday`, …).
async fn set_check_in_day(app: &TestApp, coach: &reqwest::Client, client_id: &str, day: &str) {
    let mut update = with(
        client_form("Riley Client", "riley@example.com"),
        "checkin_day",
        day,
    );
    update.push(("client_id", client_id));
    app.ok(coach, "clients/update", &update).await;
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|row| row["client_name"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

async fn what_needs_the_coach_comes_and_goes(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let today = app.ok(&coach, "coach/today", &[]).await;
    assert_eq!(today["waiting_total"], 0, "{today}");
    assert_eq!(
        today["overdue_total"], 0,
        "a client without a check-in day is never overdue"
    );
    assert_eq!(today["deletion_requests"], 0);

    // A weekly check-in day, and an account older than a week: the latest such day has passed
    // with no check-in.
    set_check_in_day(app, &coach, &client_id, "monday").await;
    let today = app.ok(&coach, "coach/today", &[]).await;
    assert_eq!(
        today["overdue_total"], 0,
        "joined today: nothing missed yet"
    );
    backdate_join(app, &client_id, 30).await;
    let today = app.ok(&coach, "coach/today", &[]).await;
    assert_eq!(today["overdue_total"], 1, "{today}");
    assert_eq!(names(&today["overdue"]), ["Riley Client"]);
    assert_eq!(today["overdue"][0]["checkin_day"], "monday");
    assert_eq!(today["overdue"][0]["last_checkin_at"], Value::Null);

    // The check-in clears the overdue flag and waits for review, counted in the navigation.
    let checkin = app
        .checkin_ok(&client, &Submission::default().field("weight", "80"))
        .await;
    let today = app.ok(&coach, "coach/today", &[]).await;
    assert_eq!(today["overdue_total"], 0, "{today}");
    assert_eq!(today["waiting_total"], 1);
    assert_eq!(today["waiting"][0]["checkin_id"], checkin.as_str());
    assert_eq!(app.ok(&coach, "coach/nav_counts", &[]).await["waiting"], 1);
    assert_eq!(app.ok(&coach, "auth/me", &[]).await["inbox_waiting"], 1);
    let (status, page) = app.page(&coach, "/coach").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Check-ins to review (1)"), "{page}");
    assert!(page.contains("aria-label=\"1 waiting\""), "{page}");
    app.ok(
        &coach,
        "checkins/review",
        &[("checkin_id", checkin.as_str()), ("reply", "Good week.")],
    )
    .await;
    let today = app.ok(&coach, "coach/today", &[]).await;
    assert_eq!(today["waiting_total"], 0);
    assert_eq!(app.ok(&coach, "coach/nav_counts", &[]).await["waiting"], 0);

    // To-dos due today or before are listed; later ones are not, nor done ones.
    let clock = app::domain::Clock::utc(app::server::now_millis());
    let yesterday = clock.date_value(clock.now - DAY_MS);
    let next_month = clock.date_value(clock.now + 30 * DAY_MS);
    let due = app
        .ok(
            &coach,
            "todos/create",
            &[
                ("client_id", client_id.as_str()),
                ("title", "Call about knee"),
                ("due_date", yesterday.as_str()),
            ],
        )
        .await;
    app.ok(
        &coach,
        "todos/create",
        &[
            ("title", "Plan next block"),
            ("due_date", next_month.as_str()),
        ],
    )
    .await;
    let today = app.ok(&coach, "coach/today", &[]).await;
    assert_eq!(today["todos_due_total"], 1, "{today}");
    assert_eq!(today["todos_due"][0]["title"], "Call about knee");
    assert_eq!(today["todos_due"][0]["client_name"], "Riley Client");
    app.ok(
        &coach,
        "todos/set_done",
        &[("todo_id", due["id"].as_str().unwrap()), ("done", "true")],
    )
    .await;
    assert_eq!(
        app.ok(&coach, "coach/today", &[]).await["todos_due_total"],
        0
    );

    // Active goals whose date is within a week, or passed, are listed soonest first; a later
    // one, one without a date, and a completed one are not.
    let goal = |title: &'static str, date: String| {
        let client_id = client_id.clone();
        let coach = &coach;
        async move {
            let goals = app
                .ok(
                    coach,
                    "goals/create",
                    &[
                        ("client_id", client_id.as_str()),
                        ("title", title),
                        ("kind", "measurement"),
                        ("metric", "weight"),
                        ("target", "75"),
                        ("target_date", date.as_str()),
                        ("per_week", ""),
                    ],
                )
                .await;
            goals
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["title"] == title)
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    goal("Reach 78 kg", clock.date_value(clock.now + 5 * DAY_MS)).await;
    goal("Reach 79 kg", yesterday.clone()).await;
    goal("Reach 75 kg", next_month.clone()).await;
    goal("Someday", String::new()).await;
    let done = goal("Reach 80 kg", clock.date_value(clock.now + DAY_MS)).await;
    app.ok(
        &coach,
        "goals/set_status",
        &[("goal_id", done.as_str()), ("status", "completed")],
    )
    .await;
    let today = app.ok(&coach, "coach/today", &[]).await;
    assert_eq!(today["goals_near_total"], 2, "{today}");
    let titles: Vec<&str> = today["goals_near"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Reach 79 kg", "Reach 78 kg"]);
    assert_eq!(today["goals_near"][0]["client_name"], "Riley Client");
    assert_eq!(today["goals_near"][0]["target_date"], yesterday.as_str());
    let (_, page) = app.page(&coach, "/coach").await;
    assert!(page.contains("Goals near their date (2)"), "{page}");

    // An invitation not accepted, open and then expired; accepting it takes it off.
    let sam = app
        .create_client(&coach, "Sam Client", "sam@example.com")
        .await;
    let token = app.invite(&coach, &sam).await;
    let today = app.ok(&coach, "coach/today", &[]).await;
    assert_eq!(names(&today["invitations"]), ["Sam Client"]);
    assert_eq!(today["invitations"][0]["expired"], false);
    sqlx::query("UPDATE invites SET expires_at = 1 WHERE client_id = $1")
        .bind(&sam)
        .execute(app.db.writer())
        .await
        .expect("expire");
    let today = app.ok(&coach, "coach/today", &[]).await;
    assert_eq!(today["invitations"][0]["expired"], true);
    let fresh = app.invite(&coach, &sam).await;
    assert_ne!(fresh, token);
    let today = app.ok(&coach, "coach/today", &[]).await;
    assert_eq!(today["invitations_total"], 1, "one row per client: {today}");
    assert_eq!(today["invitations"][0]["expired"], false);
    app.ok(
        &app.client(),
        "invites/accept",
        &[("token", fresh.as_str()), ("password", common::PASSWORD)],
    )
    .await;
    assert_eq!(
        app.ok(&coach, "coach/today", &[]).await["invitations_total"],
        0
    );

    // A deletion request is counted.
    app.ok(&client, "portal/deletion/request", &[("message", "")])
        .await;
    assert_eq!(
        app.ok(&coach, "coach/today", &[]).await["deletion_requests"],
        1
    );
}

async fn today_is_the_coachs_own(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    app.checkin_ok(&client, &Submission::default().field("weight", "80"))
        .await;
    // Something of every kind in this workspace: an overdue client, a to-do due, an invitation.
    set_check_in_day(app, &coach, &client_id, "monday").await;
    backdate_join(app, &client_id, 30).await;
    sqlx::query("UPDATE checkins SET submitted_at = submitted_at - $1 WHERE client_id = $2")
        .bind(20 * DAY_MS)
        .bind(&client_id)
        .execute(app.db.writer())
        .await
        .expect("backdate");
    app.ok(
        &coach,
        "todos/create",
        &[("title", "Call Riley"), ("due_date", "2020-01-01")],
    )
    .await;
    let clock = app::domain::Clock::utc(app::server::now_millis());
    let soon = clock.date_value(clock.now + 2 * DAY_MS);
    app.ok(
        &coach,
        "goals/create",
        &[
            ("client_id", client_id.as_str()),
            ("title", "Reach 78 kg"),
            ("kind", "measurement"),
            ("metric", "weight"),
            ("target", "78"),
            ("target_date", soon.as_str()),
            ("per_week", ""),
        ],
    )
    .await;
    let sam = app
        .create_client(&coach, "Sam Client", "sam@example.com")
        .await;
    app.invite(&coach, &sam).await;
    let mine = app.ok(&coach, "coach/today", &[]).await;
    for total in [
        "waiting_total",
        "overdue_total",
        "todos_due_total",
        "goals_near_total",
        "invitations_total",
    ] {
        assert_eq!(mine[total], 1, "{total}: {mine}");
    }
    let other = app.client();
    app.signup_coach(&other, "Olive Coach", "olive@example.com")
        .await;
    let theirs = app.ok(&other, "coach/today", &[]).await;
    for total in [
        "waiting_total",
        "overdue_total",
        "todos_due_total",
        "goals_near_total",
        "invitations_total",
    ] {
        assert_eq!(theirs[total], 0, "{total}: {theirs}");
    }
    for list in [
        "waiting",
        "overdue",
        "todos_due",
        "goals_near",
        "invitations",
    ] {
        assert_eq!(theirs[list], serde_json::json!([]), "{list}");
    }
    assert_eq!(app.ok(&other, "coach/nav_counts", &[]).await["waiting"], 0);
    let mine = app.ok(&coach, "coach/today", &[]).await;
    assert_eq!(mine["waiting"][0]["client_id"], client_id.as_str());
    // Clients and operators have no "Today".
    assert_eq!(
        app.call(&client, "coach/today", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(&app.client(), "coach/nav_counts", &[])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

/// A joined client with a Monday check-in day, their account a month old.
async fn weekly_client(app: &TestApp, coach: &reqwest::Client, name: &str) -> reqwest::Client {
    let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
    let form = with(client_form(name, &email), "checkin_day", "monday");
    let id = app.ok(coach, "clients/create", &form).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = app.invite_and_join(coach, &id).await;
    backdate_join(app, &id, 30).await;
    client
}

async fn roster_names(app: &TestApp, coach: &reqwest::Client, sort: &str) -> Vec<String> {
    let page = app
        .ok(
            coach,
            "clients/list",
            &[
                ("query", ""),
                ("archived", "false"),
                ("page", "1"),
                ("sort", sort),
            ],
        )
        .await;
    page["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_roster_shows_check_ins_compliance_and_overdue(app: &TestApp) {
    let coach = app.client();
    app.signup_coach(&coach, "Casey Coach", "casey@example.com")
        .await;
    let riley = weekly_client(app, &coach, "Riley Client").await;
    let aaron = weekly_client(app, &coach, "Aaron Client").await;
    let sam = weekly_client(app, &coach, "Sam Client").await;
    drop(riley);
    // Aaron twice, then Sam once: Sam has the newest check-in. Aaron's first is moved 8 days
    // back, so Aaron checked in two of the last four weeks, and Sam one (however many times).
    let mut ids = Vec::new();
    for client in [&aaron, &aaron, &sam, &sam] {
        ids.push(
            app.checkin_ok(client, &Submission::default().field("weight", "80"))
                .await,
        );
    }
    sqlx::query("UPDATE checkins SET submitted_at = submitted_at - $1 WHERE id = $2")
        .bind(8 * DAY_MS)
        .bind(&ids[0])
        .execute(app.db.writer())
        .await
        .expect("backdate a check-in");
    let page = app
        .ok(
            &coach,
            "clients/list",
            &[("query", ""), ("archived", "false"), ("page", "1")],
        )
        .await;
    let by_name: std::collections::HashMap<&str, &Value> = page["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c))
        .collect();
    let (riley, aaron, sam) = (
        by_name["Riley Client"],
        by_name["Aaron Client"],
        by_name["Sam Client"],
    );
    assert_eq!(riley["overdue"], true, "{riley}");
    assert_eq!(riley["last_checkin_at"], Value::Null);
    assert_eq!(riley["weeks_checked_in"], 0);
    assert_eq!(aaron["overdue"], false);
    assert_eq!(aaron["weeks_checked_in"], 2);
    assert_eq!(
        sam["weeks_checked_in"], 1,
        "two check-ins in one week are one week"
    );
    assert_eq!(sam["checkin_day"], "monday");
    assert!(sam["last_checkin_at"].as_i64() > aaron["last_checkin_at"].as_i64());

    assert_eq!(
        roster_names(app, &coach, "name").await,
        ["Aaron Client", "Riley Client", "Sam Client"]
    );
    assert_eq!(
        roster_names(app, &coach, "last_checkin").await,
        ["Riley Client", "Aaron Client", "Sam Client"]
    );
    assert_eq!(
        roster_names(app, &coach, "compliance").await,
        ["Riley Client", "Sam Client", "Aaron Client"]
    );
    let refused = app
        .call(
            &coach,
            "clients/list",
            &[
                ("query", ""),
                ("archived", "false"),
                ("page", "1"),
                ("sort", "mood"),
            ],
        )
        .await;
    refused.assert_refused(StatusCode::BAD_REQUEST, "Sort must be");
    let (_, html) = app.page(&coach, "/coach").await;
    assert!(html.contains("data-testid=\"roster-overdue\""));
    assert!(html.contains("50% of 4 weeks"), "Aaron: two of four weeks");
}
