//! Seals data written before sealing existed, in place, at startup. Every step is one statement
//! that changes one value only if it still holds what was read, so the work is resumable when
//! killed midway (the next start carries on) and never overwrites a newer write from another app
//! server. Rows are taken in batches, so memory stays bounded whatever the database size.

use super::checkins::{seal_values, FEEDBACK, FORM_ANSWERS, REPLY};
use super::clients::{SealedProfile, SEALED_PROFILE};
use super::keys;
use crate::domain::{Metric, MetricValues};
use crate::server::crypto::{is_sealed, Field};
use crate::server::db::Db;
use crate::AppError;
use sqlx::any::AnyRow;
use sqlx::Row;

const BATCH: i64 = 500;
/// Marks, in `app_secrets`, that everything written before sealing existed is sealed: later
/// starts skip the scan. Every write since is sealed, and reads refuse plaintext.
const DATA_SEALED: &str = "data_sealed";

/// A table whose text columns are sealed in place. `owner` selects the row's coach and client
/// (`coach_id`, `client_id`); `from` may join to find them.
struct TextColumns {
    table: &'static str,
    id: &'static str,
    from: &'static str,
    owner: &'static str,
    fields: &'static [Field],
}

const TEXT_COLUMNS: &[TextColumns] = &[
    TextColumns {
        table: "notes",
        id: "id",
        from: "notes t",
        owner: "t.coach_id, t.client_id",
        fields: &[super::notes::NOTE_BODY],
    },
    TextColumns {
        table: "todos",
        id: "id",
        from: "todos t",
        owner: "t.coach_id, t.client_id",
        fields: &[super::notes::TODO_TITLE],
    },
    TextColumns {
        table: "checkins",
        id: "id",
        from: "checkins t",
        owner: "t.coach_id, t.client_id",
        fields: &[FEEDBACK, REPLY],
    },
    TextColumns {
        table: "checkin_form_answers",
        id: "checkin_id",
        from: "checkin_form_answers t JOIN checkins c ON c.id = t.checkin_id",
        owner: "c.coach_id, c.client_id",
        fields: &[FORM_ANSWERS],
    },
    TextColumns {
        table: "form_assignments",
        id: "id",
        from: "form_assignments t",
        owner: "t.coach_id, t.client_id",
        fields: &[super::forms::ANSWERS],
    },
    TextColumns {
        table: "plans",
        id: "id",
        from: "plans t",
        owner: "t.coach_id, t.client_id",
        fields: &[super::plans::BODY],
    },
    TextColumns {
        table: "coaching_sessions",
        id: "id",
        from: "coaching_sessions t",
        owner: "t.coach_id, t.client_id",
        fields: &[
            super::sessions::TITLE,
            super::sessions::TAGS,
            super::sessions::TRANSCRIPT,
            super::sessions::PRIVATE_NOTES,
            super::sessions::SUMMARY,
            super::ai::INSIGHTS,
        ],
    },
    TextColumns {
        table: "goals",
        id: "id",
        from: "goals t",
        owner: "t.coach_id, t.client_id",
        fields: &[super::goals::TITLE],
    },
    TextColumns {
        table: "action_items",
        id: "id",
        from: "action_items t",
        owner: "t.coach_id, t.client_id",
        fields: &[super::sessions::ACTION_ITEM],
    },
];

/// Seals everything not sealed yet, unless an earlier start finished it. Returns how many
/// values it sealed.
pub async fn run(db: &Db) -> Result<u64, AppError> {
    if super::secrets::is_done(db, DATA_SEALED)
        .await
        .map_err(internal)?
    {
        return Ok(0);
    }
    let mut sealed =
        seal_profiles(db).await? + seal_checkin_values(db).await? + seal_goal_values(db).await?;
    for table in TEXT_COLUMNS {
        sealed += seal_text_columns(db, table).await?;
    }
    if sealed > 0 {
        tracing::info!(
            values = sealed,
            "sealed data written before sealing existed"
        );
        if db.backend() == crate::server::db::Backend::Sqlite {
            // Rebuilds the file: pages the earlier version freed (edits, deletes, before
            // secure_delete) still held plaintext; then the old page images leave the WAL.
            for sql in ["VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"] {
                sqlx::query(sql)
                    .execute(db.writer())
                    .await
                    .map_err(internal)?;
            }
        }
    }
    super::secrets::mark_done(db, DATA_SEALED)
        .await
        .map_err(internal)?;
    Ok(sealed)
}

