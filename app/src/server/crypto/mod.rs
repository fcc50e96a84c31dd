//! Sealing at rest. Every sensitive value is sealed with a data key of its owner (a client, or a
//! coach's workspace) before the store writes it, and opened after the store reads it; no server
//! fn sees a sealed value.
//!
//! - [`DataKey`]: a random 256-bit key, XChaCha20-Poly1305 with a fresh random nonce per value.
//!   The associated data names the table, the column and the row, so a sealed value copied to
//!   another row or column fails to open.
//! - [`master`]: the master key that wraps data keys, behind the [`master::KeyProvider`] trait.
//! - [`Keyring`]: the master key and a bounded cache of unwrapped data keys, shared by the store.

pub mod master;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use master::{KeyProvider, MasterKeySource};
use rand::RngCore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

/// Sealed text starts with this; base64url never contains ':' so it cannot be confused with the
/// encoded bytes that follow.
const SEALED_PREFIX: &str = "cr1:";
const NONCE_LEN: usize = 24;

/// Where a sealed value lives: its table and column, bound into the associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub table: &'static str,
    pub column: &'static str,
}

impl Field {
    pub const fn new(table: &'static str, column: &'static str) -> Self {
        Self { table, column }
    }

    fn associated_data(&self, row_id: &str) -> Vec<u8> {
        format!("coachroom/v1/{}/{}/{row_id}", self.table, self.column).into_bytes()
    }
}

/// Why a sealed value did not open. Never shown to users: the store logs it and answers 500.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenError(pub String);

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot open sealed value: {}", self.0)
    }
}

/// What an erased owner's sealed text opens as.
pub const ERASED_TEXT: &str = "(erased)";

/// A data key: the key of one client's data, or of one workspace's general content.
///
/// An *erased* key stands in for a key that was destroyed (its client was deleted) while sealed
/// rows of theirs survive, as in a backup taken before the deletion: their text opens as
/// [`ERASED_TEXT`], their sealed JSON as empty and their objects not at all. Whatever is sealed
/// with it goes under a random key nobody keeps, so it is erased as it is written.
pub struct DataKey {
    cipher: XChaCha20Poly1305,
    bytes: [u8; 32],
    erased: bool,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(***)")
    }
}

impl Drop for DataKey {
    fn drop(&mut self) {
        // Best effort: the key bytes do not outlive the key in this copy.
        self.bytes = [0; 32];
    }
}

