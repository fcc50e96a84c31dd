//! Coaching sessions: one conversation with one client. The coach keeps the transcript and private
//! notes; only a summary the coach shares reaches the client.

use super::{bounded_text, LocalDateTime, LongText, Transcript};
use crate::AppError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A session's details as typed, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionInput {
    /// Milliseconds since the epoch: the typed wall-clock time in the coach's zone.
    pub held_at: i64,
    pub duration_min: u32,
    pub title: String,
    pub tags: Vec<String>,
    pub private_notes: LongText,
    pub summary: LongText,
}

/// Tags typed as "sleep, stress , sleep": trimmed, lower-cased, without repeats.
pub fn parse_tags(raw: &str) -> Result<Vec<String>, AppError> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.split(',') {
        let tag = bounded_text(tag, "A tag", false, 40)?.to_lowercase();
        if !tag.is_empty() && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > 20 {
        return Err(AppError::invalid("At most 20 tags."));
    }
    Ok(tags)
}

impl SessionInput {
    /// `held_at` is `YYYY-MM-DDTHH:MM` on the coach's wall clock; `in_zone` says when that is.
    pub fn parse(
        held_at: &str,
        duration_min: &str,
        title: &str,
        tags: &str,
        private_notes: &str,
        summary: &str,
        in_zone: impl FnOnce(LocalDateTime) -> i64,
    ) -> Result<Self, AppError> {
        let duration_min = duration_min
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|m| (1..=600).contains(m))
            .ok_or_else(|| {
                AppError::invalid("Duration must be a whole number of minutes from 1 to 600.")
            })?;
        Ok(Self {
            held_at: in_zone(LocalDateTime::parse(held_at, "Date and time")?),
            duration_min,
            title: bounded_text(title, "Title", true, 120)?,
            tags: parse_tags(tags)?,
            private_notes: LongText::parse(private_notes, "Private notes")?,
            summary: LongText::parse(summary, "Summary")?,
        })
    }
}

/// Who is to do an action item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionOwner {
    Client,
    Coach,
}

impl ActionOwner {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Coach => "coach",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Client => "Client",
            Self::Coach => "Coach",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw.trim() {
            "client" => Ok(Self::Client),
            "coach" => Ok(Self::Coach),
            _ => Err(AppError::invalid("Owner must be \"client\" or \"coach\".")),
        }
    }
}

/// A new action item, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionItemInput {
    pub owner: ActionOwner,
    pub text: String,
    pub due_date: Option<super::CalendarDate>,
}

impl ActionItemInput {
    pub fn parse(owner: &str, text: &str, due_date: &str) -> Result<Self, AppError> {
        Ok(Self {
            owner: ActionOwner::parse(owner)?,
            text: bounded_text(text, "Action item", true, 300)?,
            due_date: super::CalendarDate::optional(due_date, "Due date")?,
        })
    }
}

/// An action item as its coach sees it (and, when shared, its client).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActionItem {
    pub id: String,
    pub session_id: String,
    pub owner: ActionOwner,
    pub text: String,
    pub due_date: Option<String>,
    pub shared: bool,
    /// When it was marked done, if it was.
    pub done_at: Option<i64>,
}

/// A session in the coach's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SessionSummary {
    pub id: String,
    pub held_at: i64,
    pub duration_min: u32,
    pub title: String,
    pub tags: Vec<String>,
    pub has_transcript: bool,
    pub summary_shared: bool,
}

/// Everything about a session, for its coach only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SessionDetail {
    pub summary: SessionSummary,
    pub client_id: String,
    pub transcript: Option<Transcript>,
    pub private_notes: String,
    /// The summary text (shared with the client only when `summary.summary_shared`).
    pub shared_summary: String,
    pub action_items: Vec<ActionItem>,
}

/// What the client sees of a session: only what the coach shared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SharedSession {
    pub id: String,
    pub held_at: i64,
    pub duration_min: u32,
    pub title: String,
    /// Empty when the coach shared only action items.
    pub summary: String,
    /// The shared action items only.
    pub action_items: Vec<ActionItem>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_at_goes_through_the_zone() {
        let input = SessionInput::parse("2026-11-20T14:30", "45", "Week 3", "", "", "", |local| {
            local.as_utc() + 8 * 3_600_000
        })
        .unwrap();
        assert_eq!(input.held_at, 1_795_185_000_000 + 8 * 3_600_000);
        let err = SessionInput::parse("2026-11-20", "45", "Week 3", "", "", "", |l| l.as_utc())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Date and time must look like 2026-11-20T14:30."
        );
    }

    #[test]
    fn inputs_parse_with_clear_errors() {
        let input = SessionInput::parse(
            "2026-11-20T14:30",
            "45",
            "Week 3",
            "Sleep, stress, sleep",
            "",
            "",
            |l| l.as_utc(),
        )
        .unwrap();
        assert_eq!(input.tags, ["sleep", "stress"]);
        let err = SessionInput::parse("2026-11-20T14:30", "0", "Week 3", "", "", "", |l| {
            l.as_utc()
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Duration must be a whole number of minutes from 1 to 600."
        );
        let err = SessionInput::parse("2026-11-20T14:30", "45", " ", "", "", "", |l| l.as_utc())
            .unwrap_err();
        assert_eq!(err.to_string(), "Title is required.");
    }
}
