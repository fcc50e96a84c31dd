//! A client's check-in submission, from multipart body to stored rows and objects.
//!
//! Order matters for "nothing half-saved": every field and photo is read and checked first, then
//! the photos are processed, then written to storage, then the rows are inserted in one
//! transaction. If anything after the first write fails, the written objects are removed.

use super::authz::ClientSelf;
use super::photos::{self, PhotoLimits};
use super::state::AppState;
use super::storage::ObjectKey;
use super::store::checkins::{self, StoredPhoto};
use super::store::forms;
use super::{cleanup, internal, new_id};
use crate::domain::{
    CheckinInput, CheckinSummary, FilledForm, IdempotencyKey, Metric, PhotoSlot, RawAnswers,
    FORM_FIELD_PREFIX,
};
use crate::AppError;
use std::collections::BTreeMap;
use tokio::sync::Semaphore;

/// Longest text field accepted (feedback is bounded again, in characters, by `LongText`).
const MAX_TEXT_FIELD_BYTES: usize = 32 * 1024;

/// Decoding a photo can take ~100 MiB; at most this many run at once, whatever the traffic.
static DECODE_SLOTS: Semaphore = Semaphore::const_new(2);

/// The raw parts of a submission.
#[derive(Debug, Default)]
pub struct RawCheckin {
    pub fields: BTreeMap<String, String>,
    /// `form.<field id>` parts: answers to the client's check-in form.
    pub form_answers: RawAnswers,
    pub photos: Vec<(PhotoSlot, Vec<u8>)>,
    /// The browser's key for this check-in, when it sent one.
    pub idempotency_key: Option<IdempotencyKey>,
    /// The account the browser made it for (`sender_id`), when it says: a check-in queued on a
    /// shared device is never recorded for whoever is signed in when it is finally sent.
    pub sender_id: Option<String>,
}

/// The form field naming the account a check-in was made for.
pub const SENDER_FIELD: &str = "sender_id";

fn read_error(err: multer::Error) -> AppError {
    // The body limit's error arrives wrapped (multer, then server_fn): look down the chain.
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(inner) = source {
        chain.push_str(": ");
        chain.push_str(&inner.to_string());
        source = inner.source();
    }
    let text = err.to_string();
    if chain.to_ascii_lowercase().contains("length limit") {
        AppError::TooLarge
    } else {
        AppError::invalid(format!(
            "The upload could not be read ({text}). Please try again."
        ))
    }
}

/// `10 MB`, `512 KB`: sizes as people read them.
fn size_label(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes >= MB {
        format!("{} MB", bytes.div_ceil(MB))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

fn is_text_field(name: &str) -> bool {
    name == "feedback"
        || name == IdempotencyKey::FIELD
        || name == SENDER_FIELD
        || Metric::from_key(name).is_some()
        || name.starts_with(FORM_FIELD_PREFIX)
}

const MAX_FORM_PARTS: usize = 300;

/// Reads every part, refusing unknown fields, a second photo for one position (once read, at
/// most `max_photo_bytes`), and photos over `max_photo_bytes` as soon as they cross the limit
/// (without reading the rest).
pub async fn read(
    mut multipart: multer::Multipart<'static>,
    max_photo_bytes: usize,
) -> Result<RawCheckin, AppError> {
    let mut raw = RawCheckin::default();
    while let Some(mut field) = multipart.next_field().await.map_err(read_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if let Some(slot) = PhotoSlot::from_field_name(&name) {
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(read_error)? {
                if bytes.len() + chunk.len() > max_photo_bytes {
                    return Err(AppError::invalid(format!(
                        "{} photo is too large ({} at most).",
                        slot.label(),
                        size_label(max_photo_bytes)
                    )));
                }
                bytes.extend_from_slice(&chunk);
            }
            // A file input left empty still sends an empty part: the portal's form has two
            // inputs a slot (chooser and camera), and one of them is empty.
            if bytes.is_empty() {
                continue;
            }
            if raw.photos.iter().any(|(s, _)| *s == slot) {
                return Err(AppError::invalid(format!(
                    "Only one {} photo per check-in.",
                    slot.label().to_lowercase()
                )));
            }
            raw.photos.push((slot, bytes));
        } else if is_text_field(&name) {
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(read_error)? {
                if bytes.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
                    return Err(AppError::invalid(format!("The {name} field is too long.")));
                }
                bytes.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(bytes)
                .map_err(|_| AppError::invalid(format!("The {name} field is not valid text.")))?;
            if let Some(id) = name.strip_prefix(FORM_FIELD_PREFIX) {
                let parts: usize = raw.form_answers.values().map(Vec::len).sum();
                if parts >= MAX_FORM_PARTS {
                    return Err(AppError::invalid("Too many form answers."));
                }
                raw.form_answers
                    .entry(id.to_owned())
                    .or_default()
                    .push(text);
            } else if name == IdempotencyKey::FIELD {
                raw.idempotency_key = IdempotencyKey::parse_optional(Some(&text))?;
            } else if name == SENDER_FIELD {
                raw.sender_id = Some(text.trim().to_owned()).filter(|id| !id.is_empty());
            } else {
                raw.fields.insert(name, text);
            }
        } else {
            return Err(AppError::invalid(format!(
                "Unknown field \"{}\" in the check-in.",
                name.chars().take(40).collect::<String>()
            )));
        }
    }
    Ok(raw)
}

/// Decodes, checks and re-encodes every photo (off the async threads, a few at a time).
async fn process_photos(
    photos: Vec<(PhotoSlot, Vec<u8>)>,
    limits: PhotoLimits,
) -> Result<Vec<(PhotoSlot, photos::ProcessedPhoto)>, AppError> {
    let mut processed = Vec::with_capacity(photos.len());
    for (slot, bytes) in photos {
        let permit = DECODE_SLOTS.acquire().await.map_err(internal)?;
        let limits = limits.clone();
        let label = format!("{} photo", slot.label());
        // The permit lives as long as the decode itself, even if the request is dropped meanwhile.
        let photo = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            photos::process(&bytes, &limits, &label)
        })
        .await
        .map_err(internal)??;
        processed.push((slot, photo));
    }
    Ok(processed)
}

