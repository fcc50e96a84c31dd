//! The lane for requests from nobody signed in. A flood of anonymous requests (bogus invitation
//! tokens, sign-ups, login guesses, page loads) is served a few at a time, in order, while
//! signed-in users go straight past it: the flood's cheap refusals would otherwise fill the
//! runtime's queue and every signed-in request would wait behind hundreds of them.
//!
//! - One address (an IPv6 /64) may start `rate_per_ip` anonymous requests a second (a token
//!   bucket holding two seconds' worth): a flood's cheap refusals would otherwise still take the
//!   CPU from everyone, signed in or not.
//! - At most `in_lane` anonymous requests are in the lane at once (reading their body, waiting or
//!   running), and at most `per_ip` of them from one address, so one source cannot take every
//!   place and lock everyone else out of the login page.
//! - A request's body (at most 64 KiB, see `http::limit_body`) is read in full, within
//!   [`BODY_TIMEOUT`], *before* it waits for a slot: a body sent a byte at a time would
//!   otherwise hold a slot while doing nothing. The two caps above bound the bodies held.
//! - Then at most `concurrency` run at once; the rest wait, parked (no CPU), first come first
//!   served, for at most [`MAX_WAIT`].
//! - A request over a rate or cap is answered 503 `busy` after [`TARPIT`], with
//!   `Connection: close`: a flood's connections then cost a parked task for a second each
//!   instead of a hot loop of instant refusals.
//!
//! Whether a request is signed in is read from its session. Session cookies are signed (see
//! `router`), so a made-up one is refused by an HMAC check without touching the database.

use super::admission::{AdmissionQueue, Waiting};
use super::http::{client_ip, error_response, UPLOAD_PATHS};
use super::session_store::USER_ID_KEY;
use crate::AppError;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CONNECTION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tower_sessions::Session;

/// The longest an anonymous request waits for its turn.
const MAX_WAIT: Duration = Duration::from_secs(3);
/// The longest an anonymous request's body may take to arrive.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request over a cap is held before its 503, on average. Each hold is drawn from
/// half to one and a half times this: a flood's connections, refused together, would otherwise
/// all come back at the same instant, and their bursts showed as latency for everyone.
const TARPIT: Duration = Duration::from_secs(1);
/// Requests held in the tarpit at once; past that they are refused at once.
const MAX_TARPITTED: usize = 4096;

/// How many anonymous requests run, and are in the lane, at once.
#[derive(Debug, Clone, Copy)]
pub struct AnonymousLimits {
    pub concurrency: usize,
    /// Reading their body, waiting or running.
    pub in_lane: usize,
    /// In the lane from one address.
    pub per_ip: usize,
    /// Requests one address may start each second (twice that in a burst).
    pub rate_per_ip: u32,
}

impl Default for AnonymousLimits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            concurrency: 2 * cores,
            in_lane: 1024,
            per_ip: 64,
            rate_per_ip: 20,
        }
    }
}

#[derive(Debug)]
pub struct AnonymousLane {
    limits: AnonymousLimits,
    trust_forwarded_for: bool,
    slots: AdmissionQueue,
    /// Requests in the lane, in all and per address.
    places: Mutex<(usize, HashMap<String, usize>)>,
    /// Each address's token bucket: (tokens, when last filled).
    rates: Mutex<HashMap<String, (f64, Instant)>>,
    tarpitted: AtomicUsize,
}

/// Addresses whose token buckets are kept; past this, the full ones are forgotten (a full
/// bucket is what a new address gets anyway), then all.
const MAX_TRACKED_ADDRESSES: usize = 100_000;

/// One request's place in the lane, given back when it is answered (or dropped).
struct Place {
    lane: Arc<AnonymousLane>,
    address: String,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut places = self
            .lane
            .places
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (total, per_address) = &mut *places;
        *total = total.saturating_sub(1);
        if let Some(count) = per_address.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                per_address.remove(&self.address);
            }
        }
    }
}

impl AnonymousLane {
    pub fn new(limits: AnonymousLimits, trust_forwarded_for: bool) -> Arc<Self> {
        Arc::new(Self {
            limits,
            trust_forwarded_for,
            // The lane's own cap bounds the waiters.
            slots: AdmissionQueue::new(limits.concurrency, limits.in_lane, MAX_WAIT),
            places: Mutex::new((0, HashMap::new())),
            rates: Mutex::new(HashMap::new()),
            tarpitted: AtomicUsize::new(0),
        })
    }

