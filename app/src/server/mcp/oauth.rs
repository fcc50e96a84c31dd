//! The OAuth 2.1 authorization server that ChatGPT's and Claude's connector screens (and any MCP
//! client) use to get a token for `/mcp`, following the MCP authorization spec:
//!
//! - metadata (RFC 8414) at `/.well-known/oauth-authorization-server`;
//! - registration by `POST /oauth/register` (RFC 7591), or by naming a client metadata document
//!   as the `client_id` ([`super::client_documents`]);
//! - `/oauth/authorize`: the consent page a signed-in coach approves (authorization code with
//!   PKCE S256 only, redirect URIs matched exactly, RFC 9207 `iss` in the answer);
//! - `POST /oauth/token`: codes and refresh tokens for tokens bound to `/mcp` (RFC 8707);
//! - `POST /oauth/revoke` (RFC 7009).
//!
//! Every client is public: PKCE stands in for a secret, and no endpoint but the consent page
//! reads the session (the others may be called cross-site; see `http::reject_cross_site`).

use super::client_documents;
use crate::domain::Role;
use crate::server::state::AppState;
use crate::server::store::mcp::{ACCESS_TOKEN_SECS, CONNECTIONS_MAX};
use crate::server::store::oauth::{self as store, CodeExchange, Consent, Refusal};
use crate::server::{principal, throttle};
use crate::AppError;
use axum::extract::rejection::{FormRejection, JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, PRAGMA, RETRY_AFTER,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use leptos::prelude::*;
use leptos_meta::HashedStylesheet;
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;
use tower_sessions::Session;

pub const AUTHORIZE_PATH: &str = "/oauth/authorize";
pub const TOKEN_PATH: &str = "/oauth/token";
pub const REGISTER_PATH: &str = "/oauth/register";
pub const REVOKE_PATH: &str = "/oauth/revoke";
/// Endpoints a tool calls from wherever it runs, with no cookie (`/mcp` reads only its bearer
/// token): no cross-site check applies.
pub const CROSS_SITE_PATHS: [&str; 4] = [TOKEN_PATH, REGISTER_PATH, REVOKE_PATH, super::MCP_PATH];
/// Redirect URIs a client may register.
pub const REDIRECT_URIS_MAX: usize = 10;
/// Longest parameter taken (a URL, a state, a challenge).
const PARAM_MAX: usize = 2048;
/// A tool's name, as the consent page and Settings show it.
const CLIENT_NAME_MAX: usize = 100;

/// The authorization server's routes. Those a tool calls answer any origin (CORS, without
/// credentials), so an MCP client running in a browser page can use them too; the consent page
/// is the coach's own, same-site.
pub fn routes() -> Router<AppState> {
    let for_tools = Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(authorization_server_metadata),
        )
        .route(REGISTER_PATH, post(register))
        .route(TOKEN_PATH, post(token))
        .route(REVOKE_PATH, post(revoke))
        .layer(any_origin());
    Router::new()
        .route(AUTHORIZE_PATH, get(authorize_page).post(authorize_decision))
        .merge(for_tools)
}

/// CORS for endpoints that read no cookie: any origin may call them, with no credentials, and
/// read the challenge of a 401.
pub fn any_origin() -> tower_http::cors::CorsLayer {
    use axum::http::{header, Method};
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::ACCEPT,
            axum::http::HeaderName::from_static("mcp-protocol-version"),
        ])
        .expose_headers([header::WWW_AUTHENTICATE])
}

/// This server's issuer identifier: the base URL with a trailing slash, `https://host/`, as
/// clients that parse URLs (the Python SDK) write it. The protected-resource metadata names it,
/// the metadata repeats it, and each authorization answer carries it (RFC 9207): clients
/// compare the three as strings.
pub fn issuer(state: &AppState) -> String {
    format!("{}/", super::base_url(state))
}

fn endpoint(state: &AppState, path: &str) -> String {
    format!("{}{path}", super::base_url(state))
}

