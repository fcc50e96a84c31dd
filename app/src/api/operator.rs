//! Operators: setting up an account from its one-time link, signing in with a password and a
//! TOTP code, and the console (platform health in counts; coach accounts and suspension). None
//! of it shows a client's name or any content, and every content server fn refuses an operator.

use crate::domain::{CoachAccount, CoachAccountPage, Me, OperatorEnrolment, OperatorOverview};
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a setup link shows: whose account it is and the authenticator secret to enrol. Anyone
/// holding the link (made by `coachroom admin add`) may read it; a used or expired link is 409.
#[server(
    prefix = "/api",
    endpoint = "operator/setup/info",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn operator_setup_info(token: String) -> Result<OperatorEnrolment, AppError> {
    use crate::domain::LinkToken;
    use crate::server::{state::AppState, store, totp};
    let state = AppState::current()?;
    let token = LinkToken::parse(&token).ok_or_else(store::operators::setup_link_unusable)?;
    let pending = store::operators::pending_setup(&state.db, &token).await?;
    let (totp_secret, otpauth_url) = totp::enrolment(&pending.secret, &pending.email)?;
    Ok(OperatorEnrolment {
        email: pending.email,
        totp_secret,
        otpauth_url,
    })
}

/// Finishes an operator's setup: the password they choose, and a first code from the
/// authenticator they just enrolled (proving it works). Spends the link and signs in.
#[server(
    prefix = "/api",
    endpoint = "operator/setup/finish",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn finish_operator_setup(
    token: String,
    password: String,
    code: String,
) -> Result<Me, AppError> {
    use crate::domain::{LinkToken, NewPassword, TotpCode};
    use crate::server::{http, password, principal, state::AppState, store, throttle, totp};
    let state = AppState::current()?;
    let session = principal::session().await?;
    let ip = http::request_ip(&state.settings).await;
    throttle::new_account(&state, ip).await?.keep_counted();
    let token = LinkToken::parse(&token).ok_or_else(store::operators::setup_link_unusable)?;
    let password = NewPassword::parse(&password)?;
    let code = TotpCode::parse(&code)?;
    let pending = store::operators::pending_setup(&state.db, &token).await?;
    let step = totp::matching_step(&pending.secret, code.as_str(), totp::now_secs())?.ok_or_else(
        || {
            AppError::invalid(
                "Code is not the one your authenticator app shows now. Check that the app and \
                 this device agree on the time.",
            )
        },
    )?;
    let hash = password::hash(&password).await?;
    if !store::operators::finish_setup(&state.db, &token, &pending.user_id, &hash, step).await? {
        return Err(store::operators::setup_link_unusable());
    }
    principal::sign_in_as(&state, &session, &pending.user_id).await
}

/// Signs an operator in: email, password and the current code of their authenticator. Each code
/// works once, and never after a later one. Every failure is the same 401, counted like a login.
#[server(
    prefix = "/api",
    endpoint = "operator/login",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn operator_login(email: String, password: String, code: String) -> Result<Me, AppError> {
    use crate::domain::{Email, TotpCode};
    use crate::server::{http, password, principal, state::AppState, store, throttle, totp};
    let state = AppState::current()?;
    let session = principal::session().await?;
    let email = Email::parse(&email)?;
    let code = TotpCode::parse(&code)?;
    let ip = http::request_ip(&state.settings).await;
    let attempt = throttle::login(&state, ip, &email).await?;
    let found = match store::operators::credentials(&state.db, &email).await {
        Ok(found) => found,
        Err(err) => {
            attempt.succeeded(&state.db).await?;
            return Err(err);
        }
    };
    let (user_id, stored_hash, sealed_secret) = match found {
        Some((id, hash, secret)) => (Some(id), Some(hash), Some(secret)),
        None => (None, None, None),
    };
    // The same password work whether or not the account exists.
    let password_ok = match password::verify(&password, stored_hash).await {
        Ok(ok) => ok,
        Err(err) => {
            attempt.succeeded(&state.db).await?;
            return Err(err);
        }
    };
    // The code is checked whatever the password was, so the time taken tells nothing.
    let step = match (&user_id, &sealed_secret) {
        (Some(user_id), Some(sealed)) => {
            store::operators::code_step(&state.db, user_id, sealed, code.as_str()).await?
        }
        _ => totp::matching_step(&totp::new_secret(), code.as_str(), totp::now_secs())?,
    };
    let (Some(user_id), Some(step), true) = (user_id, step, password_ok) else {
        attempt.keep_counted();
        return Err(AppError::BadCredentials);
    };
    if !store::operators::use_step(&state.db, &user_id, step).await? {
        attempt.keep_counted();
        return Err(AppError::BadCredentials);
    }
    attempt.succeeded(&state.db).await?;
    principal::sign_in_as(&state, &session, &user_id).await
}

/// Platform health: counts of coaches and clients, storage used, the last backup, the AI queue
/// and this server's recent errors. Operators only.
#[server(
    prefix = "/api",
    endpoint = "operator/overview",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn platform_overview() -> Result<OperatorOverview, AppError> {
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let operator = principal::require_operator(&state).await?;
    store::operators::record_console_read(&state.db, &operator, "operator/overview").await?;
    store::operators::overview(&state.db, state.recent_errors.snapshot()).await
}

/// Coach accounts (name, email, created, suspended), oldest first, 100 a page; `after` is the
/// previous page's `next_after` (empty for the first). Operators only.
#[server(
    prefix = "/api",
    endpoint = "operator/coaches/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn list_coach_accounts(after: String) -> Result<CoachAccountPage, AppError> {
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let operator = principal::require_operator(&state).await?;
    let after = store::operators::coach_cursor(&after)?;
    store::operators::record_console_read(&state.db, &operator, "operator/coaches/list").await?;
    store::operators::coach_page(&state.db, after).await
}

/// Suspends (`suspended` true) or reinstates a coach account. A suspended coach is signed out at
/// once and cannot sign in; the coach's access log records it. Operators only.
#[server(
    prefix = "/api",
    endpoint = "operator/coaches/suspend",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn suspend_coach(coach_id: String, suspended: bool) -> Result<CoachAccount, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let operator = principal::require_operator(&state).await?;
    let account = authz::coach_account(&operator, &coach_id)?;
    store::operators::set_suspended(&state.db, &account, suspended).await
}
