//! Coaching-session transcripts: pasted text or an uploaded .txt, .vtt or .srt file, parsed into
//! speaker turns. Broken cue timestamps are refused with the line they are on, never guessed.

use crate::AppError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One stretch of speech.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Turn {
    /// Who spoke, when the transcript says.
    pub speaker: Option<String>,
    /// Milliseconds from the start of the recording, for timed formats.
    pub start_ms: Option<u64>,
    pub text: String,
}

/// A parsed transcript: turns in order, consecutive lines of one speaker merged.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Transcript {
    pub turns: Vec<Turn>,
}

/// Where a transcript came from, which decides how it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranscriptFormat {
    /// Plain text: "Speaker: words" lines, or just paragraphs.
    Text,
    WebVtt,
    Srt,
}

impl TranscriptFormat {
    /// From an uploaded file's name: `.txt`, `.vtt` or `.srt`.
    pub fn from_file_name(name: &str) -> Result<Self, AppError> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".txt") {
            Ok(Self::Text)
        } else if lower.ends_with(".vtt") {
            Ok(Self::WebVtt)
        } else if lower.ends_with(".srt") {
            Ok(Self::Srt)
        } else {
            Err(AppError::invalid(
                "A transcript file must be .txt, .vtt or .srt.",
            ))
        }
    }
}

/// The most text a transcript may hold (about ten hours of speech).
pub const MAX_TRANSCRIPT_CHARS: usize = 600_000;

impl Transcript {
    pub fn parse(raw: &str, format: TranscriptFormat) -> Result<Self, AppError> {
        let raw = raw.strip_prefix('\u{feff}').unwrap_or(raw);
        if raw.chars().count() > MAX_TRANSCRIPT_CHARS {
            return Err(AppError::invalid(format!(
                "The transcript is too long ({MAX_TRANSCRIPT_CHARS} characters at most)."
            )));
        }
        let turns = match format {
            TranscriptFormat::Text => parse_text(raw),
            TranscriptFormat::WebVtt => parse_cues(raw, true)?,
            TranscriptFormat::Srt => parse_cues(raw, false)?,
        };
        let transcript = Self {
            turns: merge(turns),
        };
        if transcript.turns.is_empty() {
            return Err(AppError::invalid("The transcript is empty."));
        }
        Ok(transcript)
    }
}

/// "Name: words" gives a speaker when the name is short and looks like a name.
fn split_speaker(line: &str) -> (Option<String>, String) {
    if let Some((name, rest)) = line.split_once(':') {
        let name = name.trim();
        let plausible = !name.is_empty()
            && name.chars().count() <= 40
            && name.split_whitespace().count() <= 4
            && !name.chars().any(|c| c.is_ascii_digit())
            && !rest.trim().is_empty();
        if plausible {
            return (Some(name.to_owned()), rest.trim().to_owned());
        }
    }
    (None, line.trim().to_owned())
}

fn parse_text(raw: &str) -> Vec<Turn> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (speaker, text) = split_speaker(line);
            Turn {
                speaker,
                start_ms: None,
                text,
            }
        })
        .collect()
}

/// `HH:MM:SS.mmm` (VTT; hours optional) or `HH:MM:SS,mmm` (SRT).
fn parse_timestamp(raw: &str, vtt: bool) -> Option<u64> {
    let (clock, millis) = raw.trim().split_once(if vtt { '.' } else { ',' })?;
    if millis.len() != 3 || !millis.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let parts: Vec<&str> = clock.split(':').collect();
    let (h, m, s) = match parts.as_slice() {
        [h, m, s] => (*h, *m, *s),
        [m, s] if vtt => ("0", *m, *s),
        _ => return None,
    };
    let num = |p: &str, max: u64| -> Option<u64> {
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        p.parse::<u64>().ok().filter(|v| *v <= max)
    };
    // Minutes and seconds are always two digits.
    if m.len() != 2 || s.len() != 2 {
        return None;
    }
    let (h, m, s) = (num(h, 99)?, num(m, 59)?, num(s, 59)?);
    Some(((h * 60 + m) * 60 + s) * 1000 + millis.parse::<u64>().ok()?)
}

