//! A transcript upload: a multipart body with `session_id` and either `text` (pasted) or `file`
//! (.txt, .vtt or .srt). Everything is read and parsed before anything is stored.

use super::authz::{self, OwnedSession, SessionItem};
use super::principal::CoachPrincipal;
use super::state::AppState;
use crate::domain::{Transcript, TranscriptFormat};
use crate::AppError;

/// Largest transcript part accepted (about ten hours of speech).
pub const MAX_TRANSCRIPT_BYTES: usize = 3 * 1024 * 1024;

/// What the body said, before parsing.
#[derive(Default)]
struct RawTranscript {
    session_id: Option<String>,
    text: Option<String>,
    file: Option<(String, Vec<u8>)>,
}

async fn read_part(field: &mut multer::Field<'static>, limit: usize) -> Result<Vec<u8>, AppError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| AppError::invalid(format!("The upload could not be read ({e}).")))?
    {
        if bytes.len() + chunk.len() > limit {
            return Err(AppError::invalid(format!(
                "The transcript is too large ({} MB at most).",
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
                let bytes = read_part(&mut field, 256).await?;
                raw.session_id = Some(String::from_utf8_lossy(&bytes).trim().to_owned());
            }
            "text" => {
                let bytes = read_part(&mut field, MAX_TRANSCRIPT_BYTES).await?;
                raw.text = Some(
                    String::from_utf8(bytes)
                        .map_err(|_| AppError::invalid("The transcript is not valid text."))?,
                );
            }
            "file" => {
                let file_name = field.file_name().unwrap_or_default().to_owned();
                let bytes = read_part(&mut field, MAX_TRANSCRIPT_BYTES).await?;
                // A file input left empty still sends an empty part.
                if !bytes.is_empty() {
                    raw.file = Some((file_name, bytes));
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
                "Paste the transcript or choose a .txt, .vtt or .srt file.",
            ))
        }
    };
    Ok((session, transcript))
}
