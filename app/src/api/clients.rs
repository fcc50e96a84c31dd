//! The coach's client roster and client profiles.
// The profile's fields are flat form arguments (the wire format ActionForm posts), so the
// create/update fns take one argument per field.
#![allow(clippy::too_many_arguments)]

use crate::domain::{ClientPage, ClientProfile};
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The roster: `archived` picks the archived or the active view; `query` searches name and
/// email; `sort` is `name` (the default), `last_checkin` or `compliance`.
#[server(
    prefix = "/api",
    endpoint = "clients/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn list_clients(
    query: String,
    archived: bool,
    page: i64,
    sort: Option<String>,
) -> Result<ClientPage, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let workspace = authz::own_workspace(&coach);
    let query = crate::domain::bounded_text(&query, "Search", false, 100)?;
    let sort = crate::domain::RosterSort::parse(sort.as_deref().unwrap_or_default())?;
    let page =
        store::clients::list(&state.db, &workspace, &query, archived, page, sort, false).await?;
    let shown = page.clients.iter().map(|c| c.id.as_str());
    authz::log_support_list_read(&state.db, &coach, "clients/list", shown).await?;
    Ok(page)
}

/// Creates a client in the coach's workspace. Height and weight are in the coach's units.
#[server(
    prefix = "/api",
    endpoint = "clients/create",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn create_client(
    name: String,
    email: String,
    phone: String,
    date_of_birth: String,
    age: String,
    gender: String,
    height: String,
    weight: String,
    goals: String,
    medical_conditions: String,
    dietary_restrictions: String,
    injuries: String,
    medications: String,
    checkin_day: String,
) -> Result<ClientProfile, AppError> {
    use crate::domain::{ClientForm, ClientInput};
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let workspace = authz::own_workspace(&coach);
    let units = store::coaches::profile(&state.db, &workspace).await?.units;
    let form = ClientForm {
        name,
        email,
        phone,
        date_of_birth,
        age,
        gender,
        height,
        weight,
        goals,
        medical_conditions,
        dietary_restrictions,
        injuries,
        medications,
        checkin_day,
    };
    let input = ClientInput::parse(&form, units)?;
    let client_id = store::clients::create(&state.db, &workspace, &input).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    // Added before the app loaded: the browser goes to the new client's page, as the app does.
    crate::server::http::land_plain_form(&format!("/coach/clients/{client_id}"));
    store::clients::profile(&state.db, &client).await
}

#[server(
    prefix = "/api",
    endpoint = "clients/get",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn get_client(client_id: String) -> Result<ClientProfile, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    store::clients::profile(&state.db, &client).await
}

/// Replaces the client's profile. Height and weight are in the coach's units.
#[server(
    prefix = "/api",
    endpoint = "clients/update",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn update_client(
    client_id: String,
    name: String,
    email: String,
    phone: String,
    date_of_birth: String,
    age: String,
    gender: String,
    height: String,
    weight: String,
    goals: String,
    medical_conditions: String,
    dietary_restrictions: String,
    injuries: String,
    medications: String,
    checkin_day: String,
) -> Result<ClientProfile, AppError> {
    use crate::domain::{ClientForm, ClientInput};
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    let units = store::coaches::profile(&state.db, &authz::own_workspace(&coach))
        .await?
        .units;
    let form = ClientForm {
        name,
        email,
        phone,
        date_of_birth,
        age,
        gender,
        height,
        weight,
        goals,
        medical_conditions,
        dietary_restrictions,
        injuries,
        medications,
        checkin_day,
    };
    let input = ClientInput::parse(&form, units)?;
    store::clients::update(&state.db, &client, &input).await?;
    store::clients::profile(&state.db, &client).await
}

/// Archives (hides from the active roster, keeping everything) or unarchives a client.
#[server(
    prefix = "/api",
    endpoint = "clients/archive",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn archive_client(client_id: String, archived: bool) -> Result<(), AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    store::clients::set_archived(&state.db, &client, archived).await
}

/// Deletes the client and all their data (including stored photos), login and sessions.
#[server(
    prefix = "/api",
    endpoint = "clients/delete",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn delete_client(client_id: String) -> Result<(), AppError> {
    use crate::server::{authz, cleanup, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    let keys = store::clients::delete(&state.db, &client).await?;
    // Their key is gone from the database; the key file beside the backups follows at once, so
    // no backup taken before this can be opened for them again.
    crate::server::backup::after_client_deleted(&state.db, &state.settings.backup);
    cleanup::purge(&state.db, &state.storage, &keys).await;
    Ok(())
}
