//! Coaching sessions: one conversation with one client. The coach keeps the transcript and private
//! notes; only a summary the coach shares reaches the client.

use super::{bounded_text, LongText, Transcript};
use crate::AppError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A session's details as typed, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionInput {
    /// Milliseconds since the epoch (the time is read as UTC).
    pub held_at: i64,
    pub duration_min: u32,
    pub title: String,
    pub tags: Vec<String>,
    pub private_notes: LongText,
    pub summary: LongText,
}

/// `YYYY-MM-DDTHH:MM` (what a `datetime-local` input sends), read as UTC.
pub fn parse_held_at(raw: &str) -> Result<i64, AppError> {
    let bad = || AppError::invalid("Date and time must look like 2026-11-20T14:30.");
    let (date, time) = raw.trim().split_once('T').ok_or_else(bad)?;
    let date = super::CalendarDate::parse(date, "Date").map_err(|_| bad())?;
    let (hh, mm) = time
        .get(..5)
        .and_then(|t| t.split_once(':'))
        .ok_or_else(bad)?;
    let (hh, mm): (i64, i64) = (
        hh.parse().map_err(|_| bad())?,
        mm.parse().map_err(|_| bad())?,
    );
    if !(0..24).contains(&hh) || !(0..60).contains(&mm) {
        return Err(bad());
    }
    let days = date.days_since_epoch();
    Ok(((days * 24 + hh) * 60 + mm) * 60_000)
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
    pub fn parse(
        held_at: &str,
        duration_min: &str,
        title: &str,
        tags: &str,
        private_notes: &str,
        summary: &str,
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
            held_at: parse_held_at(held_at)?,
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
    fn held_at_is_read_as_utc() {
        assert_eq!(parse_held_at("1970-01-01T00:01").unwrap(), 60_000);
        assert_eq!(
            parse_held_at("2026-11-20T14:30").unwrap(),
            1_795_185_000_000
        );
        for bad in ["2026-11-20", "2026-13-01T10:00", "2026-11-20T25:00", "soon"] {
            assert!(parse_held_at(bad).is_err(), "{bad}");
        }
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
        )
        .unwrap();
        assert_eq!(input.tags, ["sleep", "stress"]);
        let err = SessionInput::parse("2026-11-20T14:30", "0", "Week 3", "", "", "").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Duration must be a whole number of minutes from 1 to 600."
        );
        let err = SessionInput::parse("2026-11-20T14:30", "45", " ", "", "", "").unwrap_err();
        assert_eq!(err.to_string(), "Title is required.");
    }
}
