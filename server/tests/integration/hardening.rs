//! Hardening, as an attacker would try it, on both databases: throttles that hold under
//! concurrency and cannot lock the owner out, sessions stored as hashes with an absolute
//! lifetime, ids that never reach SQL, the JSON error shape everywhere under `/api`,
//! `Connection: close` after refusals, upload admission, bounded lists, security headers, what
//! the portal never shows, and SMTP that insists on TLS when told to.

use crate::common;

use common::smtp::{link_token, FakeSmtp};
use common::{session_cookie, Backend, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

cases_on_both_backends!(
    new_accounts_are_throttled_per_ip_before_any_password_is_hashed,
    parallel_wrong_logins_get_at_most_the_limit_of_tries,
    a_stranger_cannot_lock_the_owner_out,
    wrong_current_passwords_are_throttled,
    sessions_are_stored_as_hashes_and_end_after_their_absolute_lifetime,
    malformed_ids_are_not_found_and_never_reach_sql,
    every_api_error_is_json_and_unread_bodies_close_the_connection,
    uploads_are_admitted_per_user_and_refused_early,
    lists_are_capped,
    pages_carry_a_nonce_csp_and_https_sites_hsts,
    the_portal_never_shows_template_names,
    smtp_with_tls_required_never_sends_in_plaintext,
    smtp_over_implicit_tls_sends_only_to_a_trusted_certificate,
    signup_answers_alike_for_taken_and_fresh_addresses,
    login_email_changes_answer_alike_and_need_the_link,
    a_coach_learns_nothing_about_other_workspaces_from_emails,
    anonymous_requests_take_a_bounded_lane_that_signed_in_users_skip,
    one_address_cannot_take_the_whole_anonymous_lane,
    an_address_over_its_anonymous_rate_is_refused,
    emails_to_one_address_are_capped,
    sessions_in_use_outlive_the_idle_limit,
    renewal_never_outlasts_the_absolute_lifetime,
);

/// A token of the right shape that no link has: it reaches the lookup (a malformed one is
/// refused before it).
const UNKNOWN_TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// One raw HTTP/1.1 exchange: writes `request` and reads until the server closes (or 10 s).
/// Returns what was read and whether the server closed the connection.
async fn raw_exchange(app: &TestApp, request: &[u8]) -> (String, bool) {
    raw_exchange_within(app, request, Duration::from_secs(10)).await
}

/// [`raw_exchange`], waiting at most `patience` for the server to close.
async fn raw_exchange_within(app: &TestApp, request: &[u8], patience: Duration) -> (String, bool) {
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    // A refusal may come before the whole body is written; the server may then close.
    let _ = stream.write_all(request).await;
    let mut read = Vec::new();
    let mut buf = [0u8; 8192];
    let closed = loop {
        match tokio::time::timeout(patience, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(n)) => read.extend_from_slice(&buf[..n]),
            Err(_) => break false,
        }
    };
    (String::from_utf8_lossy(&read).into_owned(), closed)
}

