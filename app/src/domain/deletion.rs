//! A client's request that their coach delete their data.

use super::LongText;
use crate::AppError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The coach has this long to act on a request (GDPR's one month, rounded down).
pub const DELETION_DEADLINE_DAYS: i64 = 30;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeletionStatus {
    /// Waiting for the coach.
    Pending,
    /// The client took it back.
    Withdrawn,
    /// The coach declined, with a reason the client sees.
    Declined,
}

impl DeletionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Withdrawn => "withdrawn",
            Self::Declined => "declined",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Pending, Self::Withdrawn, Self::Declined]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// One request, as the coach and the client see it. (A request the coach fulfilled is gone with
/// the client; the access log keeps its record.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeletionRequest {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    /// The client's optional message ("" when none).
    pub message: String,
    pub status: DeletionStatus,
    pub requested_at: i64,
    /// When the coach must have acted: [`DELETION_DEADLINE_DAYS`] after the request.
    pub due_at: i64,
    pub decided_at: Option<i64>,
    /// Why the coach declined.
    pub decline_reason: Option<String>,
}

/// The deadline of a request made at `requested_at`.
pub fn deletion_due_at(requested_at: i64) -> i64 {
    requested_at + DELETION_DEADLINE_DAYS * DAY_MS
}

/// The client's optional message: several lines, at most [`LongText::MAX_CHARS`] characters.
pub fn deletion_message(raw: &str) -> Result<String, AppError> {
    LongText::parse(raw, "Message").map(|text| text.as_str().to_owned())
}

/// The coach's reason for declining: required, so the client learns why; several lines, at
/// most [`LongText::MAX_CHARS`] characters.
pub fn decline_reason(raw: &str) -> Result<String, AppError> {
    LongText::required(raw, "Reason").map(|text| text.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_and_inputs() {
        assert_eq!(deletion_due_at(0), 30 * DAY_MS);
        assert_eq!(deletion_message("  ").unwrap(), "");
        assert!(decline_reason(" ")
            .unwrap_err()
            .to_string()
            .starts_with("Reason"));
        assert_eq!(deletion_message("a\nb").unwrap(), "a\nb");
        assert!(deletion_message(&"x".repeat(LongText::MAX_CHARS + 1))
            .unwrap_err()
            .to_string()
            .starts_with("Message"));
        assert_eq!(
            DeletionStatus::parse("declined"),
            Some(DeletionStatus::Declined)
        );
    }
}
