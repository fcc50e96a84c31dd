//! Legal access on both databases: one operator records a request, a second must approve it
//! before anything is exported; the export holds exactly the request's scope; the coach is told
//! in the app and by email, at once or only from the request's notify-after date, and until
//! then nothing about it shows in the coach's or the client's access log.

use crate::common;

use app::server::photos::fixtures;
use common::checkins::Submission;
use common::exports::{fcds_errors, unzip};
use common::smtp::FakeSmtp;
use common::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

cases_on_both_backends!(
    a_request_needs_a_second_operator_and_discloses_only_its_client,
    a_request_can_be_kept_from_the_coach_until_its_notify_after_date,
);

const REASON: &str = "Production order of the district court";
const REFERENCE: &str = "DC-2026-0415";

/// A coach (signed up by email link) with a joined client Riley who sent a check-in with a
/// photo, and a second client Sam who never joined.
async fn workspace(
    app: &TestApp,
    smtp: &FakeSmtp,
) -> (reqwest::Client, reqwest::Client, String, String) {
    let coach = app
        .signup_coach_by_link(smtp, "Casey Coach", "casey@example.com")
        .await;
    let riley_id = app
        .create_client(&coach, "Riley Client", "riley@example.com")
        .await;
    let riley = app
        .join_by_mail(smtp, &coach, &riley_id, "riley@example.com")
        .await;
    app.checkin_ok(
        &riley,
        &Submission::default().field("weight", "80").photo(
            "front",
            "front.jpg",
            fixtures::jpeg_with_gps(64, 96),
        ),
    )
    .await;
    let sam_id = app
        .create_client(&coach, "Sam Second", "sam@example.com")
        .await;
    (coach, riley, riley_id, sam_id)
}

async fn record(
    app: &TestApp,
    operator: &reqwest::Client,
    scope: &str,
    client_email: &str,
    notify_after: &str,
) -> common::Response {
    app.call(
        operator,
        "operator/legal/request",
        &[
            ("coach_email", "casey@example.com"),
            ("scope", scope),
            ("client_email", client_email),
            ("reason", REASON),
            ("reference", REFERENCE),
            ("notify_after", notify_after),
        ],
    )
    .await
}

async fn export(app: &TestApp, who: &reqwest::Client, request_id: &str) -> reqwest::Response {
    who.get(app.url(&format!("/api/operator/legal/{request_id}/export")))
        .send()
        .await
        .unwrap()
}

/// The actions of the log entries naming this request that the caller can see.
async fn visible_entries(
    app: &TestApp,
    who: &reqwest::Client,
    endpoint: &str,
    request_id: &str,
) -> Vec<String> {
    let args: &[(&str, &str)] = if endpoint == "portal/access_log" {
        &[("before", "0")]
    } else {
        &[("client_id", ""), ("actor", ""), ("before", "0")]
    };
    let page = app.ok(who, endpoint, args).await;
    let basis = format!("legal_request:{request_id}");
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["basis"] == basis.as_str())
        .map(|e| {
            format!(
                "{}:{}",
                e["actor"].as_str().unwrap(),
                e["action"].as_str().unwrap()
            )
        })
        .collect()
}