impl DataKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(&bytes.into()),
            bytes,
            erased: false,
        }
    }

    /// The stand-in for a destroyed key (see the type's docs).
    pub fn erased() -> Self {
        let mut key = Self::generate();
        key.erased = true;
        key
    }

    pub fn is_erased(&self) -> bool {
        self.erased
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Seals bytes: a random nonce followed by the ciphertext and its tag.
    pub fn seal_bytes(&self, associated_data: &[u8], plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: associated_data,
                },
            )
            // Encryption fails only for inputs beyond 256 GiB, which never reach here.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open_bytes(&self, associated_data: &[u8], sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        if self.erased {
            return Err(OpenError("its owner's key was destroyed (erased)".into()));
        }
        if sealed.len() < NONCE_LEN + 16 {
            return Err(OpenError("too short".into()));
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: associated_data,
                },
            )
            .map_err(|_| OpenError("wrong key, or moved or altered".into()))
    }

    /// Seals text for a TEXT column. An empty value stays empty, so "not filled in" needs no key
    /// (it shows only that the field is empty).
    pub fn seal(&self, field: Field, row_id: &str, plain: &str) -> String {
        if plain.is_empty() {
            return String::new();
        }
        let sealed = self.seal_bytes(&field.associated_data(row_id), plain.as_bytes());
        format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(sealed))
    }

    pub fn seal_opt(&self, field: Field, row_id: &str, plain: Option<&str>) -> Option<String> {
        plain.map(|p| self.seal(field, row_id, p))
    }

    /// Opens what [`seal`](Self::seal) wrote. Anything else is refused, plaintext included: what
    /// an earlier version wrote is sealed at startup before any request (`store::seal_existing`),
    /// so an unsealed value can only be a forgotten seal or a planted row.
    pub fn open(&self, field: Field, row_id: &str, stored: &str) -> Result<String, OpenError> {
        if stored.is_empty() {
            return Ok(String::new());
        }
        if self.erased {
            return Ok(ERASED_TEXT.to_owned());
        }
        let Some(encoded) = stored.strip_prefix(SEALED_PREFIX) else {
            return Err(OpenError(format!(
                "{}.{} of {row_id} is not sealed",
                field.table, field.column
            )));
        };
        let sealed = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| OpenError(format!("{}.{} is not base64", field.table, field.column)))?;
        let plain = self
            .open_bytes(&field.associated_data(row_id), &sealed)
            .map_err(|e| {
                OpenError(format!(
                    "{}.{} of {row_id}: {}",
                    field.table, field.column, e.0
                ))
            })?;
        String::from_utf8(plain).map_err(|_| OpenError("not UTF-8".into()))
    }

    pub fn open_opt(
        &self,
        field: Field,
        row_id: &str,
        stored: Option<&str>,
    ) -> Result<Option<String>, OpenError> {
        stored.map(|s| self.open(field, row_id, s)).transpose()
    }

    /// Seals a value as JSON (for numbers and structured fields kept in one sealed column).
    pub fn seal_json<T: serde::Serialize>(&self, field: Field, row_id: &str, value: &T) -> String {
        let json = serde_json::to_string(value).unwrap_or_default();
        self.seal(field, row_id, &json)
    }

    /// Opens what [`seal_json`](Self::seal_json) wrote; an erased owner's value opens as empty.
    pub fn open_json<T: serde::de::DeserializeOwned + Default>(
        &self,
        field: Field,
        row_id: &str,
        stored: &str,
    ) -> Result<T, OpenError> {
        if self.erased {
            return Ok(T::default());
        }
        let json = self.open(field, row_id, stored)?;
        serde_json::from_str(&json)
            .map_err(|e| OpenError(format!("{}.{} of {row_id}: {e}", field.table, field.column)))
    }
}

/// True when stored text is sealed (rather than empty or legacy plaintext).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

/// The most unwrapped data keys one server keeps. Past it the cache starts over: unwrapping is
/// one AEAD open and one indexed read, so a miss is cheap, and memory stays bounded whatever the
/// number of clients.
const KEY_CACHE_CAP: usize = 8192;

/// The master key (re-read from its source when the store meets a key id it does not hold, so a
/// rotation reaches running servers) and the cache of unwrapped data keys.
pub struct Keyring {
    source: MasterKeySource,
    provider: RwLock<Arc<dyn KeyProvider>>,
    cache: Mutex<HashMap<String, Arc<DataKey>>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("master_key_id", &self.master().key_id())
            .finish()
    }
}

impl Keyring {
    pub fn new(source: MasterKeySource) -> Result<Self, String> {
        let provider = source.load()?;
        Ok(Self {
            source,
            provider: RwLock::new(provider),
            cache: Mutex::new(HashMap::new()),
        })
    }

    pub fn master(&self) -> Arc<dyn KeyProvider> {
        match self.provider.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The master key with this id: the one held, or the one its source holds now (after a
    /// rotation by `coachroom keys rotate`). `None` when neither is it.
    pub fn master_with_id(&self, key_id: &str) -> Option<Arc<dyn KeyProvider>> {
        let current = self.master();
        if current.key_id() == key_id {
            return Some(current);
        }
        let reloaded = self.source.load().ok()?;
        if reloaded.key_id() != key_id {
            return None;
        }
        tracing::info!(key_id, "master key reloaded after a rotation");
        match self.provider.write() {
            Ok(mut p) => *p = reloaded.clone(),
            Err(poisoned) => *poisoned.into_inner() = reloaded.clone(),
        }
        Some(reloaded)
    }

    pub fn source(&self) -> &MasterKeySource {
        &self.source
    }

    pub fn cached(&self, owner_id: &str) -> Option<Arc<DataKey>> {
        self.cache.lock().ok()?.get(owner_id).cloned()
    }

    pub fn remember(&self, owner_id: &str, key: Arc<DataKey>) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= KEY_CACHE_CAP {
                cache.clear();
            }
            cache.insert(owner_id.to_owned(), key);
        }
    }