/// The row owner's key, or `None` when the owner was deleted meanwhile (its rows go with it).
async fn key_or_gone(
    db: &Db,
    coach_id: &str,
    client_id: Option<&str>,
) -> Result<Option<std::sync::Arc<crate::server::crypto::DataKey>>, AppError> {
    match keys::client_or_workspace(db, coach_id, client_id).await {
        Ok(key) => Ok(Some(key)),
        Err(AppError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    crate::server::internal(e)
}

/// Runs `select` page by page, handing each row to `seal_row`, and returns the sum of what
/// `seal_row` counted. `select` returns only rows still to seal, as `row_id` first, ordered by
/// it, after `$2` and at most `$1` of them: each row is seen once, so a row that cannot be
/// sealed (its owner is gone) is skipped rather than met again.
async fn in_batches(
    db: &Db,
    select: &str,
    mut seal_row: impl AsyncFnMut(&AnyRow) -> Result<u64, AppError>,
) -> Result<u64, AppError> {
    let mut done = 0;
    let mut after = String::new();
    loop {
        let rows = sqlx::query(select)
            .bind(BATCH)
            .bind(&after)
            .fetch_all(db.writer())
            .await
            .map_err(internal)?;
        let Some(last) = rows.last() else {
            return Ok(done);
        };
        after = last.try_get("row_id").map_err(internal)?;
        for row in &rows {
            done += seal_row(row).await?;
        }
    }
}

/// Logs a row left unsealed because its owner is gone (a row the foreign keys should have
/// removed); it is refused on read like any unsealed value.
fn orphan(table: &str, id: &str) -> u64 {
    tracing::warn!(table, id, "a row whose owner is gone was left unsealed");
    0
}

/// Client profiles: the plain health and contact columns become one sealed JSON value, and the
/// plain columns are emptied in the same statement.
async fn seal_profiles(db: &Db) -> Result<u64, AppError> {
    let select = "SELECT id AS row_id, phone, date_of_birth, age_years, gender, height_cm, \
         weight_kg, goals, medical_conditions, dietary_restrictions, injuries, medications \
         FROM clients WHERE sealed_profile IS NULL AND id > $2 ORDER BY id LIMIT $1";
    in_batches(db, select, async |row| {
        let id: String = row.try_get("row_id").map_err(internal)?;
        let text = |c: &str| row.try_get::<String, _>(c).map_err(internal);
        let profile = SealedProfile {
            phone: text("phone")?,
            date_of_birth: row.try_get("date_of_birth").map_err(internal)?,
            age_years: row.try_get("age_years").map_err(internal)?,
            gender: text("gender")?,
            height_cm: row.try_get("height_cm").map_err(internal)?,
            weight_kg: row.try_get("weight_kg").map_err(internal)?,
            goals: text("goals")?,
            medical_conditions: text("medical_conditions")?,
            dietary_restrictions: text("dietary_restrictions")?,
            injuries: text("injuries")?,
            medications: text("medications")?,
        };
        let Some(key) = key_or_gone(db, "", Some(&id)).await? else {
            return Ok(orphan("clients", &id));
        };
        sqlx::query(
            "UPDATE clients SET sealed_profile = $1, phone = '', date_of_birth = NULL, \
             age_years = NULL, gender = '', height_cm = NULL, weight_kg = NULL, goals = '', \
             medical_conditions = '', dietary_restrictions = '', injuries = '', \
             medications = '' WHERE id = $2 AND sealed_profile IS NULL",
        )
        .bind(key.seal_json(SEALED_PROFILE, &id, &profile))
        .bind(&id)
        .execute(db.writer())
        .await
        .map_err(internal)?;
        Ok(1)
    })
    .await
}

/// Check-in measurements: the REAL columns become one sealed JSON value, emptied together.
async fn seal_checkin_values(db: &Db) -> Result<u64, AppError> {
    let columns = Metric::ALL.map(Metric::key).join(", ");
    let nulls: Vec<String> = Metric::ALL
        .iter()
        .map(|m| format!("{} = NULL", m.key()))
        .collect();
    let select = format!(
        "SELECT id AS row_id, client_id, {columns} FROM checkins \
         WHERE sealed_values IS NULL AND id > $2 ORDER BY id LIMIT $1"
    );
    let update = format!(
        "UPDATE checkins SET sealed_values = $1, {} WHERE id = $2 AND sealed_values IS NULL",
        nulls.join(", ")
    );
    in_batches(db, &select, async |row| {
        let id: String = row.try_get("row_id").map_err(internal)?;
        let client_id: String = row.try_get("client_id").map_err(internal)?;
        let mut values = MetricValues::new();
        for metric in Metric::ALL {
            if let Some(v) = row
                .try_get::<Option<f64>, _>(metric.key())
                .map_err(internal)?
            {
                values.insert(metric, v);
            }
        }
        let Some(key) = key_or_gone(db, "", Some(&client_id)).await? else {
            return Ok(orphan("checkins", &id));
        };
        sqlx::query(&update)
            .bind(seal_values(&key, &id, &values))
            .bind(&id)
            .execute(db.writer())
            .await
            .map_err(internal)?;
        Ok(1)
    })
    .await
}

/// Goals' target and start values: the REAL columns become one sealed JSON value.
async fn seal_goal_values(db: &Db) -> Result<u64, AppError> {
    let select = "SELECT id AS row_id, client_id, target_value, start_value FROM goals \
         WHERE sealed_values IS NULL AND id > $2 ORDER BY id LIMIT $1";
    in_batches(db, select, async |row| {
        let id: String = row.try_get("row_id").map_err(internal)?;
        let client_id: String = row.try_get("client_id").map_err(internal)?;
        let values = super::goals::GoalValues {
            target: row.try_get("target_value").map_err(internal)?,
            start: row.try_get("start_value").map_err(internal)?,
        };
        let Some(key) = key_or_gone(db, "", Some(&client_id)).await? else {
            return Ok(orphan("goals", &id));
        };
        sqlx::query(
            "UPDATE goals SET sealed_values = $1, target_value = NULL, start_value = NULL \
             WHERE id = $2 AND sealed_values IS NULL",
        )
        .bind(key.seal_json(super::goals::VALUES, &id, &values))
        .bind(&id)
        .execute(db.writer())
        .await
        .map_err(internal)?;
        Ok(1)
    })
    .await
}

/// Text columns sealed where they are.
async fn seal_text_columns(db: &Db, table: &TextColumns) -> Result<u64, AppError> {
    let pending: Vec<String> = table
        .fields
        .iter()
        .map(|f| {
            format!(
                // substr, not LIKE: LIKE ignores case on SQLite.
                "(t.{c} IS NOT NULL AND t.{c} <> '' AND substr(t.{c}, 1, 4) <> 'cr1:')",
                c = f.column
            )
        })
        .collect();
    let columns: Vec<String> = table
        .fields
        .iter()
        .map(|f| format!("t.{}", f.column))
        .collect();
    let select = format!(
        "SELECT t.{id} AS row_id, {owner}, {columns} FROM {from} \
         WHERE ({pending}) AND t.{id} > $2 ORDER BY t.{id} LIMIT $1",
        id = table.id,
        owner = table.owner,
        columns = columns.join(", "),
        from = table.from,
        pending = pending.join(" OR "),
    );
    in_batches(db, &select, async |row| {
        let id: String = row.try_get("row_id").map_err(internal)?;
        let coach_id: String = row.try_get("coach_id").map_err(internal)?;
        let client_id: Option<String> = row.try_get("client_id").map_err(internal)?;
        let Some(key) = key_or_gone(db, &coach_id, client_id.as_deref()).await? else {
            return Ok(orphan(table.table, &id));
        };
        let mut sealed = 0;
        for field in table.fields {
            let Some(plain) = row
                .try_get::<Option<String>, _>(field.column)
                .map_err(internal)?
            else {
                continue;
            };
            if plain.is_empty() || is_sealed(&plain) {
                continue;
            }
            // Only if it still holds what was read: a newer write is never overwritten.
            sqlx::query(&format!(
                "UPDATE {table} SET {c} = $1 WHERE {id} = $2 AND {c} = $3",
                table = table.table,
                c = field.column,
                id = table.id,
            ))
            .bind(key.seal(*field, &id, &plain))
            .bind(&id)
            .bind(&plain)
            .execute(db.writer())
            .await
            .map_err(internal)?;
            sealed += 1;
        }
        Ok(sealed)
    })
    .await
}
