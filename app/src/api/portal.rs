//! The client portal: the client's own profile and their coach's brand.

use crate::domain::PortalHome;
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[server(
    prefix = "/api",
    endpoint = "portal/home",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn get_portal_home() -> Result<PortalHome, AppError> {
    use crate::server::authz::{self};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    let profile = store::clients::own_profile(&state.db, &me).await?;
    let (coach_name, brand_name) = store::coaches::public_brand(&state.db, &me).await?;
    let latest_weight =
        store::checkins::latest(&state.db, &me, crate::domain::Metric::Weight).await?;
    Ok(PortalHome {
        profile,
        coach_name,
        brand_name,
        latest_weight,
    })
}

/// What the portal's home puts first: the client's check-in when it is due (on their own
/// calendar), forms waiting for their answers, and their coach's reply of the last week.
#[server(
    prefix = "/api",
    endpoint = "portal/next_steps",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn my_next_steps() -> Result<crate::domain::NextSteps, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    store::today::next_steps(&state.db, &me).await
}

/// The client's phone number: the part of their profile they edit themselves here (their
/// login email changes through `account/email`).
#[server(
    prefix = "/api",
    endpoint = "portal/contact/update",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn update_contact(phone: String) -> Result<PortalHome, AppError> {
    use crate::domain::parse_phone;
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    let phone = parse_phone(&phone)?;
    store::clients::update_phone(&state.db, &me, &phone).await?;
    get_portal_home().await
}

/// The client's own time zone (an IANA name from `account/time_zones`), in which the portal shows
/// dates and counts habit weeks. Answers with the signed-in user, whose clock is now in it.
#[server(
    prefix = "/api",
    endpoint = "portal/timezone/update",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn update_my_timezone(timezone: String) -> Result<crate::domain::Me, AppError> {
    use crate::server::{authz, principal, state::AppState, store, time_zones};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    let zone = time_zones::known(&timezone)?;
    store::clients::set_own_timezone(&state.db, &me, &zone).await?;
    store::users::me(&state.db, client.user_id())
        .await?
        .ok_or(AppError::Unauthenticated)
}
