//! A transcript upload: a multipart body with `session_id` and one of `text` (pasted), `file`
//! (.txt, .vtt or .srt) or `audio` (transcribed by the AI server, then dropped: audio is never
//! kept). Everything is read and parsed before anything is stored.

use super::authz::{self, OwnedSession, SessionItem};
use super::principal::CoachPrincipal;
use super::state::AppState;
use crate::domain::{Transcript, TranscriptFormat};
use crate::AppError;

/// Largest transcript part accepted (about ten hours of speech).
pub const MAX_TRANSCRIPT_BYTES: usize = 3 * 1024 * 1024;
/// Largest audio file accepted (what OpenAI's transcription API takes).
pub const MAX_AUDIO_BYTES: usize = 25 * 1024 * 1024;

/// The audio formats transcription servers take, recognised by their first bytes (a file's
/// name or declared type proves nothing). Returns the file extension to send.
pub fn audio_extension(bytes: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"ID3") || (bytes.len() > 1 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) {
        Some("mp3")
    } else if starts(b"RIFF") && bytes.get(8..12) == Some(b"WAVE") {
        Some("wav")
    } else if starts(b"OggS") {
        Some("ogg")
    } else if starts(b"fLaC") {
        Some("flac")
    } else if bytes.get(4..8) == Some(b"ftyp") {
        Some("m4a")
    } else if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("webm")
    } else {
        None
    }
}

/// What the body said, before parsing.
#[derive(Default)]
struct RawTranscript {
    session_id: Option<String>,
    text: Option<String>,
    file: Option<(String, Vec<u8>)>,
    audio: Option<Vec<u8>>,
}

pub(super) async fn read_part(
    field: &mut multer::Field<'static>,
    limit: usize,
    what: &str,
) -> Result<Vec<u8>, AppError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| AppError::invalid(format!("The upload could not be read ({e}).")))?
    {
        if bytes.len() + chunk.len() > limit {
            return Err(AppError::invalid(format!(
                "The {what} is too large ({} MB at most).",
                limit / (1024 * 1024)
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

async fn read(mut multipart: multer::Multipart<'static>) -> Result<RawTranscript, AppError> {
    let mut raw = RawTranscript::default();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::invalid(format!("The upload could not be read ({e}).")))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "session_id" => {
                let bytes = read_part(&mut field, 256, "session id").await?;
                raw.session_id = Some(String::from_utf8_lossy(&bytes).trim().to_owned());
            }
            "text" => {
                let bytes = read_part(&mut field, MAX_TRANSCRIPT_BYTES, "transcript").await?;
                raw.text = Some(
                    String::from_utf8(bytes)
                        .map_err(|_| AppError::invalid("The transcript is not valid text."))?,
                );
            }
            "file" => {
                let file_name = field.file_name().unwrap_or_default().to_owned();
                let bytes = read_part(&mut field, MAX_TRANSCRIPT_BYTES, "transcript").await?;
                // A file input left empty still sends an empty part.
                if !bytes.is_empty() {
                    raw.file = Some((file_name, bytes));
                }
            }
            "audio" => {
                let bytes = read_part(&mut field, MAX_AUDIO_BYTES, "audio file").await?;
                if !bytes.is_empty() {
                    raw.audio = Some(bytes);
                }
            }
            other => {
                return Err(AppError::invalid(format!(
                    "Unknown field \"{}\" in the transcript upload.",
                    other.chars().take(40).collect::<String>()
                )))
            }
        }
    }
    Ok(raw)
}

/// Reads, authorizes and parses an upload: the session it belongs to and its transcript.
pub async fn receive(
    state: &AppState,
    coach: &CoachPrincipal,
    multipart: multer::Multipart<'static>,
) -> Result<(OwnedSession, Transcript), AppError> {
    let raw = read(multipart).await?;
    let session_id = raw
        .session_id
        .ok_or_else(|| AppError::invalid("session_id is required."))?;
    let session = authz::item::<SessionItem>(&state.db, coach, &session_id).await?;
    if let Some(audio) = raw.audio {
        let transcript = transcribe(state, &session, audio).await?;
        return Ok((session, transcript));
    }
    let transcript = match (raw.file, raw.text) {
        (Some((file_name, bytes)), _) => {
            let format = TranscriptFormat::from_file_name(&file_name)?;
            let text = String::from_utf8(bytes)
                .map_err(|_| AppError::invalid("The transcript file is not UTF-8 text."))?;
            Transcript::parse(&text, format)?
        }
        (None, Some(text)) => Transcript::parse(&text, TranscriptFormat::Text)?,
        (None, None) => {
            return Err(AppError::invalid(
                "Paste the transcript, or choose a .txt, .vtt or .srt file or an audio file.",
            ))
        }
    };
    Ok((session, transcript))
}

/// Audio to transcript through the AI server. Checked to be audio before anything is sent.
async fn transcribe(
    state: &AppState,
    session: &OwnedSession,
    audio: Vec<u8>,
) -> Result<Transcript, AppError> {
    let extension = audio_extension(&audio).ok_or_else(|| {
        AppError::invalid(
            "That file is not audio we can transcribe (mp3, wav, ogg, flac, m4a or webm).",
        )
    })?;
    let ai = super::ai::configured(state.ai.as_ref())?;
    let client = authz::session_client(&state.db, session).await?;
    let subject = authz::ai_subject(&state.db, &client).await?;
    let text = ai
        .transcribe(&state.db, &subject, &format!("session.{extension}"), audio)
        .await?;
    if text.trim().is_empty() {
        return Err(AppError::invalid(
            "The transcription came back empty: the audio may have no speech.",
        ));
    }
    Transcript::parse(&text, TranscriptFormat::Text)
}

#[cfg(test)]
mod tests {
    use super::audio_extension;

    #[test]
    fn audio_is_recognised_by_its_bytes() {
        assert_eq!(audio_extension(b"ID3\x04rest"), Some("mp3"));
        assert_eq!(audio_extension(b"RIFF\0\0\0\0WAVEfmt "), Some("wav"));
        assert_eq!(audio_extension(b"OggS\0"), Some("ogg"));
        assert_eq!(audio_extension(b"\0\0\0\x20ftypM4A "), Some("m4a"));
        assert_eq!(audio_extension(b"%PDF-1.7"), None);
        assert_eq!(audio_extension(b"WEBVTT\n"), None);
        assert_eq!(audio_extension(b""), None);
    }
}
