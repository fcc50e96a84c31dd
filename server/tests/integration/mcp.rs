//! Connected AI tools over MCP, on both databases, through `/mcp` over HTTP as a real client
//! sends it (JSON-RPC, bearer token): a coach's personal access token lists the read-only tools
//! and calls each one; every read of a client's data is in that client's log with the
//! connection as the actor; revoking the token refuses its very next call; a client with AI off
//! does not exist; another coach's token finds nothing of the first coach's; tokens that are
//! expired, for another resource or made up get 401 with the hint to find the authorization
//! server; bad JSON-RPC gets a JSON-RPC error and an oversized body 413.

use crate::common;

use common::checkins::Submission;
use common::{Response, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    a_token_reads_the_workspace_and_every_read_is_logged,
    clients_with_ai_off_and_other_coaches_data_do_not_exist,
    bad_tokens_and_bad_requests_are_refused,
    a_read_that_cannot_be_logged_is_not_answered,
);

/// The tools a connected tool is offered: every one read-only.
pub(crate) const TOOLS: [&str; 10] = [
    "find_clients",
    "client_profile",
    "check_ins",
    "progress",
    "goals",
    "plans",
    "forms",
    "sessions",
    "notes_and_todos",
    "needs_attention",
];

/// POSTs one JSON-RPC message to `/mcp` with `token` (if any), as an MCP client does.
async fn post(app: &TestApp, token: Option<&str>, body: Vec<u8>) -> Response {
    let mut request = reqwest::Client::new()
        .post(app.url("/mcp"))
        .header("Accept", "application/json, text/event-stream")
        .header("Content-Type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    Response::read(request.send().await.expect("request")).await
}

/// A JSON-RPC request `method` with `params`.
async fn rpc(app: &TestApp, token: &str, method: &str, params: Value) -> Response {
    let message = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    post(app, Some(token), serde_json::to_vec(&message).unwrap()).await
}

/// Calls a tool and returns its structured result, or the JSON-RPC error / tool error as
/// `Err(message)`.
async fn call_tool(app: &TestApp, token: &str, tool: &str, args: Value) -> Result<Value, String> {
    let response = rpc(
        app,
        token,
        "tools/call",
        json!({"name": tool, "arguments": args}),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{tool}: {}", response.body);
    let body = &response.body;
    if let Some(error) = body.get("error") {
        return Err(error["message"].as_str().unwrap_or_default().to_owned());
    }
    let result = &body["result"];
    if result["isError"] == json!(true) {
        return Err(result["content"].to_string());
    }
    Ok(result["structuredContent"].clone())
}

async fn new_token(app: &TestApp, coach: &reqwest::Client, name: &str) -> (String, String) {
    let created = app.ok(coach, "mcp/tokens/create", &[("name", name)]).await;
    (
        created["token"].as_str().unwrap().to_owned(),
        created["connection"]["id"].as_str().unwrap().to_owned(),
    )
}

/// The client's own log entries made by connected tools: (action, detail).
async fn mcp_entries(app: &TestApp, client: &reqwest::Client) -> Vec<(String, String)> {
    app.client_log_by(client, "mcp")
        .await
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn a_token_reads_the_workspace_and_every_read_is_logged(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    app.checkin_ok(
        &client,
        &Submission::default()
            .field("weight", "80")
            .field("feedback", "Knee hurts."),
    )
    .await;
    app.ok(
        &coach,
        "notes/create",
        &[("client_id", &client_id), ("body", "Prefers mornings.")],
    )
    .await;
    let (token, connection_id) = new_token(app, &coach, "Report script").await;
    assert!(token.starts_with("coachroom_pat_"), "{token}");

    // The tools, all read-only.
    let listed = rpc(app, &token, "tools/list", json!({})).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let tools = listed.body["result"]["tools"].as_array().unwrap().clone();
    let mut names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    let mut expected = TOOLS.to_vec();
    expected.sort_unstable();
    assert_eq!(names, expected);
    for tool in &tools {
        assert_eq!(tool["annotations"]["readOnlyHint"], true, "{tool}");
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
    }

    // Every tool answers, and what it reads is the coach's.
    let found = call_tool(app, &token, "find_clients", json!({"query": "riley"}))
        .await
        .unwrap();
    assert_eq!(found["clients"][0]["id"], client_id.as_str(), "{found}");
    let by_client = json!({"client_id": client_id});
    let profile = call_tool(app, &token, "client_profile", by_client.clone())
        .await
        .unwrap();
    assert_eq!(profile["name"], "Riley Client");
    let checkins = call_tool(app, &token, "check_ins", by_client.clone())
        .await
        .unwrap();
    assert_eq!(checkins["total"], 1);
    assert_eq!(checkins["checkins"][0]["feedback"], "Knee hurts.");
    let progress = call_tool(
        app,
        &token,
        "progress",
        json!({"client_id": client_id, "metric": "weight"}),
    )
    .await
    .unwrap();
    assert_eq!(progress["series"]["points"][0]["value"], 80.0, "{progress}");
    for tool in ["goals", "plans", "forms", "sessions"] {
        call_tool(app, &token, tool, by_client.clone())
            .await
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
    }
    let notes = call_tool(app, &token, "notes_and_todos", by_client.clone())
        .await
        .unwrap();
    assert_eq!(notes["notes"][0]["body"], "Prefers mornings.");
    let attention = call_tool(app, &token, "needs_attention", json!({}))
        .await
        .unwrap();
    assert_eq!(
        attention["waiting_for_review"][0]["client_id"],
        client_id.as_str()
    );
    // A metric that is none is refused by name.
    let wrong = call_tool(
        app,
        &token,
        "progress",
        json!({"client_id": client_id, "metric": "shoe_size"}),
    )
    .await;
    assert!(wrong.unwrap_err().contains("metric"));

    // The client sees each read in their own log, by the connection, naming the tool.
    let entries = mcp_entries(app, &client).await;
    for tool in TOOLS {
        assert!(
            entries
                .iter()
                .any(|(action, detail)| action == "mcp_read" && detail == tool),
            "{tool} is not in the client's log: {entries:?}"
        );
    }

    // Settings shows the connection's use.
    let listed = app.ok(&coach, "mcp/connections/list", &[]).await;
    assert_eq!(listed["endpoint"], app.url("/mcp"));
    let connections = &listed["connections"];
    assert_eq!(connections[0]["id"], connection_id.as_str());
    assert_eq!(connections[0]["kind"], "token");
    assert!(connections[0]["call_count"].as_i64().unwrap() >= 11);
    assert!(connections[0]["last_used_at"].is_i64());

    // Revoked: the very next call is refused, and it is gone from the list.
    app.ok(
        &coach,
        "mcp/connections/revoke",
        &[("connection_id", &connection_id)],
    )
    .await;
    let refused = rpc(app, &token, "tools/list", json!({})).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let listed = app.ok(&coach, "mcp/connections/list", &[]).await;
    assert_eq!(listed["connections"], json!([]));
    // Revoking it again finds nothing (another coach's: the authorization matrix).
    app.call(
        &coach,
        "mcp/connections/revoke",
        &[("connection_id", &connection_id)],
    )
    .await
    .assert_refused(StatusCode::NOT_FOUND, "");
}

async fn clients_with_ai_off_and_other_coaches_data_do_not_exist(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    app.checkin_ok(&client, &Submission::default().field("weight", "80"))
        .await;
    let quiet = app
        .create_client(&coach, "Quinn Quiet", "quinn@example.com")
        .await;
    app.ok(
        &coach,
        "todos/create",
        &[
            ("client_id", &quiet),
            ("title", "QUIET-TODO"),
            ("due_date", "2020-01-01"),
        ],
    )
    .await;
    app.ok(
        &coach,
        "clients/ai/set",
        &[("client_id", &quiet), ("enabled", "false")],
    )
    .await;
    let (token, _) = new_token(app, &coach, "Claude").await;
    let other = app.client();
    app.signup_coach(&other, "Other Coach", "other@example.com")
        .await;
    let (other_token, _) = new_token(app, &other, "Other tool").await;

    // The client with AI off: not listed, and not found by id, like an id that does not exist.
    let found = call_tool(app, &token, "find_clients", json!({}))
        .await
        .unwrap();
    let ids: Vec<&str> = found["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![client_id.as_str()]);
    assert_eq!(found["total"], 1);
    let made_up = "0".repeat(32);
    let missing = call_tool(app, &token, "client_profile", json!({"client_id": made_up}))
        .await
        .unwrap_err();
    for tool in TOOLS {
        let args = match tool {
            "find_clients" | "needs_attention" => continue,
            "progress" => json!({"client_id": quiet, "metric": "weight"}),
            _ => json!({"client_id": quiet}),
        };
        let hidden = call_tool(app, &token, tool, args).await.unwrap_err();
        assert_eq!(hidden, missing, "{tool}");
    }
    // Nor do the lists show what is theirs.
    let attention = call_tool(app, &token, "needs_attention", json!({}))
        .await
        .unwrap();
    assert!(!attention.to_string().contains(&quiet), "{attention}");
    assert!(attention.to_string().contains(&client_id), "{attention}");
    let general = call_tool(app, &token, "notes_and_todos", json!({}))
        .await
        .unwrap();
    assert!(!general.to_string().contains("QUIET-TODO"), "{general}");
    let logged_before = mcp_entries(app, &client).await.len();

    // Another coach's token: every client tool finds nothing of this coach's, and the lists
    // are empty.
    for tool in TOOLS {
        let args = match tool {
            "progress" => json!({"client_id": client_id, "metric": "weight"}),
            "find_clients" | "needs_attention" => json!({}),
            _ => json!({"client_id": client_id}),
        };
        match call_tool(app, &other_token, tool, args).await {
            Err(message) => assert_eq!(message, missing, "{tool}"),
            Ok(result) => {
                let text = result.to_string();
                assert!(
                    !text.contains(&client_id) && !text.contains("Riley"),
                    "{tool} showed another coach's data: {text}"
                );
            }
        }
    }
    // Nothing of theirs was read: the other token's calls left nothing in the client's log.
    assert_eq!(mcp_entries(app, &client).await.len(), logged_before);
}

/// A tool call whose access-log entry cannot be written answers an error, and none of the
/// client's data.
async fn a_read_that_cannot_be_logged_is_not_answered(app: &TestApp) {
    let backend = if app.pg_url().is_some() {
        common::Backend::Postgres
    } else {
        common::Backend::Sqlite
    };
    let (coach, _client, client_id) = app.coach_and_client().await;
    let (token, _) = new_token(app, &coach, "Claude").await;
    let by_client = json!({"client_id": client_id});
    crate::support::refuse_entries(app, backend, "client:").await;
    let refused = call_tool(app, &token, "client_profile", by_client.clone()).await;
    assert!(
        !format!("{refused:?}").contains("Riley"),
        "answered without its entry: {refused:?}"
    );
    assert!(refused.is_err());
    crate::support::allow_entries(app, backend).await;
    let answered = call_tool(app, &token, "client_profile", by_client)
        .await
        .unwrap();
    assert_eq!(answered["name"], "Riley Client");
}

async fn bad_tokens_and_bad_requests_are_refused(app: &TestApp) {
    let coach = app.client();
    app.signup_coach(&coach, "Sam Scripter", "sam@example.com")
        .await;
    let (token, connection_id) = new_token(app, &coach, "Script").await;
    let list =
        serde_json::to_vec(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).unwrap();

    // No token: 401, with where to find the authorization server and the scope.
    let anonymous = post(app, None, list.clone()).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let challenge = anonymous.headers["www-authenticate"].to_str().unwrap();
    let metadata_url = app.url("/.well-known/oauth-protected-resource/mcp");
    assert!(
        challenge.starts_with(&format!("Bearer resource_metadata=\"{metadata_url}\"")),
        "{challenge}"
    );
    assert!(
        challenge.contains("scope=\"workspace:read\""),
        "{challenge}"
    );
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        let metadata: Value = reqwest::get(app.url(path))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(metadata["resource"], app.url("/mcp"), "{path}");
    }

    // A made-up token, a token for another resource, an expired access token.
    let made_up = post(app, Some("coachroom_pat_0123456789abcdef"), list.clone()).await;
    assert_eq!(made_up.status, StatusCode::UNAUTHORIZED);
    let made_up_challenge = made_up.headers["www-authenticate"].to_str().unwrap();
    assert!(made_up_challenge.contains("error=\"invalid_token\""));
    for (hash_of, resource, expires_at) in [
        ("elsewhere", "https://other.example/mcp".to_owned(), None),
        (
            "expired",
            app.url("/mcp"),
            Some(app::server::now_millis() - 1),
        ),
    ] {
        sqlx::query(
            "INSERT INTO mcp_tokens (hash, connection_id, kind, resource, created_at, expires_at) \
             VALUES ($1, $2, 'access', $3, 0, $4)",
        )
        .bind(app::server::digest_hex(hash_of))
        .bind(&connection_id)
        .bind(&resource)
        .bind(expires_at)
        .execute(app.db.writer())
        .await
        .unwrap();
        let refused = post(app, Some(hash_of), list.clone()).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{hash_of}");
    }
    // The good token still works, but only at this server's own name (DNS rebinding).
    assert_eq!(
        post(app, Some(&token), list.clone()).await.status,
        StatusCode::OK
    );
    let rebound = reqwest::Client::new()
        .post(app.url("/mcp"))
        .header("Host", "attacker.example")
        .header("Accept", "application/json, text/event-stream")
        .header("Content-Type", "application/json")
        .bearer_auth(&token)
        .body(list.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), StatusCode::FORBIDDEN);

    // Malformed JSON-RPC: a JSON-RPC error, never a 5xx.
    let garbled = post(
        app,
        Some(&token),
        b"{\"jsonrpc\": \"2.0\", \"id\": 1,".to_vec(),
    )
    .await;
    assert!(
        garbled.status.is_client_error(),
        "{} {}",
        garbled.status,
        garbled.body
    );
    let unknown = call_tool(app, &token, "delete_everything", json!({})).await;
    assert!(unknown.is_err(), "an unknown tool is an error");
    let bad_args = call_tool(app, &token, "client_profile", json!({"client": 1})).await;
    assert!(bad_args.is_err(), "arguments that do not fit are an error");

    // Oversized: 413.
    let huge = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "find_clients", "arguments": {"query": "x".repeat(200_000)}}});
    let too_large = post(app, Some(&token), serde_json::to_vec(&huge).unwrap()).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);

    // A client or an operator cannot make a token.
    let (_, client, _) = app.coach_and_client().await;
    app.call(&client, "mcp/tokens/create", &[("name", "x")])
        .await
        .assert_refused(StatusCode::FORBIDDEN, "");
}
