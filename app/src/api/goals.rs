//! Goals: the coach sets them for a client; the client follows them and logs habit goals.

use crate::domain::Goal;
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One client's goals, active first.
#[server(
    prefix = "/api",
    endpoint = "goals/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn client_goals(client_id: String) -> Result<Vec<Goal>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    store::goals::list(&state.db, &client).await
}

/// Sets a goal for a client: `kind` = `measurement` (with `metric`, `target` in the coach's
/// units and an optional `target_date`) or `habit` (with `per_week`).
#[server(
    prefix = "/api",
    endpoint = "goals/create",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn create_goal(
    client_id: String,
    title: String,
    kind: String,
    metric: String,
    target: String,
    target_date: String,
    per_week: String,
) -> Result<Vec<Goal>, AppError> {
    use crate::domain::GoalInput;
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    let units = store::checkins::units(&state.db, &client).await?;
    let input = GoalInput::parse(
        &title,
        &kind,
        &metric,
        &target,
        &target_date,
        &per_week,
        units,
    )?;
    store::goals::create(&state.db, &client, &input).await?;
    store::goals::list(&state.db, &client).await
}

/// Marks a goal active, completed or abandoned.
#[server(
    prefix = "/api",
    endpoint = "goals/set_status",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn set_goal_status(goal_id: String, status: String) -> Result<(), AppError> {
    use crate::domain::GoalStatus;
    use crate::server::authz::{self, GoalItem};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let goal = authz::item::<GoalItem>(&state.db, &coach, &goal_id).await?;
    let status = GoalStatus::parse(&status)?;
    store::goals::set_status(&state.db, &goal, status).await
}

#[server(
    prefix = "/api",
    endpoint = "goals/delete",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn delete_goal(goal_id: String) -> Result<(), AppError> {
    use crate::server::authz::{self, GoalItem};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let goal = authz::item::<GoalItem>(&state.db, &coach, &goal_id).await?;
    store::delete_item(&state.db, &goal).await
}

/// The client's own goals with their progress.
#[server(
    prefix = "/api",
    endpoint = "portal/goals/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn my_goals() -> Result<Vec<Goal>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    store::goals::list(&state.db, &me).await
}

/// The client records how many times this week they managed an active habit goal.
#[server(
    prefix = "/api",
    endpoint = "portal/goals/log",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn log_habit(goal_id: String, times_done: String) -> Result<Vec<Goal>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    let goal = authz::my_goal(&state.db, &me, &goal_id).await?;
    let times_done: u32 = times_done
        .trim()
        .parse()
        .ok()
        .filter(|n| *n <= 100)
        .ok_or_else(|| AppError::invalid("Times done must be a whole number from 0 to 100."))?;
    store::goals::log_habit(&state.db, &goal, times_done).await?;
    store::goals::list(&state.db, &me).await
}
