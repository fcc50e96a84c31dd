//! HTTP plumbing: error responses, cross-site refusal, server-side page guards, cache headers.

use super::principal::current_user;
use super::settings::Settings;
use super::state::AppState;
use crate::domain::Role;
use crate::AppError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONNECTION, CONTENT_TYPE, HOST, LOCATION, ORIGIN, RETRY_AFTER, SET_COOKIE,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tower_sessions::Session;

fn status_of(err: &AppError) -> StatusCode {
    StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Inside a server fn: make the HTTP status (and Retry-After) match the error being returned.
pub fn apply_error_to_response(err: &AppError) {
    // A form posted without the app goes back to its page with the error in the URL (Leptos'
    // 302, which the page's `ServerAction` reads and shows): an error status would replace the
    // redirect with a bare JSON body.
    if is_plain_form_post() {
        return;
    }
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status_of(err));
        if let Some(secs) = err.retry_after_secs() {
            response.insert_header(RETRY_AFTER, HeaderValue::from(secs));
        }
    }
}

/// Outside server fns (middleware, fallbacks): the same JSON body a server fn error has.
pub fn error_response(err: &AppError) -> Response {
    let body = serde_json::to_string(err).unwrap_or_default();
    let mut response = (status_of(err), [(CONTENT_TYPE, "application/json")], body).into_response();
    if let Some(secs) = err.retry_after_secs() {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// True when a browser tells us the request comes from another site. Requests without
/// `Sec-Fetch-Site` or `Origin` do not come from a browser page and carry no ambient authority
/// that another site could abuse, so they pass.
fn is_cross_site(headers: &HeaderMap, settings: &Settings) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return false;
    };
    let origin = origin.to_str().unwrap_or("null");
    if origin == settings.base_origin() {
        return false;
    }
    let origin_host = origin.split_once("://").map(|(_, host)| host);
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    origin_host.is_none() || origin_host != host
}

/// Refuses cross-site state-changing requests with 403 before they reach any handler.
pub async fn reject_cross_site(
    State(settings): State<Arc<Settings>>,
    request: Request,
    next: Next,
) -> Response {
    // The OAuth endpoints a tool calls carry no cookie a forged request could ride on.
    let cookieless = super::mcp::oauth::CROSS_SITE_PATHS.contains(&request.uri().path());
    if is_state_changing(request.method())
        && !cookieless
        && is_cross_site(request.headers(), &settings)
    {
        tracing::info!(path = %request.uri().path(), "refused cross-site request");
        return error_response(&AppError::CrossSite);
    }
    next.run(request).await
}

/// Who may open a page.
#[derive(Debug, PartialEq, Eq)]
enum PageAccess {
    Anyone,
    SignedIn,
    Only(Role),
}

fn page_access(path: &str) -> PageAccess {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    if under("/coach") {
        PageAccess::Only(Role::Coach)
    } else if under("/portal") {
        PageAccess::Only(Role::Client)
    } else if under("/account") {
        PageAccess::SignedIn
    } else if path == "/operator/login" || path.starts_with("/operator/setup/") {
        PageAccess::Anyone
    } else if under("/operator") {
        PageAccess::Only(Role::Admin)
    } else {
        PageAccess::Anyone
    }
}

/// Guards pages on the server: a page for coaches is never rendered for anyone else.
pub async fn guard_pages(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let access = page_access(request.uri().path());
    if access == PageAccess::Anyone {
        return next.run(request).await;
    }
    let user = match current_user(&state, &session).await {
        Ok(user) => user,
        Err(err) => return error_response(&err),
    };
    match user {
        Some(me) if access == PageAccess::SignedIn || access == PageAccess::Only(me.role) => {
            next.run(request).await
        }
        // An operator under a coach's open grant sees that coach's pages (read-only), each
        // page logged (its answer held until the entry commits).
        Some(me) if me.role == Role::Admin && access == PageAccess::Only(Role::Coach) => {
            let path = request.uri().path().to_owned();
            match super::support::admit_page(&state, &session, &me.user_id, &path).await {
                Ok(Some((visit, pending))) => {
                    request.extensions_mut().insert(visit);
                    pending.hold(next.run(request).await).await
                }
                Ok(None) => redirect(me.role.home_path()),
                Err(err) => error_response(&err),
            }
        }
        Some(me) => redirect(me.role.home_path()),
        // Operators sign in on their own page (it asks for a code).
        None if access == PageAccess::Only(Role::Admin) => redirect("/operator/login"),
        None => {
            let next_path = request.uri().path().to_owned();
            redirect(&format!("/login?next={}", percent_encode_path(&next_path)))
        }
    }
}

