//! The OAuth authorization server that connects ChatGPT, Claude and other MCP clients, on both
//! databases, over HTTP as a tool and a coach's browser use it: metadata, registration, the
//! consent page, codes with PKCE, refresh rotation, revocation; and every refusal the MCP
//! authorization spec asks for (a wrong verifier, a redirect URI that does not match, a token for
//! another resource, a reused code or refresh token, anyone but a coach approving). Client ID
//! Metadata Documents are fetched from a stand-in tool server, including one that hangs, one
//! that redirects, one that is huge. The Python SDK runs the same flow in `scripts/test`.

use crate::common;

use common::checkins::Submission;
use common::{Backend, Response, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    a_tool_connects_refreshes_and_is_revoked,
    bad_grants_are_refused,
    only_a_coach_approves_and_bad_requests_stay_on_our_page,
    the_sweep_ends_connections_no_token_can_use,
);

/// Cases that start their own app (a setting of their own, or a subprocess).
mod own_app {
    use super::{
        client_metadata_documents_are_fetched_behind_a_fence,
        registrations_are_counted_per_address, the_python_sdk_connects_headless,
    };
    cases_on_both_backends!(
        client_metadata_documents_are_fetched_behind_a_fence,
        the_python_sdk_connects_headless,
        registrations_are_counted_per_address,
    );
}

const REDIRECT: &str = "http://127.0.0.1:33418/callback";
/// A PKCE verifier of 64 unreserved characters.
const VERIFIER: &str = "verifier-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQR";

fn challenge(verifier: &str) -> String {
    app::server::store::oauth::pkce_challenge(verifier)
}

/// A client with no cookies, as a tool's own HTTP client is.
fn tool() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A browser's CORS preflight for a POST to `path` from a page on another origin, sending
/// `headers`.
async fn preflight(app: &TestApp, path: &str, headers: &str) -> reqwest::Response {
    tool()
        .request(reqwest::Method::OPTIONS, app.url(path))
        .header("Origin", "http://localhost:6274")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", headers)
        .send()
        .await
        .unwrap()
}

