//! Connected AI tools (migration 0018): connections, and the tokens that act for them. A token is
//! stored only as its hash, names the MCP endpoint it was issued for (its resource), and works
//! only while its connection is not revoked and its coach not suspended.

use super::access_log::{self, Access, Logged};
use crate::domain::{
    AccessAction, ActorKind, McpConnection, McpConnectionKind, NewMcpToken, MCP_TOKEN_PREFIX,
};
use crate::server::authz::OwnedWorkspace;
use crate::server::db::{expect_one, Db};
use crate::server::{digest_hex, internal, new_id, new_link_token, now_millis};
use crate::AppError;

/// Live connections a workspace may have (all listed in Settings): a coach has a handful.
pub const CONNECTIONS_MAX: i64 = 100;

/// Who a valid token acts for.
#[derive(Debug, Clone)]
pub struct TokenHolder {
    pub connection_id: String,
    pub coach_id: String,
}

/// Creates a personal access token named `name` for the coach's workspace, good for `resource`
/// (the MCP endpoint's URL) until revoked; logged as a connection.
pub async fn create_personal_token(
    db: &Db,
    workspace: &OwnedWorkspace,
    name: &str,
    resource: &str,
) -> Result<NewMcpToken, AppError> {
    let (id, now) = (new_id(), now_millis());
    let token = format!("{MCP_TOKEN_PREFIX}{}", new_link_token());
    let kind = McpConnectionKind::Token;
    let mut tx = db.begin().await?;
    // Every live connection is listed in Settings, where it can be revoked: no more than fit.
    let (live,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM mcp_connections WHERE coach_id = $1 AND revoked_at IS NULL",
    )
    .bind(workspace.coach_id())
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    if live >= CONNECTIONS_MAX {
        return Err(AppError::Conflict(format!(
            "You have {CONNECTIONS_MAX} connected tools and tokens. Disconnect one first."
        )));
    }
    sqlx::query(
        "INSERT INTO mcp_connections (id, coach_id, kind, name, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(workspace.coach_id())
    .bind(kind.as_str())
    .bind(name)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    sqlx::query(
        "INSERT INTO mcp_tokens (hash, connection_id, kind, resource, created_at) \
         VALUES ($1, $2, 'personal', $3, $4)",
    )
    .bind(digest_hex(&token))
    .bind(&id)
    .bind(resource)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    let coach_id = workspace.coach_id();
    access_log::append(
        &mut tx,
        &Access {
            coach_id: Some(coach_id),
            object: Some(Logged::McpConnection(&id).to_string()),
            detail: Some(name),
            ..Access::new(ActorKind::Coach, Some(coach_id), AccessAction::McpConnected)
        },
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(NewMcpToken {
        connection: McpConnection {
            id,
            kind,
            name: name.to_owned(),
            connected_at: now,
            last_used_at: None,
            call_count: 0,
        },
        token,
    })
}

/// The workspace's connections that are not revoked, newest first.
pub async fn list(db: &Db, workspace: &OwnedWorkspace) -> Result<Vec<McpConnection>, AppError> {
    let rows: Vec<(String, String, String, i64, Option<i64>, i64)> = sqlx::query_as(
        "SELECT id, kind, name, created_at, last_used_at, call_count FROM mcp_connections \
         WHERE coach_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id LIMIT $2",
    )
    .bind(workspace.coach_id())
    .bind(CONNECTIONS_MAX)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    rows.into_iter()
        .map(|(id, kind, name, connected_at, last_used_at, call_count)| {
            Ok(McpConnection {
                id,
                kind: McpConnectionKind::parse(&kind)
                    .ok_or_else(|| internal(format!("unknown connection kind {kind}")))?,
                name,
                connected_at,
                last_used_at,
                call_count,
            })
        })
        .collect()
}

/// Revokes one of the workspace's connections: every token of it stops working on its very next
/// call. Another coach's connection, or one revoked already, is not found.
pub async fn revoke(
    db: &Db,
    workspace: &OwnedWorkspace,
    connection_id: &str,
) -> Result<(), AppError> {
    let coach_id = workspace.coach_id();
    let mut tx = db.begin().await?;
    let result = sqlx::query(
        "UPDATE mcp_connections SET revoked_at = $1 \
         WHERE id = $2 AND coach_id = $3 AND revoked_at IS NULL",
    )
    .bind(now_millis())
    .bind(connection_id)
    .bind(coach_id)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    expect_one(result)?;
    // The tokens go too: a revoked connection's hashes are of no use to anyone.
    sqlx::query("DELETE FROM mcp_tokens WHERE connection_id = $1")
        .bind(connection_id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    access_log::append(
        &mut tx,
        &Access {
            coach_id: Some(coach_id),
            object: Some(Logged::McpConnection(connection_id).to_string()),
            ..Access::new(
                ActorKind::Coach,
                Some(coach_id),
                AccessAction::McpDisconnected,
            )
        },
    )
    .await?;
    tx.commit().await.map_err(internal)
}

/// Who `token` acts for, if it is a live token for `resource`: a personal token, or an access
/// token that has not expired, of a connection not revoked, of a coach not suspended.
pub async fn holder(db: &Db, token: &str, resource: &str) -> Result<Option<TokenHolder>, AppError> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT c.id, c.coach_id FROM mcp_tokens t \
         JOIN mcp_connections c ON c.id = t.connection_id JOIN users u ON u.id = c.coach_id \
         WHERE t.hash = $1 AND t.kind IN ('personal', 'access') AND t.resource = $2 \
         AND (t.expires_at IS NULL OR t.expires_at > $3) \
         AND c.revoked_at IS NULL AND u.suspended_at IS NULL",
    )
    .bind(digest_hex(token))
    .bind(resource)
    .bind(now_millis())
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    Ok(row.map(|(connection_id, coach_id)| TokenHolder {
        connection_id,
        coach_id,
    }))
}

/// Counts a call of the connection, for Settings (when it was last used, how often).
pub async fn note_call(db: &Db, connection_id: &str) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE mcp_connections SET last_used_at = $1, call_count = call_count + 1 WHERE id = $2",
    )
    .bind(now_millis())
    .bind(connection_id)
    .execute(db.writer())
    .await
    .map_err(internal)?;
    Ok(())
}

/// Records reads by a connected tool, before their data is returned, in one transaction: each
/// `(client_id, object)` under that client (the client sees it in their log), `detail` naming the
/// tool and the call.
pub async fn record_reads(
    db: &Db,
    holder: &TokenHolder,
    detail: &str,
    reads: &[(Option<&str>, String)],
) -> Result<(), AppError> {
    let basis = Logged::McpConnection(&holder.connection_id).to_string();
    let template = Access {
        coach_id: Some(&holder.coach_id),
        basis: Some(&basis),
        detail: Some(detail),
        ..Access::new(
            ActorKind::Mcp,
            Some(&holder.connection_id),
            AccessAction::McpRead,
        )
    };
    access_log::record_reads(db, &template, reads).await
}

/// Whether a connected tool may see the client: one of the coach's, with AI not turned off.
pub async fn ai_visible(db: &Db, coach_id: &str, client_id: &str) -> Result<bool, AppError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT ai_enabled FROM clients WHERE id = $1 AND coach_id = $2")
            .bind(client_id)
            .bind(coach_id)
            .fetch_optional(db.reader())
            .await
            .map_err(internal)?;
    Ok(row.is_some_and(|(enabled,)| enabled != 0))
}
