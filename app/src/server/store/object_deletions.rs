//! The outbox of objects to delete from storage. Rows are queued in the same transaction that
//! removes the database rows pointing at the objects, so a crash between the two never leaves an
//! object nobody knows about; `server::cleanup` drains the queue.

use crate::server::db::Db;
use crate::server::storage::ObjectKey;
use crate::server::{internal, now_millis};
use crate::AppError;
use sqlx::{Any, Transaction};

/// Queues the photos matching `condition = $1` and returns their keys.
async fn queue_photos_where(
    tx: &mut Transaction<'static, Any>,
    condition: &str,
    id: &str,
) -> Result<Vec<ObjectKey>, AppError> {
    let select = format!("SELECT object_key FROM checkin_photos WHERE {condition} = $1");
    let keys: Vec<(String,)> = sqlx::query_as(&select)
        .bind(id)
        .fetch_all(&mut **tx)
        .await
        .map_err(internal)?;
    let insert = format!(
        "INSERT INTO object_deletions (object_key, queued_at) \
         SELECT object_key, $1 FROM checkin_photos WHERE {condition} = $2 \
         ON CONFLICT (object_key) DO NOTHING"
    );
    sqlx::query(&insert)
        .bind(now_millis())
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    Ok(keys
        .into_iter()
        .filter_map(|(key,)| ObjectKey::parse(&key))
        .collect())
}

/// Queues the photos of one check-in (call before deleting it, in the same transaction).
pub async fn queue_for_checkin(
    tx: &mut Transaction<'static, Any>,
    checkin_id: &str,
) -> Result<Vec<ObjectKey>, AppError> {
    queue_photos_where(tx, "checkin_id", checkin_id).await
}

/// Queues every photo of one client (call before deleting the client, in the same transaction).
pub async fn queue_for_client(
    tx: &mut Transaction<'static, Any>,
    client_id: &str,
) -> Result<Vec<ObjectKey>, AppError> {
    queue_photos_where(tx, "client_id", client_id).await
}

/// Queues objects that no row points at (e.g. from a failed upload).
pub async fn queue_keys(db: &Db, keys: &[ObjectKey]) -> Result<(), AppError> {
    for key in keys {
        sqlx::query(
            "INSERT INTO object_deletions (object_key, queued_at) VALUES ($1, $2) \
             ON CONFLICT (object_key) DO NOTHING",
        )
        .bind(key.as_str())
        .bind(now_millis())
        .execute(db.writer())
        .await
        .map_err(internal)?;
    }
    Ok(())
}

/// Up to `limit` queued keys, least-tried first.
pub async fn pending(db: &Db, limit: i64) -> Result<Vec<ObjectKey>, AppError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT object_key FROM object_deletions ORDER BY attempts, queued_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .filter_map(|(key,)| ObjectKey::parse(&key))
        .collect())
}

/// Storage confirmed the object is gone.
pub async fn done(db: &Db, key: &ObjectKey) -> Result<(), AppError> {
    sqlx::query("DELETE FROM object_deletions WHERE object_key = $1")
        .bind(key.as_str())
        .execute(db.writer())
        .await
        .map_err(internal)?;
    Ok(())
}

/// Storage failed; try again later.
pub async fn failed(db: &Db, key: &ObjectKey) -> Result<(), AppError> {
    sqlx::query("UPDATE object_deletions SET attempts = attempts + 1 WHERE object_key = $1")
        .bind(key.as_str())
        .execute(db.writer())
        .await
        .map_err(internal)?;
    Ok(())
}
