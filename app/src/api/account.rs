//! Account settings for every kind of user.

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
    let attempt = throttle::reauthenticate(&state.db, state.settings.throttle, who.user_id()).await?;
    let stored = store::users::password_hash(&state.db, who.user_id()).await?;
    if !password::verify(&current_password, Some(stored)).await? {
        attempt.keep_counted();
        return Err(AppError::invalid("Current password is incorrect."));
    }
    attempt.succeeded(&state.db).await?;
    let hash = password::hash(&new_password).await?;
    let session = principal::session().await?;
    let keep = session
        .id()
        .map(|id| crate::server::session_store::stored_id(&id));
    store::users::change_password(&state.db, who.user_id(), &hash, keep.as_deref()).await
}
