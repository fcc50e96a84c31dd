//! Access for legal reasons: operators record and approve requests (two different operators);
//! the coach reads the approved ones from their notify-after date. The export itself is a plain
//! download, `GET /api/operator/legal/{request_id}/export` (`server::client_export`).

use crate::domain::{LegalNotice, LegalRequestView};
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Records a legal request about the workspace of the coach with `coach_email`: `scope` `client` (with the client's
/// `client_email` in that workspace) or `workspace`; a `reason` and a `reference`; and
/// optionally `notify_after` (`YYYY-MM-DD`): the coach is not told before that day. Nothing may
/// be exported until a second operator approves it. Returns the request's id. Operators only.
#[server(
    prefix = "/api",
    endpoint = "operator/legal/request",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn record_legal_request(
    coach_email: String,
    scope: String,
    client_email: String,
    reason: String,
    reference: String,
    notify_after: String,
) -> Result<String, AppError> {
    use crate::domain::{Email, LegalRequestInput};
    use crate::server::{authz, now_millis, principal, state::AppState, store};
    let state = AppState::current()?;
    let operator = principal::require_operator(&state).await?;
    let coach_email = Email::parse(&coach_email)
        .map_err(|_| AppError::invalid("Coach email must be the coach's email address."))?;
    let coach_id = store::legal::coach_by_email(&state.db, &coach_email).await?;
    let coach = authz::coach_account(&operator, &coach_id)?;
    let input = LegalRequestInput::parse(
        &reason,
        &reference,
        &scope,
        &client_email,
        &notify_after,
        now_millis(),
    )?;
    store::legal::create(&state.db, &coach, &input).await
}

/// Every legal request, newest first, at most 200. Operators only.
#[server(
    prefix = "/api",
    endpoint = "operator/legal/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn legal_requests() -> Result<Vec<LegalRequestView>, AppError> {
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let operator = principal::require_operator(&state).await?;
    store::operators::record_console_read(&state.db, &operator, "operator/legal/list").await?;
    store::legal::list(&state.db, operator.user_id()).await
}

/// Approves a request: the second operator's part of the two-person rule (the operator who
/// recorded it is refused, 409). Its export may then be downloaded for 7 days. Operators only.
#[server(
    prefix = "/api",
    endpoint = "operator/legal/approve",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn approve_legal_request(request_id: String) -> Result<(), AppError> {
    use crate::domain::ObjectId;
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let operator = principal::require_operator(&state).await?;
    let request_id = ObjectId::parse(&request_id)?;
    store::legal::approve(&state.db, operator.user_id(), request_id.as_str()).await?;
    // When the coach may be told at once, the email goes now rather than at the next sweep.
    tokio::spawn(async move { crate::server::legal::notify_due(&state).await });
    Ok(())
}

/// Legal requests about the workspace that the coach may now be told of, newest first. Coach
/// only.
#[server(
    prefix = "/api",
    endpoint = "legal/notices",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn legal_notices() -> Result<Vec<LegalNotice>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let notices = store::legal::notices(&state.db, &authz::own_workspace(&coach)).await?;
    let shown = notices.iter().filter_map(|n| n.client_id.as_deref());
    authz::log_support_list_read(&state.db, &coach, "legal/notices", shown).await?;
    Ok(notices)
}