/// VTT `<v Name>words</v>` voice tags; other tags are dropped.
fn strip_voice(text: &str) -> (Option<String>, String) {
    let mut speaker = None;
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let tag = &rest[open + 1..open + close];
        // "v Name" or "v.class Name"
        if let Some(after) = tag.strip_prefix('v') {
            if after.starts_with([' ', '.']) {
                let name = after.split_once(' ').map_or("", |(_, n)| n).trim();
                if !name.is_empty() {
                    speaker = Some(name.to_owned());
                }
            }
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    (speaker, out.trim().to_owned())
}

/// Reads VTT or SRT cues: an optional id line, a `start --> end` line, then text lines.
fn parse_cues(raw: &str, vtt: bool) -> Result<Vec<Turn>, AppError> {
    let lines: Vec<&str> = raw.lines().collect();
    let mut i = 0;
    if vtt {
        match lines.first() {
            Some(first) if first.trim_start().starts_with("WEBVTT") => i = 1,
            _ => {
                return Err(AppError::invalid(
                    "This .vtt file does not start with WEBVTT.",
                ))
            }
        }
    }
    let mut turns = Vec::new();
    while i < lines.len() {
        let line = lines[i].trim();
        if line.is_empty() {
            i += 1;
            continue;
        }
        // VTT header blocks we do not need.
        if vtt && (line.starts_with("NOTE") || line == "STYLE" || line == "REGION") {
            while i < lines.len() && !lines[i].trim().is_empty() {
                i += 1;
            }
            continue;
        }
        // An optional cue id before the timing line.
        let timing_at = if line.contains("-->") { i } else { i + 1 };
        let Some(timing) = lines.get(timing_at).map(|l| l.trim()) else {
            return Err(AppError::invalid(format!(
                "Line {}: a cue without a timing line.",
                i + 1
            )));
        };
        let bad = || {
            AppError::invalid(format!(
                "Line {}: “{}” is not a valid cue timing (expected {}).",
                timing_at + 1,
                timing.chars().take(60).collect::<String>(),
                if vtt {
                    "00:01:02.000 --> 00:01:05.000"
                } else {
                    "00:01:02,000 --> 00:01:05,000"
                }
            ))
        };
        let (start, end) = timing.split_once("-->").ok_or_else(bad)?;
        // VTT cue settings may follow the end time.
        let end = end.split_whitespace().next().unwrap_or_default();
        let start_ms = parse_timestamp(start, vtt).ok_or_else(bad)?;
        let end_ms = parse_timestamp(end, vtt).ok_or_else(bad)?;
        if end_ms < start_ms {
            return Err(bad());
        }
        i = timing_at + 1;
        let mut text = Vec::new();
        while i < lines.len() && !lines[i].trim().is_empty() {
            text.push(lines[i].trim());
            i += 1;
        }
        let joined = text.join(" ");
        let (voice, joined) = if vtt {
            strip_voice(&joined)
        } else {
            (None, joined)
        };
        let (speaker, words) = match voice {
            Some(v) => (Some(v), joined),
            None => split_speaker(&joined),
        };
        if !words.is_empty() {
            turns.push(Turn {
                speaker,
                start_ms: Some(start_ms),
                text: words,
            });
        }
    }
    Ok(turns)
}

/// Consecutive turns of one speaker become one.
fn merge(turns: Vec<Turn>) -> Vec<Turn> {
    let mut merged: Vec<Turn> = Vec::with_capacity(turns.len());
    for turn in turns {
        match merged.last_mut() {
            Some(last) if last.speaker.is_some() && last.speaker == turn.speaker => {
                last.text.push(' ');
                last.text.push_str(&turn.text);
            }
            _ => merged.push(turn),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_lines_become_speaker_turns() {
        let t = Transcript::parse(
            "Coach: How was the week?\nRiley: Hard.\nRiley: Work was busy.\n\nSome note without a speaker",
            TranscriptFormat::Text,
        )
        .unwrap();
        assert_eq!(t.turns.len(), 3);
        assert_eq!(t.turns[1].speaker.as_deref(), Some("Riley"));
        assert_eq!(t.turns[1].text, "Hard. Work was busy.");
        assert_eq!(t.turns[2].speaker, None);
    }

    #[test]
    fn webvtt_cues_with_voices_and_settings() {
        let raw = "WEBVTT\n\nNOTE made by Zoom\n\n1\n00:00:01.000 --> 00:00:04.500 align:start\n<v Coach>How did the week go?</v>\n\n2\n00:04.600 --> 00:08.000\nRiley: Better than last\nweek, honestly.\n";
        let t = Transcript::parse(raw, TranscriptFormat::WebVtt).unwrap();
        assert_eq!(t.turns[0].speaker.as_deref(), Some("Coach"));
        assert_eq!(t.turns[0].start_ms, Some(1000));
        assert_eq!(t.turns[1].speaker.as_deref(), Some("Riley"));
        assert_eq!(t.turns[1].text, "Better than last week, honestly.");
        assert_eq!(t.turns[1].start_ms, Some(4600));
    }

    #[test]
    fn srt_cues() {
        let raw = "1\n00:00:01,000 --> 00:00:02,000\nCoach: Hi\n\n2\n01:00:03,250 --> 01:00:04,000\nRiley: Hello\n";
        let t = Transcript::parse(raw, TranscriptFormat::Srt).unwrap();
        assert_eq!(t.turns[1].start_ms, Some(3_603_250));
    }

    #[test]
    fn broken_timestamps_and_empty_files_are_refused() {
        let err = Transcript::parse(
            "WEBVTT\n\n00:00:01.000 --> 00:00:0x.000\nHi\n",
            TranscriptFormat::WebVtt,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Line 3: “00:00:01.000 --> 00:00:0x.000” is not a valid cue timing (expected 00:01:02.000 --> 00:01:05.000)."
        );
        assert!(Transcript::parse(
            "1\n00:00:01.000 --> 00:00:02,000\nHi",
            TranscriptFormat::Srt
        )
        .is_err());
        assert!(
            Transcript::parse("00:00:05,000 --> 00:00:01,000\nHi", TranscriptFormat::Srt).is_err()
        );
        assert!(Transcript::parse("Hello", TranscriptFormat::WebVtt).is_err());
        assert_eq!(
            Transcript::parse("  \n\n", TranscriptFormat::Text)
                .unwrap_err()
                .to_string(),
            "The transcript is empty."
        );
        assert!(TranscriptFormat::from_file_name("call.mp3").is_err());
    }
}
