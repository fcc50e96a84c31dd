//! AI state: the per-client switch, session insights, the insights job queue and the call log.

use crate::domain::{
    AccessAction, ActionItemInput, ActorKind, AiCall, AiPurpose, Insights, InsightsJob, JobStatus,
    SessionInsights,
};
use crate::server::authz::{AiSubject, OwnedClient, OwnedSession, OwnedWorkspace};
use crate::server::crypto::{DataKey, Field};
use crate::server::db::{expect_one, Db};
use crate::server::store::{access_log, keys};
use crate::server::{internal, new_id, now_millis};
use crate::AppError;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::sync::Arc;

/// Whether the coach allows AI for this client.
pub async fn ai_enabled(db: &Db, client: &OwnedClient) -> Result<bool, AppError> {
    let (enabled,): (i64,) =
        sqlx::query_as("SELECT ai_enabled FROM clients WHERE id = $1 AND coach_id = $2")
            .bind(client.client_id())
            .bind(client.coach_id())
            .fetch_optional(db.reader())
            .await
            .map_err(internal)?
            .ok_or(AppError::NotFound)?;
    Ok(enabled == 1)
}

pub async fn set_ai_enabled(db: &Db, client: &OwnedClient, enabled: bool) -> Result<(), AppError> {
    let result = sqlx::query("UPDATE clients SET ai_enabled = $1 WHERE id = $2 AND coach_id = $3")
        .bind(i64::from(enabled))
        .bind(client.client_id())
        .bind(client.coach_id())
        .execute(db.writer())
        .await
        .map_err(internal)?;
    expect_one(result)
}

// ---- The call log ----

/// The length of a workspace's AI budget window.
const BUDGET_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// Reserves one AI call in the workspace's current 24-hour window and logs the access it is
/// about to make, together: false (nothing reserved, nothing logged) when `budget` calls were
/// already made in it. If the entry cannot be written, nothing is sent.
pub async fn reserve_call(
    db: &Db,
    subject: &AiSubject,
    budget: u32,
    purpose: AiPurpose,
    model: &str,
) -> Result<bool, AppError> {
    let coach_id = subject.coach_id();
    let now = now_millis();
    let mut tx = db.begin().await?;
    let (calls,): (i64,) = sqlx::query_as(
        "INSERT INTO ai_budget (coach_id, window_start, calls) VALUES ($1, $2, 1) \
         ON CONFLICT (coach_id) DO UPDATE SET \
         calls = CASE WHEN ai_budget.window_start <= $3 THEN 1 ELSE ai_budget.calls + 1 END, \
         window_start = CASE WHEN ai_budget.window_start <= $3 THEN $2 \
                        ELSE ai_budget.window_start END \
         RETURNING calls",
    )
    .bind(coach_id)
    .bind(now)
    .bind(now - BUDGET_WINDOW_MS)
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    if calls > i64::from(budget) {
        // Dropping the transaction rolls the count back.
        return Ok(false);
    }
    access_log::append(
        &mut tx,
        &access_log::Access {
            coach_id: Some(coach_id),
            client_id: Some(subject.client_id()),
            detail: Some(model),
            ..access_log::Access::new(ActorKind::Ai, None, AccessAction::of_ai(purpose))
        },
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(true)
}

/// Whether the workspace has calls left in its current window (a check, reserving nothing).
pub async fn has_budget(db: &Db, coach_id: &str, budget: u32) -> Result<bool, AppError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT calls FROM ai_budget WHERE coach_id = $1 AND window_start > $2")
            .bind(coach_id)
            .bind(now_millis() - BUDGET_WINDOW_MS)
            .fetch_optional(db.reader())
            .await
            .map_err(internal)?;
    Ok(row.is_none_or(|(calls,)| calls < i64::from(budget)))
}

/// Records one AI call: never its content.
pub async fn record_call(
    db: &Db,
    subject: &AiSubject,
    purpose: AiPurpose,
    model: &str,
    (prompt_tokens, completion_tokens): (u32, u32),
    error: Option<&str>,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO ai_calls (id, coach_id, client_id, purpose, model, prompt_tokens, \
         completion_tokens, error, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id())
    .bind(subject.coach_id())
    .bind(subject.client_id())
    .bind(purpose.as_str())
    .bind(model)
    .bind(i64::from(prompt_tokens))
    .bind(i64::from(completion_tokens))
    .bind(error)
    .bind(now_millis())
    .execute(db.writer())
    .await
    .map_err(internal)?;
    Ok(())
}

const CALL_COLUMNS: &str = "a.created_at, a.purpose, a.client_id, c.name AS client_name, \
     a.model, a.prompt_tokens, a.completion_tokens, a.error";

