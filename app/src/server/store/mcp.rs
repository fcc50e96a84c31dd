//! Connected AI tools (migration 0018): connections, and the tokens that act for them. A token is
//! stored only as its hash, names the MCP endpoint it was issued for (its resource), and works
//! only while its connection is not revoked and its coach not suspended.

use super::access_log::{self, Access, Logged};
use crate::domain::{
    AccessAction, ActorKind, McpConnection, McpConnectionKind, NewMcpToken, MCP_TOKEN_PREFIX,
};
use crate::server::authz::OwnedWorkspace;
use crate::server::db::Db;
use crate::server::{digest_hex, internal, new_id, new_link_token, now_millis};
use crate::AppError;
use sqlx::{Any, Transaction};

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
    let token = format!("{MCP_TOKEN_PREFIX}{}", new_link_token());
    let mut tx = db.begin().await?;
    let connection = insert_connection(
        &mut tx,
        workspace.coach_id(),
        McpConnectionKind::Token,
        name,
        None,
    )
    .await?;
    insert_token(
        &mut tx,
        &token,
        &connection.id,
        TokenKind::Personal,
        resource,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(NewMcpToken { connection, token })
}

/// A new connection of the coach's, logged as connected by the coach (who created the token or
/// approved the tool), unless they have as many live ones as Settings lists.
pub(super) async fn insert_connection(
    tx: &mut Transaction<'static, Any>,
    coach_id: &str,
    kind: McpConnectionKind,
    name: &str,
    oauth_client_id: Option<&str>,
) -> Result<McpConnection, AppError> {
    let (id, now) = (new_id(), now_millis());
    if count_live(&mut **tx, coach_id).await? >= CONNECTIONS_MAX {
        return Err(AppError::Conflict(format!(
            "You have {CONNECTIONS_MAX} connected tools and tokens. Disconnect one first."
        )));
    }
    sqlx::query(
        "INSERT INTO mcp_connections (id, coach_id, kind, name, created_at, client_id) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(coach_id)
    .bind(kind.as_str())
    .bind(name)
    .bind(now)
    .bind(oauth_client_id)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    access_log::append(
        tx,
        &Access {
            coach_id: Some(coach_id),
            object: Some(Logged::McpConnection(&id).to_string()),
            detail: Some(name),
            ..Access::new(ActorKind::Coach, Some(coach_id), AccessAction::McpConnected)
        },
    )
    .await?;
    Ok(McpConnection {
        id,
        kind,
        name: name.to_owned(),
        connected_at: now,
        last_used_at: None,
        call_count: 0,
    })
}

/// The kinds of token a connection has, and how long each lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenKind {
    /// Created in Settings: until the connection is revoked.
    Personal,
    /// OAuth access token: an hour.
    Access,
    /// OAuth refresh token: 30 days, used once (rotation).
    Refresh,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Personal => "personal",
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }

    /// How long a token of this kind lives, in milliseconds (`None`: until revoked).
    pub(super) fn lifetime_ms(self) -> Option<i64> {
        match self {
            Self::Personal => None,
            Self::Access => Some(ACCESS_TOKEN_SECS * 1000),
            Self::Refresh => Some(30 * 24 * 3600 * 1000),
        }
    }
}

/// How long an OAuth access token lives: the tool refreshes it after that.
pub const ACCESS_TOKEN_SECS: i64 = 3600;

/// Stores `token` (as its hash) for the connection, bound to `resource`.
pub(super) async fn insert_token(
    tx: &mut Transaction<'static, Any>,
    token: &str,
    connection_id: &str,
    kind: TokenKind,
    resource: &str,
) -> Result<(), AppError> {
    let now = now_millis();
    sqlx::query(
        "INSERT INTO mcp_tokens (hash, connection_id, kind, resource, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(digest_hex(token))
    .bind(connection_id)
    .bind(kind.as_str())
    .bind(resource)
    .bind(now)
    .bind(kind.lifetime_ms().map(|ms| now + ms))
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(())
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
    let revoked = revoke_now(
        db,
        coach_id,
        connection_id,
        (ActorKind::Coach, coach_id),
        None,
    )
    .await?;
    if !revoked {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// [`revoke_connection`] in a transaction of its own.
pub(super) async fn revoke_now(
    db: &Db,
    coach_id: &str,
    connection_id: &str,
    actor: (ActorKind, &str),
    reason: Option<&str>,
) -> Result<bool, AppError> {
    let mut tx = db.begin().await?;
    let revoked = revoke_connection(&mut tx, coach_id, connection_id, actor, reason).await?;
    tx.commit().await.map_err(internal)?;
    Ok(revoked)
}

/// How many live connections the coach has (at most [`CONNECTIONS_MAX`]).
pub async fn live_count(db: &Db, coach_id: &str) -> Result<i64, AppError> {
    count_live(db.reader(), coach_id).await
}

/// The count itself, on a pool or inside the transaction that is about to add one.
async fn count_live<'e>(
    executor: impl sqlx::Executor<'e, Database = Any>,
    coach_id: &str,
) -> Result<i64, AppError> {
    let (live,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM mcp_connections WHERE coach_id = $1 AND revoked_at IS NULL",
    )
    .bind(coach_id)
    .fetch_one(executor)
    .await
    .map_err(internal)?;
    Ok(live)
}

/// Revokes a live connection of `coach_id`'s and deletes its tokens, logged as done by `actor`
/// (the coach, or the tool itself) for the `reason` given; false if there was none to revoke.
pub(super) async fn revoke_connection(
    tx: &mut Transaction<'static, Any>,
    coach_id: &str,
    connection_id: &str,
    (actor, actor_id): (ActorKind, &str),
    reason: Option<&str>,
) -> Result<bool, AppError> {
    let result = sqlx::query(
        "UPDATE mcp_connections SET revoked_at = $1 \
         WHERE id = $2 AND coach_id = $3 AND revoked_at IS NULL",
    )
    .bind(now_millis())
    .bind(connection_id)
    .bind(coach_id)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    if result.rows_affected() == 0 {
        return Ok(false);
    }
    // The tokens go too: a revoked connection's hashes are of no use to anyone.
    sqlx::query("DELETE FROM mcp_tokens WHERE connection_id = $1")
        .bind(connection_id)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    access_log::append(
        tx,
        &Access {
            coach_id: Some(coach_id),
            object: Some(Logged::McpConnection(connection_id).to_string()),
            detail: reason,
            ..Access::new(actor, Some(actor_id), AccessAction::McpDisconnected)
        },
    )
    .await?;
    Ok(true)
}

/// Revokes every live connection of the coach in `tx`, each logged like a revocation by hand
/// with `reason`. Their password was reset: whoever connected a tool may have had the old one.
/// An account with no connections (a client's) loses nothing.
pub(super) async fn revoke_all_in(
    tx: &mut Transaction<'static, Any>,
    coach_id: &str,
    reason: &str,
) -> Result<(), AppError> {
    let live: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM mcp_connections WHERE coach_id = $1 AND revoked_at IS NULL")
            .bind(coach_id)
            .fetch_all(&mut **tx)
            .await
            .map_err(internal)?;
    for (connection_id,) in live {
        revoke_connection(
            tx,
            coach_id,
            &connection_id,
            (ActorKind::Coach, coach_id),
            Some(reason),
        )
        .await?;
    }
    Ok(())
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
