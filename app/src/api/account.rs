//! Account settings for every kind of user: password, login email, and the time zones a
//! setting can take.

use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Changes the signed-in user's password and ends their other sessions.
#[server(
    prefix = "/api",
    endpoint = "account/password",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use crate::domain::NewPassword;
    use crate::server::{password, principal, state::AppState, store, throttle};
    let state = AppState::current()?;
    let who = principal::require_principal(&state).await?;
    let new_password = NewPassword::parse(&new_password)?;
    throttle::check_current_password(&state, who.user_id(), &current_password).await?;
    let hash = password::hash(&new_password).await?;
    let session = principal::session().await?;
    let keep = session
        .id()
        .map(|id| crate::server::session_store::stored_id(&id));
    store::users::change_password(&state.db, who.user_id(), &hash, keep.as_deref()).await
}

/// Starts a change of the signed-in user's login email: with the current password, a link goes
/// to the new address, and the change happens when it is opened. The answer is the same whether
/// or not the address is in use (its owner is told by email instead).
#[server(
    prefix = "/api",
    endpoint = "account/email",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn change_email(new_email: String, current_password: String) -> Result<(), AppError> {
    use crate::domain::{Email, EMAIL_CHANGE_NEEDS_SMTP};
    use crate::server::{mail, principal, state::AppState, store, throttle};
    let state = AppState::current()?;
    let who = principal::require_principal(&state).await?;
    let email = Email::parse(&new_email)?;
    let Some(mail_settings) = &state.settings.mail else {
        return Err(AppError::Unavailable(EMAIL_CHANGE_NEEDS_SMTP.into()));
    };
    throttle::check_current_password(&state, who.user_id(), &current_password).await?;
    let base = &state.settings.base_url;
    let (subject, body) =
        if store::users::email_taken(&state.db, &email, Some(who.user_id())).await? {
            (
                "Your Coachroom account".to_owned(),
                format!(
                    "Someone asked to make this address the login of a Coachroom account, but it \
                     already belongs to one. Nothing was changed. If it was you, log in at \
                     {base}/login with this address.\n"
                ),
            )
        } else {
            let token =
                store::email_links::create_email_change(&state.db, who.user_id(), &email).await?;
            (
                "Confirm your new Coachroom login email".to_owned(),
                format!(
                    "Open this link to make this address your Coachroom login (it works once, \
                     for 24 hours):\n{base}/confirm-email/{token}\n\nIf you did not ask for \
                     this, ignore this email: nothing changes.\n"
                ),
            )
        };
    mail::send_limited(&state, mail_settings, &email, subject, body).await?;
    Ok(())
}

/// Confirms a login email change from the emailed link: the address becomes the login (and, for
/// a client, their email on file) and every other session of the account ends.
#[server(
    prefix = "/api",
    endpoint = "account/email/confirm",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn confirm_email(token: String) -> Result<String, AppError> {
    use crate::server::{internal, principal, session_store, state::AppState, store};
    let state = AppState::current()?;
    let session = principal::session().await?;
    let unusable = || AppError::Conflict("This link is no longer valid.".into());
    let token = crate::domain::LinkToken::parse(&token).ok_or_else(unusable)?;
    let mut tx = state.db.begin().await?;
    let (user_id, email) = store::email_links::claim_email_change(&mut tx, &token)
        .await?
        .ok_or_else(unusable)?;
    // The browser that opens the link stays signed in if it is the same account's.
    let signed_in_as: Option<String> = session
        .get(session_store::USER_ID_KEY)
        .await
        .map_err(internal)?;
    let keep = session
        .id()
        .filter(|_| signed_in_as.as_deref() == Some(user_id.as_str()))
        .map(|id| session_store::stored_id(&id));
    store::users::change_login_email(&mut tx, &user_id, &email, keep.as_deref())
        .await?
        .ok_or_else(unusable)?;
    tx.commit().await.map_err(internal)?;
    Ok(email.to_string())
}

/// Every IANA time zone a setting takes, sorted (`Europe/London`, `UTC`, ...): the list the
/// time-zone pickers offer. Any signed-in user.
#[server(
    prefix = "/api",
    endpoint = "account/time_zones",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn time_zones() -> Result<Vec<String>, AppError> {
    use crate::server::{principal, state::AppState, time_zones};
    let state = AppState::current()?;
    principal::require_principal(&state).await?;
    Ok(time_zones::names().to_vec())
}