/// A 303 to `to`. Never stored: where a page sends someone depends on their session.
pub(crate) fn redirect(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(to) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn percent_encode_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A file name with a content hash, as cargo-leptos writes them: `coachroom.<hash>.wasm`.
pub fn has_content_hash(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3
        && parts[1..parts.len() - 1].iter().any(|part| {
            part.len() >= 8
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// Long-lived caching for hashed assets; nothing personal is ever cached.
pub async fn cache_headers(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    if response.headers().contains_key(CACHE_CONTROL) {
        return response;
    }
    let is_asset = path.starts_with("/pkg/") || path == "/favicon.svg" || path == "/favicon.ico";
    // An answer that sets a cookie is one person's: never for a shared cache.
    let sets_cookie = response.headers().contains_key(SET_COOKIE);
    let policy =
        if is_asset && !sets_cookie && response.status().is_success() && has_content_hash(&path) {
            "public, max-age=31536000, immutable"
        } else if is_asset {
            "no-cache"
        } else {
            "no-store"
        };
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(policy));
    response
}

/// The Content-Security-Policy of a page being rendered (called in the render's context):
/// scripts only from this site, plus Leptos' inline hydration and data scripts, which carry
/// this render's nonce; no inline script without it, no `unsafe-inline`. `wasm-unsafe-eval`
/// lets the app's WebAssembly compile. Photos come from this site's `/files/`, whatever the
/// storage (objects are sealed there).
pub fn set_content_security_policy() {
    let Some(nonce) = leptos::nonce::use_nonce() else {
        return;
    };
    let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// `Strict-Transport-Security` on every answer when the site is served over https, so browsers
/// never try it over plain http again.
pub async fn strict_transport_security(
    State(is_https): State<bool>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    if is_https {
        response.headers_mut().insert(
            axum::http::header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// The caller's IP: the socket peer, or the last `X-Forwarded-For` hop when behind a trusted proxy.
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trust_forwarded_for: bool,
) -> IpAddr {
    let forwarded = trust_forwarded_for
        .then(|| {
            headers
                .get("x-forwarded-for")?
                .to_str()
                .ok()?
                .rsplit(',')
                .next()?
                .trim()
                .parse()
                .ok()
        })
        .flatten();
    forwarded
        .or(peer.map(|p| p.ip()))
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// The IP of the request a server fn is handling.
pub async fn request_ip(settings: &Settings) -> IpAddr {
    let headers: HeaderMap = leptos_axum::extract().await.unwrap_or_default();
    let peer = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .ok()
        .map(|c| c.0);
    client_ip(&headers, peer, settings.trust_forwarded_for)
}

/// Unknown `/api/...` paths answer in JSON, not with the HTML app.
pub async fn api_not_found() -> Response {
    error_response(&AppError::NotFound)
}

/// The check-in upload (photos).
pub const CHECKIN_UPLOAD_PATH: &str = "/api/portal/checkins/submit";
/// The session transcript upload (a transcript file or session audio).
pub const TRANSCRIPT_UPLOAD_PATH: &str = "/api/sessions/transcript";
/// The workspace import (an FCDS package).
pub const IMPORT_UPLOAD_PATH: &str = "/api/coach/import";
/// Endpoints that take file uploads: their own body limit, and multipart only.
pub const UPLOAD_PATHS: &[&str] = &[
    CHECKIN_UPLOAD_PATH,
    TRANSCRIPT_UPLOAD_PATH,
    IMPORT_UPLOAD_PATH,
];

/// Request body limits in bytes.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub default: usize,
    pub checkin_upload: usize,
    pub transcript_upload: usize,
    pub import_upload: usize,
}

impl BodyLimits {
    fn for_path(&self, path: &str) -> usize {
        match path {
            CHECKIN_UPLOAD_PATH => self.checkin_upload,
            TRANSCRIPT_UPLOAD_PATH => self.transcript_upload,
            IMPORT_UPLOAD_PATH => self.import_upload,
            _ => self.default,
        }
    }
}

/// Bounds every request body (by Content-Length up front, and while streaming), with the larger
/// limit on upload endpoints. Uploads must be multipart with a boundary: the multipart decoder
/// has no good answer for anything else.
pub async fn limit_body(
    State(limits): State<BodyLimits>,
    request: Request,
    next: Next,
) -> Response {
    let is_upload = UPLOAD_PATHS.contains(&request.uri().path());
    let limit = limits.for_path(request.uri().path());
    if is_upload && request.method() == Method::POST {
        let multipart = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            // The same parse the multipart decoder does; it panics on what this refuses.
            .is_some_and(|ct| {
                ct.starts_with("multipart/form-data") && multer::parse_boundary(ct).is_ok()
            });
        if !multipart {
            return error_response(&AppError::invalid("Send this form as multipart/form-data."));
        }
    }
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return error_response(&AppError::TooLarge);
    }
    let (parts, body) = request.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

/// A request body that notes when it has been read to its end.
struct NoteEnd {
    inner: axum::body::Body,
    ended: Arc<AtomicBool>,
}

impl axum::body::HttpBody for NoteEnd {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, std::task::Poll::Ready(None)) || self.inner.is_end_stream() {
            self.ended.store(true, Ordering::SeqCst);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The error a bare status stands for, when something other than our code answered under `/api`
/// (axum's 405 for another method, a path extractor's 400, a body limit's 413).
fn error_for_status(status: StatusCode) -> AppError {
    match status.as_u16() {
        401 => AppError::Unauthenticated,
        403 => AppError::Forbidden,
        404 => AppError::NotFound,
        405 => AppError::MethodNotAllowed,
        413 => AppError::TooLarge,
        429 => AppError::TooManyRequests {
            retry_after_secs: 1,
        },
        500.. => AppError::Internal,
        _ => AppError::invalid("Malformed request."),
    }
}

/// Every error under `/api` is the documented JSON (`{"kind", "detail"}`), whoever produced it.
/// And an error answer to a request whose body was not read to its end says
/// `Connection: close` and closes: the unread rest would otherwise be taken for the next request.
pub async fn api_errors_as_json(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let has_body = !axum::body::HttpBody::is_end_stream(request.body());
    let ended = Arc::new(AtomicBool::new(!has_body));
    let (parts, body) = request.into_parts();
    let body = axum::body::Body::new(NoteEnd {
        inner: body,
        ended: ended.clone(),
    });
    let response = next.run(Request::from_parts(parts, body)).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    let mut response = if is_api && !is_json {
        error_response(&error_for_status(status))
    } else {
        response
    };
    if !ended.load(Ordering::SeqCst) {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// The colour scheme this browser chose (`Theme::COOKIE`), read from the request being rendered.
pub fn chosen_theme() -> Option<crate::domain::Theme> {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>()?;
    let header = parts
        .headers
        .get(axum::http::header::COOKIE)?
        .to_str()
        .ok()?;
    crate::domain::Theme::from_cookie_header(header)
}

/// Whether the request being answered is a form the browser posted itself, without the app:
/// JavaScript off, or the WASM not loaded yet (on a phone it takes seconds). Such a post asks
/// for HTML; the app's own calls ask for JSON.
fn is_plain_form_post() -> bool {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| {
            let accept = parts.headers.get(axum::http::header::ACCEPT)?;
            Some(accept.to_str().ok()?.contains("text/html"))
        })
        .unwrap_or(false)
}

/// Sends a form posted without the app to `path` once it has succeeded, where the app would
/// navigate. (Leptos otherwise sends it back to the page it came from, and a failure there with
/// its error, which the page's `ServerAction` shows.) The app's own calls are not redirected.
pub fn land_plain_form(path: &str) {
    if is_plain_form_post() {
        leptos_axum::redirect(path);
    }
}

/// The `next` path of the page a plain form was posted from (`/login?next=/coach/settings`).
pub fn referer_next() -> Option<String> {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>()?;
    let referer = parts
        .headers
        .get(axum::http::header::REFERER)?
        .to_str()
        .ok()?;
    let referer = url::Url::parse(referer).ok()?;
    referer
        .query_pairs()
        .find(|(name, _)| name == "next")
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::settings::{ThrottleLimits, DEFAULT_SESSION_MAX_AGE};

    fn settings() -> Settings {
        Settings {
            base_url: "https://coach.example.com".into(),
            data_dir: Default::default(),
            secure_cookies: true,
            trust_forwarded_for: false,
            throttle: ThrottleLimits::default(),
            session_max_age: DEFAULT_SESSION_MAX_AGE,
            session_idle: crate::server::settings::DEFAULT_SESSION_IDLE,
            uploads: Default::default(),
            anonymous: Default::default(),
            mail: None,
            storage: crate::server::storage::StorageSettings::Local {
                dir: Default::default(),
            },
            file_url_ttl: std::time::Duration::from_secs(300),
            photo_max_bytes: 10 * 1024 * 1024,
            ai: None,
            mcp: true,
            mcp_loopback_documents: false,
            bench_baseline: false,
            backup: crate::server::backup::BackupSettings {
                dir: Default::default(),
                s3: None,
                every: None,
                keep: 7,
            },
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn cross_site_detection() {
        let s = settings();
        assert!(!is_cross_site(&headers(&[]), &s));
        assert!(!is_cross_site(
            &headers(&[("sec-fetch-site", "same-origin")]),
            &s
        ));
        assert!(is_cross_site(
            &headers(&[("sec-fetch-site", "cross-site")]),
            &s
        ));
        assert!(is_cross_site(
            &headers(&[("sec-fetch-site", "same-site")]),
            &s
        ));
        assert!(!is_cross_site(
            &headers(&[("origin", "https://coach.example.com")]),
            &s
        ));
        assert!(!is_cross_site(
            &headers(&[
                ("origin", "http://127.0.0.1:4000"),
                ("host", "127.0.0.1:4000")
            ]),
            &s
        ));
        assert!(is_cross_site(
            &headers(&[
                ("origin", "https://evil.example"),
                ("host", "coach.example.com")
            ]),
            &s
        ));
        assert!(is_cross_site(&headers(&[("origin", "null")]), &s));
    }

    #[test]
    fn hashed_asset_names() {
        assert!(has_content_hash("/pkg/coachroom.Ab3dEf9_x-YZ.wasm"));
        assert!(!has_content_hash("/pkg/coachroom.wasm"));
        assert!(!has_content_hash("/favicon.svg"));
    }

    #[test]
    fn forwarded_for_only_when_trusted() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9, 10.0.0.2")]);
        let peer = Some(SocketAddr::from(([127, 0, 0, 1], 9)));
        assert_eq!(client_ip(&h, peer, false), IpAddr::from([127, 0, 0, 1]));
        assert_eq!(client_ip(&h, peer, true), IpAddr::from([10, 0, 0, 2]));
    }

    #[test]
    fn pages_are_guarded_by_role() {
        assert_eq!(page_access("/coach"), PageAccess::Only(Role::Coach));
        assert_eq!(
            page_access("/coach/clients/x"),
            PageAccess::Only(Role::Coach)
        );
        assert_eq!(page_access("/portal"), PageAccess::Only(Role::Client));
        assert_eq!(page_access("/account"), PageAccess::SignedIn);
        assert_eq!(page_access("/coaching-tips"), PageAccess::Anyone);
        assert_eq!(page_access("/login"), PageAccess::Anyone);
        assert_eq!(page_access("/invite/abc"), PageAccess::Anyone);
        assert_eq!(page_access("/operator"), PageAccess::Only(Role::Admin));
        assert_eq!(page_access("/operator/x"), PageAccess::Only(Role::Admin));
        assert_eq!(page_access("/operator/login"), PageAccess::Anyone);
        assert_eq!(page_access("/operator/setup/abc"), PageAccess::Anyone);
        assert_eq!(page_access("/operators"), PageAccess::Anyone);
    }
}