/// RFC 8414.
async fn authorization_server_metadata(State(state): State<AppState>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "issuer": issuer(&state),
            "authorization_endpoint": endpoint(&state, AUTHORIZE_PATH),
            "token_endpoint": endpoint(&state, TOKEN_PATH),
            "registration_endpoint": endpoint(&state, REGISTER_PATH),
            "revocation_endpoint": endpoint(&state, REVOKE_PATH),
            "scopes_supported": [super::SCOPE],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "revocation_endpoint_auth_methods_supported": ["none"],
            "client_id_metadata_document_supported": true,
            "authorization_response_iss_parameter_supported": true,
            "service_documentation": endpoint(&state, "/api/openapi.json"),
        }),
    )
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (PRAGMA, HeaderValue::from_static("no-cache")),
        ],
        serde_json::to_string(body).unwrap_or_default(),
    )
        .into_response()
}

/// An OAuth error answer (RFC 6749 §5.2, RFC 7591 §3.2.2).
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        &json!({ "error": error, "error_description": description }),
    )
}

fn server_error(err: &AppError) -> Response {
    crate::server::http::error_response(err)
}

/// A redirect URI a tool may use: https, or http to this computer (a desktop app's listener,
/// RFC 8252 §7.3); no fragment or user name. Compared exactly as registered.
pub fn redirect_uri_allowed(raw: &str) -> bool {
    use url::Host;
    if raw.len() > PARAM_MAX {
        return false;
    }
    let Ok(url) = url::Url::parse(raw) else {
        return false;
    };
    if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    match (url.scheme(), url.host()) {
        ("https", Some(_)) => true,
        ("http", Some(Host::Ipv4(ip))) => ip.is_loopback(),
        ("http", Some(Host::Ipv6(ip))) => ip.is_loopback(),
        ("http", Some(Host::Domain(name))) => name.eq_ignore_ascii_case("localhost"),
        _ => false,
    }
}

/// A client's list of redirect URIs: 1 to [`REDIRECT_URIS_MAX`], each allowed.
pub fn redirect_uris_allowed(uris: &[String]) -> bool {
    (1..=REDIRECT_URIS_MAX).contains(&uris.len())
        && uris.iter().all(|uri| redirect_uri_allowed(uri))
}

/// Whether any of the parameters is longer than any we take.
fn any_too_long(params: &[&Option<String>]) -> bool {
    params
        .iter()
        .any(|value| value.as_ref().is_some_and(|v| v.len() > PARAM_MAX))
}

/// A tool's name as it gave it: one line of at most 100 characters, or "AI tool" when it gave
/// none; `None` when it is not a name.
pub fn client_name(raw: Option<&str>) -> Option<String> {
    let Some(raw) = raw.map(str::trim).filter(|name| !name.is_empty()) else {
        return Some("AI tool".into());
    };
    let fits = raw.chars().count() <= CLIENT_NAME_MAX && !raw.chars().any(char::is_control);
    fits.then(|| raw.to_owned())
}

#[derive(Deserialize)]
struct RegistrationRequest {
    redirect_uris: Option<Vec<String>>,
    client_name: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
}