/// A count column (BIGINT in the store) as the u32 the views use.
fn count(row: &AnyRow, column: &str) -> Result<u32, AppError> {
    let n: i64 = row.try_get(column).map_err(internal)?;
    u32::try_from(n).map_err(internal)
}

fn call(row: &AnyRow) -> Result<AiCall, AppError> {
    let purpose: String = row.try_get("purpose").map_err(internal)?;
    Ok(AiCall {
        at: row.try_get("created_at").map_err(internal)?,
        purpose: AiPurpose::parse(&purpose).ok_or_else(|| internal(purpose))?,
        client_id: row.try_get("client_id").map_err(internal)?,
        client_name: row.try_get("client_name").map_err(internal)?,
        model: row.try_get("model").map_err(internal)?,
        prompt_tokens: count(row, "prompt_tokens")?,
        completion_tokens: count(row, "completion_tokens")?,
        error: row.try_get("error").map_err(internal)?,
    })
}

/// The newest AI calls made in this coach's workspace.
pub async fn calls_in_workspace(
    db: &Db,
    workspace: &OwnedWorkspace,
    limit: i64,
) -> Result<Vec<AiCall>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {CALL_COLUMNS} FROM ai_calls a JOIN clients c ON c.id = a.client_id \
         WHERE a.coach_id = $1 ORDER BY a.created_at DESC, a.id LIMIT $2"
    ))
    .bind(workspace.coach_id())
    .bind(limit)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    rows.iter().map(call).collect()
}

// ---- Insights ----

fn job(row: &AnyRow) -> Result<InsightsJob, AppError> {
    let status: String = row.try_get("status").map_err(internal)?;
    Ok(InsightsJob {
        status: JobStatus::parse(&status).ok_or_else(|| internal(status))?,
        steps_done: count(row, "steps_done")?,
        steps_total: count(row, "steps_total")?,
        attempts: count(row, "attempts")?,
        error: row.try_get("error").map_err(internal)?,
        updated_at: row.try_get("updated_at").map_err(internal)?,
    })
}

/// A session's AI insights (JSON), sealed with its client's key.
pub(crate) const INSIGHTS: Field = Field::new("coaching_sessions", "insights");

async fn session_key(db: &Db, session_id: &str, coach_id: &str) -> Result<Arc<DataKey>, AppError> {
    keys::for_item(db, "coaching_sessions", session_id, coach_id).await
}

fn seal_insights(key: &DataKey, session_id: &str, insights: &Insights) -> Result<String, AppError> {
    let json = serde_json::to_string(insights).map_err(internal)?;
    Ok(key.seal(INSIGHTS, session_id, &json))
}

/// The session's insights and the state of their job.
pub async fn insights(db: &Db, session: &OwnedSession) -> Result<SessionInsights, AppError> {
    let row = sqlx::query(
        "SELECT s.insights, s.insights_applied_at, j.status, j.steps_done, j.steps_total, \
         j.attempts, j.error, j.updated_at FROM coaching_sessions s \
         LEFT JOIN ai_jobs j ON j.session_id = s.id WHERE s.id = $1 AND s.coach_id = $2",
    )
    .bind(session.item_id())
    .bind(session.coach_id())
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?
    .ok_or(AppError::NotFound)?;
    let stored: Option<String> = row.try_get("insights").map_err(internal)?;
    let stored = match stored {
        Some(sealed) => {
            let key = session_key(db, session.item_id(), session.coach_id()).await?;
            // An erased client's insights are gone, not an error.
            (!key.is_erased())
                .then(|| key.open(INSIGHTS, session.item_id(), &sealed))
                .transpose()
                .map_err(internal)?
        }
        None => None,
    };
    let has_job = row
        .try_get::<Option<String>, _>("status")
        .map_err(internal)?;
    Ok(SessionInsights {
        job: has_job.map(|_| job(&row)).transpose()?,
        insights: stored
            .map(|json| serde_json::from_str(&json).map_err(internal))
            .transpose()?,
        applied_at: row.try_get("insights_applied_at").map_err(internal)?,
    })
}

/// Keeps the coach's edits to the insights.
pub async fn save_insights(
    db: &Db,
    session: &OwnedSession,
    insights: &Insights,
) -> Result<(), AppError> {
    let key = keys::writable(session_key(db, session.item_id(), session.coach_id()).await?)?;
    let result = sqlx::query(
        "UPDATE coaching_sessions SET insights = $1, updated_at = $2 \
         WHERE id = $3 AND coach_id = $4 AND insights IS NOT NULL",
    )
    .bind(seal_insights(&key, session.item_id(), insights)?)
    .bind(now_millis())
    .bind(session.item_id())
    .bind(session.coach_id())
    .execute(db.writer())
    .await
    .map_err(internal)?;
    expect_one(result).map_err(|_| AppError::invalid("Generate insights first."))
}

