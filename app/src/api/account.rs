//! Account settings for every kind of user.

use crate::AppError;
use leptos::prelude::*;

/// Changes the signed-in user's password and ends their other sessions.
#[server(prefix = "/api", endpoint = "account/password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use crate::domain::NewPassword;
    use crate::server::{password, principal, state::AppState, store};
    let state = AppState::current()?;
    let who = principal::require_principal(&state).await?;
    let new_password = NewPassword::parse(&new_password)?;
    let stored = store::users::password_hash(&state.db, who.user_id()).await?;
    if !password::verify(&current_password, Some(stored)).await? {
        return Err(AppError::invalid("Current password is incorrect."));
    }
    let hash = password::hash(&new_password).await?;
    let session = principal::session().await?;
    let keep = session.id().map(|id| id.to_string());
    store::users::change_password(&state.db, who.user_id(), &hash, keep.as_deref()).await
}