async fn a_request_needs_a_second_operator_and_discloses_only_its_client(backend: Backend) {
    let Some((app, smtp)) = TestApp::start_with_mail(backend).await else {
        return;
    };
    let (coach, riley, riley_id, sam_id) = workspace(&app, &smtp).await;
    let (first, _) = app.operator("ops1@example.com").await;
    let (second, _) = app.operator("ops2@example.com").await;

    // Bad requests are refused, naming the field.
    for (scope, client_email, says) in [
        ("client", "nobody@example.com", "Client email"),
        ("client", "", "Client email"),
        ("everything", "", "Scope"),
    ] {
        record(&app, &first, scope, client_email, "")
            .await
            .assert_refused(StatusCode::BAD_REQUEST, says);
    }
    app.call(
        &first,
        "operator/legal/request",
        &[
            ("coach_email", "nobody@example.com"),
            ("scope", "workspace"),
            ("client_email", ""),
            ("reason", REASON),
            ("reference", REFERENCE),
            ("notify_after", ""),
        ],
    )
    .await
    .assert_refused(StatusCode::BAD_REQUEST, "Coach email");

    // Even a refused lookup of a client is on the record (a platform entry: no coach is told).
    let (lookups,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM access_log WHERE action = 'legal_requested' AND coach_id IS NULL",
    )
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert_eq!(lookups, 1);

    let recorded = record(&app, &first, "client", "riley@example.com", "").await;
    assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.body);
    let request_id = recorded.body.as_str().unwrap().to_owned();

    // Nothing before a second operator approves; the one who recorded it cannot.
    assert_eq!(
        export(&app, &first, &request_id).await.status(),
        StatusCode::CONFLICT,
        "no export before approval"
    );
    app.call(
        &first,
        "operator/legal/approve",
        &[("request_id", &request_id)],
    )
    .await
    .assert_refused(StatusCode::CONFLICT, "second operator");
    assert_eq!(
        app.ok(&coach, "legal/notices", &[]).await,
        serde_json::json!([])
    );
    let listed = app.ok(&second, "operator/legal/list", &[]).await;
    assert_eq!(listed[0]["status"], "awaiting_approval");
    assert_eq!(listed[0]["mine"], false);
    assert_eq!(listed[0]["reason"], REASON);
    assert!(
        !listed.to_string().contains("Riley"),
        "the operators' list names no client"
    );

    app.ok(
        &second,
        "operator/legal/approve",
        &[("request_id", &request_id)],
    )
    .await;
    app.call(
        &second,
        "operator/legal/approve",
        &[("request_id", &request_id)],
    )
    .await
    .assert_refused(StatusCode::CONFLICT, "already approved");

    // Only operators download it: not the coach, not the client, not a stranger.
    assert_eq!(
        export(&app, &coach, &request_id).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        export(&app, &riley, &request_id).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        export(&app, &app.client(), &request_id).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let response = export(&app, &first, &request_id).await;
    assert_eq!(response.status(), StatusCode::OK);
    let files = unzip(response.bytes().await.unwrap().to_vec()).await;
    let manifest: Value = serde_json::from_slice(&files["request.json"]).unwrap();
    assert_eq!(manifest["scope"], "client");
    let folder = format!("clients/{riley_id}/");
    let data: Value = serde_json::from_slice(&files[&format!("{folder}data.json")]).unwrap();
    assert_eq!(data["profile"]["name"], "Riley Client");
    assert!(files
        .keys()
        .any(|k| k.starts_with(&format!("{folder}photos/"))));
    let package: Value =
        serde_json::from_slice(&files[&format!("{folder}open-coaching-data.json")]).unwrap();
    assert!(fcds_errors(&package).is_empty());
    assert!(
        !files.keys().any(|k| k.contains(&sam_id)),
        "another client of the workspace is outside the request's scope"
    );

    // The coach is told at once: in the app and by email (which names no reason).
    let notices = app.ok(&coach, "legal/notices", &[]).await;
    assert_eq!(notices[0]["reason"], REASON);
    assert_eq!(notices[0]["reference"], REFERENCE);
    assert_eq!(notices[0]["client_name"], "Riley Client");
    let mail = wait_for(&smtp, "casey@example.com", |m| m.contains("legal request")).await;
    assert!(!mail.contains(REASON));
    // Every step is in the coach's log; the client sees the export of their data.
    assert_eq!(
        visible_entries(&app, &coach, "access_log/list", &request_id).await,
        [
            "legal:legal_exported",
            "legal:legal_exported",
            "operator:legal_approved",
            "operator:legal_requested"
        ]
    );
    assert!(
        visible_entries(&app, &riley, "portal/access_log", &request_id)
            .await
            .contains(&"legal:legal_exported".to_owned())
    );

    // A request nobody approved within 30 days lapses.
    let stale = record(&app, &first, "workspace", "", "").await;
    let stale_id = stale.body.as_str().unwrap().to_owned();
    sqlx::query("UPDATE legal_requests SET requested_at = 1 WHERE id = $1")
        .bind(&stale_id)
        .execute(app.db.writer())
        .await
        .unwrap();
    app.call(
        &second,
        "operator/legal/approve",
        &[("request_id", &stale_id)],
    )
    .await
    .assert_refused(StatusCode::CONFLICT, "lapsed");

    // When the access window has passed, nothing more is exported.
    sqlx::query("UPDATE legal_requests SET access_until = 1 WHERE id = $1")
        .bind(&request_id)
        .execute(app.db.writer())
        .await
        .unwrap();
    assert_eq!(
        export(&app, &first, &request_id).await.status(),
        StatusCode::CONFLICT
    );
    app.stop().await;
}

