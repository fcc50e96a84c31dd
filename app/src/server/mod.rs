//! Server-only code: store, authentication, authorization and HTTP plumbing.
//! Compiled only with the `ssr` feature, so none of it reaches the WASM bundle.

pub mod admission;
pub mod ai;
pub mod anonymous_lane;
pub mod authz;
pub mod backup;
pub mod bench_baseline;
pub mod checkin_intake;
pub mod cleanup;
pub mod client_export;
pub mod coach_links;
pub mod crypto;
pub mod db;
pub mod exports;
pub mod fcds;
pub mod fcds_import;
pub mod health;
pub mod http;
pub mod legal;
pub mod mail;
pub mod mcp;
pub mod openapi;
pub mod password;
pub mod pdf;
pub mod periodic;
pub mod photos;
pub mod plans;
pub mod principal;
pub mod recent_errors;
pub mod router;
pub mod seed;
pub mod session_store;
pub mod settings;
pub mod state;
pub mod storage;
pub mod store;
pub mod support;
pub mod throttle;
pub mod time_zones;
pub mod totp;
pub mod transcript_intake;
pub mod upload_gate;
pub mod workspace_export;
pub mod workspace_import;

use crate::AppError;
use std::fmt::Display;

/// Logs the real cause and gives the user the generic 500.
pub fn internal(cause: impl Display) -> AppError {
    tracing::error!(%cause, "internal error");
    AppError::Internal
}

/// A stored time (milliseconds since the epoch) as a UTC date-time; out of range reads as the
/// epoch.
pub fn utc_at(millis: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// Milliseconds since the Unix epoch; the store keeps times as integers so SQLite and PostgreSQL agree.
pub fn now_millis() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

/// A one-way digest of a secret (a token, a session id) or of a throttle key, as hex: what the
/// store keeps instead of the value itself.
pub fn digest_hex(text: &str) -> String {
    use blake2::{Blake2s256, Digest};
    Blake2s256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh secret for a link (invitation, email confirmation): 256 random bits, hex.
pub fn new_link_token() -> String {
    format!("{}{}", new_id(), new_id())
}

/// A new random identifier: 128 bits, hex.
pub fn new_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
