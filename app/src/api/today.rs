//! The coach's "Today" on the dashboard, and the counts beside the navigation's links.

use crate::domain::{NavCounts, Today};
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What needs the coach now: check-ins waiting (oldest first), clients overdue for their
/// check-in day, goals near their date, to-dos due, invitations not accepted, open deletion
/// requests.
#[server(
    prefix = "/api",
    endpoint = "coach/today",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn coach_today() -> Result<Today, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let today = store::today::today(&state.db, &authz::own_workspace(&coach)).await?;
    let shown = today
        .waiting
        .iter()
        .map(|w| w.client_id.as_str())
        .chain(today.overdue.iter().map(|o| o.client_id.as_str()))
        .chain(
            today
                .todos_due
                .iter()
                .filter_map(|t| t.client_id.as_deref()),
        )
        .chain(today.goals_near.iter().map(|g| g.client_id.as_str()))
        .chain(today.invitations.iter().map(|i| i.client_id.as_str()));
    authz::log_support_list_read(&state.db, &coach, "coach/today", shown).await?;
    Ok(today)
}

/// The counts the coach's navigation shows: check-ins waiting for review.
#[server(
    prefix = "/api",
    endpoint = "coach/nav_counts",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn coach_nav_counts() -> Result<NavCounts, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    store::today::nav_counts(&state.db, &authz::own_workspace(&coach)).await
}
