//! `/mcp`: external AI tools (ChatGPT, Claude, scripts) read one coach's workspace over the Model
//! Context Protocol, read-only.
//!
//! - Transport: Streamable HTTP from `rmcp`, stateless (no session kept between requests, so
//!   any app server behind a load balancer answers any call), JSON answers. Its Host check
//!   allows only `COACHROOM_BASE_URL`'s host.
//! - Authorization: every request carries a bearer token (a personal access token from Settings,
//!   or an OAuth access token) whose hash names a live connection of one coach, issued for this
//!   very endpoint (its resource, RFC 8707). Anything else gets 401 with
//!   `WWW-Authenticate: Bearer resource_metadata="…"` pointing at the protected-resource metadata
//!   (RFC 9728) served here too.
//! - What a tool reads goes through the same proofs as the coach's own server fns, as a coach
//!   principal marked with the call's [`McpVisit`]: the proofs refuse a client with AI turned
//!   off (for a connected tool they do not exist) and log every read of a client's data under
//!   that client, before it is used, with the connection as the actor.
//! - Tools get their tokens from the OAuth authorization server in [`oauth`], on a consent page
//!   the coach approves, or the coach creates a personal access token in Settings.
//! - `COACHROOM_MCP=off` removes all of it: the paths are then plain 404s.

mod client_documents;
pub mod oauth;
mod tools;

use super::state::AppState;
use super::store;
use super::store::mcp::TokenHolder;
use crate::AppError;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// The path of the MCP endpoint.
pub const MCP_PATH: &str = "/mcp";
/// The one scope there is: read the coach's workspace.
pub const SCOPE: &str = "workspace:read";
/// The largest JSON-RPC request `/mcp` takes: a tool call's arguments are a few ids.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Longest bearer token looked at: anything longer is no token of ours, and is not hashed.
const TOKEN_MAX_LEN: usize = 200;

/// The base URL without a trailing slash, which every URL here starts from.
pub fn base_url(state: &AppState) -> &str {
    state.settings.base_url.trim_end_matches('/')
}

/// The MCP endpoint's URL: what every token is issued for, and checked against.
pub fn resource_url(state: &AppState) -> String {
    format!("{}{MCP_PATH}", base_url(state))
}

/// Where the protected-resource metadata of `/mcp` is.
fn metadata_url(state: &AppState) -> String {
    format!(
        "{}/.well-known/oauth-protected-resource{MCP_PATH}",
        base_url(state)
    )
}