/// Waits (up to 30 s: the notifier sweeps every 10 s) for a message to `to` that `matches`.
async fn wait_for(smtp: &FakeSmtp, to: &str, matches: impl Fn(&str) -> bool) -> String {
    for _ in 0..300 {
        if let Some(found) = smtp.mail_to(to).into_iter().find(|m| matches(m)) {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{to} was never emailed about the legal request");
}

async fn a_request_can_be_kept_from_the_coach_until_its_notify_after_date(backend: Backend) {
    let Some((app, smtp)) = TestApp::start_with_mail(backend).await else {
        return;
    };
    let (coach, riley, riley_id, sam_id) = workspace(&app, &smtp).await;
    let (first, _) = app.operator("ops1@example.com").await;
    let (second, _) = app.operator("ops2@example.com").await;
    let in_a_month = app::domain::date_label(app::server::now_millis() + 30 * 24 * 3600 * 1000);
    let recorded = record(&app, &first, "workspace", "", &in_a_month).await;
    assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.body);
    let request_id = recorded.body.as_str().unwrap().to_owned();
    app.ok(
        &second,
        "operator/legal/approve",
        &[("request_id", &request_id)],
    )
    .await;
    let response = export(&app, &second, &request_id).await;
    assert_eq!(response.status(), StatusCode::OK);
    let files = unzip(response.bytes().await.unwrap().to_vec()).await;
    for id in [&riley_id, &sam_id] {
        assert!(
            files.contains_key(&format!("clients/{id}/data.json")),
            "the workspace request covers every client"
        );
    }

    // Until the date: no notice, no email, and nothing about it in either log.
    assert_eq!(
        app.ok(&coach, "legal/notices", &[]).await,
        serde_json::json!([])
    );
    assert!(
        visible_entries(&app, &coach, "access_log/list", &request_id)
            .await
            .is_empty()
    );
    assert!(
        visible_entries(&app, &riley, "portal/access_log", &request_id)
            .await
            .is_empty()
    );
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert!(
        !smtp
            .mail_to("casey@example.com")
            .iter()
            .any(|m| m.contains("legal request")),
        "the coach is not emailed before the date"
    );
    // The entries are there all along, in the chain.
    let (logged,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM access_log WHERE basis = $1")
        .bind(format!("legal_request:{request_id}"))
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_eq!(
        logged, 5,
        "recorded, approved, the export and each of two clients"
    );

    // The date comes: the notice, the log entries and the email appear.
    sqlx::query("UPDATE legal_requests SET notify_at = 1 WHERE id = $1")
        .bind(&request_id)
        .execute(app.db.writer())
        .await
        .unwrap();
    let notices = app.ok(&coach, "legal/notices", &[]).await;
    assert_eq!(notices[0]["scope"], "workspace");
    assert_eq!(
        visible_entries(&app, &coach, "access_log/list", &request_id)
            .await
            .len(),
        5
    );
    assert!(
        visible_entries(&app, &riley, "portal/access_log", &request_id)
            .await
            .contains(&"legal:legal_exported".to_owned())
    );
    wait_for(&smtp, "casey@example.com", |m| m.contains("legal request")).await;
    app.stop().await;
}
