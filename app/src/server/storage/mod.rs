//! Object storage behind one trait: local disk (the embedded default) or S3-compatible storage.
//!
//! Keys are made on the server ([`ObjectKey::new_photo`]) and never taken from a user. Objects
//! are sealed before they reach either backend ([`sealed::SealedStore`]), so viewers only ever
//! get short-lived HMAC-signed `/files/...` links to this app, which opens what it serves.

pub mod local;
pub mod s3;
pub mod sealed;

use crate::server::db::Db;
use crate::AppError;
use async_trait::async_trait;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A storage failure. The cause is logged; users see a generic 500.
#[derive(Debug)]
pub struct StorageError(pub String);

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage: {}", self.0)
    }
}

impl From<StorageError> for AppError {
    fn from(err: StorageError) -> Self {
        super::internal(err)
    }
}

/// A server-made object key: lower-case hex ids and slashes, ending in a known extension.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// A fresh, unguessable key for a progress photo of a check-in.
    pub fn new_photo(coach_id: &str, client_id: &str, checkin_id: &str) -> Self {
        Self(format!(
            "photos/{coach_id}/{client_id}/{checkin_id}/{}.jpg",
            super::new_id()
        ))
    }

    /// Re-reads a key this server stored earlier (from the database, or from a signed URL whose
    /// signature has already been checked). Anything that does not look like our keys is refused,
    /// so a key can never climb out of the storage root.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty()
            && raw.len() <= 512
            && !raw.starts_with('/')
            && raw
                .split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..")
            && raw.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '/' | '.' | '-' | '_')
            });
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The client an object belongs to: `photos/{coach}/{client}/...`.
    pub fn client_id(&self) -> Option<&str> {
        let mut parts = self.0.split('/');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("photos"), Some(_coach), Some(client)) => Some(client),
            _ => None,
        }
    }

    /// The MIME type implied by the extension.
    pub fn content_type(&self) -> &'static str {
        match self.0.rsplit('.').next() {
            Some("jpg" | "jpeg") => "image/jpeg",
            Some("png") => "image/png",
            Some("webp") => "image/webp",
            _ => "application/octet-stream",
        }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where objects live. Every method is safe to retry; `delete` of a missing object succeeds.
#[async_trait]
pub trait ObjectStore: Send + Sync + 'static {
    /// A short name for logs: `local` or `s3`.
    fn backend_name(&self) -> &'static str;
    async fn put(&self, key: &ObjectKey, bytes: Vec<u8>) -> Result<(), StorageError>;
    async fn get(&self, key: &ObjectKey) -> Result<Option<Vec<u8>>, StorageError>;
    async fn exists(&self, key: &ObjectKey) -> Result<bool, StorageError>;
    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError>;
    /// A URL that lets whoever holds it GET the object until `ttl` has passed, and never after.
    async fn signed_url(&self, key: &ObjectKey, ttl: Duration) -> Result<String, StorageError>;
    /// Whether the store answers at all (`/readyz`): one cheap call that reads no object.
    async fn check(&self) -> Result<(), StorageError>;
}

pub type Storage = Arc<dyn ObjectStore>;

/// S3-compatible storage settings.
#[derive(Clone)]
pub struct S3Settings {
    /// e.g. `https://s3.eu-west-1.amazonaws.com` or `http://127.0.0.1:9000`; `None` for AWS.
    pub endpoint: Option<String>,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `https://host/bucket/key` instead of `https://bucket.host/key` (most self-hosted servers).
    pub path_style: bool,
}

impl fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .field("path_style", &self.path_style)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub enum StorageSettings {
    /// Files under this directory, served by this app through HMAC-signed `/files/` URLs.
    Local {
        dir: PathBuf,
    },
    S3(S3Settings),
}

/// The configured backend as it is, without sealing: it holds (and hands back) sealed bytes.
/// Backups copy objects through it unopened. `signer` makes local `/files/` links.
pub async fn open_backend(
    settings: &StorageSettings,
    signer: Arc<local::UrlSigner>,
) -> Result<Storage, String> {
    let storage: Storage = match settings {
        StorageSettings::Local { dir } => {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| format!("COACHROOM_DATA_DIR: cannot create {}: {e}", dir.display()))?;
            Arc::new(local::LocalStore::new(dir.clone(), signer))
        }
        StorageSettings::S3(s3) => {
            let store = s3::S3Store::new(s3);
            store.check_bucket().await.map_err(|e| {
                format!(
                    "COACHROOM_S3_BUCKET: cannot use bucket {:?} at {}: {e}",
                    s3.bucket,
                    s3.endpoint.as_deref().unwrap_or("AWS")
                )
            })?;
            Arc::new(store)
        }
    };
    Ok(storage)
}

/// Opens the configured storage and the `/files/` link signer. The signer's key lives in the
/// database, so every app server signs and checks links alike. Errors are one line naming the
/// variable to fix.
pub async fn connect(
    settings: &StorageSettings,
    db: &Db,
) -> Result<(Storage, Arc<local::UrlSigner>), String> {
    let secret = crate::server::store::secrets::get_or_create(db, "file_url_hmac")
        .await
        .map_err(|e| format!("DATABASE_URL: {e}"))?;
    let signer =
        Arc::new(local::UrlSigner::new(&secret).map_err(|e| format!("DATABASE_URL: {e}"))?);
    let storage = open_backend(settings, signer.clone()).await?;
    let sealed = sealed::SealedStore::new(storage, db.clone(), signer.clone());
    sealed.seal_existing_objects().await.map_err(|e| {
        format!("sealing stored objects: {e} (nothing was lost; the next start carries on)")
    })?;
    let storage: Storage = Arc::new(sealed);
    tracing::info!(backend = storage.backend_name(), "object storage ready");
    Ok((storage, signer))
}