/// RFC 7591 dynamic client registration. Any requested client authentication is answered with
/// `none` (RFC 7591 §3.2.1 lets the server substitute its own value): every client is public.
async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    request: Result<Json<RegistrationRequest>, JsonRejection>,
) -> Response {
    let invalid = |description: &str| {
        oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            description,
        )
    };
    let Ok(Json(request)) = request else {
        return invalid("the body must be a JSON client metadata object");
    };
    let redirect_uris = request.redirect_uris.unwrap_or_default();
    if !redirect_uris_allowed(&redirect_uris) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            "redirect_uris: 1 to 10, each https, or http to a loopback address, without a fragment",
        );
    }
    let grant_types_ok = request.grant_types.as_ref().is_none_or(|types| {
        types
            .iter()
            .all(|t| t == "authorization_code" || t == "refresh_token")
    });
    if !grant_types_ok {
        return invalid("grant_types: only authorization_code and refresh_token");
    }
    if !request
        .response_types
        .as_ref()
        .is_none_or(|types| types.iter().all(|t| t == "code"))
    {
        return invalid("response_types: only code");
    }
    let Some(name) = client_name(request.client_name.as_deref()) else {
        return invalid("client_name: one line of at most 100 characters");
    };
    let ip = crate::server::http::client_ip(
        &headers,
        peer.map(|Extension(ConnectInfo(addr))| addr),
        state.settings.trust_forwarded_for,
    );
    // Each registration is a row we keep: counted per address, whatever comes of it.
    match throttle::client_registration(&state, ip).await {
        Ok(attempt) => attempt.keep_counted(),
        Err(AppError::TooManyRequests { retry_after_secs }) => {
            let mut refused = oauth_error(
                StatusCode::TOO_MANY_REQUESTS,
                "temporarily_unavailable",
                "too many registrations from this address; try again later",
            );
            refused
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            return refused;
        }
        Err(err) => return server_error(&err),
    }
    let client_id = match store::register_client(&state.db, &name, &redirect_uris).await {
        Ok(id) => id,
        Err(err) => return server_error(&err),
    };
    json_response(
        StatusCode::CREATED,
        &json!({
            "client_id": client_id,
            "client_id_issued_at": crate::server::now_millis() / 1000,
            "client_name": name,
            "redirect_uris": redirect_uris,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "scope": super::SCOPE,
        }),
    )
}

/// The authorization request's parameters, from the query (the page) or the form (the
/// decision, which also carries `decision`).
#[derive(Debug, Default, Deserialize)]
struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    scope: Option<String>,
    resource: Option<String>,
    /// `approve` or `deny`, from the consent page's buttons.
    decision: Option<String>,
}

impl AuthorizeParams {
    /// The parameters the consent form sends back, as they came.
    fn hidden_fields(&self) -> Vec<(&'static str, String)> {
        [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("state", &self.state),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("scope", &self.scope),
            ("resource", &self.resource),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.clone().map(|value| (name, value)))
        .collect()
    }
}

/// The tool asking, however it identified itself.
struct Tool {
    id: String,
    name: String,
    redirect_uris: Vec<String>,
}

/// An authorization request found good: what the consent is for.
struct Checked {
    tool: Tool,
    redirect_uri: String,
    state: Option<String>,
    code_challenge: String,
    resource: String,
}

/// Why an authorization request cannot go on.
enum Invalid {
    /// The client or its redirect URI cannot be trusted: shown on our page, never sent to a
    /// redirect URI (RFC 6749 §4.1.2.1).
    Page(String),
    /// Something broke on our side (logged where it happened).
    Server(AppError),
    /// Anything else goes back to the tool at its (checked) redirect URI.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: &'static str,
    },
}

