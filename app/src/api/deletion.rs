//! Deletion requests: the client asks in the portal (and may withdraw); the coach deletes the
//! client (`clients/delete`, which destroys their key) or declines with a reason.

use crate::domain::DeletionRequest;
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The signed-in client asks their coach to delete their data, with an optional message.
/// Requests and withdrawals together: at most 10 per client in the throttle window (429).
#[server(
    prefix = "/api",
    endpoint = "portal/deletion/request",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn request_deletion(message: String) -> Result<(), AppError> {
    use crate::server::{authz, principal, state::AppState, store, throttle};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    let message = crate::domain::deletion_message(&message)?;
    throttle::deletion_step(&state, me.client_id()).await?;
    store::deletion_requests::request(&state.db, &me, &message).await
}

/// The signed-in client withdraws their open deletion request.
#[server(
    prefix = "/api",
    endpoint = "portal/deletion/withdraw",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn withdraw_deletion() -> Result<(), AppError> {
    use crate::server::{authz, principal, state::AppState, store, throttle};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    throttle::deletion_step(&state, me.client_id()).await?;
    store::deletion_requests::withdraw(&state.db, &me).await
}

/// The signed-in client's newest deletion request (open, withdrawn or declined), or `null`.
#[server(
    prefix = "/api",
    endpoint = "portal/deletion/status",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn my_deletion_request() -> Result<Option<DeletionRequest>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    store::deletion_requests::latest(&state.db, &me).await
}

/// The workspace's open deletion requests, oldest (most urgent) first.
#[server(
    prefix = "/api",
    endpoint = "deletion_requests/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn open_deletion_requests() -> Result<Vec<DeletionRequest>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let workspace = authz::own_workspace(&coach);
    let requests = store::deletion_requests::open_in_workspace(&state.db, &workspace).await?;
    let shown = requests.iter().map(|r| r.client_id.as_str());
    authz::log_support_list_read(&state.db, &coach, "deletion_requests/list", shown).await?;
    Ok(requests)
}

/// A client's newest deletion request, or `null`.
#[server(
    prefix = "/api",
    endpoint = "clients/deletion_request",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn client_deletion_request(
    client_id: String,
) -> Result<Option<DeletionRequest>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    store::deletion_requests::latest(&state.db, &client).await
}

/// Declines an open deletion request with a reason the client sees.
#[server(
    prefix = "/api",
    endpoint = "deletion_requests/decline",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn decline_deletion(request_id: String, reason: String) -> Result<(), AppError> {
    use crate::server::authz::{self, DeletionRequestItem};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let request = authz::item::<DeletionRequestItem>(&state.db, &coach, &request_id).await?;
    let reason = crate::domain::decline_reason(&reason)?;
    store::deletion_requests::decline(&state.db, &request, &reason).await
}
