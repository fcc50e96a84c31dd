//! Accounts and sessions over HTTP: sign-up, login, logout, who-am-I, throttling.

use crate::common;

use common::{session_cookie, Backend, TestApp, PASSWORD};
use reqwest::StatusCode;

on_both_backends!(
    signup_signs_in_and_me_knows_the_coach,
    duplicate_email_is_a_conflict_and_nothing_half_written,
    signup_input_is_parsed_with_clear_errors,
    login_changes_the_session_id,
    logout_invalidates_the_session_on_the_server,
    unknown_email_and_wrong_password_look_the_same,
    cookies_are_http_only_and_same_site,
    concurrent_signups_all_succeed,
);

async fn signup_signs_in_and_me_knows_the_coach(app: &TestApp) {
    let client = app.client();
    let anonymous = app.ok(&client, "auth/me", &[]).await;
    assert!(anonymous.is_null(), "nobody signed in yet: {anonymous}");

    let id = app
        .signup_coach(&client, "Ann Coach", "Ann@Example.com")
        .await;
    let me = app.ok(&client, "auth/me", &[]).await;
    assert_eq!(me["user_id"], id.as_str());
    assert_eq!(me["email"], "ann@example.com");
    assert_eq!(me["name"], "Ann Coach");
    assert_eq!(me["role"], "coach");

    // A second client has its own (empty) session.
    assert!(app.ok(&app.client(), "auth/me", &[]).await.is_null());
}