/// Checks an authorization request, the tool and its redirect URI first.
async fn check(state: &AppState, params: &AuthorizeParams) -> Result<Checked, Invalid> {
    let too_long = any_too_long(&[
        &params.client_id,
        &params.redirect_uri,
        &params.state,
        &params.code_challenge,
        &params.scope,
        &params.resource,
    ]);
    if too_long {
        return Err(Invalid::Page("The request is too long.".into()));
    }
    let Some(client_id) = params.client_id.as_deref().filter(|id| !id.is_empty()) else {
        return Err(Invalid::Page(
            "The tool did not say who it is (client_id).".into(),
        ));
    };
    let tool = if client_documents::is_document_url(client_id) {
        let document = client_documents::fetch(client_id, state.settings.mcp_loopback_documents)
            .await
            .map_err(|why| Invalid::Page(format!("This tool cannot connect: {why}.")))?;
        Tool {
            id: client_id.to_owned(),
            name: document.name,
            redirect_uris: document.redirect_uris,
        }
    } else {
        match store::registered_client(&state.db, client_id).await {
            Ok(Some(client)) => Tool {
                id: client.id,
                name: client.name,
                redirect_uris: client.redirect_uris,
            },
            Ok(None) => {
                return Err(Invalid::Page(
                    "This tool is not registered here. Remove it in the tool and add it again."
                        .into(),
                ))
            }
            Err(err) => return Err(Invalid::Server(err)),
        }
    };
    // Always named, and matched exactly: OAuth 2.1 lets a server require it, MCP clients send
    // it, and the token request repeats it.
    let redirect_uri =
        match params.redirect_uri.as_deref() {
            Some(asked) if tool.redirect_uris.iter().any(|uri| uri == asked) => asked.to_owned(),
            _ => return Err(Invalid::Page(
                "The tool asked to be answered at an address it did not register (redirect_uri)."
                    .into(),
            )),
        };
    let redirect = |error, description| Invalid::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: params.state.clone(),
        error,
        description,
    };
    if params.response_type.as_deref() != Some("code") {
        return Err(redirect(
            "unsupported_response_type",
            "response_type must be code",
        ));
    }
    if params.code_challenge_method.as_deref() != Some("S256") {
        return Err(redirect(
            "invalid_request",
            "code_challenge_method must be S256",
        ));
    }
    let code_challenge = params.code_challenge.clone().unwrap_or_default();
    let is_challenge = code_challenge.len() == 43
        && code_challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !is_challenge {
        return Err(redirect(
            "invalid_request",
            "code_challenge must be a base64url SHA-256 digest",
        ));
    }
    let resource = super::resource_url(state);
    if params
        .resource
        .as_deref()
        .is_some_and(|asked| asked != resource)
    {
        return Err(redirect(
            "invalid_target",
            "resource must be this server's MCP endpoint",
        ));
    }
    // Scopes are not checked: whatever a tool asks for (some add their own, `offline_access`,
    // `openid`), it gets `workspace:read` and nothing more, which RFC 6749 §3.3 allows.
    Ok(Checked {
        tool,
        redirect_uri,
        state: params.state.clone(),
        code_challenge,
        resource,
    })
}

/// `redirect_uri` with the answer's parameters added (RFC 6749 §4.1.2, RFC 9207).
fn answer_url(redirect_uri: &str, pairs: &[(&str, Option<&str>)]) -> String {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return redirect_uri.to_owned();
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
    }
    url.into()
}

fn invalid_response(state: &AppState, invalid: Invalid) -> Response {
    match invalid {
        Invalid::Server(err) => server_error(&err),
        Invalid::Page(message) => page(
            state,
            StatusCode::BAD_REQUEST,
            "This tool cannot connect",
            view! { <p data-testid=crate::testids::OAUTH_ERROR>{message}</p> }.into_any(),
        ),
        Invalid::Redirect {
            redirect_uri,
            state: request_state,
            error,
            description,
        } => crate::server::http::redirect(&answer_url(
            &redirect_uri,
            &[
                ("error", Some(error)),
                ("error_description", Some(description)),
                ("state", request_state.as_deref()),
                ("iss", Some(&issuer(state))),
            ],
        )),
    }
}

/// Who may approve: a signed-in coach, in their own workspace. `Err` is the answer for anyone
/// else: sign in first, or a refusal naming why.
async fn approving_coach(
    state: &AppState,
    session: &Session,
    return_to: Option<&str>,
) -> Result<String, Response> {
    let me = match principal::current_user(state, session).await {
        Ok(me) => me,
        Err(err) => return Err(server_error(&err)),
    };
    match me {
        None => match return_to {
            Some(return_to) => {
                let next: String =
                    url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect();
                Err(crate::server::http::redirect(&format!("/login?next={next}")))
            }
            // An approval whose session ended: the request is in the form, not in a URL that
            // could come back here after sign-in.
            None => Err(page(
                state,
                StatusCode::UNAUTHORIZED,
                "Sign in again",
                view! {
                    <p data-testid=crate::testids::OAUTH_ERROR>
                        "You were signed out before approving. Go back to the tool and connect again."
                    </p>
                }
                .into_any(),
            )),
        },
        Some(me) if me.role == Role::Coach => Ok(me.user_id),
        Some(_) => Err(page(
            state,
            StatusCode::FORBIDDEN,
            "Only a coach can connect a tool",
            view! {
                <p data-testid=crate::testids::OAUTH_ERROR>
                    "An AI tool connects to a coach's workspace, and only that coach can approve it. "
                    "You are signed in with an account that is not a coach's."
                </p>
            }
            .into_any(),
        )),
    }
}

