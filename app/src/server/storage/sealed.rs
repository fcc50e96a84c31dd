//! Every stored object is sealed before it reaches the backend (local disk or S3) and opened
//! when read back, with the data key of the client it belongs to. The backend only ever holds
//! ciphertext, so viewers cannot be sent to it directly: links are this app's signed `/files/`
//! URLs, whatever the backend, and the app opens the object as it serves it.

use super::local::{signed_link, UrlSigner};
use super::{ObjectKey, ObjectStore, Storage, StorageError};
use crate::server::db::Db;
use crate::server::store::{keys, secrets};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

/// Sealed objects start with this; a JPEG starts with FF D8, so the two cannot be confused.
const MAGIC: &[u8] = b"CRS1";

pub struct SealedStore {
    inner: Storage,
    db: Db,
    signer: Arc<UrlSigner>,
}

impl SealedStore {
    pub fn new(inner: Storage, db: Db, signer: Arc<UrlSigner>) -> Self {
        Self { inner, db, signer }
    }

    fn associated_data(key: &ObjectKey) -> Vec<u8> {
        format!("coachroom/v1/object/{key}").into_bytes()
    }

    async fn data_key(
        &self,
        key: &ObjectKey,
    ) -> Result<Arc<crate::server::crypto::DataKey>, StorageError> {
        let client_id = key
            .client_id()
            .ok_or_else(|| StorageError(format!("{key} belongs to no client")))?;
        keys::client(&self.db, client_id)
            .await
            .map_err(|e| StorageError(format!("no data key for {key}: {e}")))
    }
}

/// Marks, in `app_secrets`, that every object stored before sealing existed has been sealed.
const OBJECTS_SEALED: &str = "objects_sealed";

impl SealedStore {
    /// Seals, in place, the photos stored before sealing existed: each is read, and written back
    /// sealed under the same key if it is not sealed yet. Safe to interrupt (a sealed object is
    /// recognised and skipped) and done once: a marker then skips the scan on later starts.
    pub async fn seal_existing_objects(&self) -> Result<u64, StorageError> {
        let db_error = |e: sqlx::Error| StorageError(format!("database: {e}"));
        if secrets::is_done(&self.db, OBJECTS_SEALED)
            .await
            .map_err(db_error)?
        {
            return Ok(0);
        }
        let mut sealed = 0;
        let mut after = String::new();
        loop {
            let keys: Vec<(String,)> = sqlx::query_as(
                "SELECT object_key FROM checkin_photos WHERE object_key > $1 \
                 ORDER BY object_key LIMIT 200",
            )
            .bind(&after)
            .fetch_all(self.db.writer())
            .await
            .map_err(db_error)?;
            let Some((last,)) = keys.last() else {
                break;
            };
            after = last.clone();
            for (raw,) in &keys {
                let Some(key) = ObjectKey::parse(raw) else {
                    continue;
                };
                let Some(stored) = self.inner.get(&key).await? else {
                    continue;
                };
                if !stored.starts_with(MAGIC) {
                    self.put(&key, stored).await?;
                    sealed += 1;
                }
            }
        }
        secrets::mark_done(&self.db, OBJECTS_SEALED)
            .await
            .map_err(db_error)?;
        if sealed > 0 {
            tracing::info!(
                objects = sealed,
                "sealed objects stored before sealing existed"
            );
        }
        Ok(sealed)
    }
}

#[async_trait]
impl ObjectStore for SealedStore {
    fn backend_name(&self) -> &'static str {
        self.inner.backend_name()
    }

    async fn check(&self) -> Result<(), StorageError> {
        self.inner.check().await
    }

    async fn put(&self, key: &ObjectKey, bytes: Vec<u8>) -> Result<(), StorageError> {
        let data_key = self.data_key(key).await?;
        let mut sealed = MAGIC.to_vec();
        sealed.extend(data_key.seal_bytes(&Self::associated_data(key), &bytes));
        self.inner.put(key, sealed).await
    }

    async fn get(&self, key: &ObjectKey) -> Result<Option<Vec<u8>>, StorageError> {
        let Some(stored) = self.inner.get(key).await? else {
            return Ok(None);
        };
        let Some(sealed) = stored.strip_prefix(MAGIC) else {
            // Objects stored before sealing existed are sealed at startup, before any request.
            return Err(StorageError(format!("{key} is not sealed")));
        };
        let data_key = self.data_key(key).await?;
        if data_key.is_erased() {
            // Its client was deleted after the backup this came from: the object is gone.
            return Ok(None);
        }
        data_key
            .open_bytes(&Self::associated_data(key), sealed)
            .map(Some)
            .map_err(|e| StorageError(format!("{key}: {e}")))
    }

    async fn exists(&self, key: &ObjectKey) -> Result<bool, StorageError> {
        self.inner.exists(key).await
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        self.inner.delete(key).await
    }

    async fn signed_url(&self, key: &ObjectKey, ttl: Duration) -> Result<String, StorageError> {
        signed_link(&self.signer, key, ttl)
    }
}
