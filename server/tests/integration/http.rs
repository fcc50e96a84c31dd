//! HTTP behaviour: cross-site refusal, bad input, body limits, page guards, static assets.

use crate::common;

use common::{TestApp, PASSWORD};
use reqwest::StatusCode;

on_both_backends!(
    cross_site_writes_are_refused,
    same_origin_writes_pass,
    oversized_bodies_get_413_json,
    malformed_bodies_get_400_json,
    unknown_api_paths_get_404_json,
    pages_render_and_coach_pages_are_guarded,
    hashed_assets_are_compressed_and_cached_long,
    security_headers_are_set,
    health_and_readiness_answer_anyone_and_say_nothing_more,
    the_benchmarks_bare_handler_is_not_served_by_default,
);

async fn cross_site_writes_are_refused(app: &TestApp) {
    let client = app.client();
    let id = app.signup_coach(&client, "Ann", "ann@example.com").await;
    let form = [
        ("workspace_id", id.as_str()),
        ("name", "Evil"),
        ("brand_name", ""),
        ("units", "metric"),
        ("timezone", "UTC"),
    ];
    for (header, value) in [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "https://evil.example"),
        ("origin", "null"),
    ] {
        let response = client
            .post(app.url("/api/coach/profile/update"))
            .header(header, value)
            .form(&form)
            .send()
            .await
            .unwrap();
        let response = common::Response::read(response).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{header}: {value}");
        assert_eq!(response.kind(), "cross_site");
    }
    // Logout and login are state-changing too.
    let logout = client
        .post(app.url("/api/auth/logout"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::FORBIDDEN);
    let profile = app
        .ok(&client, "coach/profile/get", &[("workspace_id", &id)])
        .await;
    assert_eq!(
        profile["name"], "Ann",
        "refused writes changed nothing; still signed in"
    );
}

async fn same_origin_writes_pass(app: &TestApp) {
    let client = app.client();
    let response = app
        .signup_request(&client)
        .header("origin", &app.base)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

async fn oversized_bodies_get_413_json(app: &TestApp) {
    let big = "x".repeat(200 * 1024);
    let response = app
        .call(
            &app.client(),
            "auth/signup",
            &[
                ("name", &big),
                ("email", "a@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.kind(), "too_large");
}

async fn malformed_bodies_get_400_json(app: &TestApp) {
    let response = app
        .client()
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("%%%not-a-form&&&=")
        .send()
        .await
        .unwrap();
    let response = common::Response::read(response).await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.body
    );
    assert_eq!(response.kind(), "invalid");
}

async fn unknown_api_paths_get_404_json(app: &TestApp) {
    let response = app.call(&app.client(), "no/such/endpoint", &[]).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.kind(), "not_found");
}

async fn pages_render_and_coach_pages_are_guarded(app: &TestApp) {
    let anonymous = app.client();
    let home = anonymous.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    assert_eq!(home.headers()["cache-control"], "no-store");
    assert!(home
        .text()
        .await
        .unwrap()
        .contains("Create a coach account"));

    for path in ["/coach", "/coach/settings"] {
        let page = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.headers()["location"], format!("/login?next={path}"));
    }

    let coach = app.client();
    app.signup_coach(&coach, "Ann Coach", "ann@example.com")
        .await;
    let (status, html) = app.page(&coach, "/coach").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Welcome, Ann Coach"), "{html}");
    assert!(html.contains("No clients yet"));

    let (status, missing) = app.page(&anonymous, "/no-such-page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing.contains("Page not found"));
}

async fn hashed_assets_are_compressed_and_cached_long(app: &TestApp) {
    let pkg = app.site_root.path().join("pkg");
    std::fs::write(
        pkg.join("coachroom.0123456789abcdef.js"),
        "export function hydrate() {}\n".repeat(200),
    )
    .unwrap();
    std::fs::write(pkg.join("unhashed.js"), "x").unwrap();
    coachroom_server::assets::precompress(&pkg).unwrap();

    let client = app.client();
    for (encoding, expected) in [("br", "br"), ("gzip", "gzip")] {
        let response = client
            .get(app.url("/pkg/coachroom.0123456789abcdef.js"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-encoding"], expected);
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
    }
    let unhashed = client
        .get(app.url("/pkg/unhashed.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(unhashed.status(), StatusCode::OK);
    assert_eq!(unhashed.headers()["cache-control"], "no-cache");
}

async fn security_headers_are_set(app: &TestApp) {
    let response = app.client().get(app.url("/")).send().await.unwrap();
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert_eq!(response.headers()["referrer-policy"], "same-origin");
}

/// `/healthz` and `/readyz`: no session needed or made, nothing cached, no content; readiness
/// turns 503 when object storage stops answering and back when it returns.
async fn health_and_readiness_answer_anyone_and_say_nothing_more(app: &TestApp) {
    let stranger = reqwest::Client::new();
    let alive = stranger.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(alive.status(), StatusCode::OK);
    assert!(alive.headers().get("set-cookie").is_none());
    assert_eq!(alive.headers()["cache-control"], "no-store");
    let body: serde_json::Value = alive.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok"}));

    let ready = stranger.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert!(ready.headers().get("set-cookie").is_none());
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"status": "ready", "database": "ok", "storage": "ok"})
    );

    // Local storage's directory gone: not ready, and the answer names only which part.
    let files = app.data_dir().join("files");
    let moved = app.data_dir().join("files-away");
    std::fs::rename(&files, &moved).unwrap();
    let mut last = None;
    for _ in 0..30 {
        let answer = stranger.get(app.url("/readyz")).send().await.unwrap();
        if answer.status() == StatusCode::SERVICE_UNAVAILABLE {
            last = Some(answer.json::<serde_json::Value>().await.unwrap());
            break;
        }
        // A probe's answer is kept for a second.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        last.expect("readiness noticed storage is gone"),
        serde_json::json!({"status": "unavailable", "database": "ok", "storage": "unavailable"})
    );
    std::fs::rename(&moved, &files).unwrap();
    let mut back = false;
    for _ in 0..30 {
        let answer = stranger.get(app.url("/readyz")).send().await.unwrap();
        if answer.status() == StatusCode::OK {
            back = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(back, "ready again once storage answers");
}

/// The benchmark's bare handler skips authorization by design: without its setting it does not
/// exist (a client's ids get the site's ordinary 404 page).
async fn the_benchmarks_bare_handler_is_not_served_by_default(app: &TestApp) {
    let (coach, _client, client_id) = app.coach_and_client().await;
    let me = app.ok(&coach, "auth/me", &[]).await;
    let path = format!(
        "/bench/baseline/clients/{}/{client_id}",
        me["user_id"].as_str().unwrap()
    );
    let answer = reqwest::get(app.url(&path)).await.unwrap();
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    assert_ne!(answer.text().await.unwrap(), "found");
}
