//! Goals. Reads take a client proof held by the coach or the client; the coach's writes take
//! `OwnedClient`/`OwnedGoal`, the client's habit log takes `MyGoal`.

use crate::domain::{
    habit_progress, measurement_progress, Goal, GoalInput, GoalStatus, GoalTarget, Metric,
};
use crate::server::authz::{ClientScope, MyGoal, OwnedClient, OwnedGoal};
use crate::server::crypto::Field;
use crate::server::db::{expect_one, Db};
use crate::server::store::{checkins, keys};
use crate::server::{internal, new_id, now_millis, time_zones};
use crate::AppError;
use sqlx::Row;

/// A goal's title, sealed with its client's key.
pub(crate) const TITLE: Field = Field::new("goals", "title");
/// A measurement goal's numbers (its target and where the client started), sealed as JSON: they
/// are the client's measurements as much as a check-in's values are.
pub(crate) const VALUES: Field = Field::new("goals", "sealed_values");

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct GoalValues {
    pub target: Option<f64>,
    pub start: Option<f64>,
}

/// The client's latest (or, with `earliest_after`, first since then) check-in value of `metric`.
async fn checkin_value(
    db: &Db,
    client_id: &str,
    metric: Metric,
    earliest_after: Option<i64>,
) -> Result<Option<f64>, AppError> {
    Ok(checkins::value_of(db, client_id, metric, earliest_after)
        .await?
        .map(|point| point.value))
}

/// Creates a goal; a measurement goal starts from the client's latest value of its metric.
pub async fn create(db: &Db, client: &OwnedClient, input: &GoalInput) -> Result<String, AppError> {
    let id = new_id();
    let now = now_millis();
    let (kind, metric, target, target_date, per_week, start) = match &input.target {
        GoalTarget::Measurement {
            metric,
            target,
            target_date,
        } => (
            "measurement",
            Some(metric.key()),
            Some(*target),
            target_date.clone(),
            None,
            checkin_value(db, client.client_id(), *metric, None).await?,
        ),
        GoalTarget::Habit { per_week } => {
            ("habit", None, None, None, Some(i64::from(*per_week)), None)
        }
    };
    let key = keys::writable(keys::client(db, client.client_id()).await?)?;
    sqlx::query(
        "INSERT INTO goals (id, coach_id, client_id, title, kind, metric, target_date, per_week, \
         created_at, updated_at, sealed_values) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&id)
    .bind(client.coach_id())
    .bind(client.client_id())
    .bind(key.seal(TITLE, &id, &input.title))
    .bind(kind)
    .bind(metric)
    .bind(target_date)
    .bind(per_week)
    .bind(now)
    .bind(now)
    .bind(key.seal_json(VALUES, &id, &GoalValues { target, start }))
    .execute(db.writer())
    .await
    .map_err(internal)?;
    Ok(id)
}

const GOAL_COLUMNS: &str =
    "id, client_id, title, kind, metric, target_date, per_week, sealed_values, status, created_at";

/// Every goal of the client: active first, then by when they were set.
pub async fn list(db: &Db, scope: &impl ClientScope) -> Result<Vec<Goal>, AppError> {
    let units = checkins::units(db, scope).await?;
    let sql = format!(
        "SELECT {GOAL_COLUMNS} FROM goals WHERE client_id = $1 AND coach_id = $2 \
         ORDER BY CASE status WHEN 'active' THEN 0 ELSE 1 END, created_at, id LIMIT {}",
        super::LIST_CAP
    );
    let rows = sqlx::query(&sql)
        .bind(scope.client_id())
        .bind(scope.coach_id())
        .fetch_all(db.reader())
        .await
        .map_err(internal)?;
    let key = keys::client(db, scope.client_id()).await?;
    if key.is_erased() {
        // A goal without its (sealed) title and numbers says nothing: an erased client's goals
        // are gone, like their photos.
        return Ok(Vec::new());
    }
    // Habit weeks are the client's own, Monday to Sunday on their wall clock.
    let zone = super::clients::zone_of(db, scope.client_id()).await?;
    let this_week = time_zones::week_start(&zone, now_millis());
    let mut goals = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = row.try_get("id").map_err(internal)?;
        let client_id: String = row.try_get("client_id").map_err(internal)?;
        let kind: String = row.try_get("kind").map_err(internal)?;
        let status: String = row.try_get("status").map_err(internal)?;
        let sealed: Option<String> = row.try_get("sealed_values").map_err(internal)?;
        let values: GoalValues = match sealed {
            Some(sealed) => key.open_json(VALUES, &id, &sealed).map_err(internal)?,
            None => return Err(internal(format!("goal {id} is not sealed yet"))),
        };
        let (target, start_value, current_value, progress_percent) = if kind == "habit" {
            let per_week: i64 = row
                .try_get::<Option<i64>, _>("per_week")
                .map_err(internal)?
                .ok_or_else(|| internal(format!("habit goal {id} without per_week")))?;
            let per_week = u32::try_from(per_week).map_err(internal)?;
            let done: Option<(i64,)> = sqlx::query_as(
                "SELECT times_done FROM goal_habit_weeks WHERE goal_id = $1 AND week_start = $2",
            )
            .bind(&id)
            .bind(&this_week)
            .fetch_optional(db.reader())
            .await
            .map_err(internal)?;
            let done = done.map_or(0, |(n,)| u32::try_from(n).unwrap_or(0));
            (
                GoalTarget::Habit { per_week },
                None,
                Some(f64::from(done)),
                Some(habit_progress(done, per_week)),
            )
        } else {
            let metric_key: Option<String> = row.try_get("metric").map_err(internal)?;
            let metric = metric_key
                .as_deref()
                .and_then(Metric::from_key)
                .ok_or_else(|| internal(format!("measurement goal {id} without a metric")))?;
            let target: f64 = values
                .target
                .ok_or_else(|| internal(format!("measurement goal {id} without a target")))?;
            let created_at: i64 = row.try_get("created_at").map_err(internal)?;
            let stored_start = values.start;
            // Set before any check-in had this metric: the first one after counts as the start.
            let start = match stored_start {
                Some(v) => Some(v),
                None => checkin_value(db, &client_id, metric, Some(created_at)).await?,
            };
            let current = checkin_value(db, &client_id, metric, None).await?;
            let progress = match (start, current) {
                (Some(s), Some(c)) => Some(measurement_progress(s, c, target)),
                _ => None,
            };
            (
                GoalTarget::Measurement {
                    metric,
                    target,
                    target_date: row.try_get("target_date").map_err(internal)?,
                },
                start,
                current,
                progress,
            )
        };
        let title = key
            .open(
                TITLE,
                &id,
                &row.try_get::<String, _>("title").map_err(internal)?,
            )
            .map_err(internal)?;
        goals.push(Goal {
            id,
            client_id,
            title,
            target,
            status: GoalStatus::parse(&status).map_err(internal)?,
            start_value,
            current_value,
            progress_percent,
            units,
        });
    }
    Ok(goals)
}

