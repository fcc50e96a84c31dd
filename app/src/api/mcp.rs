//! Settings → Connected AI tools: the coach's connections over MCP (OAuth-connected tools and
//! personal access tokens), and disconnecting them. Coach only; support under a grant may see the
//! list (a read, logged like any), never make a token or revoke one.

use crate::domain::{McpConnections, NewMcpToken};
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The MCP endpoint's URL (empty when MCP is off) and the workspace's live connections, newest
/// first (at most 100).
#[server(
    prefix = "/api",
    endpoint = "mcp/connections/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn list_mcp_connections() -> Result<McpConnections, AppError> {
    use crate::server::{authz, mcp, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let connections = store::mcp::list(&state.db, &authz::own_workspace(&coach)).await?;
    let endpoint = if state.settings.mcp {
        mcp::resource_url(&state)
    } else {
        String::new()
    };
    Ok(McpConnections {
        endpoint,
        connections,
    })
}

/// Creates a personal access token named `name` for scripts that send
/// `Authorization: Bearer <token>` to `/mcp`. The answer is the only time the token is shown.
#[server(
    prefix = "/api",
    endpoint = "mcp/tokens/create",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn create_mcp_token(name: String) -> Result<NewMcpToken, AppError> {
    use crate::server::{authz, mcp, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    if coach.support().is_some() {
        return Err(AppError::Forbidden);
    }
    if !state.settings.mcp {
        return Err(AppError::Unavailable(
            "Connected AI tools are turned off on this server.".into(),
        ));
    }
    let name = crate::domain::mcp_token_name(&name)?;
    let workspace = authz::own_workspace(&coach);
    let resource = mcp::resource_url(&state);
    store::mcp::create_personal_token(&state.db, &workspace, &name, &resource).await
}

/// Disconnects a tool or revokes a token: its very next call gets 401.
#[server(
    prefix = "/api",
    endpoint = "mcp/connections/revoke",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn revoke_mcp_connection(connection_id: String) -> Result<(), AppError> {
    use crate::domain::ObjectId;
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    if coach.support().is_some() {
        return Err(AppError::Forbidden);
    }
    let connection_id = ObjectId::parse(&connection_id)?;
    store::mcp::revoke(
        &state.db,
        &authz::own_workspace(&coach),
        connection_id.as_str(),
    )
    .await
}
