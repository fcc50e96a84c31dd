//! Invitations: the coach issues a single-use link; the client opens it and sets a password.

use crate::domain::{InviteLink, InviteStatus, Me};
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Issues a new 7-day link for the client, withdrawing any earlier one (so this is also "resend").
#[server(
    prefix = "/api",
    endpoint = "invites/send",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn send_invite(client_id: String) -> Result<InviteLink, AppError> {
    use crate::server::{authz, coach_links, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    // An erased client cannot join again: everything they would send would be unreadable.
    store::keys::writable(store::keys::client(&state.db, client.client_id()).await?)?;
    // Counted before the new link withdraws the old one; given back when no link is made (the
    // client has already joined).
    let (token, expires_at_ms) = coach_links::within_allowance(
        &state,
        client.client_id(),
        store::invites::issue(&state.db, &client),
    )
    .await?;
    let url = format!("{}/invite/{token}", state.settings.base_url);
    let Some(mail) = &state.settings.mail else {
        return Ok(coach_links::to_copy(url, expires_at_ms));
    };
    let profile = store::clients::profile(&state.db, &client).await?;
    let coach = store::coaches::profile(&state.db, &authz::own_workspace(&coach)).await?;
    let from = if coach.brand_name.is_empty() {
        coach.name
    } else {
        coach.brand_name
    };
    let body = format!(
        "Hello {},\n\n{from} invited you to your private client portal on Coachroom.\n\n\
         Open this link to choose a password (it works once, for 7 days):\n{url}\n",
        profile.name
    );
    let subject = format!("{from} invited you to Coachroom");
    Ok(coach_links::email_or_copy(mail, &profile.email, &subject, body, url, expires_at_ms).await)
}

/// A link for a client who has joined to choose a new password (they forgot it), working once
/// for 24 hours; any earlier one stops working. Emailed to the client's login address when the
/// server sends email (then `url` is null), otherwise shown to copy. In the client's access log.
/// 409 for a client who has not joined (send an invitation instead).
#[server(
    prefix = "/api",
    endpoint = "clients/password_link",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn client_password_link(client_id: String) -> Result<InviteLink, AppError> {
    use crate::server::{authz, coach_links, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    // The same allowance as invitation emails, so one client's inbox is not flooded; given back
    // when no link is made (the client has not joined).
    let link = coach_links::within_allowance(
        &state,
        client.client_id(),
        store::password_resets::for_client(&state.db, &client),
    )
    .await?;
    let url = format!("{}/reset-password/{}", state.settings.base_url, link.token);
    let Some(mail) = &state.settings.mail else {
        return Ok(coach_links::to_copy(url, link.expires_at));
    };
    let body = format!(
        "Your coach made you a link to choose a new Coachroom password (it works once, \
         for 24 hours):\n{url}\n\nIf you did not ask for it, tell your coach.\n"
    );
    let subject = "Choose a new Coachroom password";
    Ok(coach_links::email_or_copy(
        mail,
        link.email.as_str(),
        subject,
        body,
        url,
        link.expires_at,
    )
    .await)
}

/// Withdraws the client's open invitation link, if any.
#[server(
    prefix = "/api",
    endpoint = "invites/revoke",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn revoke_invite(client_id: String) -> Result<(), AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    store::invites::revoke(&state.db, &client).await
}

/// What an invitation link shows: who invited whom, or why it no longer works. Anyone with the
/// link may ask; the token is the secret.
#[server(
    prefix = "/api",
    endpoint = "invites/check",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn check_invite(token: String) -> Result<InviteStatus, AppError> {
    use crate::server::{state::AppState, store};
    let state = AppState::current()?;
    match crate::domain::LinkToken::parse(&token) {
        Some(token) => store::invites::status(&state.db, &token).await,
        None => Ok(InviteStatus::Unknown),
    }
}

/// Accepts an invitation: creates the client's login with this password and signs them in.
#[server(
    prefix = "/api",
    endpoint = "invites/accept",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn accept_invite(
    token: String,
    password: String,
    timezone: Option<String>,
) -> Result<Me, AppError> {
    use crate::domain::NewPassword;
    use crate::server::{http, password, principal, state::AppState, store, throttle, time_zones};
    let state = AppState::current()?;
    let session = principal::session().await?;
    let password = NewPassword::parse(&password)?;
    let timezone = time_zones::device_zone(timezone.as_deref());
    let unusable =
        |status: &InviteStatus| AppError::Conflict(store::invites::unusable_message(status).into());
    let token =
        crate::domain::LinkToken::parse(&token).ok_or_else(|| unusable(&InviteStatus::Unknown))?;
    let ip = http::request_ip(&state.settings).await;
    throttle::new_account(&state, ip).await?.keep_counted();
    // The cheap token check comes before the expensive hash; `accept` checks again atomically.
    let status = store::invites::status(&state.db, &token).await?;
    if !matches!(status, InviteStatus::Valid { .. }) {
        return Err(unusable(&status));
    }
    let hash = password::hash(&password).await?;
    let user_id = store::invites::accept(&state.db, &token, &hash, timezone.as_ref()).await?;
    principal::sign_in_as(&state, &session, &user_id).await
}
