//! Coaching sessions: the coach records them with a transcript, private notes and a summary; the
//! client sees only the summaries the coach shares.

// A session is one form of eight fields; the server macro's generated client fns take them all.
#![allow(clippy::too_many_arguments)]

use crate::domain::{SessionDetail, SessionSummary, SharedSession};
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use server_fn::codec::{MultipartData, MultipartFormData};

/// One client's sessions, newest first.
#[server(
    prefix = "/api",
    endpoint = "sessions/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn client_sessions(client_id: String) -> Result<Vec<SessionSummary>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    store::sessions::list(&state.db, &client).await
}

/// Records a session: `held_at` as `YYYY-MM-DDTHH:MM` on the coach's wall clock (their
/// workspace time zone), `duration_min` 1–600, `title`,
/// `tags` comma-separated, `private_notes` and `summary` (not shared until `sessions/share`),
/// and optionally a pasted `transcript`. Returns its id.
#[server(
    prefix = "/api",
    endpoint = "sessions/create",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn create_session(
    client_id: String,
    held_at: String,
    duration_min: String,
    title: String,
    tags: String,
    private_notes: String,
    summary: String,
    transcript: String,
) -> Result<String, AppError> {
    use crate::domain::{SessionInput, Transcript, TranscriptFormat};
    use crate::server::{authz, principal, state::AppState, store, time_zones};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    let zone = store::coaches::timezone(&state.db, &client).await?;
    let input = SessionInput::parse(
        &held_at,
        &duration_min,
        &title,
        &tags,
        &private_notes,
        &summary,
        |local| time_zones::instant(&zone, local),
    )?;
    let transcript = match transcript.trim() {
        "" => None,
        text => Some(Transcript::parse(text, TranscriptFormat::Text)?),
    };
    store::sessions::create(&state.db, &client, &input, transcript.as_ref()).await
}

#[server(
    prefix = "/api",
    endpoint = "sessions/get",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn get_session(session_id: String) -> Result<SessionDetail, AppError> {
    use crate::server::authz::{self, SessionItem};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let session = authz::item::<SessionItem>(&state.db, &coach, &session_id).await?;
    store::sessions::get(&state.db, &session).await
}

/// Replaces the session's details (as `sessions/create`, without the transcript).
#[server(
    prefix = "/api",
    endpoint = "sessions/update",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn update_session(
    session_id: String,
    held_at: String,
    duration_min: String,
    title: String,
    tags: String,
    private_notes: String,
    summary: String,
) -> Result<SessionDetail, AppError> {
    use crate::domain::SessionInput;
    use crate::server::authz::{self, SessionItem};
    use crate::server::{principal, state::AppState, store, time_zones};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let session = authz::item::<SessionItem>(&state.db, &coach, &session_id).await?;
    let zone = store::coaches::timezone(&state.db, &session).await?;
    let input = SessionInput::parse(
        &held_at,
        &duration_min,
        &title,
        &tags,
        &private_notes,
        &summary,
        |local| time_zones::instant(&zone, local),
    )?;
    store::sessions::update(&state.db, &session, &input).await?;
    store::sessions::get(&state.db, &session).await
}

/// Sets the transcript from a multipart body: `session_id`, and `text` (pasted) or `file` (.txt,
/// .vtt or .srt, parsed into speaker turns). Replaces any earlier transcript.
#[server(prefix = "/api", endpoint = "sessions/transcript", input = MultipartFormData)]
pub async fn upload_transcript(data: MultipartData) -> Result<SessionDetail, AppError> {
    use crate::server::{internal, principal, state::AppState, store, transcript_intake};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let multipart = data
        .into_inner()
        .ok_or_else(|| internal("multipart body missing on the server"))?;
    let (session, transcript) = transcript_intake::receive(&state, &coach, multipart).await?;
    store::sessions::set_transcript(&state.db, &session, Some(&transcript)).await?;
    store::sessions::get(&state.db, &session).await
}

/// Shares the session's summary with the client (`shared` = true) or withdraws it.
#[server(
    prefix = "/api",
    endpoint = "sessions/share",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn share_session(session_id: String, shared: bool) -> Result<(), AppError> {
    use crate::server::authz::{self, SessionItem};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let session = authz::item::<SessionItem>(&state.db, &coach, &session_id).await?;
    store::sessions::share(&state.db, &session, shared).await
}

/// Deletes the session with its transcript, notes and summary.
#[server(
    prefix = "/api",
    endpoint = "sessions/delete",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn delete_session(session_id: String) -> Result<(), AppError> {
    use crate::server::authz::{self, SessionItem};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let session = authz::item::<SessionItem>(&state.db, &coach, &session_id).await?;
    store::delete_item(&state.db, &session).await
}

/// Adds an action item to a session: `owner` `client` or `coach`, `text`, `due_date`
/// (`YYYY-MM-DD` or empty), `shared` (whether the client sees it).
#[server(
    prefix = "/api",
    endpoint = "sessions/action_items/add",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn add_action_item(
    session_id: String,
    owner: String,
    text: String,
    due_date: String,
    shared: bool,
) -> Result<SessionDetail, AppError> {
    use crate::domain::ActionItemInput;
    use crate::server::authz::{self, SessionItem};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let session = authz::item::<SessionItem>(&state.db, &coach, &session_id).await?;
    let input = ActionItemInput::parse(&owner, &text, &due_date)?;
    let key = store::sessions::action_item_key(&state.db, &session).await?;
    store::sessions::add_action_item(state.db.writer(), &key, &session, &input, shared).await?;
    store::sessions::get(&state.db, &session).await
}

/// Shares an action item with the client, or withdraws it.
#[server(
    prefix = "/api",
    endpoint = "action_items/share",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn share_action_item(item_id: String, shared: bool) -> Result<(), AppError> {
    use crate::server::authz::{self, ActionItemKind};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let item = authz::item::<ActionItemKind>(&state.db, &coach, &item_id).await?;
    store::sessions::share_action_item(&state.db, &item, shared).await
}

#[server(
    prefix = "/api",
    endpoint = "action_items/delete",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn delete_action_item(item_id: String) -> Result<(), AppError> {
    use crate::server::authz::{self, ActionItemKind};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let item = authz::item::<ActionItemKind>(&state.db, &coach, &item_id).await?;
    store::delete_item(&state.db, &item).await
}

/// The client marks one of their shared action items done (or not done).
#[server(
    prefix = "/api",
    endpoint = "portal/action_items/set_done",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn set_action_item_done(item_id: String, done: bool) -> Result<(), AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    let item = authz::my_action_item(&state.db, &me, &item_id).await?;
    store::sessions::set_action_item_done(&state.db, &item, done).await
}

/// The client's sessions with a shared summary or shared action items, newest first.
#[server(
    prefix = "/api",
    endpoint = "portal/sessions/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn my_sessions() -> Result<Vec<SharedSession>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    store::sessions::shared(&state.db, &me).await
}