/// The `name=value` part of a fresh session cookie for this account.
async fn session_for(app: &TestApp, email: &str) -> String {
    let response = app
        .client()
        .post(app.url("/api/auth/login"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = session_cookie(response.headers()).expect("session cookie");
    cookie.split(';').next().unwrap_or_default().to_owned()
}

async fn new_accounts_are_throttled_per_ip_before_any_password_is_hashed(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.new_accounts_max_per_ip = Some("3".into());
    })
    .await
    else {
        return;
    };
    let stranger = app.client();
    for _ in 0..3 {
        let bogus = app
            .call(
                &stranger,
                "invites/accept",
                &[("token", UNKNOWN_TOKEN), ("password", PASSWORD)],
            )
            .await;
        bogus.assert_refused(StatusCode::CONFLICT, "not valid");
    }
    let throttled = app
        .call(
            &stranger,
            "invites/accept",
            &[("token", UNKNOWN_TOKEN), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers.contains_key("retry-after"));
    // Sign-ups from the same address share the allowance.
    let signup = app
        .call(
            &stranger,
            "auth/signup",
            &[
                ("name", "Flood"),
                ("email", "flood@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signup.status, StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

async fn parallel_wrong_logins_get_at_most_the_limit_of_tries(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    app.signup_coach(&app.client(), "Ann", "ann@example.com")
        .await;
    let guesses: Vec<_> = (0..100)
        .map(|i| {
            let client = app.client();
            let url = app.url("/api/auth/login");
            tokio::spawn(async move {
                let password = format!("wrong password {i}");
                let response = client
                    .post(url)
                    .form(&[
                        ("email", "ann@example.com"),
                        ("password", password.as_str()),
                    ])
                    .send()
                    .await
                    .expect("login");
                response.status()
            })
        })
        .collect();
    let mut wrong = 0;
    let mut throttled = 0;
    for guess in guesses {
        match guess.await.expect("task") {
            StatusCode::UNAUTHORIZED => wrong += 1,
            StatusCode::TOO_MANY_REQUESTS => throttled += 1,
            other => panic!("unexpected {other}"),
        }
    }
    // The default limit is 5 failures per account from one address.
    assert!(wrong <= 5, "{wrong} guesses were checked");
    assert_eq!(wrong + throttled, 100);
    app.stop().await;
}

async fn a_stranger_cannot_lock_the_owner_out(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.trust_forwarded_for = Some("true".into());
    })
    .await
    else {
        return;
    };
    app.signup_coach(&app.client(), "Ann", "ann@example.com")
        .await;
    let login_from = |ip: &'static str, password: &'static str| {
        let client = app.client();
        let url = app.url("/api/auth/login");
        async move {
            client
                .post(url)
                .header("x-forwarded-for", ip)
                .form(&[("email", "ann@example.com"), ("password", password)])
                .send()
                .await
                .expect("login")
                .status()
        }
    };
    for _ in 0..5 {
        assert_eq!(
            login_from("203.0.113.7", "wrong password").await,
            StatusCode::UNAUTHORIZED
        );
    }
    // The stranger's address is done, even with the right password...
    assert_eq!(
        login_from("203.0.113.7", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // ...but the owner, elsewhere, signs in.
    assert_eq!(login_from("198.51.100.2", PASSWORD).await, StatusCode::OK);
    app.stop().await;
}

async fn wrong_current_passwords_are_throttled(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let coach = app.client();
    app.signup_coach(&coach, "Ann", "ann@example.com").await;
    let change = |current: &'static str| {
        let coach = coach.clone();
        let app = &app;
        async move {
            app.call(
                &coach,
                "account/password",
                &[
                    ("current_password", current),
                    ("new_password", "a brand new password"),
                ],
            )
            .await
        }
    };
    for _ in 0..5 {
        change("not my password")
            .await
            .assert_refused(StatusCode::BAD_REQUEST, "Current password is incorrect");
    }
    assert_eq!(
        change("not my password").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(change(PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

async fn sessions_are_stored_as_hashes_and_end_after_their_absolute_lifetime(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.session_max_age_secs = Some("2".into());
    })
    .await
    else {
        return;
    };
    let coach = app.client();
    app.signup_coach(&coach, "Ann", "ann@example.com").await;
    let cookie = session_for(&app, "ann@example.com").await;
    let session_id = cookie.split_once('=').map(|(_, v)| v).unwrap_or_default();
    let stored: Vec<(String,)> = sqlx::query_as("SELECT id FROM sessions")
        .fetch_all(app.db.reader())
        .await
        .expect("sessions");
    assert!(!stored.is_empty());
    for (id,) in &stored {
        assert_ne!(id, session_id, "a session id is stored in the clear");
        assert!(!id.contains(session_id));
    }

    // Active all along, the session still ends when its absolute lifetime is over.
    let me = app.ok(&coach, "auth/me", &[]).await;
    assert_eq!(me["email"], "ann@example.com");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        app.ok(&coach, "auth/me", &[]).await["email"],
        "ann@example.com"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(app.ok(&coach, "auth/me", &[]).await, Value::Null);
    app.stop().await;
}

async fn malformed_ids_are_not_found_and_never_reach_sql(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (coach, client, _client_id) = app.coach_and_client().await;
    let hostile = [
        "abc\0def",
        "\0",
        "00000000000000000000000000000000\0",
        "%00",
        "' OR 1=1 --",
        "0123456789ABCDEF0123456789ABCDEF",
        &"a".repeat(5000),
    ];
    let as_coach = [
        ("clients/get", "client_id"),
        ("checkins/get", "checkin_id"),
        ("checkins/list", "client_id"),
        ("notes/delete", "note_id"),
        ("todos/delete", "todo_id"),
        ("goals/delete", "goal_id"),
        ("meal_plans/get", "plan_id"),
        ("workout_plans/delete", "plan_id"),
        ("forms/get", "form_id"),
        ("sessions/get", "session_id"),
        ("sessions/insights", "session_id"),
        ("invites/send", "client_id"),
    ];
    let as_client = [
        ("portal/checkins/get", "checkin_id"),
        ("portal/forms/get", "assignment_id"),
    ];
    for id in hostile {
        for (endpoint, arg) in as_coach {
            let response = app.call(&coach, endpoint, &[(arg, id)]).await;
            assert_eq!(response.status, StatusCode::NOT_FOUND, "{endpoint} {id:?}");
            assert_eq!(response.kind(), "not_found", "{endpoint}");
        }
        for (endpoint, arg) in as_client {
            let response = app.call(&client, endpoint, &[(arg, id)]).await;
            assert_eq!(response.status, StatusCode::NOT_FOUND, "{endpoint} {id:?}");
        }
        let response = app
            .call(
                &client,
                "portal/goals/log",
                &[("goal_id", id), ("times_done", "1")],
            )
            .await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "goals/log {id:?}");
    }
    // Ids in download paths, including bytes that are not UTF-8.
    for path in [
        "/api/checkins/%00/pdf",
        "/api/checkins/%ff/pdf",
        "/api/meal_plans/abc%00/pdf",
        "/api/workout_plans/%c3%28/pdf",
    ] {
        let response = coach.get(app.url(path)).send().await.expect("get");
        let response = common::Response::read(response).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(response.kind(), "not_found", "{path}");
    }
    // The roster search is free text: a control character is a clear 400, never a 500.
    let search = app
        .call(
            &coach,
            "clients/list",
            &[("query", "ri\0ley"), ("archived", "false"), ("page", "0")],
        )
        .await;
    search.assert_refused(StatusCode::BAD_REQUEST, "Search");
    app.stop().await;
}

async fn every_api_error_is_json_and_unread_bodies_close_the_connection(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let http = app.client();
    for method in ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = http
            .request(method.clone(), app.url("/api/auth/me"))
            .send()
            .await
            .expect("request");
        let response = common::Response::read(response).await;
        assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(response.kind(), "method_not_allowed", "{method}");
        assert_eq!(
            response.headers["content-type"], "application/json",
            "{method}"
        );
    }

    // A chunked body past the 64 KiB limit: 413 in JSON, and the connection closes.
    let chunk = vec![b'a'; 16 * 1024];
    let mut request = b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\n\
        Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
        .to_vec();
    for _ in 0..8 {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(&chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let (answer, closed) = raw_exchange(&app, &request).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"kind\":\"too_large\""), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(closed, "the server kept the connection after a 413");

    // A declared length over the limit is refused before the body is read: the same.
    let declared = b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\n\
        Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000\r\n\r\nemail=a";
    let (answer, closed) = raw_exchange(&app, declared).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(closed);

    // A cross-site POST is refused before its body is read: closed too.
    let body = "email=a%40b.co&password=x";
    let cross_site = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nSec-Fetch-Site: cross-site\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len() + 100
    );
    let (answer, closed) = raw_exchange(&app, cross_site.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("\"kind\":\"cross_site\""), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(closed);

    // A refusal whose (small) body was read keeps the connection: it is a normal answer.
    let read = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: x\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (answer, _) = raw_exchange_within(&app, read.as_bytes(), Duration::from_millis(500)).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(
        !answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    app.stop().await;
}

async fn uploads_are_admitted_per_user_and_refused_early(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.uploads_max_per_user = Some("1".into());
    })
    .await
    else {
        return;
    };
    let (_coach, client, _client_id) = app.coach_and_client().await;
    let cookie = session_for(&app, "riley@example.com").await;
    let path = "/api/portal/checkins/submit";
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\
         Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 5000000\r\n\r\n\
         --XYZ\r\nContent-Disposition: form-data; name=\"weight\"\r\n\r\n80\r\n"
    );
    // An upload in flight: its body is never finished.
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    slow.write_all(head.as_bytes()).await.expect("write");
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The same user's second upload is refused at once, without reading its body.
    let second = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\
         Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 5000000\r\n\r\n--XYZ\r\n"
    );
    let (answer, closed) = raw_exchange(&app, second.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(
        answer.contains("\"kind\":\"too_many_requests\""),
        "{answer}"
    );
    assert!(closed, "an unread upload body closes the connection");

    // Anonymous uploads never get in.
    let anonymous = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\n\
         Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 5000000\r\n\r\n--XYZ\r\n"
    );
    let (answer, closed) = raw_exchange(&app, anonymous.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(closed);

    // When the slow upload goes away, its place comes back.
    drop(slow);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let submission = common::checkins::Submission::default().field("weight", "80");
    let response = app.submit_checkin(&client, &submission).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    app.stop().await;
}

async fn lists_are_capped(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let coach = app.client();
    app.signup_coach(&coach, "Ann", "ann@example.com").await;
    for i in 0..201 {
        app.ok(
            &coach,
            "notes/create",
            &[("client_id", ""), ("body", &format!("note {i}"))],
        )
        .await;
    }
    let notes = app.ok(&coach, "notes/list", &[("client_id", "")]).await;
    let notes = notes.as_array().expect("list");
    assert_eq!(notes.len(), 200);
    assert_eq!(notes[0]["body"], "note 200", "newest first");
    app.stop().await;
}

async fn pages_carry_a_nonce_csp_and_https_sites_hsts(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    for path in ["/", "/login", "/no-such-page"] {
        let response = app.client().get(app.url(path)).send().await.expect("page");
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .expect("csp")
            .to_owned();
        assert!(response
            .headers()
            .get("strict-transport-security")
            .is_none());
        let html = response.text().await.expect("html");
        let script_src = policy
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .expect("script-src");
        assert!(!script_src.contains("unsafe-inline"), "{policy}");
        let nonce = script_src
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce");
        assert!(nonce.len() >= 16, "{nonce}");
        // Every inline script of the page carries this response's nonce.
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "{path}");
        assert_eq!(
            html.matches(&format!("nonce=\"{nonce}\"")).count(),
            scripts,
            "{path}: {html}"
        );
    }
    // Two renders get two nonces.
    let policy = |app: &TestApp| {
        let url = app.url("/login");
        async move {
            reqwest::get(url).await.expect("page").headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_ne!(policy(&app).await, policy(&app).await);
    app.stop().await;

    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.base_url = Some("https://coach.example.test".into());
    })
    .await
    else {
        return;
    };
    let response = app.client().get(app.url("/")).send().await.expect("page");
    let hsts = response.headers()["strict-transport-security"]
        .to_str()
        .unwrap();
    assert!(hsts.starts_with("max-age=31536000"), "{hsts}");
    app.stop().await;
}

async fn the_portal_never_shows_template_names(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (coach, client, client_id) = app.coach_and_client().await;
    let template = app
        .ok(
            &coach,
            "meal_plans/create",
            &[("name", "Cheap bulk for picky eaters"), ("client_id", "")],
        )
        .await;
    let copy = app
        .ok(
            &coach,
            "meal_plans/copy",
            &[
                ("plan_id", template.as_str().unwrap()),
                ("client_id", &client_id),
            ],
        )
        .await;
    let copy = copy.as_str().unwrap();
    app.ok(
        &coach,
        "meal_plans/activate",
        &[("plan_id", copy), ("active", "true")],
    )
    .await;
    // The coach renames the template for their own filing; the client's copy keeps its name.
    app.ok_json(
        &coach,
        "meal_plans/save",
        &json!({ "plan_id": template, "name": "INTERNAL picky eaters", "plan": {} }),
    )
    .await;
    // The coach still sees where the plan came from.
    let theirs = app.ok(&coach, "meal_plans/get", &[("plan_id", copy)]).await;
    assert_eq!(theirs["summary"]["template_name"], "INTERNAL picky eaters");
    let mine = app.ok(&client, "portal/meal_plan", &[]).await;
    assert_eq!(mine["summary"]["name"], "Cheap bulk for picky eaters");
    assert_eq!(mine["summary"]["template_name"], Value::Null, "{mine}");
    assert!(!mine.to_string().contains("INTERNAL"), "{mine}");
    let (_, page) = app.page(&client, "/portal/plans").await;
    assert!(!page.contains("INTERNAL"));
    app.stop().await;
}

async fn smtp_with_tls_required_never_sends_in_plaintext(backend: Backend) {
    // The stand-in speaks plain SMTP only: it does not offer STARTTLS.
    let smtp = FakeSmtp::start().await;
    let url = format!("{}?tls=required", smtp.url());
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.smtp_url = Some(url);
        cli.smtp_from = Some("Coachroom <no-reply@coachroom.test>".into());
    })
    .await
    else {
        return;
    };
    // A sign-up sends its link by email: here it cannot go, and the answer is the same.
    let started = app
        .ok(
            &app.client(),
            "auth/signup",
            &[
                ("name", "Casey Coach"),
                ("email", "casey@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(started["outcome"], "check_email");
    // The email is sent after the answer; give the attempt time to fail.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        smtp.received().is_empty(),
        "a message went out in plaintext"
    );
    app.stop().await;
}

async fn smtp_over_implicit_tls_sends_only_to_a_trusted_certificate(backend: Backend) {
    let smtp = FakeSmtp::start_tls().await;
    let ca_file = tempfile::NamedTempFile::new().expect("CA file");
    std::fs::write(ca_file.path(), smtp.ca_pem.as_deref().expect("a CA")).expect("write CA");

    // Not told to trust the stand-in's CA: the handshake fails and nothing is sent.
    let url = smtp.url();
    let Some(untrusting) = TestApp::start_with(backend, |cli| {
        cli.smtp_url = Some(url.clone());
        cli.smtp_from = Some("Coachroom <no-reply@coachroom.test>".into());
    })
    .await
    else {
        return;
    };
    let started = untrusting
        .ok(
            &untrusting.client(),
            "auth/signup",
            &[
                ("name", "Casey Coach"),
                ("email", "casey@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(started["outcome"], "check_email");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        smtp.received().is_empty(),
        "sent to a certificate nobody trusts"
    );
    untrusting.stop().await;

    // Trusting it: the whole sign-up runs over TLS, link and all.
    let ca_path = ca_file.path().to_string_lossy().into_owned();
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.smtp_url = Some(url);
        cli.smtp_from = Some("Coachroom <no-reply@coachroom.test>".into());
        cli.smtp_ca_file = Some(ca_path);
    })
    .await
    else {
        return;
    };
    let coach = app
        .signup_coach_by_link(&smtp, "Dana Coach", "dana@example.com")
        .await;
    let me = app.ok(&coach, "auth/me", &[]).await;
    assert_eq!(me["email"], "dana@example.com");
    app.stop().await;
}

async fn signup_answers_alike_for_taken_and_fresh_addresses(backend: Backend) {
    let Some((app, smtp)) = TestApp::start_with_mail(backend).await else {
        return;
    };
    app.signup_coach_by_link(&smtp, "Ann", "ann@example.com")
        .await;
    let attempt = |email: &'static str| {
        let browser = app.client();
        let app = &app;
        async move {
            let response = app
                .call(
                    &browser,
                    "auth/signup",
                    &[
                        ("name", "Someone"),
                        ("email", email),
                        ("password", PASSWORD),
                    ],
                )
                .await;
            let signed_in = app.ok(&browser, "auth/me", &[]).await;
            (response, signed_in)
        }
    };
    let (taken, taken_session) = attempt("ann@example.com").await;
    let (fresh, fresh_session) = attempt("zed@example.com").await;
    assert_eq!(taken.status, fresh.status);
    assert_eq!(taken.status, StatusCode::OK);
    assert_eq!(taken.body["outcome"], fresh.body["outcome"]);
    assert_eq!(taken.body["email"], "ann@example.com");
    assert_eq!(taken_session, Value::Null);
    assert_eq!(fresh_session, Value::Null);
    // Only the addresses learn the difference.
    let to_ann = smtp.wait_for_mail("ann@example.com", 2).await;
    assert!(to_ann.last().unwrap().contains("already has one"));
    assert!(link_token(to_ann.last().unwrap(), "/signup/confirm/").is_none());
    let to_zed = smtp.wait_for_mail("zed@example.com", 1).await;
    let token = link_token(&to_zed[0], "/signup/confirm/").expect("a link");
    // The link works once.
    let browser = app.client();
    let confirm = [("token", token.as_str()), ("password", PASSWORD)];
    app.ok(&browser, "auth/signup/confirm", &confirm).await;
    app.call(&app.client(), "auth/signup/confirm", &confirm)
        .await
        .assert_refused(StatusCode::CONFLICT, "no longer valid");
    // The original account is untouched: its own password still works.
    app.login("ann@example.com", PASSWORD).await;
    app.stop().await;
}

async fn login_email_changes_answer_alike_and_need_the_link(backend: Backend) {
    let Some((app, smtp)) = TestApp::start_with_mail(backend).await else {
        return;
    };
    let coach = app
        .signup_coach_by_link(&smtp, "Casey Coach", "casey@example.com")
        .await;
    let riley_id = app
        .create_client(&coach, "Riley Client", "riley@example.com")
        .await;
    let riley = app
        .join_by_mail(&smtp, &coach, &riley_id, "riley@example.com")
        .await;
    let sam_id = app
        .create_client(&coach, "Sam Other", "sam@example.com")
        .await;
    app.join_by_mail(&smtp, &coach, &sam_id, "sam@example.com")
        .await;
    let riley_elsewhere = app.login("riley@example.com", PASSWORD).await;

    let change = |to: &'static str, password: &'static str| {
        let riley = riley.clone();
        let app = &app;
        async move {
            app.call(
                &riley,
                "account/email",
                &[("new_email", to), ("current_password", password)],
            )
            .await
        }
    };
    change("new.riley@example.com", "not my password")
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "Current password is incorrect");
    // Another client's address (of the same coach) and a fresh one: the same answer.
    let taken = change("sam@example.com", PASSWORD).await;
    let fresh = change("new.riley@example.com", PASSWORD).await;
    assert_eq!(taken.status, StatusCode::OK);
    assert_eq!((taken.status, &taken.body), (fresh.status, &fresh.body));
    // Nothing changed yet.
    assert_eq!(
        app.ok(&riley, "auth/me", &[]).await["email"],
        "riley@example.com"
    );
    let to_sam = smtp.wait_for_mail("sam@example.com", 2).await;
    assert!(to_sam.last().unwrap().contains("already belongs to one"));
    assert!(link_token(to_sam.last().unwrap(), "/confirm-email/").is_none());

    let message = smtp
        .wait_for_mail("new.riley@example.com", 1)
        .await
        .pop()
        .expect("a link");
    let token = link_token(&message, "/confirm-email/").expect("a link");
    let confirmed = app
        .ok(&riley, "account/email/confirm", &[("token", &token)])
        .await;
    assert_eq!(confirmed, "new.riley@example.com");
    // The browser that confirmed stays signed in; every other session ended.
    assert_eq!(
        app.ok(&riley, "auth/me", &[]).await["email"],
        "new.riley@example.com"
    );
    assert_eq!(app.ok(&riley_elsewhere, "auth/me", &[]).await, Value::Null);
    app.login("new.riley@example.com", PASSWORD).await;
    // The coach sees the new address on file.
    let profile = app
        .ok(&coach, "clients/get", &[("client_id", &riley_id)])
        .await;
    assert_eq!(profile["email"], "new.riley@example.com");
    // The change is in the coach's log, under Riley, once (asking for it changed nothing).
    let log = app
        .ok(
            &coach,
            "access_log/list",
            &[
                ("client_id", &riley_id),
                ("actor", "client"),
                ("before", "0"),
            ],
        )
        .await;
    let changes = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "email_changed")
        .count();
    assert_eq!(changes, 1, "{log}");
    // A link works once.
    app.call(&riley, "account/email/confirm", &[("token", &token)])
        .await
        .assert_refused(StatusCode::CONFLICT, "no longer valid");
    app.stop().await;
}

