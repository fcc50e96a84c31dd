//! `/healthz` and `/readyz` for load balancers and orchestrators. Unauthenticated and outside
//! every other layer (sessions, the anonymous lane), so a flood of strangers never makes a
//! healthy server look dead; each answer is bounded instead: `/healthz` does no work, and
//! `/readyz` probes the database and object storage at most once a second whatever the rate of
//! asking. Neither says anything about content or about why a check failed (that is logged).

use super::db::Db;
use super::storage::Storage;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long one probe's answer is given to every asker.
const FRESH_FOR: Duration = Duration::from_secs(1);
/// How long each dependency has to answer before it counts as down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The outcome of one probe of each dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Probe {
    database: bool,
    storage: bool,
}

/// What `/readyz` checks, and its last answer.
pub struct Readiness {
    db: Db,
    storage: Storage,
    /// Held while probing, so concurrent askers wait for that probe instead of starting more.
    last: Mutex<Option<(Instant, Probe)>>,
}

impl Readiness {
    pub fn new(db: Db, storage: Storage) -> Arc<Self> {
        Arc::new(Self {
            db,
            storage,
            last: Mutex::new(None),
        })
    }

    async fn probe(&self) -> Probe {
        let mut last = self.last.lock().await;
        if let Some((at, probe)) = *last {
            if at.elapsed() < FRESH_FOR {
                return probe;
            }
        }
        let database = async {
            sqlx::query("SELECT 1")
                .execute(self.db.reader())
                .await
                .map(|_| ())
                .map_err(|err| err.to_string())
        };
        let storage = async { self.storage.check().await.map_err(|err| err.to_string()) };
        let (database, storage) = tokio::join!(
            tokio::time::timeout(PROBE_TIMEOUT, database),
            tokio::time::timeout(PROBE_TIMEOUT, storage),
        );
        let probe = Probe {
            database: answered("database", database),
            storage: answered("object storage", storage),
        };
        *last = Some((Instant::now(), probe));
        probe
    }
}

/// True when the dependency answered in time; the cause of a failure is logged, not shown.
fn answered(what: &str, outcome: Result<Result<(), String>, tokio::time::error::Elapsed>) -> bool {
    match outcome {
        Ok(Ok(())) => true,
        Ok(Err(err)) => {
            tracing::warn!(%err, "readiness: {what} did not answer");
            false
        }
        Err(_) => {
            tracing::warn!("readiness: {what} did not answer within {PROBE_TIMEOUT:?}");
            false
        }
    }
}

fn json_answer(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /healthz`: the process is up and answering.
pub async fn alive() -> Response {
    json_answer(StatusCode::OK, r#"{"status":"ok"}"#.into())
}

/// `GET /readyz`: 200 when the database and object storage both answer, else 503; each named
/// `ok` or `unavailable`.
pub async fn ready(readiness: Arc<Readiness>) -> Response {
    let probe = readiness.probe().await;
    let word = |up: bool| if up { "ok" } else { "unavailable" };
    let ready = probe.database && probe.storage;
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "unavailable" },
        "database": word(probe.database),
        "storage": word(probe.storage),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json_answer(status, body.to_string())
}
