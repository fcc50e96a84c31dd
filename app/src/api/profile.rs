//! The coach's own profile and workspace settings: the first owned resource.
//! A coach's workspace id is their user id (`user_id` from `auth/me`).

use crate::domain::CoachProfile;
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[server(
    prefix = "/api",
    endpoint = "coach/profile/get",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn get_coach_profile(workspace_id: String) -> Result<CoachProfile, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let workspace = authz::workspace(&coach, &workspace_id)?;
    store::coaches::profile(&state.db, &workspace).await
}

#[server(
    prefix = "/api",
    endpoint = "coach/profile/update",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn update_coach_profile(
    workspace_id: String,
    name: String,
    brand_name: String,
    units: String,
    timezone: String,
) -> Result<CoachProfile, AppError> {
    use crate::domain::{BrandName, PersonName, Units};
    use crate::server::store::coaches::{self, ProfileUpdate};
    use crate::server::{authz, principal, state::AppState, time_zones};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let workspace = authz::workspace(&coach, &workspace_id)?;
    let update = ProfileUpdate {
        name: PersonName::parse(&name)?,
        brand_name: BrandName::parse(&brand_name)?,
        units: Units::parse(&units)?,
        timezone: time_zones::known(&timezone)?,
    };
    coaches::update_profile(&state.db, &workspace, &update).await?;
    coaches::profile(&state.db, &workspace).await
}
