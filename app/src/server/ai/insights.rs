//! Session insights from a transcript: the prompt, the JSON schema the answer must follow, and
//! chunking, so a long transcript is read in parts (then merged) and never silently cut off.

use super::redact::{as_data, Redactor, DATA_RULE};
use super::{Ai, AiFailure, JsonSchema};
use crate::domain::AiPurpose;
use crate::domain::{ActionOwner, Insights, SuggestedAction, Transcript};
use crate::server::authz::AiSubject;
use crate::server::db::Db;
use serde::Deserialize;
use serde_json::json;

const SYSTEM: &str = "You help a professional coach review a coaching session. Read the \
     transcript and answer only with JSON that follows the schema: a short summary the coach \
     could share with the client (second person is fine), key themes, progress the client \
     made, concerns the coach should follow up, and concrete action items, each owned by the \
     client or the coach, with a due date (YYYY-MM-DD) only when one was agreed. The client is \
     called [CLIENT] and the coach [COACH]; keep those placeholders as they are.";

const MERGE: &str = "You help a professional coach review a coaching session that was too long \
     to read at once. You get the insights drawn from each part, in order. Merge them into one \
     set following the schema: one summary of the whole session, themes, progress and concerns \
     without repeats, and every distinct action item. Keep the placeholders [CLIENT] and \
     [COACH] as they are.";

/// The JSON schema of the answer (strict structured output).
pub fn schema() -> JsonSchema {
    let list = json!({ "type": "array", "items": { "type": "string" } });
    JsonSchema {
        name: "session_insights",
        schema: json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["summary", "themes", "progress", "concerns", "action_items"],
            "properties": {
                "summary": { "type": "string" },
                "themes": list,
                "progress": list,
                "concerns": list,
                "action_items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["owner", "text", "due_date"],
                        "properties": {
                            "owner": { "type": "string", "enum": ["client", "coach"] },
                            "text": { "type": "string" },
                            "due_date": { "type": ["string", "null"] }
                        }
                    }
                }
            }
        }),
    }
}

