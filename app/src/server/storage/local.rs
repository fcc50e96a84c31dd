//! Local-disk storage and its HMAC-signed `/files/` URLs.

use super::{ObjectKey, ObjectStore, StorageError};
use crate::server::http::error_response;
use crate::server::state::AppState;
use crate::AppError;
use async_trait::async_trait;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use std::fmt;
use std::io::ErrorKind;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::AsyncWriteExt;

type HmacSha256 = Hmac<Sha256>;

/// Shorter secrets would make signatures guessable.
const MIN_SECRET_BYTES: usize = 32;

/// Signs and checks `/files/` links. The key is shared by every app server (it lives in the
/// database), so a link made by one server is honoured by all of them.
#[derive(Clone)]
pub struct UrlSigner {
    mac: HmacSha256,
}

impl fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UrlSigner(***)")
    }
}

impl UrlSigner {
    pub fn new(secret: &[u8]) -> Result<Self, StorageError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(StorageError(format!(
                "URL signing secret is {} bytes, at least {MIN_SECRET_BYTES} are needed",
                secret.len()
            )));
        }
        let mac = HmacSha256::new_from_slice(secret)
            .map_err(|e| StorageError(format!("URL signing secret refused: {e}")))?;
        Ok(Self { mac })
    }

    /// What is signed: the method too, so a signature can never be replayed for another verb.
    fn mac_for(&self, key: &ObjectKey, expires_unix_secs: u64) -> HmacSha256 {
        let mut mac = self.mac.clone();
        mac.update(format!("GET\n{key}\n{expires_unix_secs}").as_bytes());
        mac
    }

    /// Lower-case hex of HMAC-SHA256 over the method, key and expiry.
    pub fn sign(&self, key: &ObjectKey, expires_unix_secs: u64) -> String {
        self.mac_for(key, expires_unix_secs)
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// True when `sig_hex` is our signature of `key` and `expires_unix_secs`. Constant-time, so
    /// response timing tells an attacker nothing about how close a guess was.
    pub fn verify(&self, key: &ObjectKey, expires_unix_secs: u64, sig_hex: &str) -> bool {
        match decode_hex(sig_hex) {
            Some(sig) => self
                .mac_for(key, expires_unix_secs)
                .verify_slice(&sig)
                .is_ok(),
            None => false,
        }
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    hex.as_bytes()
        .chunks(2)
        .map(|pair| {
            let pair = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(pair, 16).ok()
        })
        .collect()
}

fn since_epoch() -> Result<Duration, StorageError> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| StorageError(format!("system clock is before 1970: {e}")))
}

/// The expiry second for a link made now: rounded up, so a link always lives at least `ttl`.
fn expiry_after(now: Duration, ttl: Duration) -> u64 {
    let end = now.saturating_add(ttl);
    end.as_secs() + u64::from(end.subsec_nanos() > 0)
}

/// A `/files/` link to `key` that this app serves until `ttl` has passed.
pub fn signed_link(
    signer: &UrlSigner,
    key: &ObjectKey,
    ttl: Duration,
) -> Result<String, StorageError> {
    let expires = expiry_after(since_epoch()?, ttl);
    let sig = signer.sign(key, expires);
    // Keys are only `[a-z0-9/._-]`, so they need no escaping in a URL path.
    Ok(format!("/files/{key}?expires={expires}&sig={sig}"))
}

/// Objects as files under `root`, one file per key.
pub struct LocalStore {
    root: PathBuf,
    signer: Arc<UrlSigner>,
}

impl LocalStore {
    pub fn new(root: PathBuf, signer: Arc<UrlSigner>) -> Self {
        Self { root, signer }
    }

    /// Safe to join: an `ObjectKey` has no empty, `.` or `..` parts and no leading slash.
    fn path_of(&self, key: &ObjectKey) -> PathBuf {
        self.root.join(key.as_str())
    }
}

fn io_error(action: &str, path: &FsPath, err: std::io::Error) -> StorageError {
    StorageError(format!("cannot {action} {}: {err}", path.display()))
}

/// Writes `bytes` to a temporary file and syncs it. Its name has upper-case letters, which no
/// `ObjectKey` can have, so a half-written file can never be served.
async fn write_synced(tmp: &FsPath, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = tokio::fs::File::create(tmp).await?;
    file.write_all(bytes).await?;
    file.sync_all().await
}

#[async_trait]
impl ObjectStore for LocalStore {
    async fn check(&self) -> Result<(), StorageError> {
        match tokio::fs::metadata(&self.root).await {
            Ok(meta) if meta.is_dir() => Ok(()),
            Ok(_) => Err(StorageError(format!(
                "{} is not a directory",
                self.root.display()
            ))),
            Err(err) => Err(io_error("check", &self.root, err)),
        }
    }

    fn backend_name(&self) -> &'static str {
        "local"
    }

    async fn put(&self, key: &ObjectKey, bytes: Vec<u8>) -> Result<(), StorageError> {
        let path = self.path_of(key);
        let parent = path.parent().unwrap_or(&self.root).to_path_buf();
        tokio::fs::create_dir_all(&parent)
            .await
            .map_err(|e| io_error("create directory", &parent, e))?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = parent.join(format!(".{file_name}.{}.TMP", crate::server::new_id()));
        let written = match write_synced(&tmp, &bytes).await {
            Ok(()) => tokio::fs::rename(&tmp, &path)
                .await
                .map_err(|e| io_error("rename into", &path, e)),
            Err(e) => Err(io_error("write", &tmp, e)),
        };
        if written.is_err() {
            // Best effort: the original error is the one worth reporting.
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        written
    }

    async fn get(&self, key: &ObjectKey) -> Result<Option<Vec<u8>>, StorageError> {
        let path = self.path_of(key);
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("read", &path, e)),
        }
    }

    async fn exists(&self, key: &ObjectKey) -> Result<bool, StorageError> {
        let path = self.path_of(key);
        match tokio::fs::metadata(&path).await {
            Ok(meta) => Ok(meta.is_file()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_error("inspect", &path, e)),
        }
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        let path = self.path_of(key);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("delete", &path, e)),
        }
    }

    async fn signed_url(&self, key: &ObjectKey, ttl: Duration) -> Result<String, StorageError> {
        signed_link(&self.signer, key, ttl)
    }
}

