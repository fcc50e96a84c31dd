//! Support access by the coach's grant.

use super::LongText;
use crate::AppError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How long a grant lasts: the three choices Settings offers.
pub const SUPPORT_GRANT_HOURS: [i64; 3] = [1, 24, 72];
const HOUR_MS: i64 = 60 * 60 * 1000;

/// A grant's length in milliseconds, from the hours the coach chose.
pub fn support_grant_length(hours: i64) -> Result<i64, AppError> {
    if SUPPORT_GRANT_HOURS.contains(&hours) {
        Ok(hours * HOUR_MS)
    } else {
        Err(AppError::invalid("Hours must be 1, 24 or 72."))
    }
}

/// The coach's optional note to support (what to look at): several lines, at most
/// [`LongText::MAX_CHARS`] characters.
pub fn support_message(raw: &str) -> Result<String, AppError> {
    LongText::parse(raw, "Message").map(|text| text.as_str().to_owned())
}

/// An open grant, as the coach sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SupportGrant {
    pub id: String,
    pub granted_at: i64,
    /// Support's access ends at this time (ms since the epoch), unless revoked before.
    pub until: i64,
    pub message: String,
}

/// An open grant, as operators see it: whose workspace, until when, and the coach's note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GrantedWorkspace {
    pub grant_id: String,
    pub coach_id: String,
    pub coach_name: String,
    pub coach_email: String,
    pub granted_at: i64,
    pub until: i64,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_offered_lengths() {
        assert_eq!(support_grant_length(1).unwrap(), HOUR_MS);
        assert_eq!(support_grant_length(72).unwrap(), 72 * HOUR_MS);
        for bad in [0, 2, -1, 73, 1000] {
            assert!(support_grant_length(bad).is_err(), "{bad}");
        }
    }
}