/// The transcript as lines of text, in parts of at most `max_chars` characters each. A turn
/// longer than a part is split across parts; nothing is dropped.
pub fn chunks(transcript: &Transcript, max_chars: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    for turn in &transcript.turns {
        let line = match &turn.speaker {
            Some(speaker) => format!("{speaker}: {}\n", turn.text),
            None => format!("{}\n", turn.text),
        };
        let mut chars: Vec<char> = line.chars().collect();
        while !chars.is_empty() {
            let room = max_chars - current_len;
            if chars.len() <= room {
                current.extend(&chars);
                current_len += chars.len();
                break;
            }
            if current_len > 0 && chars.len() <= max_chars {
                // The whole line fits in a fresh part: do not split it.
                parts.push(std::mem::take(&mut current));
                current_len = 0;
                continue;
            }
            let rest = chars.split_off(room);
            current.extend(&chars);
            parts.push(std::mem::take(&mut current));
            current_len = 0;
            chars = rest;
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// What the model answers, before it is checked.
#[derive(Debug, Deserialize, serde::Serialize)]
struct Answer {
    summary: String,
    themes: Vec<String>,
    progress: Vec<String>,
    concerns: Vec<String>,
    action_items: Vec<AnswerAction>,
}

#[derive(Debug, Deserialize, serde::Serialize)]
struct AnswerAction {
    owner: String,
    text: String,
    due_date: Option<String>,
}

/// Clips model text to what the coach's editor accepts, on a character boundary.
fn clip(text: &str, max_chars: usize) -> String {
    text.trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .take(max_chars)
        .collect()
}

fn one_line(text: &str, max_chars: usize) -> String {
    clip(&text.replace(['\n', '\r'], " "), max_chars)
}

fn is_date(raw: &str) -> bool {
    crate::domain::CalendarDate::parse(raw, "Due date").is_ok()
}

impl Answer {
    fn parse(raw: &str) -> Result<Self, AiFailure> {
        // Some servers wrap JSON in a code fence even when asked for a schema.
        let trimmed = raw
            .trim()
            .trim_start_matches("```json")
            .trim_start_matches("```")
            .trim_end_matches("```")
            .trim();
        serde_json::from_str(trimmed).map_err(|err| {
            tracing::warn!(%err, "AI insights answer did not match the schema");
            AiFailure::Malformed
        })
    }

    /// Names restored, lengths clipped, and anything unusable (unknown owner, bad date) dropped
    /// or cleared, so the coach's editor always opens it.
    fn into_insights(self, redactor: &Redactor) -> Result<Insights, AiFailure> {
        let list = |items: Vec<String>| -> Vec<String> {
            items
                .iter()
                .map(|item| one_line(&redactor.restore(item), 500))
                .filter(|item| !item.is_empty())
                .take(30)
                .collect()
        };
        let raw = Insights {
            summary: clip(&redactor.restore(&self.summary), 4000),
            themes: list(self.themes),
            progress: list(self.progress),
            concerns: list(self.concerns),
            action_items: self
                .action_items
                .into_iter()
                .filter_map(|item| {
                    let owner = ActionOwner::parse(&item.owner).ok()?;
                    let text = one_line(&redactor.restore(&item.text), 300);
                    let due_date = item.due_date.filter(|d| is_date(d.trim()));
                    (!text.is_empty()).then_some(SuggestedAction {
                        owner,
                        text,
                        due_date: due_date.map(|d| d.trim().to_owned()),
                    })
                })
                .take(30)
                .collect(),
        };
        Insights::parse(&raw).map_err(|err| {
            tracing::warn!(%err, "AI insights failed our checks");
            AiFailure::Malformed
        })
    }
}

/// One step of a generation: read one part, or merge the parts' answers.
pub struct Generation<'a> {
    ai: &'a Ai,
    db: &'a Db,
    subject: &'a AiSubject,
    redactor: Redactor,
    context: String,
    parts: Vec<String>,
    answers: Vec<String>,
}

impl<'a> Generation<'a> {
    pub fn new(
        ai: &'a Ai,
        db: &'a Db,
        subject: &'a AiSubject,
        title: &str,
        transcript: &Transcript,
    ) -> Self {
        let redactor = Redactor::for_subject(subject);
        // Hidden turn by turn before the split into parts, so no name, email or number is cut
        // in two at a part's edge and sent whole-but-split.
        let hidden = Transcript {
            turns: transcript
                .turns
                .iter()
                .map(|turn| crate::domain::Turn {
                    speaker: turn.speaker.as_deref().map(|s| redactor.hide(s)),
                    start_ms: turn.start_ms,
                    text: redactor.hide(&turn.text),
                })
                .collect(),
        };
        let parts = chunks(&hidden, ai.settings().chunk_chars);
        Self {
            context: redactor.hide(&format!("Session title: {title}")),
            redactor,
            ai,
            db,
            subject,
            parts,
            answers: Vec::new(),
        }
    }

    /// Steps in all: one per part, plus a merge when there is more than one part.
    pub fn steps_total(&self) -> usize {
        match self.parts.len() {
            0 | 1 => 1,
            n => n + 1,
        }
    }

    /// Runs the next step; `Some(insights)` after the last one.
    pub async fn step(&mut self) -> Result<Option<Insights>, AiFailure> {
        let total_parts = self.parts.len();
        let index = self.answers.len();
        if index < total_parts {
            let heading = if total_parts == 1 {
                "Transcript:".to_owned()
            } else {
                format!("Transcript, part {} of {total_parts}:", index + 1)
            };
            let user = format!(
                "{}\n\n{heading}\n{}",
                self.context,
                as_data(&self.parts[index])
            );
            let answer = self.call(SYSTEM, &user).await?;
            if total_parts == 1 {
                return answer.into_insights(&self.redactor).map(Some);
            }
            self.answers
                .push(serde_json::to_string(&answer).map_err(|_| AiFailure::Malformed)?);
            return Ok(None);
        }
        let user = format!(
            "{}\n\nInsights from each part, in order:\n[{}]",
            self.context,
            self.answers.join(",\n")
        );
        let merged = self.call(MERGE, &user).await?;
        merged.into_insights(&self.redactor).map(Some)
    }

    async fn call(&self, system: &str, user: &str) -> Result<Answer, AiFailure> {
        let raw = self
            .ai
            .chat(
                self.db,
                self.subject,
                AiPurpose::SessionInsights,
                &format!("{system} {DATA_RULE}"),
                user,
                Some(schema()),
            )
            .await?;
        Answer::parse(&raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Turn;

    fn turn(speaker: &str, text: &str) -> Turn {
        Turn {
            speaker: Some(speaker.into()),
            start_ms: None,
            text: text.into(),
        }
    }

    #[test]
    fn chunks_keep_every_character_and_respect_the_limit() {
        let transcript = Transcript {
            turns: vec![
                turn("A", &"x".repeat(30)),
                turn("B", &"y".repeat(95)),
                turn("A", "short"),
            ],
        };
        let parts = chunks(&transcript, 40);
        assert!(parts.iter().all(|p| p.chars().count() <= 40), "{parts:?}");
        let joined: String = parts.concat();
        assert_eq!(
            joined,
            format!("A: {}\nB: {}\nA: short\n", "x".repeat(30), "y".repeat(95))
        );
        assert_eq!(chunks(&transcript, 1000).len(), 1);
    }

    #[test]
    fn answers_are_checked_and_names_restored() {
        let redactor = Redactor::new("Riley Client", "Casey Coach");
        let raw = r#"{"summary":"[CLIENT] slept better.","themes":["sleep"],"progress":[],
            "concerns":[],"action_items":[
              {"owner":"client","text":"[CLIENT] walks daily","due_date":"2026-12-01"},
              {"owner":"robot","text":"ignored","due_date":null},
              {"owner":"coach","text":"Send plan","due_date":"soon"}]}"#;
        let insights = Answer::parse(raw)
            .unwrap()
            .into_insights(&redactor)
            .unwrap();
        assert_eq!(insights.summary, "Riley slept better.");
        assert_eq!(insights.action_items.len(), 2);
        assert_eq!(insights.action_items[0].text, "Riley walks daily");
        assert_eq!(insights.action_items[1].due_date, None);
        assert_eq!(Answer::parse("not json").unwrap_err(), AiFailure::Malformed);
    }
}
