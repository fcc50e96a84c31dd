//! The master key. It only wraps and unwraps data keys; no data is ever sealed with it directly,
//! so rotating it re-wraps a few hundred bytes per client and re-encrypts nothing.
//!
//! [`KeyProvider`] is the seam for a cloud KMS later: a KMS provider would send the data key to
//! the KMS to wrap and unwrap, and keep its key id.

use super::DataKey;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Wraps data keys. Every app server of one deployment must hold the same master key.
pub trait KeyProvider: Send + Sync + 'static {
    /// A short public fingerprint of the master key, stored beside every wrapped data key and in
    /// the database, so a wrong key is caught at startup rather than on the first read.
    fn key_id(&self) -> &str;
    /// Wraps `key`, binding it to `owner_id` (a data key moved to another owner fails to unwrap).
    fn wrap(&self, owner_id: &str, key: &DataKey) -> String;
    fn unwrap(&self, owner_id: &str, wrapped: &str) -> Result<DataKey, String>;
}

/// A 256-bit master key held in memory (read from a file or the environment).
pub struct LocalMasterKey {
    wrapper: DataKey,
    key_id: String,
}

impl LocalMasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        // A hash of the key under a fixed label: it names the key without revealing it.
        let digest = Sha256::new()
            .chain_update(b"coachroom master key id\0")
            .chain_update(bytes)
            .finalize();
        let key_id = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            wrapper: DataKey::from_bytes(bytes),
            key_id,
        }
    }

    /// Parses the text form: 64 hex digits, surrounding whitespace ignored.
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.trim();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self::from_bytes(bytes))
    }

    fn associated_data(owner_id: &str) -> Vec<u8> {
        format!("coachroom/v1/data-key/{owner_id}").into_bytes()
    }
}

impl KeyProvider for LocalMasterKey {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn wrap(&self, owner_id: &str, key: &DataKey) -> String {
        URL_SAFE_NO_PAD.encode(
            self.wrapper
                .seal_bytes(&Self::associated_data(owner_id), key.bytes()),
        )
    }

    fn unwrap(&self, owner_id: &str, wrapped: &str) -> Result<DataKey, String> {
        let sealed = URL_SAFE_NO_PAD
            .decode(wrapped)
            .map_err(|_| format!("the wrapped key of {owner_id} is not base64"))?;
        let bytes = self
            .wrapper
            .open_bytes(&Self::associated_data(owner_id), &sealed)
            .map_err(|e| format!("the wrapped key of {owner_id}: {}", e.0))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| format!("the key of {owner_id} is not 256 bits"))?;
        Ok(DataKey::from_bytes(bytes))
    }
}

/// Where the master key comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum MasterKeySource {
    /// A file holding 64 hex digits (`COACHROOM_MASTER_KEY_FILE`, or `<data dir>/master.key`).
    File(PathBuf),
    /// The key's text itself (`COACHROOM_MASTER_KEY`); never printed.
    Value(String),
}

impl std::fmt::Debug for MasterKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
            Self::Value(_) => f.write_str("Value(***)"),
        }
    }
}

/// The environment variable of [`MasterKeySource::Env`].
pub const MASTER_KEY_ENV: &str = "COACHROOM_MASTER_KEY";

impl MasterKeySource {
    /// Reads the key. Errors are one line naming the file or variable to fix.
    pub fn load(&self) -> Result<Arc<dyn KeyProvider>, String> {
        match self {
            Self::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    format!(
                        "COACHROOM_MASTER_KEY_FILE: cannot read {}: {e}",
                        path.display()
                    )
                })?;
                let key = LocalMasterKey::parse(&text).ok_or_else(|| {
                    format!(
                        "COACHROOM_MASTER_KEY_FILE: {} must hold 64 hex digits (a 256-bit key)",
                        path.display()
                    )
                })?;
                Ok(Arc::new(key))
            }
            Self::Value(text) => {
                let key = LocalMasterKey::parse(text).ok_or_else(|| {
                    format!("{MASTER_KEY_ENV}: must be 64 hex digits (a 256-bit key)")
                })?;
                Ok(Arc::new(key))
            }
        }
    }
}

/// A fresh master key in its text form.
pub fn new_key_text() -> String {
    let key = DataKey::generate();
    let mut text: String = key.bytes().iter().map(|b| format!("{b:02x}")).collect();
    text.push('\n');
    text
}

/// Writes `text` to `path` readable by its owner only, atomically: a new file is written beside
/// it, synced, then renamed over `path`. With `create_new`, an existing `path` is never replaced.
pub fn write_key_file(path: &Path, text: &str, create_new: bool) -> Result<(), String> {
    let display = path.display();
    if create_new && path.exists() {
        return Err(format!("{display} already exists"));
    }
    // A name of its own, so two processes writing beside each other never share one.
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        crate::server::new_id()
    ));
    let written = write_new_file(&tmp, text).and_then(|()| {
        if create_new {
            // hard_link fails if `path` appeared meanwhile, so two servers starting together on
            // one data dir cannot each keep a different key.
            std::fs::hard_link(&tmp, path).map_err(|e| format!("cannot create {display}: {e}"))
        } else {
            keep_owner(path, &tmp);
            std::fs::rename(&tmp, path).map_err(|e| format!("cannot replace {display}: {e}"))
        }
    });
    let _ = std::fs::remove_file(&tmp);
    written?;
    // The directory entry is durable too ("" is the current directory for a bare file name).
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Creates `path` (it must not exist) readable by its owner only, with `text`, synced.
fn write_new_file(path: &Path, text: &str) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A replaced key file keeps its owner, so servers running as that user can still read it when
/// an operator rotates as root. Best effort: only root may give a file away.
fn keep_owner(existing: &Path, replacement: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(meta) = std::fs::metadata(existing) {
            let _ = std::os::unix::fs::chown(replacement, Some(meta.uid()), Some(meta.gid()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_keys_unwrap_only_for_their_owner_and_master() {
        let master = LocalMasterKey::parse(&new_key_text()).unwrap();
        let other = LocalMasterKey::parse(&new_key_text()).unwrap();
        assert_ne!(master.key_id(), other.key_id());
        let key = DataKey::generate();
        let wrapped = master.wrap("client-a", &key);
        assert_eq!(
            master.unwrap("client-a", &wrapped).unwrap().bytes(),
            key.bytes()
        );
        assert!(master.unwrap("client-b", &wrapped).is_err());
        assert!(other.unwrap("client-a", &wrapped).is_err());
    }

    #[test]
    fn key_text_must_be_64_hex_digits() {
        assert!(LocalMasterKey::parse(&"ab".repeat(32)).is_some());
        assert!(LocalMasterKey::parse(&format!("  {}\n", "0F".repeat(32))).is_some());
        assert!(LocalMasterKey::parse(&"ab".repeat(31)).is_none());
        assert!(LocalMasterKey::parse(&"zz".repeat(32)).is_none());
        assert!(LocalMasterKey::parse("").is_none());
    }

    #[test]
    fn the_key_id_is_stable_for_one_key() {
        let text = "12".repeat(32);
        assert_eq!(
            LocalMasterKey::parse(&text).unwrap().key_id(),
            LocalMasterKey::parse(&text).unwrap().key_id()
        );
    }
}