    pub fn forget(&self, owner_id: &str) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(owner_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTE: Field = Field::new("notes", "body");

    #[test]
    fn sealed_text_opens_only_in_its_own_row_and_column() {
        let key = DataKey::generate();
        let sealed = key.seal(NOTE, "row-1", "Knee pain since May");
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("Knee"));
        assert_eq!(
            key.open(NOTE, "row-1", &sealed).unwrap(),
            "Knee pain since May"
        );
        assert!(key.open(NOTE, "row-2", &sealed).is_err());
        assert!(key
            .open(Field::new("notes", "title"), "row-1", &sealed)
            .is_err());
        assert!(DataKey::generate().open(NOTE, "row-1", &sealed).is_err());
    }

    #[test]
    fn each_seal_draws_a_fresh_nonce() {
        let key = DataKey::generate();
        assert_ne!(key.seal(NOTE, "r", "same"), key.seal(NOTE, "r", "same"));
    }

    #[test]
    fn tampered_or_truncated_values_do_not_open() {
        let key = DataKey::generate();
        let sealed = key.seal(NOTE, "r", "secret");
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(key.open(NOTE, "r", &tampered).is_err());
        assert!(key.open(NOTE, "r", &sealed[..sealed.len() - 4]).is_err());
        assert!(key.open(NOTE, "r", "cr1:!!").is_err());
    }

    #[test]
    fn empty_stays_empty_and_plaintext_is_refused() {
        let key = DataKey::generate();
        assert_eq!(key.seal(NOTE, "r", ""), "");
        assert_eq!(key.open(NOTE, "r", "").unwrap(), "");
        assert!(key.open(NOTE, "r", "planted in the database").is_err());
    }

    #[test]
    fn json_values_round_trip() {
        let key = DataKey::generate();
        let field = Field::new("checkins", "sealed_values");
        let sealed = key.seal_json(field, "c1", &vec![(1, 82.5)]);
        let back: Vec<(i32, f64)> = key.open_json(field, "c1", &sealed).unwrap();
        assert_eq!(back, vec![(1, 82.5)]);
    }

    #[test]
    fn an_erased_key_opens_nothing_it_did_not_write() {
        let real = DataKey::generate();
        let sealed = real.seal(NOTE, "row-1", "Knee pain since May");
        let erased = DataKey::erased();
        assert!(erased.is_erased() && !real.is_erased());
        assert_eq!(erased.open(NOTE, "row-1", &sealed).unwrap(), ERASED_TEXT);
        assert_eq!(erased.open(NOTE, "row-1", "").unwrap(), "");
        let field = Field::new("checkins", "sealed_values");
        let values = real.seal_json(field, "c1", &vec![(1, 82.5)]);
        let back: Vec<(i32, f64)> = erased.open_json(field, "c1", &values).unwrap();
        assert!(back.is_empty());
        let ad = b"coachroom/v1/object/k";
        assert!(erased
            .open_bytes(ad, &real.seal_bytes(ad, b"jpeg"))
            .is_err());
        // What is sealed with it is gone at once: not even it opens its own bytes.
        assert!(erased
            .open_bytes(ad, &erased.seal_bytes(ad, b"jpeg"))
            .is_err());
        assert!(real
            .open(NOTE, "row-1", &erased.seal(NOTE, "row-1", "x"))
            .is_err());
    }
}