async fn a_coach_learns_nothing_about_other_workspaces_from_emails(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (coach, _client, riley_id) = app.coach_and_client().await;
    let other = app.client();
    app.signup_coach(&other, "Other Coach", "other@example.com")
        .await;
    // An address that has an account elsewhere is just an address to another coach.
    let created = app
        .call(
            &other,
            "clients/create",
            &common::client_form("Riley Elsewhere", "riley@example.com"),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let created = app
        .call(
            &other,
            "clients/create",
            &common::client_form("Casey Elsewhere", "casey@example.com"),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    // A joined client's email is their login: the coach cannot repoint it.
    let mut form = common::client_form("Riley Client", "other@example.com");
    form.insert(0, ("client_id", riley_id.as_str()));
    app.call(&coach, "clients/update", &form)
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "has joined");
    app.stop().await;
}

/// Opens a connection and sends a login whose body never finishes arriving.
async fn stalled_login(app: &TestApp, forwarded_for: &str) -> tokio::net::TcpStream {
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: {addr}\r\nX-Forwarded-For: {forwarded_for}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail="
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    stream
}

/// A wrong-password login from `forwarded_for`: (status, kind, Connection header).
async fn login_from(app: &TestApp, forwarded_for: &str) -> (StatusCode, String, String) {
    let response = app
        .client()
        .post(app.url("/api/auth/login"))
        .header("X-Forwarded-For", forwarded_for)
        .form(&[
            ("email", "ann@example.com"),
            ("password", "not the password"),
        ])
        .send()
        .await
        .expect("login");
    let status = response.status();
    let connection = response
        .headers()
        .get("connection")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let kind = body["kind"].as_str().unwrap_or_default().to_owned();
    (status, kind, connection)
}

async fn anonymous_requests_take_a_bounded_lane_that_signed_in_users_skip(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.anonymous_concurrency = Some("1".into());
        cli.anonymous_max_pending = Some("5".into());
    })
    .await
    else {
        return;
    };
    let coach = app.client();
    app.signup_coach(&coach, "Ann", "ann@example.com").await;

    // Bodies that never finish arriving hold a place in the lane but not its one slot: a body is
    // read before its request waits for a slot.
    let mut stalled = Vec::new();
    for _ in 0..3 {
        stalled.push(stalled_login(&app, "").await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, kind, _) = login_from(&app, "").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::UNAUTHORIZED, "bad_credentials")
    );

    // A burst of anonymous sign-ups: two places are left, so most are turned away, while the
    // signed-in coach is answered as if nothing were happening.
    let burst: Vec<_> = (0..12)
        .map(|i| {
            let client = app.client();
            let url = app.url("/api/auth/signup");
            tokio::spawn(async move {
                let email = format!("burst{i}@example.com");
                let response = client
                    .post(url)
                    .form(&[
                        ("name", "Burst"),
                        ("email", email.as_str()),
                        ("password", PASSWORD),
                    ])
                    .send()
                    .await
                    .expect("sign-up");
                let retry_after = response.headers().contains_key("retry-after");
                let status = response.status();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                (
                    status,
                    body["kind"].as_str().unwrap_or_default().to_owned(),
                    retry_after,
                )
            })
        })
        .collect();
    for _ in 0..5 {
        let me = app.call(&coach, "auth/me", &[]).await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.body);
        assert_eq!(me.body["email"], "ann@example.com");
    }
    let mut created = 0;
    let mut busy = 0;
    for answer in burst {
        let (status, kind, retry_after) = answer.await.expect("task");
        match status {
            StatusCode::OK => created += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(kind, "busy");
                assert!(retry_after, "a busy answer says when to retry");
                busy += 1;
            }
            other => panic!("unexpected {other} ({kind})"),
        }
    }
    assert!(created >= 1, "nobody got through");
    assert!(
        busy >= 1,
        "12 at once and none turned away: the lane is not bounded"
    );
    drop(stalled);
    app.stop().await;
}