/// Applies the reviewed insights to the session, all or nothing: the summary becomes the
/// session's summary (not shared until the coach shares it) and the chosen suggestions become
/// action items (likewise unshared).
pub async fn apply_insights(
    db: &Db,
    session: &OwnedSession,
    insights: &Insights,
    actions: &[ActionItemInput],
) -> Result<(), AppError> {
    let now = now_millis();
    let key = keys::writable(session_key(db, session.item_id(), session.coach_id()).await?)?;
    let mut tx = db.begin().await?;
    let result = sqlx::query(
        "UPDATE coaching_sessions SET insights = $1, insights_applied_at = $2, summary = $3, \
         summary_shared = 0, updated_at = $2 WHERE id = $4 AND coach_id = $5 \
         AND insights IS NOT NULL",
    )
    .bind(seal_insights(&key, session.item_id(), insights)?)
    .bind(now)
    .bind(key.seal(
        super::sessions::SUMMARY,
        session.item_id(),
        &insights.summary,
    ))
    .bind(session.item_id())
    .bind(session.coach_id())
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    expect_one(result).map_err(|_| AppError::invalid("Generate insights first."))?;
    for action in actions {
        super::sessions::add_action_item(&mut *tx, &key, session, action, false).await?;
    }
    tx.commit().await.map_err(internal)
}

// ---- The insights job queue ----

/// A job a worker holds the lease on.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub session_id: String,
    pub coach_id: String,
    pub attempts: u32,
}

/// Queues (or re-queues, for a retry) insights for the session. A job already queued or
/// running is left alone.
pub async fn enqueue(db: &Db, session: &OwnedSession) -> Result<(), AppError> {
    let now = now_millis();
    let result = sqlx::query(
        "INSERT INTO ai_jobs (session_id, coach_id, status, created_at, updated_at) \
         VALUES ($1, $2, 'queued', $3, $3) \
         ON CONFLICT (session_id) DO UPDATE SET status = 'queued', steps_done = 0, \
         steps_total = 0, attempts = 0, error = NULL, lease_until = NULL, updated_at = $3 \
         WHERE ai_jobs.status IN ('done', 'failed')",
    )
    .bind(session.item_id())
    .bind(session.coach_id())
    .bind(now)
    .execute(db.writer())
    .await
    .map_err(internal)?;
    if result.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "Insights for this session are already being generated.".into(),
        ));
    }
    Ok(())
}

/// Takes the next job that is queued (and due) or whose worker's lease ran out: the oldest job
/// of the coach whose turn it is (the coach served longest ago), so coaches take turns. A
/// suspended coach's jobs wait (nothing of theirs goes to the AI server meanwhile). Safe
/// with several servers: the update only wins if the job is still claimable.
pub async fn claim_next(db: &Db, lease_ms: i64) -> Result<Option<ClaimedJob>, AppError> {
    let now = now_millis();
    let candidates: Vec<(String, String)> = sqlx::query_as(
        "SELECT j.session_id, j.coach_id FROM ai_jobs j \
         LEFT JOIN ai_coach_turns t ON t.coach_id = j.coach_id \
         JOIN users u ON u.id = j.coach_id WHERE \
         ((j.status = 'queued' AND (j.lease_until IS NULL OR j.lease_until <= $1)) \
         OR (j.status = 'running' AND j.lease_until <= $1)) \
         AND u.suspended_at IS NULL \
         ORDER BY COALESCE(t.last_claimed_at, 0), j.updated_at, j.session_id LIMIT 5",
    )
    .bind(now)
    .fetch_all(db.writer())
    .await
    .map_err(internal)?;
    for (session_id, coach_id) in candidates {
        let claimed = sqlx::query(
            "UPDATE ai_jobs SET status = 'running', attempts = attempts + 1, lease_until = $1, \
             error = NULL, updated_at = $2 WHERE session_id = $3 AND \
             ((status = 'queued' AND (lease_until IS NULL OR lease_until <= $2)) \
             OR (status = 'running' AND lease_until <= $2))",
        )
        .bind(now + lease_ms)
        .bind(now)
        .bind(&session_id)
        .execute(db.writer())
        .await
        .map_err(internal)?;
        if claimed.rows_affected() == 1 {
            sqlx::query(
                "INSERT INTO ai_coach_turns (coach_id, last_claimed_at) VALUES ($1, $2) \
                 ON CONFLICT (coach_id) DO UPDATE SET last_claimed_at = excluded.last_claimed_at",
            )
            .bind(&coach_id)
            .bind(now)
            .execute(db.writer())
            .await
            .map_err(internal)?;
            let (attempts,): (i64,) =
                sqlx::query_as("SELECT attempts FROM ai_jobs WHERE session_id = $1")
                    .bind(&session_id)
                    .fetch_one(db.writer())
                    .await
                    .map_err(internal)?;
            return Ok(Some(ClaimedJob {
                session_id,
                coach_id,
                attempts: u32::try_from(attempts).map_err(internal)?,
            }));
        }
    }
    Ok(None)
}

