//! AI results as the coach reviews them: session insights, the generation job's progress, and
//! the record of AI calls. Nothing here reaches a client until the coach applies and shares it.

use super::{bounded_text, ActionOwner, LongText};
use crate::AppError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the AI drew from a session's transcript, as the coach edits it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Insights {
    pub summary: String,
    pub themes: Vec<String>,
    pub progress: Vec<String>,
    pub concerns: Vec<String>,
    pub action_items: Vec<SuggestedAction>,
}

/// An action item the AI suggests; it becomes a real one only when the coach applies it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SuggestedAction {
    pub owner: ActionOwner,
    pub text: String,
    /// `YYYY-MM-DD`, when the transcript named one.
    pub due_date: Option<String>,
}

const MAX_LIST: usize = 30;

fn parse_list(items: &[String], field: &str) -> Result<Vec<String>, AppError> {
    if items.len() > MAX_LIST {
        return Err(AppError::invalid(format!(
            "{field}: at most {MAX_LIST} entries."
        )));
    }
    let mut parsed = Vec::new();
    for item in items {
        let item = bounded_text(item, field, false, 500)?;
        if !item.is_empty() {
            parsed.push(item);
        }
    }
    Ok(parsed)
}

impl Insights {
    /// Checks an edited (or generated) set of insights: the same limits whoever wrote it.
    pub fn parse(raw: &Insights) -> Result<Self, AppError> {
        if raw.action_items.len() > MAX_LIST {
            return Err(AppError::invalid(format!(
                "Action items: at most {MAX_LIST}."
            )));
        }
        let mut action_items = Vec::new();
        for item in &raw.action_items {
            let text = bounded_text(&item.text, "Action item", false, 300)?;
            if text.is_empty() {
                continue;
            }
            let due_date = item
                .due_date
                .as_deref()
                .map(|d| super::CalendarDate::optional(d, "Due date"))
                .transpose()?
                .flatten()
                .map(|d| d.as_str().to_owned());
            action_items.push(SuggestedAction {
                owner: item.owner,
                text,
                due_date,
            });
        }
        Ok(Self {
            summary: LongText::parse(&raw.summary, "Summary")?
                .as_str()
                .to_owned(),
            themes: parse_list(&raw.themes, "Themes")?,
            progress: parse_list(&raw.progress, "Progress")?,
            concerns: parse_list(&raw.concerns, "Concerns")?,
            action_items,
        })
    }
}

/// Where a generation job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "queued" => Some(Self::Queued),
            "running" => Some(Self::Running),
            "done" => Some(Self::Done),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }

    /// Still to finish: the UI keeps polling.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Queued | Self::Running)
    }
}

/// The insights job of one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InsightsJob {
    pub status: JobStatus,
    /// Steps finished and steps in all (one per transcript chunk, plus one to merge them).
    pub steps_done: u32,
    pub steps_total: u32,
    pub attempts: u32,
    /// Why the last attempt failed, in words for the coach.
    pub error: Option<String>,
    pub updated_at: i64,
}

/// A session's insights: the job, and the results once there are any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SessionInsights {
    pub job: Option<InsightsJob>,
    pub insights: Option<Insights>,
    /// When the coach last applied them to the session.
    pub applied_at: Option<i64>,
}

/// Whether AI can be used, and if not, what to tell the coach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AiStatus {
    pub configured: bool,
    pub chat_model: String,
    pub transcription_model: String,
    /// The AI server's host, so the coach knows where text goes.
    pub server: String,
}

/// What a coach reads wherever an AI button would be, when AI is off on the server. It speaks
/// to the coach: turning AI on is the operator's job, and the README tells them how.
pub const AI_SETUP_HELP: &str = "AI drafting is not enabled on this Coachroom. Whoever runs \
     your Coachroom can turn it on; everything else works without it.";

/// What an AI call was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AiPurpose {
    SessionInsights,
    ReplyDraft,
    Transcription,
}

impl AiPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SessionInsights => "session_insights",
            Self::ReplyDraft => "reply_draft",
            Self::Transcription => "transcription",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "session_insights" => Some(Self::SessionInsights),
            "reply_draft" => Some(Self::ReplyDraft),
            "transcription" => Some(Self::Transcription),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::SessionInsights => "Session insights",
            Self::ReplyDraft => "Check-in reply draft",
            Self::Transcription => "Audio transcription",
        }
    }
}

/// One AI call: who, when, about whom, which model, how many tokens. Never the content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AiCall {
    pub at: i64,
    pub purpose: AiPurpose,
    pub client_id: String,
    pub client_name: String,
    pub model: String,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    /// `None` when it succeeded; otherwise a short reason.
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edited_insights_drop_blank_entries_and_check_dates() {
        let raw = Insights {
            summary: "  Good session. ".into(),
            themes: vec!["sleep".into(), "  ".into()],
            progress: vec![],
            concerns: vec![],
            action_items: vec![
                SuggestedAction {
                    owner: ActionOwner::Client,
                    text: "Walk daily".into(),
                    due_date: Some("2026-12-01".into()),
                },
                SuggestedAction {
                    owner: ActionOwner::Coach,
                    text: " ".into(),
                    due_date: None,
                },
            ],
        };
        let parsed = Insights::parse(&raw).unwrap();
        assert_eq!(parsed.summary, "Good session.");
        assert_eq!(parsed.themes, vec!["sleep".to_string()]);
        assert_eq!(parsed.action_items.len(), 1);

        let mut bad = raw;
        bad.action_items[0].due_date = Some("next week".into());
        assert!(Insights::parse(&bad).is_err());
    }
}
