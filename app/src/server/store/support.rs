//! Support grants: a coach opens their workspace to Coachroom support, read-only, for 1, 24 or
//! 72 hours, and can end it at any moment. Granting, revoking, an operator entering under a grant
//! and every read they make are access-log entries.

use super::access_log::{self, Access, Logged};
use super::keys;
use crate::domain::{AccessAction, ActorKind, GrantedWorkspace, SupportGrant};
use crate::server::authz::OwnedWorkspace;
use crate::server::crypto::Field;
use crate::server::db::Db;
use crate::server::{internal, new_id, now_millis};
use crate::AppError;

const MESSAGE: Field = Field::new("support_grants", "message");

/// Open grants an operator's console lists at most.
pub const OPEN_GRANTS_LIMIT: i64 = 200;

/// How the access log names a grant: the object of granting, revoking and entering, and the
/// basis of every access under it.
pub fn grant_ref(grant_id: &str) -> String {
    Logged::SupportGrant(grant_id).to_string()
}

/// Ends the workspace's open grants, inside the caller's transaction; returns their ids.
async fn end_open(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    coach_id: &str,
    now: i64,
) -> Result<Vec<String>, AppError> {
    let ended: Vec<(String,)> = sqlx::query_as(
        "UPDATE support_grants SET ended_at = $1 \
         WHERE coach_id = $2 AND ended_at IS NULL AND expires_at > $1 RETURNING id",
    )
    .bind(now)
    .bind(coach_id)
    .fetch_all(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(ended.into_iter().map(|(id,)| id).collect())
}

/// Opens support access to the workspace for `length_ms`, ending any grant still open (the
/// newest choice wins).
pub async fn grant(
    db: &Db,
    workspace: &OwnedWorkspace,
    length_ms: i64,
    message: &str,
) -> Result<SupportGrant, AppError> {
    let coach_id = workspace.coach_id();
    let key = keys::writable(keys::workspace(db, coach_id).await?)?;
    let id = new_id();
    let now = now_millis();
    let mut tx = db.begin().await?;
    end_open(&mut tx, coach_id, now).await?;
    sqlx::query(
        "INSERT INTO support_grants (id, coach_id, message, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(coach_id)
    .bind(key.seal(MESSAGE, &id, message))
    .bind(now)
    .bind(now + length_ms)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    let hours = format!("{} h", length_ms / (60 * 60 * 1000));
    access_log::append(
        &mut tx,
        &Access {
            coach_id: Some(coach_id),
            object: Some(grant_ref(&id)),
            detail: Some(&hours),
            ..Access::new(
                ActorKind::Coach,
                Some(coach_id),
                AccessAction::SupportGranted,
            )
        },
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(SupportGrant {
        id,
        granted_at: now,
        until: now + length_ms,
        message: message.to_owned(),
    })
}

/// Ends the workspace's open grant, if any: the operator's next request under it is refused.
pub async fn revoke(db: &Db, workspace: &OwnedWorkspace) -> Result<(), AppError> {
    let coach_id = workspace.coach_id();
    let now = now_millis();
    let mut tx = db.begin().await?;
    for id in end_open(&mut tx, coach_id, now).await? {
        access_log::append(
            &mut tx,
            &Access {
                coach_id: Some(coach_id),
                object: Some(grant_ref(&id)),
                ..Access::new(
                    ActorKind::Coach,
                    Some(coach_id),
                    AccessAction::SupportRevoked,
                )
            },
        )
        .await?;
    }
    tx.commit().await.map_err(internal)
}

/// The workspace's open grant, if any.
pub async fn open_grant(
    db: &Db,
    workspace: &OwnedWorkspace,
) -> Result<Option<SupportGrant>, AppError> {
    let coach_id = workspace.coach_id();
    let row: Option<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT id, message, created_at, expires_at FROM support_grants \
         WHERE coach_id = $1 AND ended_at IS NULL AND expires_at > $2 \
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(coach_id)
    .bind(now_millis())
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    let Some((id, message, granted_at, until)) = row else {
        return Ok(None);
    };
    let key = keys::workspace(db, coach_id).await?;
    Ok(Some(SupportGrant {
        message: key.open(MESSAGE, &id, &message).map_err(internal)?,
        id,
        granted_at,
        until,
    }))
}

/// Every open grant, newest first, for the operators' console.
pub async fn open_grants(db: &Db) -> Result<Vec<GrantedWorkspace>, AppError> {
    type Row = (String, String, String, String, String, i64, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT g.id, g.coach_id, u.name, u.email, g.message, g.created_at, g.expires_at \
         FROM support_grants g JOIN users u ON u.id = g.coach_id \
         WHERE g.ended_at IS NULL AND g.expires_at > $1 AND u.suspended_at IS NULL \
         ORDER BY g.created_at DESC LIMIT $2",
    )
    .bind(now_millis())
    .bind(OPEN_GRANTS_LIMIT)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let mut grants = Vec::with_capacity(rows.len());
    for (grant_id, coach_id, coach_name, coach_email, message, granted_at, until) in rows {
        let key = keys::workspace(db, &coach_id).await?;
        grants.push(GrantedWorkspace {
            message: key.open(MESSAGE, &grant_id, &message).map_err(internal)?,
            grant_id,
            coach_id,
            coach_name,
            coach_email,
            granted_at,
            until,
        });
    }
    Ok(grants)
}

/// A grant that is open now: which, whose workspace, and until when.
#[derive(Debug, Clone)]
pub struct OpenGrant {
    pub id: String,
    pub coach_id: String,
    pub until: i64,
}

/// The grant `grant_id` if it is open now (not revoked, not expired, its coach not suspended).
/// Asked on every request made under it, so its end takes effect on the very next one. A
/// support page of one client asks about that client too (`about_client`): beside the grant
/// comes that client's id if they are in the workspace, from the same query, so the page's one
/// lookup stays one.
pub async fn open_by_id(
    db: &Db,
    grant_id: &str,
    about_client: Option<&str>,
) -> Result<Option<(OpenGrant, Option<String>)>, AppError> {
    let row: Option<(String, i64, Option<String>)> = sqlx::query_as(
        "SELECT g.coach_id, g.expires_at, \
         (SELECT c.id FROM clients c WHERE c.id = $3 AND c.coach_id = g.coach_id) \
         FROM support_grants g JOIN users u ON u.id = g.coach_id \
         WHERE g.id = $1 AND g.ended_at IS NULL AND g.expires_at > $2 AND u.suspended_at IS NULL",
    )
    .bind(grant_id)
    .bind(now_millis())
    .bind(about_client)
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    Ok(row.map(|(coach_id, until, client)| {
        let id = grant_id.to_owned();
        (
            OpenGrant {
                id,
                coach_id,
                until,
            },
            client,
        )
    }))
}

/// Records accesses by an operator under a grant, before they happen, in one transaction:
/// each `(client_id, object)` is what was asked for (an endpoint, a page, an item, a client)
/// and whose data it was when one client's. A list of many clients' data is one entry under
/// each; a client's page is the page and its client together.
pub async fn record(
    db: &Db,
    operator_id: &str,
    grant_id: &str,
    coach_id: &str,
    action: AccessAction,
    reads: &[(Option<&str>, String)],
) -> Result<(), AppError> {
    let basis = grant_ref(grant_id);
    let template = Access {
        coach_id: Some(coach_id),
        basis: Some(&basis),
        ..Access::new(ActorKind::Support, Some(operator_id), action)
    };
    access_log::record_reads(db, &template, reads).await
}
