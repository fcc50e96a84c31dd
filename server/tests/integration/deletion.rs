//! Deletion requests on both databases: the client asks, withdraws, asks again; the coach sees
//! the request with its 30-day deadline, declines with a reason the client reads, or deletes
//! the client, which fulfils it; nobody else sees or answers it; every step is in the access
//! log the client reads.

use crate::common;

use common::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

cases_on_both_backends!(
    a_client_asks_withdraws_and_is_declined,
    deleting_the_client_fulfils_their_request,
);

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn actions(page: &Value) -> Vec<String> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_client_asks_withdraws_and_is_declined(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (coach, client, client_id) = app.coach_and_client().await;
    assert_eq!(
        app.ok(&client, "portal/deletion/status", &[]).await,
        Value::Null
    );
    app.ok(
        &client,
        "portal/deletion/request",
        &[("message", "Please remove everything.\nThank you.")],
    )
    .await;
    let mine = app.ok(&client, "portal/deletion/status", &[]).await;
    assert_eq!(mine["status"], "pending");
    assert_eq!(mine["message"], "Please remove everything.\nThank you.");
    let asked_at = mine["requested_at"].as_i64().unwrap();
    assert_eq!(mine["due_at"].as_i64().unwrap(), asked_at + 30 * DAY_MS);
    // One open request at a time.
    app.call(&client, "portal/deletion/request", &[("message", "")])
        .await
        .assert_refused(StatusCode::CONFLICT, "already asked");
    // Too long a message is refused, naming the field.
    app.call(
        &client,
        "portal/deletion/request",
        &[("message", &"x".repeat(4001))],
    )
    .await
    .assert_refused(StatusCode::BAD_REQUEST, "Message");

    // The coach sees it on the dashboard's list and the client's page.
    let open = app.ok(&coach, "deletion_requests/list", &[]).await;
    assert_eq!(open.as_array().unwrap().len(), 1);
    assert_eq!(open[0]["client_name"], "Riley Client");
    assert_eq!(open[0]["due_at"], mine["due_at"]);
    let theirs = app
        .ok(
            &coach,
            "clients/deletion_request",
            &[("client_id", &client_id)],
        )
        .await;
    assert_eq!(theirs["id"], mine["id"]);
    let (status, page) = app.page(&coach, "/coach").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Deletion requests"), "{page}");
    let request_id = mine["id"].as_str().unwrap().to_owned();

    // Another coach sees nothing and cannot answer it: foreign looks like missing.
    let other = app.client();
    app.signup_coach(&other, "Olga Other", "olga@example.com")
        .await;
    assert_eq!(
        app.ok(&other, "deletion_requests/list", &[]).await,
        json!([])
    );
    for (endpoint, form) in [
        (
            "clients/deletion_request",
            vec![("client_id", client_id.as_str())],
        ),
        (
            "deletion_requests/decline",
            vec![("request_id", request_id.as_str()), ("reason", "No")],
        ),
    ] {
        let refused = app.call(&other, endpoint, &form).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{endpoint}");
    }

    // Withdrawn: the coach's list empties; a second withdrawal has nothing to withdraw.
    app.ok(&client, "portal/deletion/withdraw", &[]).await;
    assert_eq!(
        app.ok(&client, "portal/deletion/status", &[]).await["status"],
        "withdrawn"
    );
    app.call(&client, "portal/deletion/withdraw", &[])
        .await
        .assert_refused(StatusCode::CONFLICT, "no open");
    assert_eq!(
        app.ok(&coach, "deletion_requests/list", &[]).await,
        json!([])
    );
    // The withdrawn one can no longer be declined.
    app.call(
        &coach,
        "deletion_requests/decline",
        &[("request_id", &request_id), ("reason", "Too late")],
    )
    .await
    .assert_refused(StatusCode::CONFLICT, "no longer open");

    // Asked again, declined with a reason the client reads.
    app.ok(&client, "portal/deletion/request", &[("message", "")])
        .await;
    let again = app.ok(&client, "portal/deletion/status", &[]).await;
    let again_id = again["id"].as_str().unwrap().to_owned();
    app.call(
        &coach,
        "deletion_requests/decline",
        &[("request_id", &again_id), ("reason", "  ")],
    )
    .await
    .assert_refused(StatusCode::BAD_REQUEST, "Reason");
    let reason = "We must keep invoices for six years; everything else is deleted.";
    app.ok(
        &coach,
        "deletion_requests/decline",
        &[("request_id", &again_id), ("reason", reason)],
    )
    .await;
    let answered = app.ok(&client, "portal/deletion/status", &[]).await;
    assert_eq!(answered["status"], "declined");
    assert_eq!(answered["decline_reason"], reason);
    assert!(answered["decided_at"].as_i64().is_some());
    let (status, page) = app.page(&client, "/portal/me").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("We must keep invoices"), "{page}");

    // Every step is in the client's own log.
    let log = app
        .ok(&client, "portal/access_log", &[("before", "0")])
        .await;
    assert_eq!(
        actions(&log),
        vec![
            "deletion_declined",
            "deletion_requested",
            "deletion_withdrawn",
            "deletion_requested"
        ]
    );
    app.stop().await;
}

async fn deleting_the_client_fulfils_their_request(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (coach, client, client_id) = app.coach_and_client().await;
    app.ok(&client, "portal/deletion/request", &[("message", "Bye")])
        .await;
    let request_id = app.ok(&client, "portal/deletion/status", &[]).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(&coach, "clients/delete", &[("client_id", &client_id)])
        .await;
    assert_eq!(
        app.ok(&coach, "deletion_requests/list", &[]).await,
        json!([])
    );
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM deletion_requests")
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_eq!(left, 0, "the request went with the client");
    // The log keeps the record: the request, and the deletion that answered it.
    let log = app
        .ok(
            &coach,
            "access_log/list",
            &[("client_id", &client_id), ("actor", ""), ("before", "0")],
        )
        .await;
    let newest = &log["entries"][0];
    assert_eq!(newest["action"], "client_deleted");
    assert_eq!(newest["object"], format!("deletion_request:{request_id}"));
    assert!(newest["client_name"].is_null(), "{newest}");
    assert!(actions(&log).contains(&"deletion_requested".to_owned()));
    // The client's session ended with their account.
    let gone = app.call(&client, "portal/deletion/status", &[]).await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}
