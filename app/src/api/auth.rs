//! Sign-up, login, logout and "who am I".

use crate::domain::Me;
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Creates a coach account with its workspace and signs it in.
#[server(
    prefix = "/api",
    endpoint = "auth/signup",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn signup(name: String, email: String, password: String) -> Result<Me, AppError> {
    use crate::domain::{Email, NewPassword, PersonName, Role};
    use crate::server::{http, internal, password, principal, state::AppState, store, throttle};

    let state = AppState::current()?;
    let session = principal::session().await?;
    let name = PersonName::parse(&name)?;
    let email = Email::parse(&email)?;
    let password = NewPassword::parse(&password)?;
    let ip = http::request_ip(&state.settings).await;
    // Every sign-up counts, successful or not: each one hashes a password and makes an account.
    throttle::new_account(&state.db, state.settings.throttle, ip)
        .await?
        .keep_counted();

    let hash = password::hash(&password).await?;
    let mut tx = state.db.begin().await?;
    let user_id = store::users::insert(&mut tx, &email, &name, Role::Coach, &hash).await?;
    store::coaches::create_workspace(&mut tx, &user_id).await?;
    tx.commit().await.map_err(internal)?;

    principal::sign_in(&session, &user_id).await?;
    Ok(Me {
        user_id,
        email: email.to_string(),
        name: name.as_str().to_owned(),
        role: Role::Coach,
    })
}

/// Signs in. Unknown email and wrong password get the same 401 after the same work.
#[server(
    prefix = "/api",
    endpoint = "auth/login",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn login(email: String, password: String) -> Result<Me, AppError> {
    use crate::domain::Email;
    use crate::server::{http, internal, password, principal, state::AppState, store, throttle};

    let state = AppState::current()?;
    let session = principal::session().await?;
    let email = Email::parse(&email)?;
    let ip = http::request_ip(&state.settings).await;
    // Counted before the verify, so parallel guesses cannot all pass the limit.
    let attempt = throttle::login(&state.db, state.settings.throttle, ip, &email).await?;

    let credentials = store::users::credentials(&state.db, &email).await?;
    let (user_id, stored_hash) = credentials.unzip();
    if !password::verify(&password, stored_hash).await? {
        attempt.keep_counted();
        return Err(AppError::BadCredentials);
    }
    let user_id = user_id.ok_or_else(|| internal("verified without an account"))?;
    attempt.succeeded(&state.db).await?;
    principal::sign_in(&session, &user_id).await?;
    store::users::me(&state.db, &user_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Ends the current session on the server. Harmless when not signed in.
#[server(
    prefix = "/api",
    endpoint = "auth/logout",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::principal;
    let session = principal::session().await?;
    principal::sign_out(&session).await
}

/// The signed-in user, or `null` when nobody is signed in.
#[server(
    prefix = "/api",
    endpoint = "auth/me",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn who_am_i() -> Result<Option<Me>, AppError> {
    use crate::server::{principal, state::AppState};
    let state = AppState::current()?;
    let session = principal::session().await?;
    principal::current_user(&state, &session).await
}
