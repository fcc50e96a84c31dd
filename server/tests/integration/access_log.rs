//! The access log on both databases: what is logged (sign-ins, password changes, exports, AI
//! calls), who sees which entries (the coach their workspace's, the client the non-routine ones
//! about them, nobody another workspace's), paging and bad filters, and `coachroom audit verify`
//! finding entries edited, removed, moved or cut off with direct SQL.

use crate::common;

use app::domain::{AccessAction, ActorKind};
use app::server::store::access_log::{self, Access};
use common::checkins::Submission;
use common::fake_ai::FakeAi;
use common::{Backend, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::Value;

cases_on_both_backends!(
    accesses_are_logged_and_each_side_sees_its_entries,
    the_log_pages_and_refuses_bad_filters,
    audit_verify_finds_any_tampering,
);

/// The `(actor, action)` pairs of a page, newest first.
fn pairs(page: &Value) -> Vec<(String, String)> {
    page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn has(page: &Value, actor: &str, action: &str) -> bool {
    pairs(page).iter().any(|(a, b)| a == actor && b == action)
}

async fn log(app: &TestApp, coach: &reqwest::Client, client_id: &str, actor: &str) -> Value {
    app.ok(
        coach,
        "access_log/list",
        &[("client_id", client_id), ("actor", actor), ("before", "0")],
    )
    .await
}

async fn accesses_are_logged_and_each_side_sees_its_entries(backend: Backend) {
    let fake = FakeAi::start().await;
    let Some(app) = TestApp::start_with(backend, |cli| fake.configure(cli)).await else {
        return;
    };
    let (coach, client, client_id) = app.coach_and_client().await;
    let checkin = app
        .checkin_ok(
            &client,
            &Submission::default()
                .field("weight", "80")
                .field("feedback", "CANARY-FEEDBACK"),
        )
        .await;
    let pdf = coach
        .get(app.url(&format!("/api/checkins/{checkin}/pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    app.ok(&coach, "checkins/reply_draft", &[("checkin_id", &checkin)])
        .await;
    let mine = client
        .get(app.url(&format!("/api/checkins/{checkin}/pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), StatusCode::OK);
    app.ok(
        &client,
        "account/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "another long password"),
        ],
    )
    .await;

    // The coach's workspace log: everything, newest first.
    let all = log(&app, &coach, "", "").await;
    let seen = pairs(&all);
    for expected in [
        ("coach", "sign_in"),
        ("client", "sign_in"),
        ("coach", "checkin_pdf_exported"),
        ("ai", "ai_reply_draft"),
        ("client", "checkin_pdf_exported"),
        ("client", "password_changed"),
    ] {
        assert!(
            seen.iter()
                .any(|(a, b)| (a.as_str(), b.as_str()) == expected),
            "{expected:?} is not in {seen:?}"
        );
    }
    let entries = all["entries"].as_array().unwrap();
    let seqs: Vec<i64> = entries.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seqs:?}"
    );
    let ai = entries.iter().find(|e| e["actor"] == "ai").unwrap();
    assert_eq!(ai["detail"], "coach-model");
    assert_eq!(ai["client_id"], client_id.as_str());
    assert_eq!(ai["client_name"], "Riley Client");
    let export = entries
        .iter()
        .find(|e| e["action"] == "checkin_pdf_exported" && e["actor"] == "coach")
        .unwrap();
    assert_eq!(export["object"], format!("checkin:{checkin}"));
    // Nothing recorded holds content.
    assert!(!all.to_string().contains("CANARY"), "{all}");

    // Filters: by actor, and by client.
    let by_ai = log(&app, &coach, "", "ai").await;
    assert_eq!(pairs(&by_ai), vec![("ai".into(), "ai_reply_draft".into())]);
    let about_riley = log(&app, &coach, &client_id, "").await;
    assert!(!has(&about_riley, "coach", "sign_in"), "{about_riley}");
    assert!(has(&about_riley, "client", "sign_in"), "{about_riley}");

    // The client sees the non-routine accesses about them: exports and AI, not sign-ins or
    // password changes.
    let theirs = app
        .ok(&client, "portal/access_log", &[("before", "0")])
        .await;
    let mut seen = pairs(&theirs);
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("ai".into(), "ai_reply_draft".into()),
            ("client".into(), "checkin_pdf_exported".into()),
            ("coach".into(), "checkin_pdf_exported".into()),
        ]
    );
    let (status, page) = app.page(&client, "/portal/access-log").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Read a check-in to draft a reply"), "{page}");

    // Another workspace sees none of it, even naming the client.
    let other = app.client();
    app.signup_coach(&other, "Olga Other", "olga@example.com")
        .await;
    let foreign = log(&app, &other, &client_id, "").await;
    assert_eq!(foreign["entries"], serde_json::json!([]));
    let own = log(&app, &other, "", "").await;
    assert_eq!(pairs(&own), vec![("coach".into(), "sign_in".into())]);
    // The coach's page renders the log.
    let (status, page) = app.page(&coach, "/coach/access-log?actor=ai").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("coach-model"), "{page}");
    // Each side's endpoint refuses the other kind of account.
    let refused = app
        .call(
            &client,
            "access_log/list",
            &[("client_id", ""), ("actor", ""), ("before", "0")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = app
        .call(&coach, "portal/access_log", &[("before", "0")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    app.stop().await;
}

async fn the_log_pages_and_refuses_bad_filters(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (coach, _client, client_id) = app.coach_and_client().await;
    let coach_id = app.ok(&coach, "auth/me", &[]).await["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..(access_log::PAGE + 20) {
        access_log::record(
            &app.db,
            &Access {
                actor: ActorKind::Support,
                actor_id: None,
                action: AccessAction::SignIn,
                coach_id: Some(&coach_id),
                client_id: Some(&client_id),
                object: None,
                basis: Some("grant:test"),
                detail: None,
            },
        )
        .await
        .unwrap();
    }
    let first = log(&app, &coach, "", "support").await;
    assert_eq!(first["entries"].as_array().unwrap().len(), 100);
    let before = first["next_before"].as_i64().expect("a next page");
    let second = app
        .ok(
            &coach,
            "access_log/list",
            &[
                ("client_id", ""),
                ("actor", "support"),
                ("before", &before.to_string()),
            ],
        )
        .await;
    let rest = second["entries"].as_array().unwrap();
    assert_eq!(rest.len(), 20);
    assert!(second["next_before"].is_null());
    assert!(rest.iter().all(|e| e["seq"].as_i64().unwrap() < before));

    for (field, value, says) in [
        ("actor", "robot", "Actor"),
        ("before", "-1", "Before"),
        ("client_id", "../x", "Client id"),
    ] {
        let mut form = vec![("client_id", ""), ("actor", ""), ("before", "0")];
        form.retain(|(name, _)| *name != field);
        form.push((field, value));
        app.call(&coach, "access_log/list", &form)
            .await
            .assert_refused(StatusCode::BAD_REQUEST, says);
    }
    app.stop().await;
}

async fn exec(app: &TestApp, sql: &str) {
    sqlx::query(sql).execute(app.db.writer()).await.unwrap();
}

async fn audit_verify_finds_any_tampering(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (coach, client, _client_id) = app.coach_and_client().await;
    app.login("casey@example.com", PASSWORD).await;
    app.login("riley@example.com", PASSWORD).await;
    drop((coach, client));
    let said = app.audit_verify().await.unwrap();
    assert!(said.contains("intact: 4 entries"), "{said}");

    // Edited: a sign-in is made to look like another account's.
    exec(
        &app,
        "UPDATE access_log SET actor_id = 'someone-else' WHERE seq = 2",
    )
    .await;
    let err = app.audit_verify().await.unwrap_err();
    assert!(err.contains("entry 2 was altered"), "{err}");
    exec(
        &app,
        "UPDATE access_log SET actor_id = (SELECT actor_id FROM access_log WHERE seq = 4) \
         WHERE seq = 2",
    )
    .await;
    app.audit_verify().await.expect("mended");

    // Removed from the middle.
    exec(&app, "CREATE TABLE saved AS SELECT * FROM access_log").await;
    exec(&app, "DELETE FROM access_log WHERE seq = 3").await;
    let err = app.audit_verify().await.unwrap_err();
    assert!(err.contains("entry 3 is missing"), "{err}");
    exec(
        &app,
        "INSERT INTO access_log SELECT * FROM saved WHERE seq = 3",
    )
    .await;
    app.audit_verify().await.expect("mended");

    // Moved: entries 1 and 2 swap places (every field but the number).
    exec(&app, "UPDATE access_log SET seq = 1000000 WHERE seq = 1").await;
    exec(&app, "UPDATE access_log SET seq = 1 WHERE seq = 2").await;
    exec(&app, "UPDATE access_log SET seq = 2 WHERE seq = 1000000").await;
    let err = app.audit_verify().await.unwrap_err();
    assert!(err.contains("entry 1 does not start the chain"), "{err}");
    exec(&app, "DELETE FROM access_log").await;
    exec(&app, "INSERT INTO access_log SELECT * FROM saved").await;
    app.audit_verify().await.expect("mended");

    // The newest entry cut off.
    exec(&app, "DELETE FROM access_log WHERE seq = 4").await;
    let err = app.audit_verify().await.unwrap_err();
    assert!(
        err.contains("the log ends at entry 3 but its head says 4"),
        "{err}"
    );
    exec(
        &app,
        "INSERT INTO access_log SELECT * FROM saved WHERE seq = 4",
    )
    .await;
    app.audit_verify().await.expect("mended");

    // An entry added at the end by hand (a copy of the newest, numbered on).
    exec(
        &app,
        "INSERT INTO access_log SELECT 5, at, coach_id, client_id, actor_kind, actor_id, action, \
         object, basis, detail, notable, hash, hash FROM saved WHERE seq = 4",
    )
    .await;
    let err = app.audit_verify().await.unwrap_err();
    assert!(err.contains("entry 5 was altered"), "{err}");
    exec(&app, "DELETE FROM access_log WHERE seq = 5").await;
    app.audit_verify().await.expect("mended");

    // The head's hash altered.
    let (head,): (String,) = sqlx::query_as("SELECT hash FROM access_log_head WHERE id = 1")
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    exec(
        &app,
        "UPDATE access_log_head SET hash = '2222222222222222222222222222222222222222222222222222222222222222'",
    )
    .await;
    let err = app.audit_verify().await.unwrap_err();
    assert!(err.contains("the head was altered"), "{err}");
    exec(&app, &format!("UPDATE access_log_head SET hash = '{head}'")).await;
    app.audit_verify().await.expect("mended");

    // An entry's stored hash replaced by hand no longer matches the entry.
    exec(
        &app,
        "UPDATE access_log SET hash = '1111111111111111111111111111111111111111111111111111111111111111' \
         WHERE seq = 2",
    )
    .await;
    let err = app.audit_verify().await.unwrap_err();
    assert!(err.contains("entry 2"), "{err}");
    exec(&app, "DELETE FROM access_log").await;
    exec(&app, "INSERT INTO access_log SELECT * FROM saved").await;
    let said = app.audit_verify().await.unwrap();
    assert!(said.contains("intact: 4 entries"), "{said}");

    // Several entries appended at once (as a support page logs its page and client) chain
    // like single ones, before and after them; the second of them, altered, is found.
    let entry = |object: &str| Access {
        object: Some(object.to_owned()),
        ..Access::new(ActorKind::Operator, None, AccessAction::SignIn)
    };
    let mut tx = app.db.begin().await.unwrap();
    access_log::append(&mut tx, &entry("single:5"))
        .await
        .unwrap();
    let several = [entry("several:6"), entry("several:7"), entry("several:8")];
    access_log::append_all(&mut tx, &several).await.unwrap();
    access_log::append(&mut tx, &entry("single:9"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let said = app.audit_verify().await.unwrap();
    assert!(said.contains("intact: 9 entries"), "{said}");
    let (objects,): (String,) = sqlx::query_as("SELECT object FROM access_log WHERE seq = 7")
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_eq!(objects, "several:7");
    exec(&app, "UPDATE access_log SET object = 'x' WHERE seq = 7").await;
    let err = app.audit_verify().await.unwrap_err();
    assert!(err.contains("entry 7 was altered"), "{err}");
    exec(
        &app,
        "UPDATE access_log SET object = 'several:7' WHERE seq = 7",
    )
    .await;

    if backend == Backend::Sqlite {
        // The binary itself: exit status 2 and one line saying where.
        exec(
            &app,
            "UPDATE access_log SET action = 'password_changed' WHERE seq = 3",
        )
        .await;
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_coachroom"))
            .args(["audit", "verify", "--data-dir"])
            .arg(app.data_dir())
            .env_remove("DATABASE_URL")
            .output()
            .expect("coachroom audit verify runs");
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("entry 3 was altered"), "{stderr}");
    }
    app.stop().await;
}
