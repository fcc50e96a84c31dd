//! The meal-plan and workout-plan server fns share these flows, generic over the plan kind. Each
//! flow resolves the principal first and proves ownership before it touches the store, exactly
//! like a server fn body; the server fns in `api::plans` only pick the kind.

use super::authz::{self, OwnedClient, OwnedWorkspace};
use super::db::Db;
use super::principal::{self, CoachPrincipal};
use super::state::AppState;
use super::store;
use crate::domain::{parse_plan_name, PlanDoc, PlanKind, PlanSummary};
use crate::AppError;

/// Every plan of kind `K` of one client (or, with `None`, the workspace's templates), whole,
/// each through its proof: for the workspace export and the MCP `plans` tool. A plan deleted
/// since it was listed is left out.
pub async fn whole<K: PlanKind>(
    db: &Db,
    coach: &CoachPrincipal,
    workspace: &OwnedWorkspace,
    client: Option<&OwnedClient>,
) -> Result<Vec<PlanDoc<K::Body>>, AppError> {
    let mut docs = Vec::new();
    for summary in store::plans::list::<K>(db, workspace, client).await? {
        let doc = match authz::plan::<K>(db, coach, &summary.id).await {
            Ok(plan) => store::plans::get(db, &plan).await,
            Err(e) => Err(e),
        };
        match doc {
            Ok(doc) => docs.push(doc),
            Err(AppError::NotFound) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(docs)
}

/// The coach's templates (empty `client_id`) or one client's plans.
pub async fn list<K: PlanKind>(client_id: &str) -> Result<Vec<PlanSummary>, AppError> {
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::optional_client(&state.db, &coach, Some(client_id)).await?;
    store::plans::list::<K>(&state.db, &authz::own_workspace(&coach), client.as_ref()).await
}

/// A new, empty plan: a template (empty `client_id`) or a plan for one client. Returns its id.
pub async fn create<K: PlanKind>(name: &str, client_id: &str) -> Result<String, AppError> {
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::optional_client(&state.db, &coach, Some(client_id)).await?;
    let name = parse_plan_name(name)?;
    let workspace = authz::own_workspace(&coach);
    let plan_id = store::plans::create::<K>(
        &state.db,
        &workspace,
        client.as_ref(),
        &name,
        &K::Body::default(),
    )
    .await?;
    // Made before the app loaded: the browser goes to the new plan's builder, as the app does.
    super::http::land_plain_form(&format!("/coach/plans/{}/{plan_id}", K::KEY));
    Ok(plan_id)
}

pub async fn get<K: PlanKind>(plan_id: &str) -> Result<PlanDoc<K::Body>, AppError> {
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let plan = authz::plan::<K>(&state.db, &coach, plan_id).await?;
    store::plans::get(&state.db, &plan).await
}

/// Replaces the plan's name and body; the whole draft is parsed before anything is written.
pub async fn save<K: PlanKind>(
    plan_id: &str,
    name: &str,
    draft: &K::Draft,
) -> Result<PlanDoc<K::Body>, AppError> {
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let plan = authz::plan::<K>(&state.db, &coach, plan_id).await?;
    let name = parse_plan_name(name)?;
    let body = K::parse(draft)?;
    store::plans::save(&state.db, &plan, &name, &body).await?;
    store::plans::get(&state.db, &plan).await
}

/// Copies one of the coach's plans (normally a template) to one of their clients.
pub async fn copy<K: PlanKind>(plan_id: &str, client_id: &str) -> Result<String, AppError> {
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let source = authz::plan::<K>(&state.db, &coach, plan_id).await?;
    let client = authz::client(&state.db, &coach, client_id).await?;
    let workspace = authz::own_workspace(&coach);
    store::plans::copy_to_client(&state.db, &workspace, &source, &client).await
}

pub async fn set_active<K: PlanKind>(plan_id: &str, active: bool) -> Result<(), AppError> {
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let plan = authz::plan::<K>(&state.db, &coach, plan_id).await?;
    store::plans::set_active(&state.db, &plan, active).await
}

pub async fn delete<K: PlanKind>(plan_id: &str) -> Result<(), AppError> {
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let plan = authz::plan::<K>(&state.db, &coach, plan_id).await?;
    store::plans::delete(&state.db, &plan).await
}

/// The signed-in client's active plan of this kind, if they have one.
pub async fn mine<K: PlanKind>() -> Result<Option<PlanDoc<K::Body>>, AppError> {
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    match authz::my_active_plan::<K>(&state.db, &me).await? {
        Some(plan) => store::plans::get(&state.db, &plan).await.map(Some),
        None => Ok(None),
    }
}
