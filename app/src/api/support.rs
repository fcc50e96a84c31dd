//! Support access by the coach's grant: the coach grants and revokes it; operators list open
//! grants and enter a workspace under one (read-only: see `server::support`).

use crate::domain::{GrantedWorkspace, SupportGrant};
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Opens the workspace to Coachroom support, read-only, for `hours` (1, 24 or 72), with an
/// optional `message` for support. Replaces a grant still open. Coach only.
#[server(
    prefix = "/api",
    endpoint = "support/grant",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn grant_support(hours: i64, message: String) -> Result<SupportGrant, AppError> {
    use crate::domain::{support_grant_length, support_message};
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    if coach.support().is_some() {
        return Err(AppError::Forbidden);
    }
    let length = support_grant_length(hours)?;
    let message = support_message(&message)?;
    store::support::grant(&state.db, &authz::own_workspace(&coach), length, &message).await
}

/// Ends support's access at once (harmless when none is open). Coach only.
#[server(
    prefix = "/api",
    endpoint = "support/revoke",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn revoke_support() -> Result<(), AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    if coach.support().is_some() {
        return Err(AppError::Forbidden);
    }
    store::support::revoke(&state.db, &authz::own_workspace(&coach)).await
}

/// The workspace's open grant, or `null`. The coach (and support, inside the workspace).
#[server(
    prefix = "/api",
    endpoint = "support/status",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn support_status() -> Result<Option<SupportGrant>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    store::support::open_grant(&state.db, &authz::own_workspace(&coach)).await
}

/// Every open grant (the coach, until when, their note), newest first, at most 200. Operators
/// only.
#[server(
    prefix = "/api",
    endpoint = "operator/support/grants",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn open_support_grants() -> Result<Vec<GrantedWorkspace>, AppError> {
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let operator = principal::require_operator(&state).await?;
    store::operators::record_console_read(&state.db, &operator, "operator/support/grants").await?;
    store::support::open_grants(&state.db).await
}

/// Enters the workspace of an open grant, read-only: the coach's pages then show that workspace
/// to this session until the grant ends or `operator/support/leave`. Logged. Operators only; a
/// grant that is not open is not found.
#[server(
    prefix = "/api",
    endpoint = "operator/support/enter",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn enter_support(grant_id: String) -> Result<(), AppError> {
    use crate::domain::{AccessAction, ObjectId};
    use crate::server::support::SUPPORT_GRANT_KEY;
    use crate::server::{internal, principal, state::AppState, store};
    let state = AppState::current()?;
    let session = principal::session().await?;
    let operator = principal::require_operator(&state).await?;
    let grant_id = ObjectId::parse(&grant_id)?;
    let (grant, _) = store::support::open_by_id(&state.db, grant_id.as_str(), None)
        .await?
        .ok_or(AppError::NotFound)?;
    store::support::record(
        &state.db,
        operator.user_id(),
        &grant.id,
        &grant.coach_id,
        AccessAction::SupportEntered,
        &[(None, store::support::grant_ref(&grant.id))],
    )
    .await?;
    session
        .insert(SUPPORT_GRANT_KEY, grant_id.as_str())
        .await
        .map_err(internal)
}

/// Leaves the workspace this session entered (harmless when none). Operators only.
#[server(
    prefix = "/api",
    endpoint = "operator/support/leave",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn leave_support() -> Result<(), AppError> {
    use crate::server::support::SUPPORT_GRANT_KEY;
    use crate::server::{internal, principal, state::AppState};
    let state = AppState::current()?;
    let session = principal::session().await?;
    principal::require_operator(&state).await?;
    session
        .remove::<String>(SUPPORT_GRANT_KEY)
        .await
        .map_err(internal)?;
    Ok(())
}
