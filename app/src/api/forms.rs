//! Forms: the coach builds templates, gives them to clients and reads the answers; the client
//! fills them in the portal. A check-in form is answered with every check-in instead.

use crate::domain::{FormDefinition, FormDoc, FormDraft, FormResponse, FormSummary, RawAnswers};
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use server_fn::codec::Json;

/// The coach's form templates, most recently changed first.
#[server(
    prefix = "/api",
    endpoint = "forms/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn list_forms() -> Result<Vec<FormSummary>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    store::forms::list(&state.db, &authz::own_workspace(&coach)).await
}

/// A new form template without fields; `kind` is `intake`, `checkin` or `questionnaire`.
/// Returns its id.
#[server(
    prefix = "/api",
    endpoint = "forms/create",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn create_form(name: String, kind: String) -> Result<String, AppError> {
    use crate::domain::{bounded_text, FormKind};
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let name = bounded_text(&name, "Form name", true, 120)?;
    let kind = FormKind::parse(&kind)?;
    let form_id =
        store::forms::create(&state.db, &authz::own_workspace(&coach), &name, kind).await?;
    // Made before the app loaded: the browser goes to the new form's builder, as the app does.
    crate::server::http::land_plain_form(&format!("/coach/forms/{form_id}"));
    Ok(form_id)
}

#[server(
    prefix = "/api",
    endpoint = "forms/get",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn get_form(form_id: String) -> Result<FormDoc, AppError> {
    use crate::server::authz::{self, FormItem};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let form = authz::item::<FormItem>(&state.db, &coach, &form_id).await?;
    store::forms::get(&state.db, &form).await
}

/// Replaces the template's name, type, description and fields (JSON body).
#[server(
    prefix = "/api",
    endpoint = "forms/save",
    input = Json,
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn save_form(form_id: String, form: FormDraft) -> Result<FormDoc, AppError> {
    use crate::server::authz::{self, FormItem};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let owned = authz::item::<FormItem>(&state.db, &coach, &form_id).await?;
    let definition = form.parse()?;
    store::forms::save(&state.db, &owned, &definition).await?;
    store::forms::get(&state.db, &owned).await
}

#[server(
    prefix = "/api",
    endpoint = "forms/delete",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn delete_form(form_id: String) -> Result<(), AppError> {
    use crate::server::authz::{self, FormItem};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let form = authz::item::<FormItem>(&state.db, &coach, &form_id).await?;
    store::forms::delete(&state.db, &form).await
}

/// Gives the form, as it is now, to a client to fill in. Returns the assignment's id.
#[server(
    prefix = "/api",
    endpoint = "forms/assign",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn assign_form(form_id: String, client_id: String) -> Result<String, AppError> {
    use crate::server::authz::{self, FormItem};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let form = authz::item::<FormItem>(&state.db, &coach, &form_id).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    store::forms::assign(&state.db, &form, &client).await
}

/// Forms given to clients with their answers: for one client, one template, or (both empty)
/// the whole workspace.
#[server(
    prefix = "/api",
    endpoint = "forms/responses",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn form_responses(
    client_id: String,
    form_id: String,
) -> Result<Vec<FormResponse>, AppError> {
    use crate::server::authz::{self, FormItem};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::optional_client(&state.db, &coach, Some(&client_id)).await?;
    let form = match form_id.trim() {
        "" => None,
        id => Some(authz::item::<FormItem>(&state.db, &coach, id).await?),
    };
    let workspace = authz::own_workspace(&coach);
    let responses =
        store::forms::responses(&state.db, &workspace, client.as_ref(), form.as_ref()).await?;
    if client.is_none() {
        let shown = responses.iter().map(|r| r.client_id.as_str());
        authz::log_support_list_read(&state.db, &coach, "forms/responses", shown).await?;
    }
    Ok(responses)
}

/// The id of the form the client answers with each check-in, if any.
#[server(
    prefix = "/api",
    endpoint = "forms/checkin_form",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn client_checkin_form(client_id: String) -> Result<Option<String>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    Ok(store::forms::checkin_form(&state.db, &client)
        .await?
        .map(|(id, _)| id))
}

/// Makes a check-in form the one the client answers with each check-in; empty `form_id` stops.
#[server(
    prefix = "/api",
    endpoint = "forms/set_checkin_form",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn set_checkin_form(client_id: String, form_id: String) -> Result<(), AppError> {
    use crate::server::authz::{self, FormItem};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    let form = match form_id.trim() {
        "" => None,
        id => Some(authz::item::<FormItem>(&state.db, &coach, id).await?),
    };
    store::forms::set_checkin_form(&state.db, &client, form.as_ref()).await
}

/// The forms the client has been given: waiting ones first.
#[server(
    prefix = "/api",
    endpoint = "portal/forms/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn my_forms() -> Result<Vec<FormResponse>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    store::forms::mine(&state.db, &me).await
}

#[server(
    prefix = "/api",
    endpoint = "portal/forms/get",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn my_form(assignment_id: String) -> Result<FormResponse, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    let assignment = authz::my_form_assignment(&state.db, &me, &assignment_id).await?;
    store::forms::my_form(&state.db, &assignment).await
}

/// The client's answers (JSON body): values by field id, several for a multiple choice.
#[server(
    prefix = "/api",
    endpoint = "portal/forms/submit",
    input = Json,
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn submit_form(
    assignment_id: String,
    answers: RawAnswers,
) -> Result<FormResponse, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    let assignment = authz::my_form_assignment(&state.db, &me, &assignment_id).await?;
    store::forms::submit(&state.db, &assignment, &answers).await
}

/// The form the client answers with each check-in, if their coach set one.
#[server(
    prefix = "/api",
    endpoint = "portal/checkin_form",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn my_checkin_form() -> Result<Option<FormDefinition>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    Ok(store::forms::checkin_form(&state.db, &me)
        .await?
        .map(|(_, definition)| definition))
}