    /// Takes a token from the address's bucket: false when it has none left.
    fn take_token(&self, address: &str, now: Instant) -> bool {
        let rate = f64::from(self.limits.rate_per_ip);
        let burst = 2.0 * rate;
        let mut rates = self
            .rates
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if rates.len() >= MAX_TRACKED_ADDRESSES && !rates.contains_key(address) {
            rates.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
            if rates.len() >= MAX_TRACKED_ADDRESSES {
                rates.clear();
            }
        }
        let (tokens, at) = rates.entry(address.to_owned()).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn enter(self: &Arc<Self>, address: String) -> Option<Place> {
        let mut places = self
            .places
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (total, per_address) = &mut *places;
        let mine = per_address.get(&address).copied().unwrap_or(0);
        if *total >= self.limits.in_lane || mine >= self.limits.per_ip {
            return None;
        }
        *total += 1;
        per_address.insert(address.clone(), mine + 1);
        Some(Place {
            lane: self.clone(),
            address,
        })
    }

    /// The 503 for a request over a cap, after the tarpit (unless it is full).
    async fn refuse(&self, path: &str) -> Response {
        {
            // Counted out when dropped: a client that goes away mid-hold frees its place.
            let (_held, before) = Waiting::count(&self.tarpitted);
            if before < MAX_TARPITTED {
                use rand::Rng;
                let hold = TARPIT.mul_f64(rand::thread_rng().gen_range(0.5..1.5));
                tokio::time::sleep(hold).await;
            }
        }
        let mut response = busy(path);
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        response
    }
}

/// Built assets (served from their own directory, a miss is a plain 404) never wait.
fn is_static_asset(path: &str) -> bool {
    path.starts_with("/pkg/")
}

/// 503 `busy`: the documented JSON under `/api`, a short page for a browser elsewhere.
fn busy(path: &str) -> Response {
    if path.starts_with("/api/") {
        return error_response(&AppError::Busy);
    }
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Coachroom is \
         busy</title></head><body><h1>Coachroom is busy</h1><p>Too many people are opening this \
         page right now. Try again in a moment.</p></body></html>",
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// The middleware (inside the session layer).
pub async fn admit_anonymous(
    State(lane): State<Arc<AnonymousLane>>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    // Uploads are refused (401) unread by the upload gate when anonymous.
    let path = request.uri().path().to_owned();
    if is_static_asset(&path) || UPLOAD_PATHS.contains(&path.as_str()) {
        return next.run(request).await;
    }
    match session.get::<String>(USER_ID_KEY).await {
        Ok(Some(_)) => return next.run(request).await,
        Ok(None) => {}
        Err(err) => return error_response(&super::internal(err)),
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let ip = client_ip(request.headers(), peer, lane.trust_forwarded_for);
    let address = super::throttle::address_block(ip);
    if !lane.take_token(&address, Instant::now()) {
        return lane.refuse(&path).await;
    }
    let Some(_place) = lane.enter(address) else {
        return lane.refuse(&path).await;
    };
    let request = match read_body(request).await {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    let slot = match lane.slots.admit().await {
        Ok(slot) => slot,
        Err(AppError::Busy) => return busy(&path),
        Err(err) => return error_response(&err),
    };
    let response = next.run(request).await;
    if path.starts_with("/api/") {
        // Server fns answer with whole bodies: the work is done.
        return response;
    }
    // A page streams its body as it renders: the slot and place are held until it is sent.
    response.map(|body| {
        Body::new(body.map_frame(move |frame| {
            let _held = (&slot, &_place);
            frame
        }))
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_capped_in_all_and_per_address_and_come_back() {
        let lane = AnonymousLane::new(
            AnonymousLimits {
                concurrency: 1,
                in_lane: 3,
                per_ip: 2,
                rate_per_ip: 1,
            },
            false,
        );
        let a1 = lane.enter("a".into()).unwrap();
        let _a2 = lane.enter("a".into()).unwrap();
        assert!(lane.enter("a".into()).is_none(), "a third from one address");
        let _b1 = lane.enter("b".into()).unwrap();
        assert!(lane.enter("c".into()).is_none(), "over the lane's cap");
        drop(a1);
        assert!(lane.enter("c".into()).is_some(), "a place came back");
    }
}

#[cfg(test)]
mod rate_tests {
    use super::*;

    #[test]
    fn each_address_gets_a_burst_then_its_rate() {
        let lane = AnonymousLane::new(
            AnonymousLimits {
                concurrency: 1,
                in_lane: 10,
                per_ip: 10,
                rate_per_ip: 5,
            },
            false,
        );
        let start = Instant::now();
        let taken = (0..20).filter(|_| lane.take_token("a", start)).count();
        assert_eq!(taken, 10, "a burst of two seconds' worth");
        assert!(lane.take_token("b", start), "another address has its own");
        assert!(!lane.take_token("a", start + Duration::from_millis(100)));
        assert!(lane.take_token("a", start + Duration::from_millis(250)));
    }
}