/// Records progress and renews the lease. False when the job is gone (its session was
/// deleted): the worker stops.
pub async fn progress(
    db: &Db,
    job: &ClaimedJob,
    steps_done: usize,
    steps_total: usize,
    lease_ms: i64,
) -> Result<bool, AppError> {
    let now = now_millis();
    let result = sqlx::query(
        "UPDATE ai_jobs SET steps_done = $1, steps_total = $2, lease_until = $3, updated_at = $4 \
         WHERE session_id = $5 AND status = 'running'",
    )
    .bind(steps_done as i64)
    .bind(steps_total as i64)
    .bind(now + lease_ms)
    .bind(now)
    .bind(&job.session_id)
    .execute(db.writer())
    .await
    .map_err(internal)?;
    Ok(result.rows_affected() == 1)
}

/// Stores the results and marks the job done, together.
pub async fn finish(db: &Db, job: &ClaimedJob, insights: &Insights) -> Result<(), AppError> {
    let now = now_millis();
    let key = keys::writable(session_key(db, &job.session_id, &job.coach_id).await?)?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE coaching_sessions SET insights = $1, updated_at = $2 \
         WHERE id = $3 AND coach_id = $4",
    )
    .bind(seal_insights(&key, &job.session_id, insights)?)
    .bind(now)
    .bind(&job.session_id)
    .bind(&job.coach_id)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    sqlx::query(
        "UPDATE ai_jobs SET status = 'done', steps_done = steps_total, lease_until = NULL, \
         error = NULL, updated_at = $1 WHERE session_id = $2",
    )
    .bind(now)
    .bind(&job.session_id)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)
}

/// An attempt failed: queue it again after `retry_in_ms`, or (when `None`) mark it failed for
/// the coach to retry. The reason is kept either way.
pub async fn attempt_failed(
    db: &Db,
    job: &ClaimedJob,
    reason: &str,
    retry_in_ms: Option<i64>,
) -> Result<(), AppError> {
    let now = now_millis();
    let (status, not_before) = match retry_in_ms {
        Some(delay) => (JobStatus::Queued, Some(now + delay)),
        None => (JobStatus::Failed, None),
    };
    sqlx::query(
        "UPDATE ai_jobs SET status = $1, error = $2, lease_until = $3, updated_at = $4 \
         WHERE session_id = $5 AND status = 'running'",
    )
    .bind(status.as_str())
    .bind(reason)
    .bind(not_before)
    .bind(now)
    .bind(&job.session_id)
    .execute(db.writer())
    .await
    .map_err(internal)?;
    Ok(())
}

/// Hands a job back to the queue (this server is shutting down mid-job).
pub async fn release(db: &Db, job: &ClaimedJob) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE ai_jobs SET status = 'queued', lease_until = NULL, attempts = attempts - 1, \
         updated_at = $1 \
         WHERE session_id = $2 AND status = 'running'",
    )
    .bind(now_millis())
    .bind(&job.session_id)
    .execute(db.writer())
    .await
    .map_err(internal)?;
    Ok(())
}

/// The coach's newest saved check-in replies to this one client: examples of the coach's voice
/// for a draft. Only the subject's own replies, so no other client's data reaches the prompt.
pub async fn voice_examples(
    db: &Db,
    subject: &AiSubject,
    limit: usize,
) -> Result<Vec<String>, AppError> {
    let key = keys::client(db, subject.client_id()).await?;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, reply FROM checkins WHERE coach_id = $1 AND client_id = $2 \
         AND reply IS NOT NULL AND reply <> '' ORDER BY replied_at DESC, id LIMIT $3",
    )
    .bind(subject.coach_id())
    .bind(subject.client_id())
    .bind(i64::try_from(limit).map_err(internal)?)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    rows.into_iter()
        .map(|(id, reply)| {
            key.open(super::checkins::REPLY, &id, &reply)
                .map_err(internal)
        })
        .collect()
}
