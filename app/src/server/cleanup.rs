//! Deletes stored objects whose rows are gone: right after a delete (so the bytes are gone when
//! the request returns) and, for anything storage refused then, every few minutes in the
//! background.

use super::db::Db;
use super::storage::{ObjectKey, Storage};
use super::store::object_deletions;
use std::time::Duration;

const BATCH: i64 = 200;

/// Deletes one queued object and takes it off the queue; true when it is gone.
async fn delete_queued(db: &Db, storage: &Storage, key: &ObjectKey) -> bool {
    match storage.delete(key).await {
        Ok(()) => match object_deletions::done(db, key).await {
            Ok(()) => true,
            Err(err) => {
                tracing::warn!(?err, key = %key, "deleted object still queued");
                false
            }
        },
        Err(err) => {
            tracing::warn!(%err, key = %key, "object deletion failed; will retry");
            let _ = object_deletions::failed(db, key).await;
            false
        }
    }
}

/// Deletes queued objects until the queue is empty or storage fails on all that remain.
/// Returns how many objects were deleted.
pub async fn purge_queued(db: &Db, storage: &Storage) -> usize {
    let mut deleted = 0;
    loop {
        let Ok(keys) = object_deletions::pending(db, BATCH).await else {
            return deleted;
        };
        let mut progress = false;
        for key in &keys {
            if delete_queued(db, storage, key).await {
                deleted += 1;
                progress = true;
            }
        }
        if !progress || (keys.len() as i64) < BATCH {
            return deleted;
        }
    }
}

/// Deletes these queued objects now, so they are gone when the request that deleted their rows
/// returns. Whatever storage refuses stays queued for the background sweep; other requests'
/// backlog is left to it too, so one slow storage call does not hold up every delete.
pub async fn purge(db: &Db, storage: &Storage, keys: &[ObjectKey]) {
    for key in keys {
        delete_queued(db, storage, key).await;
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
    super::periodic::run_every(every, move || {
        let (db, storage) = (db.clone(), storage.clone());
        async move {
            let n = purge_queued(&db, &storage).await;
            if n > 0 {
                tracing::info!(objects = n, "deleted queued objects");
            }
        }
    });
}