async fn register(app: &TestApp, body: Value) -> Response {
    Response::read(
        tool()
            .post(app.url("/oauth/register"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn registered(app: &TestApp, name: &str) -> String {
    let answer = register(
        app,
        json!({"client_name": name, "redirect_uris": [REDIRECT],
               "token_endpoint_auth_method": "client_secret_post"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    // Every client is public here, whatever it asked for.
    assert_eq!(answer.body["token_endpoint_auth_method"], "none");
    answer.body["client_id"].as_str().unwrap().to_owned()
}

/// An authorization request's parameters, as a tool sends them.
fn authorize_params(app: &TestApp, client_id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", client_id.into()),
        ("redirect_uri", REDIRECT.into()),
        ("state", "state-123".into()),
        ("code_challenge", challenge(VERIFIER)),
        ("code_challenge_method", "S256".into()),
        ("scope", "workspace:read".into()),
        ("resource", app.url("/mcp")),
    ]
}

fn with(
    params: &[(&'static str, String)],
    name: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    let mut changed: Vec<_> = params.iter().filter(|(n, _)| *n != name).cloned().collect();
    changed.push((name, value.to_owned()));
    changed
}

/// GETs the consent page as `browser`.
async fn consent_page(
    app: &TestApp,
    browser: &reqwest::Client,
    params: &[(&'static str, String)],
) -> (StatusCode, String, Option<String>) {
    let response = browser
        .get(app.url("/oauth/authorize"))
        .query(params)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let location = location(&response);
    (status, response.text().await.unwrap(), location)
}

fn location_of(response: &reqwest::Response) -> Option<String> {
    location(response)
}

fn location(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
}

/// POSTs the coach's decision; returns the status and where it sends the browser.
async fn decide(
    app: &TestApp,
    browser: &reqwest::Client,
    params: &[(&'static str, String)],
    decision: &str,
) -> (StatusCode, Option<String>, String) {
    let response = browser
        .post(app.url("/oauth/authorize"))
        .form(&with(params, "decision", decision))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let location = location(&response);
    (status, location, response.text().await.unwrap())
}

/// The query parameters of a redirect back to the tool.
fn answer(location: &str) -> std::collections::HashMap<String, String> {
    let url = reqwest::Url::parse(location).unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    url.query_pairs().into_owned().collect()
}

/// Approves `params` as `coach` and returns the code.
async fn approved_code(
    app: &TestApp,
    coach: &reqwest::Client,
    params: &[(&'static str, String)],
) -> String {
    let (status, location, body) = decide(app, coach, params, "approve").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let answer = answer(&location.unwrap());
    assert_eq!(answer["state"], "state-123");
    assert_eq!(answer["iss"], app.url("/"));
    answer["code"].clone()
}

async fn token_request(app: &TestApp, form: &[(&str, &str)]) -> Response {
    Response::read(
        tool()
            .post(app.url("/oauth/token"))
            .form(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn exchange(app: &TestApp, client_id: &str, code: &str, verifier: &str) -> Response {
    let resource = app.url("/mcp");
    token_request(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", client_id),
            ("code_verifier", verifier),
            ("resource", &resource),
        ],
    )
    .await
}

async fn refresh(app: &TestApp, client_id: &str, refresh_token: &str) -> Response {
    token_request(
        app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ],
    )
    .await
}

/// The status of `tools/list` with `token`.
async fn mcp_status(app: &TestApp, token: &str) -> StatusCode {
    tool()
        .post(app.url("/mcp"))
        .bearer_auth(token)
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap()
        .status()
}

fn tokens(response: &Response) -> (String, String) {
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    (
        response.body["access_token"].as_str().unwrap().to_owned(),
        response.body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

async fn a_tool_connects_refreshes_and_is_revoked(app: &TestApp) {
    let coach = app.client();
    app.signup_coach(&coach, "Casey Coach", "casey@example.com")
        .await;

    // Discovery: the resource names this server as its authorization server, whose metadata
    // says what a tool needs, with the same issuer string.
    let resource: Value = reqwest::get(app.url("/.well-known/oauth-protected-resource/mcp"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let metadata: Value = reqwest::get(app.url("/.well-known/oauth-authorization-server"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resource["authorization_servers"][0], metadata["issuer"]);
    assert_eq!(metadata["issuer"], app.url("/"));
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert!(metadata["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("none")));
    assert_eq!(metadata["client_id_metadata_document_supported"], true);
    assert_eq!(
        metadata["registration_endpoint"],
        app.url("/oauth/register")
    );
    assert_eq!(metadata["revocation_endpoint"], app.url("/oauth/revoke"));

    // Registration, then the consent page: the tool's name, where it is answered, and what it
    // may do.
    let client_id = registered(app, "Claude").await;
    let params = authorize_params(app, &client_id);
    let (status, page, _) = consent_page(app, &coach, &params).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for says in ["Claude", "127.0.0.1", "read-only access to your workspace"] {
        assert!(page.contains(says), "{says}: {page}");
    }
    // A signed-out browser is sent to sign in first, and back here after.
    let (status, _, to_login) = consent_page(app, &app.client(), &params).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let to_login = to_login.unwrap();
    assert!(
        to_login.starts_with("/login?next=%2Foauth%2Fauthorize%3F"),
        "{to_login}"
    );

    let code = approved_code(app, &coach, &params).await;
    let exchanged = exchange(app, &client_id, &code, VERIFIER).await;
    assert_eq!(exchanged.body["token_type"], "Bearer");
    assert_eq!(exchanged.body["expires_in"], 3600);
    assert_eq!(
        exchanged.headers["cache-control"].to_str().unwrap(),
        "no-store"
    );
    let (access, refresh_token) = tokens(&exchanged);
    assert_eq!(mcp_status(app, &access).await, StatusCode::OK);

    // A tool in a browser page may call `/mcp` from its own origin: it reads only the bearer
    // token, answers the preflight, and lets the page read a 401's challenge.
    let from_a_page = tool()
        .post(app.url("/mcp"))
        .bearer_auth(&access)
        .header("Origin", "http://localhost:6274")
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(from_a_page.status(), StatusCode::OK);
    assert_eq!(from_a_page.headers()["access-control-allow-origin"], "*");
    let preflight = preflight(app, "/mcp", "authorization, content-type").await;
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let unauthorized = tool()
        .post(app.url("/mcp"))
        .header("Origin", "http://localhost:6274")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    let exposed = unauthorized.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("www-authenticate"), "{exposed}");

    // Settings lists it under the tool's name.
    let listed = app.ok(&coach, "mcp/connections/list", &[]).await;
    assert_eq!(listed["connections"][0]["kind"], "oauth");
    assert_eq!(listed["connections"][0]["name"], "Claude");

    // Refresh rotates: a new pair, and the old refresh token is spent.
    let (access2, refresh2) = tokens(&refresh(app, &client_id, &refresh_token).await);
    assert_ne!(refresh2, refresh_token);
    assert_eq!(mcp_status(app, &access2).await, StatusCode::OK);
    // Another client cannot use it, and does not spend it: its own client still can.
    let other_client = registered(app, "Other").await;
    let stolen = refresh(app, &other_client, &refresh2).await;
    assert_eq!(stolen.status, StatusCode::BAD_REQUEST);
    assert_eq!(stolen.body["error"], "invalid_grant");
    let (access3, refresh3) = tokens(&refresh(app, &client_id, &refresh2).await);
    // Only access tokens open `/mcp`: a refresh token or a code is no bearer token.
    assert_eq!(mcp_status(app, &refresh3).await, StatusCode::UNAUTHORIZED);
    // A spent one presented again ends the whole chain: every token of it stops.
    let reused = refresh(app, &client_id, &refresh_token).await;
    assert_eq!(reused.body["error"], "invalid_grant", "{}", reused.body);
    assert_eq!(mcp_status(app, &access2).await, StatusCode::UNAUTHORIZED);
    assert_eq!(mcp_status(app, &access3).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refresh(app, &client_id, &refresh3).await.body["error"],
        "invalid_grant"
    );
    let listed = app.ok(&coach, "mcp/connections/list", &[]).await;
    assert_eq!(listed["connections"], json!([]));

    // Connected again, then revoked by the tool itself (RFC 7009): the next call is refused.
    // Another client naming the token as its own changes nothing.
    let code = approved_code(app, &coach, &params).await;
    let (access, refresh_token) = tokens(&exchange(app, &client_id, &code, VERIFIER).await);
    let not_theirs = tool()
        .post(app.url("/oauth/revoke"))
        .form(&[("token", access.as_str()), ("client_id", &other_client)])
        .send()
        .await
        .unwrap();
    assert_eq!(not_theirs.status(), StatusCode::OK);
    assert_eq!(mcp_status(app, &access).await, StatusCode::OK);
    let revoked = Response::read(
        tool()
            .post(app.url("/oauth/revoke"))
            .form(&[("token", refresh_token.as_str()), ("client_id", &client_id)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(mcp_status(app, &access).await, StatusCode::UNAUTHORIZED);
    // A script may hand back its personal token the same way, whatever client_id it says.
    let personal = app
        .ok(&coach, "mcp/tokens/create", &[("name", "Script")])
        .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    tool()
        .post(app.url("/oauth/revoke"))
        .form(&[("token", personal.as_str()), ("client_id", "script")])
        .send()
        .await
        .unwrap();
    assert_eq!(mcp_status(app, &personal).await, StatusCode::UNAUTHORIZED);
    // An unknown token is no error (the answer tells nothing).
    let unknown = tool()
        .post(app.url("/oauth/revoke"))
        .form(&[("token", "no-such-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::OK);

    // Connected a third time, then disconnected in Settings: refused at once, refresh too.
    let code = approved_code(app, &coach, &params).await;
    let (access, refresh_token) = tokens(&exchange(app, &client_id, &code, VERIFIER).await);
    let listed = app.ok(&coach, "mcp/connections/list", &[]).await;
    let connection_id = listed["connections"][0]["id"].as_str().unwrap().to_owned();
    app.ok(
        &coach,
        "mcp/connections/revoke",
        &[("connection_id", &connection_id)],
    )
    .await;
    assert_eq!(mcp_status(app, &access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refresh(app, &client_id, &refresh_token).await.body["error"],
        "invalid_grant"
    );
}

async fn bad_grants_are_refused(app: &TestApp) {
    let coach = app.client();
    app.signup_coach(&coach, "Casey Coach", "casey@example.com")
        .await;
    let client_id = registered(app, "Claude").await;
    let params = authorize_params(app, &client_id);

    // A wrong PKCE verifier: refused, and the code is spent (the right verifier is too late).
    let code = approved_code(app, &coach, &params).await;
    let wrong_verifier = "x".repeat(64);
    let refused = exchange(app, &client_id, &code, &wrong_verifier).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.body["error"], "invalid_grant");
    assert_eq!(
        exchange(app, &client_id, &code, VERIFIER).await.body["error"],
        "invalid_grant"
    );

    // A redirect URI other than the request's, at the token endpoint.
    let code = approved_code(app, &coach, &params).await;
    let mismatched = token_request(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:33418/other"),
            ("client_id", &client_id),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(mismatched.body["error"], "invalid_grant");

    // Tokens for another resource: refused at the token endpoint, and sent back as an error by
    // the consent step.
    let code = approved_code(app, &coach, &params).await;
    let elsewhere = token_request(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &client_id),
            ("code_verifier", VERIFIER),
            ("resource", "https://other.example/mcp"),
        ],
    )
    .await;
    assert_eq!(elsewhere.body["error"], "invalid_target");
    let (status, _, location) = consent_page(
        app,
        &coach,
        &with(&params, "resource", "https://other.example/mcp"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(answer(&location.unwrap())["error"], "invalid_target");

    // A code of another client's; an expired code.
    let code = approved_code(app, &coach, &params).await;
    let other_client = registered(app, "Other").await;
    assert_eq!(
        exchange(app, &other_client, &code, VERIFIER).await.body["error"],
        "invalid_grant"
    );
    let code = approved_code(app, &coach, &params).await;
    sqlx::query("UPDATE oauth_codes SET expires_at = 0 WHERE hash = $1")
        .bind(app::server::digest_hex(&code))
        .execute(app.db.writer())
        .await
        .unwrap();
    assert_eq!(
        exchange(app, &client_id, &code, VERIFIER).await.body["error"],
        "invalid_grant"
    );

    // A code used twice: the second use revokes what the first made. A code is no bearer token.
    let code = approved_code(app, &coach, &params).await;
    assert_eq!(mcp_status(app, &code).await, StatusCode::UNAUTHORIZED);
    let (access, _) = tokens(&exchange(app, &client_id, &code, VERIFIER).await);
    assert_eq!(mcp_status(app, &access).await, StatusCode::OK);
    assert_eq!(
        exchange(app, &client_id, &code, VERIFIER).await.body["error"],
        "invalid_grant"
    );
    assert_eq!(mcp_status(app, &access).await, StatusCode::UNAUTHORIZED);

    // An expired access token.
    let code = approved_code(app, &coach, &params).await;
    let (access, _) = tokens(&exchange(app, &client_id, &code, VERIFIER).await);
    sqlx::query("UPDATE mcp_tokens SET expires_at = 1 WHERE hash = $1")
        .bind(app::server::digest_hex(&access))
        .execute(app.db.writer())
        .await
        .unwrap();
    assert_eq!(mcp_status(app, &access).await, StatusCode::UNAUTHORIZED);

    // Malformed token requests: a clear OAuth error each, never a 5xx.
    for (form, error) in [
        (vec![("grant_type", "password")], "invalid_request"),
        (
            vec![("grant_type", "password"), ("client_id", &client_id)],
            "unsupported_grant_type",
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("client_id", &client_id),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("client_id", &client_id),
                ("code", "x"),
                ("redirect_uri", REDIRECT),
                ("code_verifier", "short"),
            ],
            "invalid_request",
        ),
    ] {
        let refused = token_request(app, &form).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{form:?}");
        assert_eq!(refused.body["error"], error, "{form:?}");
    }
    let not_a_form = Response::read(
        tool()
            .post(app.url("/oauth/token"))
            .json(&json!({"grant_type": "refresh_token"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(not_a_form.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_a_form.body["error"], "invalid_request");
    // A tool's own endpoints take calls from any site (no cookie rides on them), and say so to
    // browsers (CORS).
    let from_a_page = tool()
        .post(app.url("/oauth/token"))
        .header("Origin", "http://localhost:6274")
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("refresh_token", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(from_a_page.status(), StatusCode::BAD_REQUEST);
    assert_eq!(from_a_page.headers()["access-control-allow-origin"], "*");
    let preflight = preflight(app, "/oauth/register", "content-type").await;
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");

    // Registration: a redirect URI that is not https (nor loopback) is refused, as is junk.
    for uris in [
        json!(["http://tool.example/callback"]),
        json!(["javascript:alert(1)"]),
        json!(["https://tool.example/cb#fragment"]),
        json!([]),
    ] {
        let refused = register(app, json!({"client_name": "X", "redirect_uris": uris})).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{uris}");
        assert_eq!(refused.body["error"], "invalid_redirect_uri", "{uris}");
    }
    let refused = register(
        app,
        json!({"redirect_uris": [REDIRECT], "grant_types": ["client_credentials"]}),
    )
    .await;
    assert_eq!(refused.body["error"], "invalid_client_metadata");
    let refused = register(app, json!("not an object")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let accepted = register(
        app,
        json!({"redirect_uris": ["https://claude.ai/api/mcp/auth_callback", "http://localhost:6274/cb"]}),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.body);
    assert_eq!(accepted.body["client_name"], "AI tool");
}

async fn only_a_coach_approves_and_bad_requests_stay_on_our_page(app: &TestApp) {
    let (coach, client, _) = app.coach_and_client().await;
    let client_id = registered(app, "Claude").await;
    let params = authorize_params(app, &client_id);

    // A client, and an operator, are refused, and nothing is sent to the tool.
    let (operator, _) = app.operator("ops@example.com").await;
    for (who, browser) in [("client", &client), ("operator", &operator)] {
        let (status, page, location) = consent_page(app, browser, &params).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {page}");
        assert!(location.is_none(), "{who}");
        assert!(page.contains("Only a coach"), "{who}: {page}");
        let (status, location, _) = decide(app, browser, &params, "approve").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        assert!(location.is_none(), "{who}");
    }
    // A signed-out approval is not taken either: the page says to start again from the tool.
    let (status, location, page) = decide(app, &app.client(), &params, "approve").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(location.is_none());
    assert!(page.contains("connect again"), "{page}");
    // Nor one posted from another site (the coach's cookie rides along, the Origin tells).
    let forged = coach
        .post(app.url("/oauth/authorize"))
        .header("Origin", "https://evil.example")
        .form(&with(&params, "decision", "approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(location_of(&forged).is_none());

    // Denied: the tool hears access_denied, with its state and our issuer.
    let (status, location, _) = decide(app, &coach, &params, "deny").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let denied = answer(&location.unwrap());
    assert_eq!(denied["error"], "access_denied");
    assert_eq!(denied["state"], "state-123");
    assert_eq!(denied["iss"], app.url("/"));
    assert!(!denied.contains_key("code"));

    // A redirect URI it did not register, or an unknown tool: our own page says so, and the
    // browser is sent nowhere (an open redirect otherwise).
    for bad in [
        with(&params, "redirect_uri", "https://attacker.example/cb"),
        with(&params, "redirect_uri", "http://127.0.0.1:33418/callback/"),
        with(
            &params,
            "client_id",
            "mcpc_00000000000000000000000000000000",
        ),
        with(&params, "client_id", ""),
        params
            .iter()
            .filter(|(name, _)| *name != "redirect_uri")
            .cloned()
            .collect(),
    ] {
        let (status, page, location) = consent_page(app, &coach, &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert!(location.is_none(), "{bad:?}");
        assert!(page.contains("oauth-error"), "{page}");
        let (status, location, _) = decide(app, &coach, &bad, "approve").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert!(location.is_none(), "{bad:?}");
    }
    // PKCE is required, and only S256; only code: each goes back to the tool.
    for (bad, error) in [
        (
            with(&params, "code_challenge_method", "plain"),
            "invalid_request",
        ),
        (with(&params, "code_challenge", "short"), "invalid_request"),
        (
            with(&params, "response_type", "token"),
            "unsupported_response_type",
        ),
    ] {
        let (status, _, location) = consent_page(app, &coach, &bad).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{bad:?}");
        assert_eq!(answer(&location.unwrap())["error"], error, "{bad:?}");
    }
    // Nothing was approved by any of it.
    let listed = app.ok(&coach, "mcp/connections/list", &[]).await;
    assert_eq!(listed["connections"], json!([]));

    // Scopes a tool adds of its own are no error: it gets workspace:read, no more.
    let greedy = with(
        &params,
        "scope",
        "workspace:read workspace:write offline_access",
    );
    let (status, page, _) = consent_page(app, &coach, &greedy).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let code = approved_code(app, &coach, &greedy).await;
    let granted = exchange(app, &client_id, &code, VERIFIER).await;
    assert_eq!(granted.body["scope"], "workspace:read");

    // With as many connections as Settings lists, the next approval is refused on our page,
    // saying where to make room, and the tool is sent nothing.
    for n in 1..100 {
        app.ok(
            &coach,
            "mcp/tokens/create",
            &[("name", &format!("Script {n}"))],
        )
        .await;
    }
    let (status, page, location) = consent_page(app, &coach, &params).await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(location.is_none());
    assert!(page.contains("Settings"), "{page}");
    let (status, location, _) = decide(app, &coach, &params, "approve").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(location.is_none());
}

/// A stand-in tool server publishing client metadata documents, good and bad.
async fn document_server() -> String {
    use axum::response::IntoResponse;
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let good_base = base.clone();
    let wrong_base = base.clone();
    let app = axum::Router::new()
        .route(
            "/client.json",
            get(move || async move {
                axum::Json(json!({
                    "client_id": format!("{good_base}/client.json"),
                    "client_name": "Doc Tool",
                    "redirect_uris": [REDIRECT],
                    "token_endpoint_auth_method": "none",
                }))
            }),
        )
        .route(
            "/wrong-id.json",
            get(move || async move {
                axum::Json(json!({
                    "client_id": format!("{wrong_base}/client.json"),
                    "redirect_uris": [REDIRECT],
                }))
            }),
        )
        .route(
            "/hangs.json",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                "{}"
            }),
        )
        .route(
            "/redirects.json",
            get(|| async {
                (
                    StatusCode::FOUND,
                    [("location", "http://10.0.0.1/client.json")],
                )
                    .into_response()
            }),
        )
        .route("/huge.json", get(|| async { " ".repeat(1024 * 1024) }))
        // No Content-Length: only reading it tells how big it is.
        .route(
            "/huge-stream.json",
            get(|| async {
                let chunks = (0..256).map(|_| Ok::<_, std::io::Error>(vec![b' '; 4096]));
                axum::body::Body::from_stream(futures_stream(chunks))
            }),
        );
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    base
}

async fn client_metadata_documents_are_fetched_behind_a_fence(backend: Backend) {
    let docs = document_server().await;
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.mcp_loopback_documents = Some("true".into());
    })
    .await
    else {
        return;
    };
    let coach = app.client();
    app.signup_coach(&coach, "Casey Coach", "casey@example.com")
        .await;

    // The tool names itself by its document's URL: no registration, and the page shows the
    // document's name; the whole flow works.
    let client_id = format!("{docs}/client.json");
    let params = authorize_params(&app, &client_id);
    let (status, page, _) = consent_page(&app, &coach, &params).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Doc Tool"), "{page}");
    let code = approved_code(&app, &coach, &params).await;
    let (access, _) = tokens(&exchange(&app, &client_id, &code, VERIFIER).await);
    assert_eq!(mcp_status(&app, &access).await, StatusCode::OK);

    // Each bad document is refused on our page, with why.
    for (path, says) in [
        ("/wrong-id.json", "names another client_id"),
        ("/hangs.json", "did not arrive in time"),
        ("/redirects.json", "redirects elsewhere"),
        ("/huge.json", "too large"),
        ("/huge-stream.json", "too large"),
        ("/missing.json", "answered 404"),
    ] {
        let params = authorize_params(&app, &format!("{docs}{path}"));
        let (status, page, location) = consent_page(&app, &coach, &params).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {page}");
        assert!(location.is_none(), "{path}");
        assert!(page.contains(says), "{path}: {page}");
    }
    // A redirect URI the document does not list.
    let (status, _, _) = consent_page(
        &app,
        &coach,
        &with(&params, "redirect_uri", "http://127.0.0.1:1/cb"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.stop().await;

    // Without the test setting, a document on this machine is never fetched: a tool could
    // otherwise make the server read its own network.
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let coach = app.client();
    app.signup_coach(&coach, "Casey Coach", "casey@example.com")
        .await;
    let (status, page, _) = consent_page(&app, &coach, &params).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("https URL"), "{page}");
    let https_local = authorize_params(&app, "https://127.0.0.1:9/client.json");
    let (status, page, _) = consent_page(&app, &coach, &https_local).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("not a public address"), "{page}");
    app.stop().await;
}

/// The Python MCP SDK from PyPI (`end2end/mcp-python`, in the venv `scripts/test` makes) does
/// the whole flow headless and calls every tool; the server's side of it is then checked here.
async fn the_python_sdk_connects_headless(backend: Backend) {
    let Some(python) = std::env::var_os("COACHROOM_TEST_MCP_PYTHON") else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true needs COACHROOM_TEST_MCP_PYTHON (scripts/test sets it)"
        );
        eprintln!("skipped: COACHROOM_TEST_MCP_PYTHON is not set (scripts/test sets it)");
        return;
    };
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (coach, client, client_id) = app.coach_and_client().await;
    app.checkin_ok(&client, &Submission::default().field("weight", "80"))
        .await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../end2end/mcp-python/oauth_flow.py"
    );
    let args = [
        app.url(""),
        "casey@example.com".to_owned(),
        PASSWORD.to_owned(),
        client_id.clone(),
    ];
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .args(args)
            .output()
    })
    .await
    .unwrap()
    .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the Python SDK failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(summary["profile_name"], "Riley Client", "{summary}");
    assert_eq!(summary["found"], json!([client_id]), "{summary}");
    assert!(summary["client_id"].as_str().unwrap().starts_with("mcpc_"));

    // One connection, under the name the tool registered, with every call counted.
    let listed = app.ok(&coach, "mcp/connections/list", &[]).await;
    let connections = listed["connections"].as_array().unwrap();
    assert_eq!(connections.len(), 1, "{listed}");
    assert_eq!(connections[0]["kind"], "oauth");
    assert_eq!(connections[0]["name"], "Python SDK test");
    assert!(
        connections[0]["call_count"].as_i64().unwrap() >= 22,
        "{listed}"
    );
    // The client sees each tool's read in their own log, by the connection.
    let entries = app.client_log_by(&client, "mcp").await;
    for tool in crate::mcp::TOOLS {
        assert!(
            entries
                .iter()
                .any(|e| e["action"] == "mcp_read" && e["detail"] == tool),
            "{tool} is not in the client's log: {entries:?}"
        );
    }
    app.stop().await;
}

/// An iterator as a body stream.
fn futures_stream<I: Iterator + Send + 'static>(
    items: I,
) -> impl futures_util::Stream<Item = I::Item> + Send + 'static {
    futures_util::stream::iter(items)
}

/// Registrations count against the address's own allowance (each is a row kept).
async fn registrations_are_counted_per_address(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.oauth_registrations_max_per_ip = Some("3".into());
    })
    .await
    else {
        return;
    };
    for _ in 0..3 {
        registered(&app, "Tool").await;
    }
    let refused = register(&app, json!({"redirect_uris": [REDIRECT]})).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert_eq!(refused.body["error"], "temporarily_unavailable");
    assert!(refused.headers.contains_key("retry-after"));
    app.stop().await;
}

/// A tool that stopped refreshing (its tokens ran out) does not hold a place among the coach's
/// connections: the sweep ends it, in the log, and leaves live connections and personal tokens.
async fn the_sweep_ends_connections_no_token_can_use(app: &TestApp) {
    let coach = app.client();
    app.signup_coach(&coach, "Casey Coach", "casey@example.com")
        .await;
    let client_id = registered(app, "Claude").await;
    let params = authorize_params(app, &client_id);
    let code = approved_code(app, &coach, &params).await;
    tokens(&exchange(app, &client_id, &code, VERIFIER).await);
    let listed = app.ok(&coach, "mcp/connections/list", &[]).await;
    let forgotten = listed["connections"][0]["id"].as_str().unwrap().to_owned();
    let code = approved_code(app, &coach, &params).await;
    let (live_access, _) = tokens(&exchange(app, &client_id, &code, VERIFIER).await);
    let script = app
        .ok(&coach, "mcp/tokens/create", &[("name", "Script")])
        .await;
    let personal = script["token"].as_str().unwrap().to_owned();

    // 30 days on, the first connection's tokens have all run out.
    sqlx::query("UPDATE mcp_tokens SET expires_at = 1 WHERE connection_id = $1")
        .bind(&forgotten)
        .execute(app.db.writer())
        .await
        .unwrap();
    app::server::store::oauth::sweep(&app.db).await.unwrap();

    let listed = app.ok(&coach, "mcp/connections/list", &[]).await;
    let ids: Vec<&str> = listed["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{listed}");
    assert!(!ids.contains(&forgotten.as_str()), "{listed}");
    assert_eq!(mcp_status(app, &live_access).await, StatusCode::OK);
    assert_eq!(mcp_status(app, &personal).await, StatusCode::OK);
    // The coach's log says it ended, and why.
    let log = app
        .ok(
            &coach,
            "access_log/list",
            &[("client_id", ""), ("actor", "mcp"), ("before", "0")],
        )
        .await;
    assert!(log.to_string().contains("not used for 30 days"), "{log}");
}
