//! The lane for requests from nobody signed in. A flood of anonymous requests (bogus invitation
//! tokens, sign-ups, login guesses, page loads) is served a few at a time, in order, while
//! signed-in users go straight past it: the flood's cheap refusals would otherwise fill the
//! runtime's queue and every signed-in request would wait behind hundreds of them.
//!
//! At most `concurrency` anonymous requests run at once; up to `queue` more wait, parked (no
//! CPU), for at most a few seconds; past that the answer is 503 `busy` with `Retry-After`.
//! Whether a request is signed in is read from its session, so a made-up session cookie costs
//! one lookup by primary key and then takes the anonymous lane like any other.
//!
//! An anonymous request's body (at most 64 KiB, see `http::limit_body`) is read in full, within
//! [`BODY_TIMEOUT`], *before* it joins the lane: a body sent a byte at a time would otherwise
//! hold a place while doing nothing, and a few such would shut everyone out.

use super::admission::AdmissionQueue;
use super::http::{error_response, UPLOAD_PATHS};
use super::session_store::USER_ID_KEY;
use crate::AppError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::Duration;
use tower_sessions::Session;

/// The longest an anonymous request waits for its turn.
const MAX_WAIT: Duration = Duration::from_secs(3);
/// The longest an anonymous request's body may take to arrive.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// How many anonymous requests run and wait at once.
#[derive(Debug, Clone, Copy)]
pub struct AnonymousLimits {
    pub concurrency: usize,
    pub queue: usize,
}

impl Default for AnonymousLimits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            concurrency: 2 * cores,
            queue: 1024,
        }
    }
}

pub fn lane(limits: AnonymousLimits) -> Arc<AdmissionQueue> {
    Arc::new(AdmissionQueue::new(
        limits.concurrency,
        limits.queue,
        MAX_WAIT,
    ))
}

/// The request with its body read into memory (the body limit applies), or the refusal.
async fn read_body(request: Request) -> Result<Request, Response> {
    let (parts, body) = request.into_parts();
    let bytes =
        match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, usize::MAX)).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(err)) => {
                let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&err);
                let mut too_large = false;
                while let Some(this) = cause {
                    too_large |= this.is::<http_body_util::LengthLimitError>();
                    cause = this.source();
                }
                return Err(error_response(&if too_large {
                    AppError::TooLarge
                } else {
                    AppError::invalid("Malformed request.")
                }));
            }
            Err(_) => {
                return Err(error_response(&AppError::invalid(
                    "The request body took too long to arrive.",
                )))
            }
        };
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Built assets are plain files with long caching: they never wait.
fn is_static_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg"
}

/// The middleware (inside the session layer).
pub async fn admit_anonymous(
    State(lane): State<Arc<AdmissionQueue>>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    // Uploads are refused (401) unread by the upload gate when anonymous.
    let path = request.uri().path();
    if is_static_asset(path) || UPLOAD_PATHS.contains(&path) {
        return next.run(request).await;
    }
    match session.get::<String>(USER_ID_KEY).await {
        Ok(Some(_)) => return next.run(request).await,
        Ok(None) => {}
        Err(err) => return error_response(&super::internal(err)),
    }
    let request = match read_body(request).await {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    let slot = match lane.admit().await {
        Ok(slot) => slot,
        Err(err) => return error_response(&err),
    };
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if is_api {
        // Server fns answer with whole bodies: the work is done.
        return response;
    }
    // A page streams its body as it renders: the slot is held until the body is sent.
    response.map(|body| {
        Body::new(body.map_frame(move |frame| {
            let _held = &slot;
            frame
        }))
    })
}
