//! Invitation emails through a real (fake) SMTP server, and no failure without one.

use crate::common;

use common::{Backend, TestApp};
use reqwest::StatusCode;

async fn invitation_is_emailed_case(backend: Backend) {
    let Some((app, smtp)) = TestApp::start_with_mail(backend).await else {
        return;
    };
    let coach = app
        .signup_coach_by_link(&smtp, "Casey Coach", "casey@example.com")
        .await;
    let client_id = app
        .create_client(&coach, "Riley", "riley@example.com")
        .await;
    let link = app
        .ok(&coach, "invites/send", &[("client_id", &client_id)])
        .await;
    assert_eq!(link["emailed"], true);
    let received = smtp.mail_to("riley@example.com");
    assert_eq!(received.len(), 1);
    let data = &received[0];
    assert!(
        data.contains("Subject: Casey Coach invited you to Coachroom"),
        "{data}"
    );
    // The link went only to the client's inbox: the coach never holds it.
    assert_eq!(link["url"], serde_json::Value::Null, "{link}");
    let token = common::smtp::link_token(data, "/invite/").expect("the email carries the link");
    let joined = app.client();
    let me = app
        .ok(
            &joined,
            "invites/accept",
            &[("token", &token), ("password", common::PASSWORD)],
        )
        .await;
    assert_eq!(me["role"], "client");
    app.stop().await;
}

async fn unreachable_smtp_still_gives_the_link_case(backend: Backend) {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    app.signup_coach(&app.client(), "Casey Coach", "casey@example.com")
        .await;
    // The same data, now with a mail server that is down.
    let app = app
        .restart(|cli| {
            cli.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
            cli.smtp_from = Some("no-reply@coachroom.test".into());
        })
        .await;
    let coach = app.login("casey@example.com", common::PASSWORD).await;
    let client_id = app
        .create_client(&coach, "Riley", "riley@example.com")
        .await;
    let response = app
        .call(&coach, "invites/send", &[("client_id", &client_id)])
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.body["emailed"], false);
    assert!(response.body["url"].as_str().unwrap().contains("/invite/"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_invitation_is_emailed() {
    invitation_is_emailed_case(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_invitation_is_emailed() {
    invitation_is_emailed_case(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_unreachable_smtp_still_gives_the_link() {
    unreachable_smtp_still_gives_the_link_case(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_unreachable_smtp_still_gives_the_link() {
    unreachable_smtp_still_gives_the_link_case(Backend::Postgres).await;
}
