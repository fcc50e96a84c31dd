//! The access log, as the coach and the client read it.

use crate::domain::AccessLogPage;
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The workspace's access log, newest first, 100 entries a page: `client_id` (empty for all)
/// and `actor` (`coach`, `client`, `support`, `operator`, `legal`, `ai`, `mcp`, or empty for
/// all) filter it; `before` (0 for the newest) is the previous page's `next_before`.
#[server(
    prefix = "/api",
    endpoint = "access_log/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn workspace_access_log(
    client_id: String,
    actor: String,
    before: i64,
) -> Result<AccessLogPage, AppError> {
    use crate::domain::{ActorKind, ObjectId};
    use crate::server::store::access_log::{self, LogFilter};
    use crate::server::{authz, principal, state::AppState};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let workspace = authz::own_workspace(&coach);
    let client_id = match client_id.trim() {
        "" => None,
        // A deleted client's entries stay, so any well-formed id filters (the query is confined
        // to the workspace either way): a foreign id finds nothing, like a missing one.
        id => Some(ObjectId::parse(id).map_err(|_| {
            AppError::invalid("Client id must be 32 lower-case hex digits, or empty for all.")
        })?),
    };
    let filter = LogFilter {
        client_id,
        actor: ActorKind::parse_filter(&actor)?,
        before: crate::domain::log_cursor(before)?,
    };
    let page = access_log::workspace_page(&state.db, &workspace, &filter).await?;
    // An entry names its client: the page shows each named client's activity. A deleted
    // client (no name) has nothing left to read.
    let shown = page
        .entries
        .iter()
        .filter(|entry| entry.client_name.is_some())
        .filter_map(|entry| entry.client_id.as_deref());
    authz::log_support_list_read(&state.db, &coach, "access_log/list", shown).await?;
    Ok(page)
}

/// Every access to the signed-in client's data that was not their coach or themself at work
/// (support, operators, legal requests, AI, connected tools), and every export of it; newest
/// first, 100 a page (`before` as for `access_log/list`).
#[server(
    prefix = "/api",
    endpoint = "portal/access_log",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn my_access_log(before: i64) -> Result<AccessLogPage, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let client = principal::require_client(&state).await?;
    let me = authz::client_self(&state.db, &client).await?;
    let before = crate::domain::log_cursor(before)?;
    store::access_log::client_page(&state.db, &me, before).await
}