async fn one_address_cannot_take_the_whole_anonymous_lane(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.trust_forwarded_for = Some("true".into());
        cli.anonymous_max_per_ip = Some("2".into());
    })
    .await
    else {
        return;
    };
    app.signup_coach(&app.client(), "Ann", "ann@example.com")
        .await;
    // One address holds its two places with bodies that never arrive...
    let _stalled = [
        stalled_login(&app, "203.0.113.7").await,
        stalled_login(&app, "203.0.113.7").await,
    ];
    tokio::time::sleep(Duration::from_millis(200)).await;
    // ...so its next request is refused, and told to close the connection,
    let (status, kind, connection) = login_from(&app, "203.0.113.7").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "busy")
    );
    assert_eq!(connection, "close");
    // while everyone else is served.
    let (status, kind, _) = login_from(&app, "198.51.100.4").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::UNAUTHORIZED, "bad_credentials")
    );
    app.stop().await;
}

async fn an_address_over_its_anonymous_rate_is_refused(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.trust_forwarded_for = Some("true".into());
        cli.anonymous_rate_per_ip = Some("2".into());
    })
    .await
    else {
        return;
    };
    app.signup_coach(&app.client(), "Ann", "ann@example.com")
        .await;
    // Eight at once: a burst of two seconds' worth (4) is served, the rest are refused.
    let url = app.url("/api/auth/login");
    let tries: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(url)
                    .header("X-Forwarded-For", "203.0.113.9")
                    .form(&[
                        ("email", "ann@example.com"),
                        ("password", "not the password"),
                    ])
                    .send()
                    .await
                    .expect("login")
                    .status()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in tries {
        statuses.push(attempt.await.expect("task"));
    }
    let served = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    assert_eq!(served + refused, 8, "{statuses:?}");
    assert!((4..=5).contains(&served), "{statuses:?}");
    // Another address has its own allowance.
    let (status, kind, _) = login_from(&app, "198.51.100.4").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::UNAUTHORIZED, "bad_credentials")
    );
    app.stop().await;
}