pub async fn set_status(db: &Db, goal: &OwnedGoal, status: GoalStatus) -> Result<(), AppError> {
    let result = sqlx::query(
        "UPDATE goals SET status = $1, updated_at = $2 WHERE id = $3 AND coach_id = $4",
    )
    .bind(status.as_str())
    .bind(now_millis())
    .bind(goal.item_id())
    .bind(goal.coach_id())
    .execute(db.writer())
    .await
    .map_err(internal)?;
    expect_one(result)
}

/// The client records how often they managed a habit goal this week (replacing the count).
pub async fn log_habit(db: &Db, goal: &MyGoal, times_done: u32) -> Result<(), AppError> {
    // Read before the write transaction opens (SQLite has one writer).
    let zone = super::clients::zone_of(db, goal.client_id()).await?;
    let mut tx = db.begin().await?;
    let row: Option<(String, String, Option<i64>)> =
        sqlx::query_as("SELECT kind, status, per_week FROM goals WHERE id = $1 AND client_id = $2")
            .bind(goal.goal_id())
            .bind(goal.client_id())
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
    let (kind, status, _) = row.ok_or(AppError::NotFound)?;
    if kind != "habit" {
        return Err(AppError::invalid(
            "This goal follows your check-ins; it updates when you send one.",
        ));
    }
    if status != GoalStatus::Active.as_str() {
        return Err(AppError::invalid("This goal is no longer active."));
    }
    let now = now_millis();
    sqlx::query(
        "INSERT INTO goal_habit_weeks (goal_id, week_start, times_done, updated_at) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (goal_id, week_start) DO UPDATE SET times_done = $3, updated_at = $4",
    )
    .bind(goal.goal_id())
    .bind(time_zones::week_start(&zone, now))
    .bind(i64::from(times_done))
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)
}