async fn duplicate_email_is_a_conflict_and_nothing_half_written(app: &TestApp) {
    app.signup_coach(&app.client(), "Ann", "ann@example.com")
        .await;
    let again = app
        .call(
            &app.client(),
            "auth/signup",
            &[
                ("name", "Other"),
                ("email", " ANN@example.com "),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(
        again.body["detail"],
        "An account with this email already exists."
    );
    // The original account still logs in with its own name.
    let me = app
        .ok(
            &app.client(),
            "auth/login",
            &[("email", "ann@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(me["name"], "Ann");
}

async fn signup_input_is_parsed_with_clear_errors(app: &TestApp) {
    let client = app.client();
    let long_name = "x".repeat(101);
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[
                ("name", "Ann"),
                ("email", "not-an-email"),
                ("password", PASSWORD),
            ],
            "Email must look like name@example.com.",
        ),
        (
            &[
                ("name", "Ann"),
                ("email", "a@example.com"),
                ("password", "short"),
            ],
            "Password must be at least 10 characters.",
        ),
        (
            &[
                ("name", "  "),
                ("email", "a@example.com"),
                ("password", PASSWORD),
            ],
            "Name is required.",
        ),
        (
            &[
                ("name", &long_name),
                ("email", "a@example.com"),
                ("password", PASSWORD),
            ],
            "Name is too long (100 characters at most).",
        ),
        (
            &[("name", "Ann"), ("email", "a@example.com")],
            "Malformed request",
        ),
    ];
    for (form, message) in cases {
        let response = app.call(&client, "auth/signup", form).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{form:?}");
        assert_eq!(response.kind(), "invalid");
        let detail = response.body["detail"].as_str().unwrap_or_default();
        assert!(detail.starts_with(message), "{form:?}: {detail}");
    }
    // None of them created an account or a session.
    assert!(app.ok(&client, "auth/me", &[]).await.is_null());
    let login = app
        .call(
            &client,
            "auth/login",
            &[("email", "a@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
}

async fn login_changes_the_session_id(app: &TestApp) {
    let client = app.client();
    let signup = app.signup_request(&client).send().await.unwrap();
    let first = session_cookie(signup.headers()).expect("signup sets a session cookie");

    let login = client
        .post(app.url("/api/auth/login"))
        .form(&[("email", "ann@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let second = session_cookie(login.headers()).expect("login sets a new session cookie");
    let value = |c: &str| c.split(';').next().unwrap_or_default().to_owned();
    assert_ne!(
        value(&first),
        value(&second),
        "session id must change at login"
    );

    // The pre-login id is dead.
    let stale = reqwest::Client::new()
        .post(app.url("/api/auth/me"))
        .header("cookie", value(&first))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.text().await.unwrap(), "null");
}

async fn logout_invalidates_the_session_on_the_server(app: &TestApp) {
    let client = app.client();
    let signup = app.signup_request(&client).send().await.unwrap();
    let cookie = session_cookie(signup.headers()).unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();

    app.ok(&client, "auth/logout", &[]).await;
    assert!(app.ok(&client, "auth/me", &[]).await.is_null());

    // Replaying the old cookie from elsewhere gets nothing: the server forgot the session.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let me = replay
        .post(app.url("/api/auth/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.text().await.unwrap(), "null");
    let page = replay
        .get(app.url("/coach"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/login?next=/coach");
}

async fn unknown_email_and_wrong_password_look_the_same(app: &TestApp) {
    app.signup_coach(&app.client(), "Ann", "ann@example.com")
        .await;
    let wrong_password = app
        .call(
            &app.client(),
            "auth/login",
            &[
                ("email", "ann@example.com"),
                ("password", "not the password"),
            ],
        )
        .await;
    let unknown_email = app
        .call(
            &app.client(),
            "auth/login",
            &[
                ("email", "nobody@example.com"),
                ("password", "not the password"),
            ],
        )
        .await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.status, unknown_email.status);
    assert_eq!(wrong_password.body, unknown_email.body);
    assert_eq!(wrong_password.body["detail"], serde_json::Value::Null);
    assert_eq!(wrong_password.kind(), "bad_credentials");
}

async fn cookies_are_http_only_and_same_site(app: &TestApp) {
    let response = app.signup_request(&app.client()).send().await.unwrap();
    let cookie = session_cookie(response.headers()).unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http base URL: {cookie}");
}

async fn concurrent_signups_all_succeed(app: &TestApp) {
    // Many writers at once must queue, never fail with "database is locked".
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let client = app.client();
            let url = app.url("/api/auth/signup");
            tokio::spawn(async move {
                let email = format!("coach{i}@example.com");
                client
                    .post(url)
                    .form(&[
                        ("name", "Coach"),
                        ("email", email.as_str()),
                        ("password", PASSWORD),
                    ])
                    .send()
                    .await
                    .map(|r| r.status())
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), StatusCode::OK);
    }
}

async fn secure_cookie_case(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.base_url = Some("https://coach.example.com".into());
    })
    .await
    else {
        return;
    };
    let response = app
        .signup_request(&app.client())
        .header("origin", "https://coach.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = session_cookie(response.headers()).unwrap();
    assert!(cookie.contains("Secure"), "https base URL: {cookie}");
    app.stop().await;
}

async fn throttle_case(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.login_max_per_account = Some("3".into());
        cli.login_max_per_ip = Some("5".into());
    })
    .await
    else {
        return;
    };
    app.signup_coach(&app.client(), "Ann", "ann@example.com")
        .await;
    let client = app.client();
    let attempt = |email: &'static str, password: &'static str| {
        let client = client.clone();
        let app = &app;
        async move {
            app.call(
                &client,
                "auth/login",
                &[("email", email), ("password", password)],
            )
            .await
        }
    };

    for _ in 0..3 {
        assert_eq!(
            attempt("ann@example.com", "wrong password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // From this address the account is locked for a while, even with the right password.
    let locked = attempt("ann@example.com", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.kind(), "too_many_requests");
    let retry_after: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        retry_after > 0 && retry_after <= 900,
        "retry-after {retry_after}"
    );

    // Per IP: two more failures on other accounts fill the IP bucket (5).
    assert_eq!(
        attempt("bob@example.com", "wrong password").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        attempt("cat@example.com", "wrong password").await.status,
        StatusCode::UNAUTHORIZED
    );
    let by_ip = attempt("dan@example.com", "wrong password").await;
    assert_eq!(by_ip.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(by_ip.headers.contains_key("retry-after"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_secure_cookie_when_base_url_is_https() {
    secure_cookie_case(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_secure_cookie_when_base_url_is_https() {
    secure_cookie_case(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_login_is_throttled_per_account_and_per_ip() {
    throttle_case(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_login_is_throttled_per_account_and_per_ip() {
    throttle_case(Backend::Postgres).await;
}