/// The routes, when MCP is on: `/mcp` behind its bearer check, and its metadata.
pub fn routes(state: &AppState) -> Router<AppState> {
    if !state.settings.mcp {
        return Router::new();
    }
    // The one name this server answers to: `host:port` when the URL names a port (a bare host
    // would match any port), else the host. A base URL without a host serves no MCP at all,
    // as an empty list would let rmcp allow every host.
    let Some(allowed_host) = url::Url::parse(&state.settings.base_url)
        .ok()
        .and_then(|url| {
            let host = url.host_str()?.to_owned();
            Some(match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
    else {
        tracing::error!(base_url = %state.settings.base_url, "no host in the base URL: /mcp is off");
        return Router::new();
    };
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_allowed_hosts([allowed_host])
        .with_max_request_body_bytes(MAX_REQUEST_BYTES);
    let tools_state = state.clone();
    let service = StreamableHttpService::new(
        move || Ok(tools::Tools::new(tools_state.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    Router::new()
        .route_service(MCP_PATH, service)
        .route_layer(from_fn_with_state(state.clone(), require_token))
        // Outside the token check, so a browser's preflight is answered, not refused.
        .layer(oauth::any_origin())
        .merge(
            Router::new()
                .route(
                    "/.well-known/oauth-protected-resource",
                    get(protected_resource_metadata),
                )
                .route(
                    "/.well-known/oauth-protected-resource/mcp",
                    get(protected_resource_metadata),
                )
                .layer(oauth::any_origin()),
        )
        .merge(oauth::routes())
}

/// Deletes spent codes, expired tokens and unused registrations every `every`, and ends OAuth
/// connections no token can use any more.
pub fn spawn_sweeper(db: super::db::Db, every: std::time::Duration) {
    super::periodic::run_every(every, move || {
        let db = db.clone();
        async move {
            match store::oauth::sweep(&db).await {
                Ok(0) => {}
                Ok(rows) => tracing::info!(rows, "swept OAuth codes, tokens and registrations"),
                Err(err) => tracing::warn!(%err, "OAuth sweep failed"),
            }
        }
    });
}

/// RFC 9728: what this resource is and who issues its tokens.
async fn protected_resource_metadata(State(state): State<AppState>) -> Response {
    let body = serde_json::json!({
        "resource": resource_url(&state),
        "authorization_servers": [oauth::issuer(&state)],
        "scopes_supported": [SCOPE],
        "bearer_methods_supported": ["header"],
        "resource_name": "Coachroom",
    });
    (
        [(CONTENT_TYPE, "application/json")],
        serde_json::to_string(&body).unwrap_or_default(),
    )
        .into_response()
}

/// The bearer token of a request, if it has one that could be ours.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    let plausible = scheme.eq_ignore_ascii_case("bearer")
        && !token.is_empty()
        && token.len() <= TOKEN_MAX_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    plausible.then_some(token)
}

/// 401 with the hint a client needs to find where to get a token (MCP authorization spec).
fn unauthorized(state: &AppState, had_token: bool) -> Response {
    let mut challenge = format!(
        "Bearer resource_metadata=\"{}\", scope=\"{SCOPE}\"",
        metadata_url(state)
    );
    if had_token {
        challenge.push_str(", error=\"invalid_token\"");
    }
    let body = serde_json::to_string(&AppError::Unauthenticated).unwrap_or_default();
    let mut response = (
        StatusCode::UNAUTHORIZED,
        [(CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    response
}

/// Lets a request through to `/mcp` only with a live token for this endpoint, and counts the
/// call for Settings. The holder goes into the request's extensions, where the tools find it.
async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(token) = bearer(request.headers()) else {
        let had_token = request
            .headers()
            .contains_key(axum::http::header::AUTHORIZATION);
        return unauthorized(&state, had_token);
    };
    let holder = match store::mcp::holder(&state.db, token, &resource_url(&state)).await {
        Ok(Some(holder)) => holder,
        Ok(None) => return unauthorized(&state, true),
        Err(e) => return super::http::error_response(&e),
    };
    // Only Settings' "last used" and call count: a failure is logged, not the call's.
    if let Err(e) = store::mcp::note_call(&state.db, &holder.connection_id).await {
        tracing::warn!(error = %e, "could not count an MCP call");
    }
    request.extensions_mut().insert(Arc::new(holder));
    next.run(request).await
}

/// One tool call by a connected tool: who, which tool, and what it has logged. The proofs ask
/// it (through the coach principal it marks) before any client's data is read.
#[derive(Debug)]
pub struct McpVisit {
    pub holder: Arc<TokenHolder>,
    /// The tool called, named in each entry's detail beside the connection's name.
    tool: &'static str,
    /// Objects this call has logged, and clients found visible (`client:<id>`).
    logged: Mutex<HashSet<String>>,
}

impl McpVisit {
    pub fn new(holder: Arc<TokenHolder>, tool: &'static str) -> Arc<Self> {
        Arc::new(Self {
            holder,
            tool,
            logged: Mutex::default(),
        })
    }

    fn logged(&self) -> Result<std::sync::MutexGuard<'_, HashSet<String>>, AppError> {
        self.logged
            .lock()
            .map_err(|_| super::internal("MCP visit lock poisoned"))
    }

    /// What an entry says of the call: the tool, by name (the connection is its actor and
    /// basis; its name is the coach's words, which a client's log does not show).
    fn detail(&self) -> &'static str {
        self.tool
    }

    /// Logs the call itself (`tool:<name>`, under no client) before anything is read: every
    /// call is in the coach's log, even one that reads no client's data.
    pub async fn log_call(&self, db: &super::db::Db) -> Result<(), AppError> {
        let object = store::access_log::Logged::Tool(self.tool).to_string();
        self.log_read(db, None, object).await
    }

    /// Refuses, as not found, a client with AI turned off (once per call).
    async fn require_visible(&self, db: &super::db::Db, client_id: &str) -> Result<(), AppError> {
        let key = format!("visible:{client_id}");
        if self.logged()?.contains(&key) {
            return Ok(());
        }
        if !store::mcp::ai_visible(db, &self.holder.coach_id, client_id).await? {
            return Err(AppError::NotFound);
        }
        self.logged()?.insert(key);
        Ok(())
    }

    /// Logs a read of `object` (of `client_id`'s data, if one) before it is used; a client
    /// with AI off is not found. The same read again in this call is logged already.
    pub async fn log_read(
        &self,
        db: &super::db::Db,
        client_id: Option<&str>,
        object: String,
    ) -> Result<(), AppError> {
        if let Some(client_id) = client_id {
            self.require_visible(db, client_id).await?;
        }
        if self.logged()?.contains(&object) {
            return Ok(());
        }
        store::mcp::record_reads(
            db,
            &self.holder,
            self.detail(),
            &[(client_id, object.clone())],
        )
        .await?;
        self.logged()?.insert(object);
        Ok(())
    }

    /// Logs a list that shows several clients' data under each of them, in one transaction;
    /// the list must already leave out clients with AI off (one of them here is an error).
    pub async fn log_list_read<'a>(
        &self,
        db: &super::db::Db,
        client_ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), AppError> {
        let object = store::access_log::Logged::Tool(self.tool).to_string();
        // Collected before any await: the caller's iterator is not held across one.
        let mut seen = HashSet::new();
        let shown: Vec<&str> = client_ids
            .into_iter()
            .filter(|id| seen.insert(*id))
            .collect();
        let mut reads = Vec::with_capacity(shown.len());
        for client_id in shown {
            self.require_visible(db, client_id).await?;
            reads.push((Some(client_id), object.clone()));
        }
        store::mcp::record_reads(db, &self.holder, self.detail(), &reads).await
    }
}
