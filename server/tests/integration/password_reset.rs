//! "Forgot password" over HTTP on both databases: by email when the server sends email; without
//! it, a coach's link for a joined client and the operator's command-line link for a coach. Each
//! link works once, only the latest works, the reset ends every other session, and the owner's
//! access log shows a link someone else made.

use crate::common;

use common::smtp::link_token;
use common::{Backend, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::Value;

on_both_backends!(
    a_coach_makes_a_joined_client_a_link_without_email,
    the_operator_makes_a_coach_a_link_on_the_command_line,
);

const NEW_PASSWORD: &str = "a brand new passphrase";

fn token_of(url: &Value) -> String {
    url.as_str()
        .and_then(|url| url.rsplit_once("/reset-password/"))
        .map(|(_, token)| token.to_owned())
        .unwrap_or_else(|| panic!("no reset link in {url}"))
}

async fn a_coach_makes_a_joined_client_a_link_without_email(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    // Without email, "Forgot password" says who can help, and changes nothing.
    app.call(
        &app.client(),
        "auth/password/forgot",
        &[("email", "riley@example.com")],
    )
    .await
    .assert_refused(StatusCode::SERVICE_UNAVAILABLE, "ask your coach");

    // Not for a client who has not joined: they need an invitation.
    let sam = app
        .create_client(&coach, "Sam Client", "sam@example.com")
        .await;
    app.call(&coach, "clients/password_link", &[("client_id", &sam)])
        .await
        .assert_refused(StatusCode::CONFLICT, "invitation");
    // Another coach's client looks like no client at all.
    let other = app.client();
    app.signup_coach(&other, "Olive Coach", "olive@example.com")
        .await;
    assert_eq!(
        app.call(
            &other,
            "clients/password_link",
            &[("client_id", &client_id)]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    let first = app
        .ok(
            &coach,
            "clients/password_link",
            &[("client_id", &client_id)],
        )
        .await;
    assert_eq!(first["emailed"], false);
    let first = token_of(&first["url"]);
    let latest = app
        .ok(
            &coach,
            "clients/password_link",
            &[("client_id", &client_id)],
        )
        .await;
    let latest = token_of(&latest["url"]);
    // Only the latest link works.
    app.call(
        &app.client(),
        "auth/password/reset",
        &[("token", &first), ("password", NEW_PASSWORD)],
    )
    .await
    .assert_refused(StatusCode::CONFLICT, "no longer valid");
    // A short password is refused at its field, and the link still works after.
    let browser = app.client();
    app.call(
        &browser,
        "auth/password/reset",
        &[("token", &latest), ("password", "short")],
    )
    .await
    .assert_refused(StatusCode::BAD_REQUEST, "Password");
    let me = app
        .ok(
            &browser,
            "auth/password/reset",
            &[("token", &latest), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(me["role"], "client");
    assert_eq!(me["email"], "riley@example.com");
    // The new password works, the old does not, and the client's other session has ended.
    assert_eq!(
        app.call(&client, "portal/home", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call(
            &app.client(),
            "auth/login",
            &[("email", "riley@example.com"), ("password", PASSWORD)]
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    let riley = app.login("riley@example.com", NEW_PASSWORD).await;
    // Used once: the link is spent.
    app.call(
        &app.client(),
        "auth/password/reset",
        &[("token", &latest), ("password", NEW_PASSWORD)],
    )
    .await
    .assert_refused(StatusCode::CONFLICT, "no longer valid");
    // A link made for one login email stops working once the account logs in with another
    // (the link may have gone to an address the owner has left).
    let stale = app
        .ok(
            &coach,
            "clients/password_link",
            &[("client_id", &client_id)],
        )
        .await;
    sqlx::query(
        "UPDATE users SET email = 'riley.new@example.com' WHERE email = 'riley@example.com'",
    )
    .execute(app.db.writer())
    .await
    .expect("change the login email");
    app.call(
        &app.client(),
        "auth/password/reset",
        &[
            ("token", &token_of(&stale["url"])),
            ("password", NEW_PASSWORD),
        ],
    )
    .await
    .assert_refused(StatusCode::CONFLICT, "no longer valid");
    // The client's own log shows that their coach made links (their own password change is
    // routine, not listed there).
    let log = app
        .ok(&riley, "portal/access_log", &[("before", "0")])
        .await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "password_reset_link")
            .count(),
        3,
        "{log}"
    );
}

async fn the_operator_makes_a_coach_a_link_on_the_command_line(app: &TestApp) {
    let (coach, _client, _) = app.coach_and_client().await;
    // A tool the coach connected before: a reset disconnects it (whoever had the old password
    // may have connected it).
    let tool = app
        .ok(&coach, "mcp/tokens/create", &[("name", "Notebook")])
        .await;
    assert_eq!(
        app.ok(&coach, "mcp/connections/list", &[]).await["connections"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(tool["token"].as_str().is_some_and(|t| !t.is_empty()));
    let printed = app
        .admin_reset_password("casey@example.com")
        .await
        .expect("a link for a coach");
    let token = printed
        .rsplit_once("/reset-password/")
        .map(|(_, token)| token.trim().to_owned())
        .expect("the printed link");
    // Not for a client (their coach makes theirs), nor an unknown address.
    let refused = app.admin_reset_password("riley@example.com").await;
    assert!(refused.is_err_and(|e| e.contains("their coach")));
    assert!(app
        .admin_reset_password("nobody@example.com")
        .await
        .is_err());

    let browser = app.client();
    let me = app
        .ok(
            &browser,
            "auth/password/reset",
            &[("token", &token), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(me["role"], "coach");
    assert_eq!(
        app.call(&coach, "coach/today", &[]).await.status,
        StatusCode::UNAUTHORIZED,
        "the coach's other session ended"
    );
    let log = app
        .ok(
            &browser,
            "access_log/list",
            &[("client_id", ""), ("actor", ""), ("before", "0")],
        )
        .await;
    let text = log.to_string();
    assert!(text.contains("password_reset_link"), "{log}");
    assert!(text.contains("\"actor\":\"operator\""), "{log}");
    let tools = app.ok(&browser, "mcp/connections/list", &[]).await;
    assert_eq!(tools["connections"], serde_json::json!([]), "{tools}");
    assert!(text.contains("The password was reset."), "{log}");
}

async fn forgot_password_is_emailed_case(backend: Backend) {
    let Some((app, smtp)) = TestApp::start_with_mail(backend).await else {
        return;
    };
    let coach = app
        .signup_coach_by_link(&smtp, "Casey Coach", "casey@example.com")
        .await;
    // The sign-up email is there already; the reset email is sent after the answer.
    let before = smtp.mail_to("casey@example.com").len();
    // The same answer for an address with an account and one without; only the email differs.
    for email in ["casey@example.com", "nobody@example.com"] {
        let answer = app
            .call(&app.client(), "auth/password/forgot", &[("email", email)])
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.body, Value::Null);
    }
    let to_nobody = smtp.wait_for_mail("nobody@example.com", 1).await;
    assert!(link_token(&to_nobody[0], "/reset-password/").is_none());
    let message = smtp
        .wait_for_mail("casey@example.com", before + 1)
        .await
        .pop()
        .expect("a reset email");
    assert!(
        message.contains("Subject: Choose a new Coachroom password"),
        "{message}"
    );
    let token = link_token(&message, "/reset-password/").expect("the link");
    let browser = app.client();
    app.ok(
        &browser,
        "auth/password/reset",
        &[("token", &token), ("password", NEW_PASSWORD)],
    )
    .await;
    assert_eq!(
        app.call(&coach, "coach/today", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.login("casey@example.com", NEW_PASSWORD).await;
    // A malformed address is refused at its field.
    app.call(
        &app.client(),
        "auth/password/forgot",
        &[("email", "not an email")],
    )
    .await
    .assert_refused(StatusCode::BAD_REQUEST, "mail");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_forgot_password_is_emailed() {
    forgot_password_is_emailed_case(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_forgot_password_is_emailed() {
    forgot_password_is_emailed_case(Backend::Postgres).await;
}
