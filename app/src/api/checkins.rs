//! Check-ins: the client submits them from the portal; the coach reviews and replies.

use crate::domain::{CheckinDetail, CheckinReview, CheckinSummary, InboxPage, Progress};
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use server_fn::codec::{MultipartData, MultipartFormData};

/// The client submits a check-in: a multipart form with the metric fields (in the coach's
/// units), `feedback`, and up to four photos `photo_front|photo_side|photo_back|photo_other`.
#[server(prefix = "/api", endpoint = "portal/checkins/submit", input = MultipartFormData)]
pub async fn submit_checkin(data: MultipartData) -> Result<CheckinSummary, AppError> {
    use crate::server::{authz, checkin_intake, http, internal, principal, state::AppState};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    let multipart = data
        .into_inner()
        .ok_or_else(|| internal("multipart body missing on the server"))?;
    let sent = checkin_intake::submit(&state, &me, multipart).await?;
    // Sent before the app loaded: the browser goes to the check-in, as the app's link does.
    http::land_plain_form(&format!("/portal/checkins/{}", sent.id));
    Ok(sent)
}

/// The client's own check-ins, newest first.
#[server(
    prefix = "/api",
    endpoint = "portal/checkins/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn my_checkins() -> Result<Vec<CheckinSummary>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    store::checkins::list(&state.db, &me).await
}

/// One of the client's own check-ins with the coach's reply and short-lived photo URLs.
#[server(
    prefix = "/api",
    endpoint = "portal/checkins/get",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn my_checkin(checkin_id: String) -> Result<CheckinDetail, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    let checkin = authz::my_checkin(&state.db, &me, &checkin_id).await?;
    let ttl = state.settings.file_url_ttl;
    store::checkins::detail(&state.db, &state.storage, ttl, &checkin).await
}

/// The client's own progress: every metric over time and the check-ins with photos.
#[server(
    prefix = "/api",
    endpoint = "portal/progress",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn my_progress() -> Result<Progress, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    store::checkins::progress(&state.db, &me).await
}

/// Check-ins waiting for review across all the coach's clients, newest first, 25 a page.
#[server(
    prefix = "/api",
    endpoint = "checkins/inbox",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn checkin_inbox(page: i64) -> Result<InboxPage, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let page = store::checkins::inbox(&state.db, &authz::own_workspace(&coach), page).await?;
    let shown = page.items.iter().map(|item| item.client_id.as_str());
    authz::log_support_list_read(&state.db, &coach, "checkins/inbox", shown).await?;
    Ok(page)
}

/// One client's check-ins, newest first.
#[server(
    prefix = "/api",
    endpoint = "checkins/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn client_checkins(client_id: String) -> Result<Vec<CheckinSummary>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    store::checkins::list(&state.db, &client).await
}

/// A check-in beside the client's previous one, with short-lived photo URLs.
#[server(
    prefix = "/api",
    endpoint = "checkins/get",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn get_checkin(checkin_id: String) -> Result<CheckinReview, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let checkin = authz::checkin(&state.db, &coach, &checkin_id).await?;
    let ttl = state.settings.file_url_ttl;
    store::checkins::review(&state.db, &state.storage, ttl, &checkin).await
}

/// Saves the coach's reply (which the client sees) and marks the check-in reviewed.
#[server(
    prefix = "/api",
    endpoint = "checkins/review",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn review_checkin(checkin_id: String, reply: String) -> Result<(), AppError> {
    use crate::domain::LongText;
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let checkin = authz::checkin(&state.db, &coach, &checkin_id).await?;
    let reply = LongText::parse(&reply, "Reply")?;
    store::checkins::set_review(&state.db, &checkin, &reply).await
}

/// Deletes a check-in with its photos (rows and stored objects).
#[server(
    prefix = "/api",
    endpoint = "checkins/delete",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn delete_checkin(checkin_id: String) -> Result<(), AppError> {
    use crate::server::{authz, cleanup, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let checkin = authz::checkin(&state.db, &coach, &checkin_id).await?;
    let keys = store::checkins::delete(&state.db, &checkin).await?;
    cleanup::purge(&state.db, &state.storage, &keys).await;
    Ok(())
}

/// One client's progress: every metric over time and the check-ins with photos.
#[server(
    prefix = "/api",
    endpoint = "checkins/progress",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn client_progress(client_id: String) -> Result<Progress, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    store::checkins::progress(&state.db, &client).await
}
