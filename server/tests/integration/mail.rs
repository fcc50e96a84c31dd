//! Invitation emails through a real (fake) SMTP server, and no failure without one.

use crate::common;

use common::smtp::FakeSmtp;
use common::{Backend, TestApp};
use reqwest::StatusCode;

async fn invitation_is_emailed_case(backend: Backend) {
    let smtp = FakeSmtp::start().await;
    let url = smtp.url();
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.smtp_url = Some(url);
        cli.smtp_from = Some("Coachroom <no-reply@coachroom.test>".into());
    })
    .await
    else {
        return;
    };
    let coach = app.client();
    app.signup_coach(&coach, "Casey Coach", "casey@example.com")
        .await;
    let client_id = app
        .create_client(&coach, "Riley", "riley@example.com")
        .await;
    let link = app
        .ok(&coach, "invites/send", &[("client_id", &client_id)])
        .await;
    assert_eq!(link["emailed"], true);
    let received = smtp.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].recipients,
        vec!["riley@example.com".to_string()]
    );
    let data = received[0].data.replace("=\n", "");
    assert!(
        data.contains("Subject: Casey Coach invited you to Coachroom"),
        "{data}"
    );
    let url = link["url"].as_str().unwrap();
    assert!(data.contains(url), "the email carries the link: {data}");
    app.stop().await;
}

async fn unreachable_smtp_still_gives_the_link_case(backend: Backend) {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        cli.smtp_from = Some("no-reply@coachroom.test".into());
    })
    .await
    else {
        return;
    };
    let coach = app.client();
    app.signup_coach(&coach, "Casey Coach", "casey@example.com")
        .await;
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