async fn emails_to_one_address_are_capped(backend: Backend) {
    let Some((app, smtp)) = TestApp::start_with_mail(backend).await else {
        return;
    };
    // Sign-ups in someone else's name, each from a fresh browser: the answer never changes,
    // but only five emails reach the address in the window.
    for _ in 0..7 {
        let started = app
            .ok(
                &app.client(),
                "auth/signup",
                &[
                    ("name", "Mallory"),
                    ("email", "victim@example.com"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(started["outcome"], "check_email");
    }
    smtp.wait_for_mail("victim@example.com", 5).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.mail_to("victim@example.com").len(), 5);

    // A coach resending an invitation: five go, the sixth is a 429 that keeps the open link.
    let coach = app
        .signup_coach_by_link(&smtp, "Ann", "ann@example.com")
        .await;
    let client_id = app.create_client(&coach, "Bea", "bea@example.com").await;
    for _ in 0..5 {
        app.ok(&coach, "invites/send", &[("client_id", &client_id)])
            .await;
    }
    let refused = app
        .call(&coach, "invites/send", &[("client_id", &client_id)])
        .await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    let last = smtp
        .wait_for_mail("bea@example.com", 5)
        .await
        .pop()
        .expect("an invitation");
    let token = link_token(&last, "/invite/").expect("a link");
    let joined = app
        .ok(
            &app.client(),
            "invites/accept",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(joined["role"], "client");
    app.stop().await;
}

/// Signs Ann up; returns the raw `name=value` of her session cookie, to send by hand (a
/// cookie jar would drop it at its Max-Age, and the server's own expiry is what is tested).
async fn raw_session_cookie(app: &TestApp) -> String {
    let response = app
        .signup_request(&app.client())
        .send()
        .await
        .expect("sign-up");
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = session_cookie(response.headers()).expect("session cookie");
    cookie.split(';').next().unwrap_or_default().to_owned()
}

/// Who the server says the cookie belongs to (`null` when signed out).
async fn who_is(app: &TestApp, cookie: &str) -> Value {
    // A client without a cookie jar (the cookie is set by hand), with a timeout, so a lost
    // answer fails the test instead of holding it forever.
    let response = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
        .post(app.url("/api/auth/me"))
        .header("Cookie", cookie)
        .send()
        .await
        .expect("auth/me");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

/// Loads a page with the cookie (what renews a session).
async fn load_page(app: &TestApp, cookie: &str) {
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
        .get(app.url("/coach"))
        .header("Cookie", cookie)
        .send()
        .await
        .expect("page");
    assert!(response.status().is_success() || response.status().is_redirection());
    let _ = response.bytes().await;
}

async fn sessions_in_use_outlive_the_idle_limit(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.session_idle_secs = Some("3".into());
    })
    .await
    else {
        return;
    };
    let cookie = raw_session_cookie(&app).await;
    // Pages loaded every second for twice the idle limit: still signed in.
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        load_page(&app, &cookie).await;
        assert_eq!(who_is(&app, &cookie).await["email"], "ann@example.com");
    }
    // Left alone past the limit: the server has ended it.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(who_is(&app, &cookie).await, Value::Null);
    app.stop().await;
}

async fn renewal_never_outlasts_the_absolute_lifetime(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.session_idle_secs = Some("3".into());
        cli.session_max_age_secs = Some("5".into());
    })
    .await
    else {
        return;
    };
    let cookie = raw_session_cookie(&app).await;
    let mut signed_out_after = None;
    for second in 1..=8 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        load_page(&app, &cookie).await;
        if who_is(&app, &cookie).await.is_null() {
            signed_out_after = Some(second);
            break;
        }
    }
    let after = signed_out_after.expect("still signed in after 8 s of a 5 s lifetime");
    assert!(
        after >= 4,
        "signed out after {after} s, before the lifetime was over"
    );
    app.stop().await;
}
