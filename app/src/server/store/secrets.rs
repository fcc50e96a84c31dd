//! Server-wide secrets kept in the database, so every app server behind a load balancer shares
//! them with no extra configuration.

use crate::server::db::Db;
use crate::server::now_millis;
use rand::RngCore;

/// The secret named `name`, created (32 random bytes, hex) on first use. Concurrent first uses
/// on several servers agree: the first insert wins and everyone reads it back.
pub async fn get_or_create(db: &Db, name: &str) -> Result<Vec<u8>, String> {
    let mut fresh = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut fresh);
    let fresh: String = fresh.iter().map(|b| format!("{b:02x}")).collect();
    sqlx::query(
        "INSERT INTO app_secrets (name, value, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(&fresh)
    .bind(now_millis())
    .execute(db.writer())
    .await
    .map_err(|e| format!("cannot store secret {name}: {e}"))?;
    let (value,): (String,) = sqlx::query_as("SELECT value FROM app_secrets WHERE name = $1")
        .bind(name)
        .fetch_one(db.writer())
        .await
        .map_err(|e| format!("cannot read secret {name}: {e}"))?;
    Ok(value.into_bytes())
}

/// Whether the one-time job `name` (e.g. sealing what an older version wrote) has been marked
/// done, by this server or another.
pub async fn is_done(db: &Db, name: &str) -> Result<bool, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as("SELECT value FROM app_secrets WHERE name = $1")
        .bind(name)
        .fetch_optional(db.writer())
        .await?;
    Ok(row.is_some())
}

/// Marks the one-time job `name` done; later starts skip it.
pub async fn mark_done(db: &Db, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO app_secrets (name, value, created_at) VALUES ($1, 'done', $2) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(now_millis())
    .execute(db.writer())
    .await?;
    Ok(())
}