/// Refuses, on our page, an approval that would make one connection too many: the coach mends
/// it in Settings, which a tool's error screen would not tell them.
async fn room_for_another(state: &AppState, coach_id: &str) -> Result<(), Response> {
    match crate::server::store::mcp::live_count(&state.db, coach_id).await {
        Ok(live) if live < CONNECTIONS_MAX => Ok(()),
        Ok(_) => Err(page(
            state,
            StatusCode::CONFLICT,
            "Too many connected tools",
            view! {
                <p data-testid=crate::testids::OAUTH_ERROR>
                    {format!("You have {CONNECTIONS_MAX} connected tools and tokens. ")}
                    "Disconnect one in Settings → Connected AI tools, then connect this tool again."
                </p>
            }
            .into_any(),
        )),
        Err(err) => Err(server_error(&err)),
    }
}

/// `GET /oauth/authorize`: the consent page.
async fn authorize_page(
    State(state): State<AppState>,
    session: Session,
    uri: axum::http::Uri,
    params: Result<Query<AuthorizeParams>, QueryRejection>,
) -> Response {
    let Ok(Query(params)) = params else {
        return invalid_response(&state, Invalid::Page("The request is malformed.".into()));
    };
    let return_to = uri
        .path_and_query()
        .map_or(AUTHORIZE_PATH.to_owned(), |pq| pq.as_str().to_owned());
    let coach_id = match approving_coach(&state, &session, Some(&return_to)).await {
        Ok(coach_id) => coach_id,
        Err(answer) => return answer,
    };
    let checked = match check(&state, &params).await {
        Ok(checked) => checked,
        Err(invalid) => return invalid_response(&state, invalid),
    };
    if let Err(answer) = room_for_another(&state, &coach_id).await {
        return answer;
    }
    let redirect_host = url::Url::parse(&checked.redirect_uri)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_default();
    let named_by_document = client_documents::is_document_url(&checked.tool.id);
    let fields = params.hidden_fields();
    let name = checked.tool.name.clone();
    page(
        &state,
        StatusCode::OK,
        "Connect an AI tool",
        view! {
            <p data-testid=crate::testids::OAUTH_CONSENT>
                <strong data-testid=crate::testids::OAUTH_TOOL_NAME>{name.clone()}</strong>
                " asks for "<strong>"read-only access to your workspace"</strong>"."
            </p>
            <p>
                "Your answer goes to "
                <strong data-testid=crate::testids::OAUTH_REDIRECT_HOST>{redirect_host}</strong>
                {if named_by_document {
                    ". The name comes from the tool's own published description; the address is where your approval is sent."
                } else {
                    ". The name is the tool's own words; the address is where your approval is sent."
                }}
                " Approve only if you just asked to connect this tool."
            </p>
            <ul>
                <li>"It can read your clients who have AI turned on: profiles, check-ins with photos, progress, goals, plans, forms, sessions, and your notes and to-dos."</li>
                <li>"It can change nothing. Clients with AI turned off do not exist for it."</li>
                <li>"Every read shows in your access log, and in the client's."</li>
                <li>"Disconnect it at any time in Settings → Connected AI tools."</li>
            </ul>
            <form method="post" action=AUTHORIZE_PATH class="actions">
                {fields
                    .into_iter()
                    .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
                    .collect_view()}
                <button type="submit" name="decision" value="approve" data-testid=crate::testids::OAUTH_APPROVE>
                    "Approve"
                </button>
                " "
                <button type="submit" name="decision" value="deny" class="secondary" data-testid=crate::testids::OAUTH_DENY>
                    "Deny"
                </button>
            </form>
        }
        .into_any(),
    )
}

