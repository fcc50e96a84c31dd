//! `/healthz` and `/readyz` for load balancers and orchestrators. Unauthenticated and outside
//! every other layer (sessions, the anonymous lane), so a flood of strangers never makes a
//! healthy server look dead; each answer is bounded instead: `/healthz` does no work, and
//! `/readyz` probes the database and object storage at most once a second whatever the rate of
//! asking, in a task of its own so an asker hanging up can neither cancel nor restart it.
//! Neither says anything about content or about why a check failed (that is logged).

use super::db::Db;
use super::storage::Storage;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

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

impl Probe {
    /// No answer at all (the first probe did not finish in time).
    const DOWN: Probe = Probe {
        database: false,
        storage: false,
    };
}

/// What `/readyz` checks, and its last answer.
pub struct Readiness {
    db: Db,
    storage: Storage,
    /// The last probe's answer and when it finished.
    latest: watch::Sender<Option<(Instant, Probe)>>,
    /// Set while a probe runs: at most one at a time.
    probing: AtomicBool,
}

impl Readiness {
    pub fn new(db: Db, storage: Storage) -> Arc<Self> {
        Arc::new(Self {
            db,
            storage,
            latest: watch::Sender::new(None),
            probing: AtomicBool::new(false),
        })
    }

    /// The answer for one asker. The probe runs in a task of its own, so an asker who hangs up
    /// neither cancels it nor makes the next asker start another; while one runs, askers get
    /// the last answer, and only when there is none yet do they wait for it (bounded by the
    /// probe's own timeouts).
    async fn probe(self: &Arc<Self>) -> Probe {
        let last = *self.latest.borrow();
        if let Some((at, probe)) = last {
            if at.elapsed() < FRESH_FOR {
                return probe;
            }
        }
        let mut next = self.latest.subscribe();
        if !self.probing.swap(true, Ordering::AcqRel) {
            let this = Arc::clone(self);
            tokio::spawn(async move {
                let probe = this.run_probe().await;
                this.latest.send_replace(Some((Instant::now(), probe)));
                this.probing.store(false, Ordering::Release);
            });
        } else if let Some((_, probe)) = last {
            return probe;
        }
        let _ = tokio::time::timeout(PROBE_TIMEOUT * 2, next.changed()).await;
        let answered = *next.borrow();
        answered.map_or(Probe::DOWN, |(_, probe)| probe)
    }

    async fn run_probe(&self) -> Probe {
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
        Probe {
            database: answered("database", database),
            storage: answered("object storage", storage),
        }
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
