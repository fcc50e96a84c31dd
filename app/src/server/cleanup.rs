//! Deletes stored objects whose rows are gone: right after a delete (so the bytes are gone when
//! the request returns) and, for anything storage refused then, every few minutes in the
//! background.

use super::db::Db;
use super::storage::{ObjectKey, Storage};
use super::store::object_deletions;
use std::time::Duration;

const BATCH: i64 = 200;

/// Deletes queued objects until the queue is empty or storage fails on all that remain.
/// Returns how many objects were deleted.
pub async fn purge_queued(db: &Db, storage: &Storage) -> usize {
    let mut deleted = 0;
    loop {
        let keys = match object_deletions::pending(db, BATCH).await {
            Ok(keys) => keys,
            Err(_) => return deleted,
        };
        let mut progress = false;
        for key in &keys {
            match storage.delete(key).await {
                Ok(()) => {
                    if object_deletions::done(db, key).await.is_ok() {
                        deleted += 1;
                        progress = true;
                    }
                }
                Err(err) => {
                    tracing::warn!(%err, key = %key, "object deletion failed; will retry");
                    let _ = object_deletions::failed(db, key).await;
                }
            }
        }
        if !progress || (keys.len() as i64) < BATCH {
            return deleted;
        }
    }
}

/// Removes objects that were written but never recorded (a failed upload). Whatever storage
/// refuses now is queued for the background sweep.
pub async fn discard(db: &Db, storage: &Storage, keys: &[ObjectKey]) {
    let mut left = Vec::new();
    for key in keys {
        if let Err(err) = storage.delete(key).await {
            tracing::warn!(%err, key = %key, "could not remove an unrecorded object; queued");
            left.push(key.clone());
        }
    }
    if !left.is_empty() {
        if let Err(err) = object_deletions::queue_keys(db, &left).await {
            tracing::error!(?err, "could not queue unrecorded objects for deletion");
        }
    }
}

/// Retries queued deletions every `every`, for the life of the process.
pub fn spawn_sweeper(db: Db, storage: Storage, every: Duration) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        loop {
            interval.tick().await;
            let n = purge_queued(&db, &storage).await;
            if n > 0 {
                tracing::info!(objects = n, "deleted queued objects");
            }
        }
    });
}
