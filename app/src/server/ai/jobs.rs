//! The insights worker. Jobs live in the database (`ai_jobs`), so they survive a restart: a job
//! is leased while it runs, handed back on shutdown, and taken over by any server once a lease
//! runs out (a server that died). Transient failures are retried once by themselves; after
//! that the job shows the reason and waits for the coach's retry.

use super::insights::Generation;
use super::{Ai, AiFailure};
use crate::server::authz;
use crate::server::db::Db;
use crate::server::store::{self, ai::ClaimedJob};
use crate::AppError;
use std::time::Duration;
use tokio::sync::watch;

/// Attempts a job gets before it waits for the coach.
const AUTO_ATTEMPTS: u32 = 2;
/// Pause before the automatic retry.
const RETRY_DELAY_MS: i64 = 2_000;
const POLL: Duration = Duration::from_millis(500);

/// Runs queued jobs until `shutdown` turns true: `concurrency` workers, each taking the next
/// job in turn order (see `store::ai::claim_next`). The handle finishes when all have stopped.
pub fn spawn_workers(
    db: Db,
    ai: Ai,
    shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let workers: Vec<_> = (0..ai.settings().concurrency.max(1))
        .map(|_| spawn_worker(db.clone(), ai.clone(), shutdown.clone()))
        .collect();
    tokio::spawn(async move {
        for worker in workers {
            let _ = worker.await;
        }
    })
}

fn spawn_worker(
    db: Db,
    ai: Ai,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // A lease outlives one AI call; it is renewed after every step.
        let lease_ms =
            i64::try_from(ai.settings().timeout.as_millis()).unwrap_or(i64::MAX / 4) + 30_000;
        loop {
            if *shutdown.borrow() {
                return;
            }
            let claimed = match store::ai::claim_next(&db, lease_ms).await {
                Ok(claimed) => claimed,
                Err(err) => {
                    tracing::warn!(?err, "cannot poll the AI job queue");
                    None
                }
            };
            let Some(job) = claimed else {
                tokio::select! {
                    _ = tokio::time::sleep(POLL) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            };
            // Its own task, so a panic fails this job instead of stopping the worker.
            let mut running = tokio::spawn({
                let (db, ai, job) = (db.clone(), ai.clone(), job.clone());
                async move { run(&db, &ai, &job, lease_ms).await }
            });
            tokio::select! {
                finished = &mut running => {
                    if let Err(err) = finished {
                        tracing::error!(%err, session = %job.session_id, "AI job crashed");
                        let reason = "Something went wrong on our side. Please try again.";
                        let _ = store::ai::attempt_failed(&db, &job, reason, None).await;
                    }
                }
                _ = shutdown.changed() => {
                    running.abort();
                    if let Err(err) = store::ai::release(&db, &job).await {
                        tracing::warn!(?err, "AI job not released; its lease will run out");
                    }
                    return;
                }
            }
        }
    })
}

async fn run(db: &Db, ai: &Ai, job: &ClaimedJob, lease_ms: i64) {
    let outcome = generate(db, ai, job, lease_ms).await;
    let result = match outcome {
        Ok(()) => Ok(()),
        Err(JobError::Gone) => Ok(()),
        Err(JobError::Final(reason)) => store::ai::attempt_failed(db, job, &reason, None).await,
        Err(JobError::Retryable(reason)) => {
            let retry = (job.attempts < AUTO_ATTEMPTS).then_some(RETRY_DELAY_MS);
            store::ai::attempt_failed(db, job, &reason, retry).await
        }
    };
    if let Err(err) = result {
        tracing::error!(?err, session = %job.session_id, "AI job state not saved");
    }
}

enum JobError {
    /// The session was deleted meanwhile.
    Gone,
    /// Retrying cannot help (no transcript, AI turned off for the client).
    Final(String),
    Retryable(String),
}

impl From<AppError> for JobError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::NotFound => Self::Gone,
            AppError::Conflict(msg) | AppError::Invalid(msg) => Self::Final(msg),
            other => Self::Retryable(other.to_string()),
        }
    }
}

async fn generate(db: &Db, ai: &Ai, job: &ClaimedJob, lease_ms: i64) -> Result<(), JobError> {
    let (session, client) = authz::queued_session(db, &job.session_id, &job.coach_id).await?;
    let subject = authz::ai_subject(db, &client).await?;
    let detail = store::sessions::get(db, &session).await?;
    let transcript = detail
        .transcript
        .filter(|t| !t.turns.is_empty())
        .ok_or_else(|| JobError::Final("The session has no transcript.".into()))?;
    let mut generation = Generation::new(ai, db, &subject, &detail.summary.title, &transcript);
    let total = generation.steps_total();
    if !store::ai::progress(db, job, 0, total, lease_ms).await? {
        return Err(JobError::Gone);
    }
    for done in 1..=total {
        let step = generation.step().await.map_err(|failure| match failure {
            // Retrying cannot help until the day's calls free up; the coach retries then.
            AiFailure::OverBudget(_) => JobError::Final(failure.message()),
            other => JobError::Retryable(other.message()),
        })?;
        if let Some(insights) = step {
            store::ai::finish(db, job, &insights).await?;
            return Ok(());
        }
        if !store::ai::progress(db, job, done, total, lease_ms).await? {
            return Err(JobError::Gone);
        }
    }
    Err(JobError::Retryable(
        "The AI answer ended early. Try again.".into(),
    ))
}