/// `POST /oauth/authorize`: the coach's answer. The request is checked again in full: the form
/// is only what the page sent, and the page is only what the tool asked.
async fn authorize_decision(
    State(state): State<AppState>,
    session: Session,
    form: Result<Form<AuthorizeParams>, FormRejection>,
) -> Response {
    let Ok(Form(params)) = form else {
        return invalid_response(&state, Invalid::Page("The request is malformed.".into()));
    };
    let coach_id = match approving_coach(&state, &session, None).await {
        Ok(coach_id) => coach_id,
        Err(answer) => return answer,
    };
    let checked = match check(&state, &params).await {
        Ok(checked) => checked,
        Err(invalid) => return invalid_response(&state, invalid),
    };
    let issuer = issuer(&state);
    let approved = params.decision.as_deref() == Some("approve");
    if approved {
        if let Err(answer) = room_for_another(&state, &coach_id).await {
            return answer;
        }
    }
    if !approved {
        return crate::server::http::redirect(&answer_url(
            &checked.redirect_uri,
            &[
                ("error", Some("access_denied")),
                ("error_description", Some("the coach did not approve")),
                ("state", checked.state.as_deref()),
                ("iss", Some(&issuer)),
            ],
        ));
    }
    let consent = Consent {
        coach_id: &coach_id,
        client_id: &checked.tool.id,
        client_name: &checked.tool.name,
        redirect_uri: &checked.redirect_uri,
        code_challenge: &checked.code_challenge,
        resource: &checked.resource,
    };
    match store::create_code(&state.db, &consent).await {
        Ok(code) => crate::server::http::redirect(&answer_url(
            &checked.redirect_uri,
            &[
                ("code", Some(&code)),
                ("state", checked.state.as_deref()),
                ("iss", Some(&issuer)),
            ],
        )),
        Err(err) => server_error(&err),
    }
}

#[derive(Debug, Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    client_id: Option<String>,
    refresh_token: Option<String>,
    resource: Option<String>,
}

/// A PKCE code verifier: 43 to 128 unreserved characters (RFC 7636 §4.1).
fn is_code_verifier(raw: &str) -> bool {
    (43..=128).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `POST /oauth/token`.
async fn token(
    State(state): State<AppState>,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Response {
    let invalid_request =
        |description| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description);
    let Ok(Form(request)) = form else {
        return invalid_request("the body must be application/x-www-form-urlencoded");
    };
    let too_long = any_too_long(&[
        &request.code,
        &request.redirect_uri,
        &request.code_verifier,
        &request.client_id,
        &request.refresh_token,
        &request.resource,
    ]);
    if too_long {
        return invalid_request("a parameter is too long");
    }
    let Some(client_id) = request.client_id.as_deref() else {
        return invalid_request("client_id is required");
    };
    // Every grant is for `/mcp` (the consent checked it): another resource is not ours to give.
    let resource = super::resource_url(&state);
    if request
        .resource
        .as_deref()
        .is_some_and(|asked| asked != resource)
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_target",
            "resource must be this server's MCP endpoint",
        );
    }
    let outcome = match request.grant_type.as_deref() {
        Some("authorization_code") => {
            let (Some(code), Some(redirect_uri), Some(code_verifier)) = (
                request.code.as_deref(),
                request.redirect_uri.as_deref(),
                request.code_verifier.as_deref(),
            ) else {
                return invalid_request("code, redirect_uri and code_verifier are required");
            };
            if !is_code_verifier(code_verifier) {
                return invalid_request("code_verifier must be 43 to 128 unreserved characters");
            }
            let exchange = CodeExchange {
                code,
                client_id,
                redirect_uri,
                code_verifier,
            };
            store::exchange_code(&state.db, &exchange).await
        }
        Some("refresh_token") => {
            let Some(refresh_token) = request.refresh_token.as_deref() else {
                return invalid_request("refresh_token is required");
            };
            store::refresh(&state.db, refresh_token, client_id).await
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            )
        }
    };
    match outcome {
        Ok(Ok(tokens)) => json_response(
            StatusCode::OK,
            &json!({
                "access_token": tokens.access_token,
                "token_type": "Bearer",
                "expires_in": ACCESS_TOKEN_SECS,
                "refresh_token": tokens.refresh_token,
                "scope": super::SCOPE,
            }),
        ),
        Ok(Err(Refusal::InvalidGrant(why))) => {
            oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why)
        }
        // The connection limit is the coach's to mend, in Settings.
        Err(AppError::Conflict(message)) => {
            oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", &message)
        }
        Err(err) => server_error(&err),
    }
}

