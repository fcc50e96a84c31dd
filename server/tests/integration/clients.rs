//! Clients, invitations, the portal, private notes and account settings, over HTTP.

use crate::common;

use common::checkins::Submission;
use common::{client_form, with, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::Value;

on_both_backends!(
    profiles_are_stored_in_si_and_shown_in_the_coachs_units,
    bad_client_input_gets_clear_errors_and_changes_nothing,
    roster_searches_filters_and_pages,
    archiving_moves_a_client_between_views,
    deleting_a_client_removes_their_data_login_and_sessions,
    invitations_are_single_use_and_expire,
    the_portal_shows_only_the_clients_own_profile,
    changing_password_ends_other_sessions,
    private_notes_and_todos,
    unknown_and_known_measurements_alternate,
    the_client_page_has_a_page_per_tab,
);

/// `/coach/clients/:id/<tab>`: each tab is its own page, rendered whole on the server with its
/// own panels and the tab marked current; a tab that does not exist is a 404, and another
/// coach's client is not found on every tab alike.
async fn the_client_page_has_a_page_per_tab(app: &TestApp) {
    let coach = app.client();
    app.signup_coach(&coach, "Casey Coach", "casey@example.com")
        .await;
    let id = app
        .create_client(&coach, "Riley Client", "riley@example.com")
        .await;
    let tabs = [
        ("", "Profile", "client-tab-overview"),
        ("/checkins", "Check-ins", "client-tab-checkins"),
        ("/progress", "Progress", "client-tab-progress"),
        ("/plans", "Meal plans", "client-tab-plans"),
        ("/goals", "Goals", "client-tab-goals"),
        ("/forms", "Forms", "client-tab-forms"),
        ("/sessions", "Coaching sessions", "client-tab-sessions"),
        ("/notes", "Private notes", "client-tab-notes"),
    ];
    for (suffix, heading, link) in tabs {
        let (status, page) = app
            .page(&coach, &format!("/coach/clients/{id}{suffix}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{suffix}");
        assert!(page.contains("Riley Client"), "{suffix}");
        assert!(page.contains(heading), "{suffix} lacks {heading:?}");
        let current = format!("aria-current=\"page\" data-testid=\"{link}\"");
        assert!(page.contains(&current), "{suffix}: {link} is not current");
    }
    // The profile form is on the overview only.
    let (_, notes) = app
        .page(&coach, &format!("/coach/clients/{id}/notes"))
        .await;
    assert!(!notes.contains("data-testid=\"client-form\""));
    let (status, page) = app
        .page(&coach, &format!("/coach/clients/{id}/bogus"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("No such tab"));

    let other = app.client();
    app.signup_coach(&other, "Olive Coach", "olive@example.com")
        .await;
    for suffix in ["", "/notes"] {
        let (_, page) = app
            .page(&other, &format!("/coach/clients/{id}{suffix}"))
            .await;
        assert!(page.contains("Client not found"), "{suffix}");
        assert!(!page.contains("Riley Client"), "{suffix}");
    }
}

/// A profile without a height, then one with: the same cached insert statement must take both
/// (sqlx's Any driver once typed a NULL double as float4 on PostgreSQL).
async fn unknown_and_known_measurements_alternate(app: &TestApp) {
    let coach = app.client();
    app.signup_coach(&coach, "Alex", "alex@example.com").await;
    for (i, height) in ["", "180", "", "172.5"].into_iter().enumerate() {
        let email = format!("c{i}@example.com");
        let form = with(client_form("Client", &email), "height", height);
        let created = app.ok(&coach, "clients/create", &form).await;
        match height {
            "" => assert!(created["height_cm"].is_null()),
            h => assert_eq!(created["height_cm"].as_f64(), h.parse::<f64>().ok()),
        }
    }
}

async fn new_coach(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    let client = app.client();
    let id = app.signup_coach(&client, "Coach", email).await;
    (client, id)
}

async fn set_units(app: &TestApp, coach: &reqwest::Client, workspace: &str, units: &str) {
    app.ok(
        coach,
        "coach/profile/update",
        &[
            ("workspace_id", workspace),
            ("name", "Coach"),
            ("brand_name", "Peak Form"),
            ("units", units),
            ("timezone", "Europe/London"),
        ],
    )
    .await;
}

async fn profiles_are_stored_in_si_and_shown_in_the_coachs_units(app: &TestApp) {
    let (coach, workspace) = new_coach(app, "coach@example.com").await;
    set_units(app, &coach, &workspace, "imperial").await;
    let form = client_form("Ann Lee", "ann@example.com");
    let form = with(form, "height", "5'10");
    let form = with(form, "weight", "176.4");
    let form = with(form, "goals", "Run a 10k\nSleep more");
    let form = with(form, "medications", "None");
    let form = with(form, "checkin_day", "monday");
    let form = with(form, "date_of_birth", "1990-04-25");
    let created = app.ok(&coach, "clients/create", &form).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert!((created["height_cm"].as_f64().unwrap() - 177.8).abs() < 0.01);
    assert!((created["weight_kg"].as_f64().unwrap() - 80.0).abs() < 0.02);
    assert_eq!(created["units"], "imperial");
    assert_eq!(created["goals"], "Run a 10k\nSleep more");
    assert_eq!(created["checkin_day"], "monday");
    assert_eq!(created["archived"], false);
    assert_eq!(created["has_login"], false);

    // Switch the coach to metric: the stored value is unchanged, only the display unit moves.
    set_units(app, &coach, &workspace, "metric").await;
    let update = with(client_form("Ann Lee", "ann@example.com"), "weight", "81");
    let update: Vec<(&str, &str)> = std::iter::once(("client_id", id.as_str()))
        .chain(update)
        .collect();
    let updated = app.ok(&coach, "clients/update", &update).await;
    assert_eq!(updated["weight_kg"], 81.0);
    assert_eq!(
        updated["height_cm"],
        serde_json::Value::Null,
        "update replaces the whole profile"
    );
    assert_eq!(updated["units"], "metric");
}

async fn bad_client_input_gets_clear_errors_and_changes_nothing(app: &TestApp) {
    let (coach, _) = new_coach(app, "coach@example.com").await;
    app.create_client(&coach, "Ann", "ann@example.com").await;
    let long = "x".repeat(4001);
    let cases = [
        (
            client_form("Bob", "ann@example.com"),
            StatusCode::CONFLICT,
            "Another of your clients already uses this email.",
        ),
        (
            with(client_form("Bob", "bob@example.com"), "weight", "5000"),
            StatusCode::BAD_REQUEST,
            "Weight must be between 20 and 400 kg.",
        ),
        (
            with(client_form("Bob", "bob@example.com"), "height", "tall"),
            StatusCode::BAD_REQUEST,
            "Height must be a number.",
        ),
        (
            with(client_form("Bob", "bob@example.com"), "goals", &long),
            StatusCode::BAD_REQUEST,
            "Goals is too long (4000 characters at most).",
        ),
        (
            client_form("", "bob@example.com"),
            StatusCode::BAD_REQUEST,
            "Name is required.",
        ),
        (
            with(
                client_form("Bob", "bob@example.com"),
                "checkin_day",
                "caturday",
            ),
            StatusCode::BAD_REQUEST,
            "Check-in day must be a day of the week.",
        ),
    ];
    for (form, status, message) in cases {
        let response = app.call(&coach, "clients/create", &form).await;
        assert_eq!(response.status, status, "{form:?}");
        assert_eq!(response.body["detail"], message);
    }
    let unknown = app
        .call(&coach, "clients/get", &[("client_id", "no-such-client")])
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let unknown_update: Vec<(&str, &str)> = std::iter::once(("client_id", "no-such-client"))
        .chain(client_form("X", "x@example.com"))
        .collect();
    assert_eq!(
        app.call(&coach, "clients/update", &unknown_update)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let roster = app
        .ok(
            &coach,
            "clients/list",
            &[("query", ""), ("archived", "false"), ("page", "1")],
        )
        .await;
    assert_eq!(roster["total"], 1, "no failed create left a row behind");

    // Another coach may have a client with the same email: workspaces are separate.
    let (other, _) = new_coach(app, "other@example.com").await;
    app.create_client(&other, "Ann", "ann@example.com").await;
}

async fn roster_searches_filters_and_pages(app: &TestApp) {
    let (coach, _) = new_coach(app, "coach@example.com").await;
    for i in 0..30 {
        app.create_client(
            &coach,
            &format!("Client {i:02}"),
            &format!("c{i:02}@example.com"),
        )
        .await;
    }
    app.create_client(&coach, "Zoë Ünicode", "zoe@fit.example")
        .await;
    let list = |query: &str, archived: &str, page: &str| {
        let form = [
            ("query", query.to_owned()),
            ("archived", archived.to_owned()),
            ("page", page.to_owned()),
        ];
        let coach = coach.clone();
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.ok(&coach, "clients/list", &form).await
        }
    };
    let first = list("", "false", "1").await;
    assert_eq!(first["total"], 31);
    assert_eq!(first["clients"].as_array().unwrap().len(), 25);
    assert_eq!(first["clients"][0]["name"], "Client 00");
    let second = list("", "false", "2").await;
    assert_eq!(second["clients"].as_array().unwrap().len(), 6);
    assert_eq!(
        list("", "false", "99").await["page"],
        2,
        "pages past the end clamp to the last"
    );

    assert_eq!(list("client 1", "false", "1").await["total"], 10);
    // A search pages like the whole roster (its query binds one value more).
    let searched = list("client", "false", "2").await;
    assert_eq!(searched["total"], 30);
    assert_eq!(searched["page"], 2);
    assert_eq!(searched["clients"].as_array().unwrap().len(), 5);
    assert_eq!(searched["clients"][0]["name"], "Client 25");
    assert_eq!(list("C07@EXAMPLE", "false", "1").await["total"], 1);
    assert_eq!(
        list("zoë", "false", "1").await["clients"][0]["email"],
        "zoe@fit.example"
    );
    assert_eq!(
        list("%", "false", "1").await["total"],
        0,
        "wildcards are literal"
    );
    assert_eq!(list("", "true", "1").await["total"], 0);
    let too_long = app
        .call(
            &coach,
            "clients/list",
            &[
                ("query", &"q".repeat(101)),
                ("archived", "false"),
                ("page", "1"),
            ],
        )
        .await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);
}

async fn archiving_moves_a_client_between_views(app: &TestApp) {
    let (coach, _) = new_coach(app, "coach@example.com").await;
    let id = app.create_client(&coach, "Ann", "ann@example.com").await;
    app.ok(
        &coach,
        "clients/archive",
        &[("client_id", &id), ("archived", "true")],
    )
    .await;
    let active = app
        .ok(
            &coach,
            "clients/list",
            &[("query", ""), ("archived", "false"), ("page", "1")],
        )
        .await;
    assert_eq!(active["total"], 0);
    let archived = app
        .ok(
            &coach,
            "clients/list",
            &[("query", ""), ("archived", "true"), ("page", "1")],
        )
        .await;
    assert_eq!(archived["clients"][0]["id"], id.as_str());
    assert_eq!(
        app.ok(&coach, "clients/get", &[("client_id", &id)]).await["archived"],
        true
    );
    app.ok(
        &coach,
        "clients/archive",
        &[("client_id", &id), ("archived", "false")],
    )
    .await;
    let active = app
        .ok(
            &coach,
            "clients/list",
            &[("query", ""), ("archived", "false"), ("page", "1")],
        )
        .await;
    assert_eq!(active["total"], 1);
}

async fn deleting_a_client_removes_their_data_login_and_sessions(app: &TestApp) {
    let (coach, _) = new_coach(app, "coach@example.com").await;
    let id = app.create_client(&coach, "Ann", "ann@example.com").await;
    let portal = app.invite_and_join(&coach, &id).await;
    app.ok(
        &coach,
        "notes/create",
        &[("client_id", &id), ("body", "private")],
    )
    .await;
    app.ok(
        &coach,
        "todos/create",
        &[
            ("client_id", &id),
            ("title", "call Ann"),
            ("due_date", "2030-01-01"),
        ],
    )
    .await;
    assert_eq!(app.ok(&portal, "auth/me", &[]).await["role"], "client");

    app.ok(&coach, "clients/delete", &[("client_id", &id)])
        .await;
    assert!(
        app.ok(&portal, "auth/me", &[]).await.is_null(),
        "their session is gone"
    );
    let login = app
        .call(
            &app.client(),
            "auth/login",
            &[("email", "ann@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        login.status,
        StatusCode::UNAUTHORIZED,
        "their login is gone"
    );
    assert_eq!(
        app.call(&coach, "clients/get", &[("client_id", &id)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    for table in ["notes", "todos", "invites"] {
        let (count,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM {table} WHERE client_id = $1"
        ))
        .bind(&id)
        .fetch_one(app.db.reader())
        .await
        .unwrap();
        assert_eq!(count, 0, "{table} rows of the deleted client remain");
    }
}

async fn invitations_are_single_use_and_expire(app: &TestApp) {
    let (coach, workspace) = new_coach(app, "coach@example.com").await;
    set_units(app, &coach, &workspace, "metric").await;
    let id = app.create_client(&coach, "Ann", "ann@example.com").await;

    let link = app.ok(&coach, "invites/send", &[("client_id", &id)]).await;
    assert!(link["url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/invite/", app.base)));
    assert_eq!(link["emailed"], false, "no SMTP configured, nothing fails");
    let first = app.invite(&coach, &id).await;
    let resent = app.invite(&coach, &id).await;
    assert_ne!(first, resent);
    let check = |token: String| async move {
        app.ok(&app.client(), "invites/check", &[("token", &token)])
            .await
    };
    assert_eq!(
        check(first.clone()).await["state"],
        "revoked",
        "resending withdraws the old link"
    );
    let valid = check(resent.clone()).await;
    assert_eq!(valid["state"], "valid");
    assert_eq!(valid["client_name"], "Ann");
    assert_eq!(valid["brand_name"], "Peak Form");
    assert_eq!(check("nonsense".into()).await["state"], "unknown");

    let short = app
        .call(
            &app.client(),
            "invites/accept",
            &[("token", &resent), ("password", "short")],
        )
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        check(resent.clone()).await["state"],
        "valid",
        "a rejected password does not burn the link"
    );

    let joined = app.client();
    app.ok(
        &joined,
        "invites/accept",
        &[("token", &resent), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(app.ok(&joined, "auth/me", &[]).await["role"], "client");
    let again = app
        .call(
            &app.client(),
            "invites/accept",
            &[("token", &resent), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(
        again.body["detail"],
        "This invitation link has already been used. Log in instead."
    );
    assert_eq!(check(resent).await["state"], "used");
    let rejoin = app
        .call(&coach, "invites/send", &[("client_id", &id)])
        .await;
    assert_eq!(rejoin.status, StatusCode::CONFLICT);

    // Expiry and revocation.
    let bob = app.create_client(&coach, "Bob", "bob@example.com").await;
    let token = app.invite(&coach, &bob).await;
    sqlx::query("UPDATE invites SET expires_at = $1 WHERE client_id = $2 AND revoked_at IS NULL")
        .bind(1_i64)
        .bind(&bob)
        .execute(app.db.writer())
        .await
        .unwrap();
    assert_eq!(check(token.clone()).await["state"], "expired");
    let expired = app
        .call(
            &app.client(),
            "invites/accept",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(expired.status, StatusCode::CONFLICT);
    assert!(expired.body["detail"].as_str().unwrap().contains("expired"));
    let token = app.invite(&coach, &bob).await;
    app.ok(&coach, "invites/revoke", &[("client_id", &bob)])
        .await;
    assert_eq!(check(token).await["state"], "revoked");
    let roster = app
        .ok(
            &coach,
            "clients/list",
            &[("query", "bob"), ("archived", "false"), ("page", "1")],
        )
        .await;
    assert_eq!(roster["clients"][0]["invite_pending"], false);
}

async fn the_portal_shows_only_the_clients_own_profile(app: &TestApp) {
    let (coach, workspace) = new_coach(app, "coach@example.com").await;
    set_units(app, &coach, &workspace, "metric").await;
    let id = app.create_client(&coach, "Ann", "ann@example.com").await;
    app.create_client(&coach, "Bob", "bob@example.com").await;
    app.ok(
        &coach,
        "notes/create",
        &[("client_id", &id), ("body", "COACH-ONLY")],
    )
    .await;
    let portal = app.invite_and_join(&coach, &id).await;

    let home = app.ok(&portal, "portal/home", &[]).await;
    assert_eq!(home["profile"]["id"], id.as_str());
    assert_eq!(home["brand_name"], "Peak Form");
    assert_eq!(home["coach_name"], "Coach");
    let text = home.to_string();
    assert!(!text.contains("COACH-ONLY") && !text.contains("bob@example.com"));
    assert_eq!(home["latest_weight"], Value::Null, "no check-in yet");
    // The latest check-in's weight, not the first: the profile's own weight is the start.
    for weight in ["81", "79.5"] {
        app.checkin_ok(&portal, &Submission::default().field("weight", weight))
            .await;
    }
    app.checkin_ok(&portal, &Submission::default().field("sleep", "7"))
        .await;
    let home = app.ok(&portal, "portal/home", &[]).await;
    assert_eq!(home["latest_weight"]["value"], 79.5, "{home}");

    let updated = app
        .ok(
            &portal,
            "portal/contact/update",
            &[("phone", "+1 555 0100")],
        )
        .await;
    assert_eq!(updated["profile"]["phone"], "+1 555 0100");
    // The login email is not changed here (that takes `account/email` and a confirmation).
    assert_eq!(updated["profile"]["email"], "ann@example.com");
    let bad = app
        .call(
            &portal,
            "portal/contact/update",
            &[("phone", "call me maybe")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // Coach pages are refused on the server; so are coach calls.
    for path in ["/coach", "/coach/clients/x", "/coach/settings"] {
        let page = portal.get(app.url(path)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.headers()["location"], "/portal");
    }
    assert_eq!(
        app.call(
            &portal,
            "clients/list",
            &[("query", ""), ("archived", "false"), ("page", "1")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let (status, page) = app.page(&portal, "/portal").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Coached by Peak Form"));
    let coach_on_portal = coach.get(app.url("/portal")).send().await.unwrap();
    assert_eq!(coach_on_portal.headers()["location"], "/coach");
}

async fn changing_password_ends_other_sessions(app: &TestApp) {
    let (_, _) = new_coach(app, "coach@example.com").await;
    let here = app.login("coach@example.com", PASSWORD).await;
    let elsewhere = app.login("coach@example.com", PASSWORD).await;
    let wrong = app
        .call(
            &here,
            "account/password",
            &[
                ("current_password", "not it"),
                ("new_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.body["detail"], "Current password is incorrect.");
    app.ok(
        &here,
        "account/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "a brand new password"),
        ],
    )
    .await;
    assert_eq!(
        app.ok(&here, "auth/me", &[]).await["role"],
        "coach",
        "this session stays"
    );
    assert!(
        app.ok(&elsewhere, "auth/me", &[]).await.is_null(),
        "other sessions end"
    );
    let old = app
        .call(
            &app.client(),
            "auth/login",
            &[("email", "coach@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    app.login("coach@example.com", "a brand new password").await;
}

async fn private_notes_and_todos(app: &TestApp) {
    let (coach, _) = new_coach(app, "coach@example.com").await;
    let id = app.create_client(&coach, "Ann", "ann@example.com").await;
    app.ok(&coach, "notes/create", &[("body", "general note")])
        .await;
    app.ok(
        &coach,
        "notes/create",
        &[("client_id", &id), ("body", "about Ann")],
    )
    .await;
    let general = app.ok(&coach, "notes/list", &[]).await;
    assert_eq!(general.as_array().unwrap().len(), 1);
    assert_eq!(general[0]["body"], "general note");
    let about_ann = app.ok(&coach, "notes/list", &[("client_id", &id)]).await;
    assert_eq!(about_ann[0]["body"], "about Ann");
    let empty = app.call(&coach, "notes/create", &[("body", "   ")]).await;
    assert_eq!(empty.body["detail"], "Note is required.");

    let todo = app
        .ok(
            &coach,
            "todos/create",
            &[
                ("client_id", &id),
                ("title", "Review diet"),
                ("due_date", "2030-05-01"),
            ],
        )
        .await;
    app.ok(
        &coach,
        "todos/create",
        &[("title", "Undated"), ("due_date", "")],
    )
    .await;
    let bad_date = app
        .call(
            &coach,
            "todos/create",
            &[("title", "x"), ("due_date", "2030-13-01")],
        )
        .await;
    assert_eq!(bad_date.status, StatusCode::BAD_REQUEST);
    let all = app.ok(&coach, "todos/list", &[]).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(all[0]["title"], "Review diet", "dated before undated");
    app.ok(
        &coach,
        "todos/set_done",
        &[("todo_id", todo["id"].as_str().unwrap()), ("done", "true")],
    )
    .await;
    let all = app.ok(&coach, "todos/list", &[]).await;
    assert_eq!(all[1]["done"], true, "done items sort last");
}
