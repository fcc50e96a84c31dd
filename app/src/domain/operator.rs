//! The operator console: platform health and coach accounts, never a client's name or any
//! content.

use crate::AppError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A six-digit code from an authenticator app (spaces, as apps show them, are ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpCode(String);

impl TotpCode {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(digits))
        } else {
            Err(AppError::invalid(
                "Code must be the 6 digits your authenticator app shows.",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the one-time setup link shows: the account, and the secret to put in an authenticator
/// app (typed in, or as the `otpauth://` link a QR code would carry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OperatorEnrolment {
    pub email: String,
    /// Base32, as authenticator apps ask for it.
    pub totp_secret: String,
    pub otpauth_url: String,
}

/// The last backup this deployment made (any server, or `coachroom backup`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BackupSummary {
    pub at: i64,
    pub bytes: i64,
}

/// The AI insights queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AiQueue {
    pub queued: i64,
    pub running: i64,
    /// Jobs that gave up in the last 24 hours.
    pub failed_last_day: i64,
}

/// A server error this app server answered: when, and to which path (never a body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ServerErrorEntry {
    pub at: i64,
    pub method: String,
    pub path: String,
    pub status: u16,
}

/// Platform health, in counts and sizes only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OperatorOverview {
    pub coaches: i64,
    pub suspended_coaches: i64,
    pub clients: i64,
    /// Bytes of progress photos stored.
    pub photo_bytes: i64,
    /// The database's size on disk, in bytes.
    pub database_bytes: i64,
    pub last_backup: Option<BackupSummary>,
    pub ai_queue: AiQueue,
    /// Server errors this app server answered since it started, and the latest of them.
    pub errors_since_start: u64,
    pub recent_errors: Vec<ServerErrorEntry>,
}

/// A coach account as the operator sees it: who, since when, and whether suspended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CoachAccount {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub created_at: i64,
    /// When the account was suspended; `None` while active.
    pub suspended_at: Option<i64>,
}

/// Coach accounts, oldest first. Pass `next_after` as `after` for the next page; `None` means
/// this is the last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CoachAccountPage {
    pub coaches: Vec<CoachAccount>,
    pub next_after: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(TotpCode::parse(" 123 456 ").unwrap().as_str(), "123456");
        for bad in ["", "12345", "1234567", "12345a", "١٢٣٤٥٦"] {
            assert!(TotpCode::parse(bad).is_err(), "{bad}");
        }
    }
}