#[derive(Debug, Deserialize)]
struct RevokeRequest {
    token: Option<String>,
    client_id: Option<String>,
}

/// `POST /oauth/revoke` (RFC 7009): 200 whether or not the token was known.
async fn revoke(
    State(state): State<AppState>,
    form: Result<Form<RevokeRequest>, FormRejection>,
) -> Response {
    let Ok(Form(request)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    };
    let Some(token) = request
        .token
        .filter(|t| !t.is_empty() && t.len() <= PARAM_MAX)
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "token is required",
        );
    };
    match store::revoke_token(&state.db, &token, request.client_id.as_deref()).await {
        Ok(()) => json_response(StatusCode::OK, &json!({})),
        Err(err) => server_error(&err),
    }
}

/// A page of the authorization server's own: the app's stylesheet and nothing that runs.
fn page(state: &AppState, status: StatusCode, heading: &'static str, body: AnyView) -> Response {
    let options = state.leptos_options.clone();
    let document = view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <title>{format!("{heading} · Coachroom")}</title>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <HashedStylesheet options id="leptos" />
            </head>
            <body>
                <main class="oauth-page">
                    <section class="card">
                        <h1>{heading}</h1>
                        {body}
                    </section>
                </main>
            </body>
        </html>
    }
    .to_html();
    let mut response = (
        status,
        [(CONTENT_TYPE, "text/html; charset=utf-8")],
        document,
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Nothing on these pages runs; the form posts to this server, which then redirects.
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_or_loopback() {
        for good in [
            "https://claude.ai/api/mcp/auth_callback",
            "https://chatgpt.com/connector_platform_oauth_redirect",
            "http://127.0.0.1:33418/callback",
            "http://[::1]:8080/cb",
            "http://localhost:6274/oauth/callback",
        ] {
            assert!(redirect_uri_allowed(good), "{good}");
        }
        for bad in [
            "http://tool.example/callback",
            "http://127.0.0.1.tool.example/cb",
            "https://tool.example/cb#fragment",
            "https://user:pass@tool.example/cb",
            "javascript:alert(1)",
            "myapp://callback",
            "/relative",
            "",
        ] {
            assert!(!redirect_uri_allowed(bad), "{bad}");
        }
        assert!(!redirect_uri_allowed(&format!(
            "https://tool.example/{}",
            "a".repeat(PARAM_MAX)
        )));
    }

    #[test]
    fn client_names_are_one_short_line() {
        assert_eq!(client_name(None).as_deref(), Some("AI tool"));
        assert_eq!(client_name(Some("  ")).as_deref(), Some("AI tool"));
        assert_eq!(client_name(Some(" Claude ")).as_deref(), Some("Claude"));
        assert_eq!(client_name(Some("a\nb")), None);
        assert_eq!(client_name(Some(&"x".repeat(101))), None);
    }
}