/// Submits a check-in for the signed-in client.
pub async fn submit(
    state: &AppState,
    me: &ClientSelf,
    multipart: multer::Multipart<'static>,
) -> Result<CheckinSummary, AppError> {
    let raw = read(multipart, state.settings.photo_max_bytes).await?;
    if raw
        .sender_id
        .as_deref()
        .is_some_and(|id| id != me.user_id())
    {
        return Err(AppError::Conflict(
            "This check-in was made by another account on this device, so it was not sent.".into(),
        ));
    }
    // Sent before: the answer is the check-in it made, whatever has changed since (the coach's
    // form, say), and nothing is processed again.
    if let Some(key) = &raw.idempotency_key {
        if let Some(earlier) = checkins::by_idempotency_key(&state.db, me, key).await? {
            return Ok(earlier);
        }
    }
    let units = checkins::units(&state.db, me).await?;
    // The form is read now, so the answers are checked against what the client was shown.
    let form = match forms::checkin_form(&state.db, me).await? {
        Some((_, definition)) => {
            let answers = definition.parse_answers(&raw.form_answers)?;
            Some(FilledForm {
                definition,
                answers,
            })
        }
        None if raw.form_answers.is_empty() => None,
        None => {
            return Err(AppError::invalid(
                "Your coach no longer asks these questions. Reload the page and send your check-in again.",
            ))
        }
    };
    let input = CheckinInput::parse(&raw.fields, units, !raw.photos.is_empty(), form)?;
    let limits = PhotoLimits {
        max_bytes: state.settings.photo_max_bytes,
        ..PhotoLimits::default()
    };
    let processed = process_photos(raw.photos, limits).await?;
    let key = raw.idempotency_key;
    // From the first object written to the committed rows, nothing may stop half-way: a browser
    // that goes away must not leave photos without rows, so this part runs as its own task.
    let (state, me) = (state.clone(), me.clone());
    tokio::spawn(async move { store(&state, &me, &input, key.as_ref(), processed).await })
        .await
        .map_err(internal)?
}

async fn store(
    state: &AppState,
    me: &ClientSelf,
    input: &CheckinInput,
    key: Option<&IdempotencyKey>,
    processed: Vec<(PhotoSlot, photos::ProcessedPhoto)>,
) -> Result<CheckinSummary, AppError> {
    let checkin_id = new_id();
    let mut stored: Vec<StoredPhoto> = Vec::with_capacity(processed.len());
    for (slot, photo) in processed {
        let key = ObjectKey::new_photo(me.coach_id(), me.client_id(), &checkin_id);
        let byte_size = photo.jpeg.len();
        if let Err(err) = state.storage.put(&key, photo.jpeg).await {
            discard(state, &checkin_id, &stored).await;
            return Err(err.into());
        }
        stored.push(StoredPhoto {
            slot,
            key,
            width: photo.width,
            height: photo.height,
            byte_size,
        });
    }
    match checkins::create(&state.db, me, &checkin_id, input, key, &stored).await {
        Ok(checkins::Recorded::New(summary)) => Ok(summary),
        // The same key arrived twice at once and the other one was recorded first.
        Ok(checkins::Recorded::Earlier(summary)) => {
            discard(state, &checkin_id, &stored).await;
            Ok(summary)
        }
        Err(err) => {
            discard(state, &checkin_id, &stored).await;
            Err(err)
        }
    }
}

/// Removes the objects of a check-in that was not recorded. A commit can report failure after
/// it happened, so the rows are checked first: recorded photos are never removed here.
async fn discard(state: &AppState, checkin_id: &str, stored: &[StoredPhoto]) {
    if !matches!(
        checkins::is_recorded(&state.db, checkin_id).await,
        Ok(false)
    ) {
        tracing::error!(
            checkin_id,
            "check-in may have been recorded; its objects are kept"
        );
        return;
    }
    let keys: Vec<ObjectKey> = stored.iter().map(|p| p.key.clone()).collect();
    cleanup::discard(&state.db, &state.storage, &keys).await;
}