/// The query of a `/files/` link. Text, so a malformed value is a 403, not an axum 400.
#[derive(Debug, Deserialize)]
pub struct FileLink {
    expires: Option<String>,
    sig: Option<String>,
}

/// `GET /files/{*key}`: serves an object to whoever holds a valid, unexpired signed link.
///
/// The signature is checked first: until it is, the answer is 403 whether the object exists or
/// the link has expired, so nobody can probe for keys or expiry times. Bytes are read through
/// `state.storage`, so this works whatever the backend.
pub async fn serve_file(
    State(state): State<AppState>,
    key: Result<Path<String>, PathRejection>,
    link: Result<Query<FileLink>, QueryRejection>,
) -> Response {
    let Some(key) = key.ok().and_then(|Path(raw)| ObjectKey::parse(&raw)) else {
        return error_response(&AppError::NotFound);
    };
    let Ok(Query(link)) = link else {
        return error_response(&AppError::Forbidden);
    };
    let (Some(expires), Some(sig)) = (link.expires, link.sig) else {
        return error_response(&AppError::Forbidden);
    };
    let Ok(expires) = expires.parse::<u64>() else {
        return error_response(&AppError::Forbidden);
    };
    if !state.file_signer.verify(&key, expires, &sig) {
        return error_response(&AppError::Forbidden);
    }
    let now = match since_epoch() {
        Ok(now) => now,
        Err(e) => return error_response(&AppError::from(e)),
    };
    if now >= Duration::from_secs(expires) {
        return error_response(&AppError::LinkExpired);
    }
    let bytes = match state.storage.get(&key).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return error_response(&AppError::NotFound),
        Err(e) => return error_response(&AppError::from(e)),
    };
    // Browsers may keep it only as long as the link itself is valid.
    let max_age = expires.saturating_sub(now.as_secs());
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, key.content_type().to_owned()),
            (CACHE_CONTROL, format!("private, max-age={max_age}")),
            (CONTENT_DISPOSITION, "inline".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> UrlSigner {
        UrlSigner::new(&[7u8; 32]).unwrap()
    }

    fn key() -> ObjectKey {
        ObjectKey::parse("photos/a1/b2/c3/d4.jpg").unwrap()
    }

    #[test]
    fn signature_round_trip() {
        let s = signer();
        let sig = s.sign(&key(), 1_700_000_000);
        assert_eq!(sig.len(), 64);
        assert!(sig.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(s.verify(&key(), 1_700_000_000, &sig));
    }

    #[test]
    fn signature_refuses_tampering() {
        let s = signer();
        let sig = s.sign(&key(), 1_700_000_000);
        assert!(!s.verify(&key(), 1_700_000_001, &sig));
        let other = ObjectKey::parse("photos/a1/b2/c3/d5.jpg").unwrap();
        assert!(!s.verify(&other, 1_700_000_000, &sig));
        let mut flipped = sig.clone().into_bytes();
        flipped[10] = if flipped[10] == b'0' { b'1' } else { b'0' };
        assert!(!s.verify(&key(), 1_700_000_000, &String::from_utf8(flipped).unwrap()));
        assert!(!s.verify(&key(), 1_700_000_000, &sig[..62]));
        assert!(!s.verify(&key(), 1_700_000_000, ""));
        assert!(!s.verify(&key(), 1_700_000_000, &"zz".repeat(32)));
        assert!(!s.verify(&key(), 1_700_000_000, &"é".repeat(32)));
        let other_secret = UrlSigner::new(&[8u8; 32]).unwrap();
        assert!(!other_secret.verify(&key(), 1_700_000_000, &sig));
    }

    #[test]
    fn signer_refuses_short_secrets() {
        assert!(UrlSigner::new(b"short").is_err());
    }

    #[test]
    fn expiry_rounds_up() {
        assert_eq!(
            expiry_after(Duration::from_secs(10), Duration::from_secs(5)),
            15
        );
        assert_eq!(
            expiry_after(Duration::from_millis(10_001), Duration::from_secs(5)),
            16
        );
    }

    #[tokio::test]
    async fn local_round_trip() {
        let root =
            std::env::temp_dir().join(format!("coachroom-local-{}", crate::server::new_id()));
        let store = LocalStore::new(root.clone(), Arc::new(signer()));
        let k = key();
        assert!(!store.exists(&k).await.unwrap());
        store.put(&k, b"one".to_vec()).await.unwrap();
        store.put(&k, b"two".to_vec()).await.unwrap();
        assert_eq!(store.get(&k).await.unwrap().as_deref(), Some(&b"two"[..]));
        assert!(store.exists(&k).await.unwrap());
        let leftovers: Vec<_> = std::fs::read_dir(root.join("photos/a1/b2/c3"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("d4.jpg")]);
        store.delete(&k).await.unwrap();
        store.delete(&k).await.unwrap();
        assert_eq!(store.get(&k).await.unwrap(), None);
        let url = store.signed_url(&k, Duration::from_secs(60)).await.unwrap();
        assert!(url.starts_with("/files/photos/a1/b2/c3/d4.jpg?expires="));
        let _ = std::fs::remove_dir_all(root);
    }
}
