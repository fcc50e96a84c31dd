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

/// A grant that is open now: whose workspace, and until when.
#[derive(Debug, Clone)]
pub struct OpenGrant {
    pub coach_id: String,
    pub until: i64,
    /// The client asked about with the grant ([`open_by_id`]'s `about_client`), if they are in
    /// the workspace.
    pub client_in_workspace: Option<String>,
}

/// The grant `grant_id` if it is open now (not revoked, not expired, its coach not suspended).
/// Asked on every request made under it, so its end takes effect on the very next one. A
/// support page of one client asks about that client too (`about_client`): whether they are
/// in the workspace comes back in the same query, so the page's one lookup stays one.
pub async fn open_by_id(
    db: &Db,
    grant_id: &str,
    about_client: Option<&str>,
) -> Result<Option<OpenGrant>, AppError> {
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
    Ok(row.map(|(coach_id, until, client_in_workspace)| OpenGrant {
        coach_id,
        until,
        client_in_workspace,
    }))
}

/// One access by an operator under a grant, as the access log records it.
fn support_access<'a>(
    operator_id: &'a str,
    coach_id: &'a str,
    basis: &'a str,
    action: AccessAction,
    client_id: Option<&'a str>,
    object: String,
) -> Access<'a> {
    Access {
        coach_id: Some(coach_id),
        client_id,
        object: Some(object),
        basis: Some(basis),
        ..Access::new(ActorKind::Support, Some(operator_id), action)
    }
}

/// Records one access by an operator under a grant, before it happens: `object` is what was
/// asked for (an endpoint, an item, a client), `client_id` whose data it was when one client's.
pub async fn record_access(
    db: &Db,
    operator_id: &str,
    grant_id: &str,
    coach_id: &str,
    client_id: Option<&str>,
    action: AccessAction,
    object: String,
) -> Result<(), AppError> {
    let basis = grant_ref(grant_id);
    let access = support_access(operator_id, coach_id, &basis, action, client_id, object);
    access_log::record(db, &access).await
}

/// Records a list an operator read under a grant (`object`, an endpoint) once under each client
/// whose data it showed, in one transaction, before it is answered.
pub async fn record_list_read(
    db: &Db,
    operator_id: &str,
    grant_id: &str,
    coach_id: &str,
    object: &str,
    client_ids: &[&str],
) -> Result<(), AppError> {
    let basis = grant_ref(grant_id);
    let reads: Vec<Access<'_>> = client_ids
        .iter()
        .map(|id| {
            let read = AccessAction::SupportRead;
            support_access(
                operator_id,
                coach_id,
                &basis,
                read,
                Some(id),
                object.to_owned(),
            )
        })
        .collect();
    let mut tx = db.begin().await?;
    for chunk in reads.chunks(access_log::APPEND_ALL_MAX) {
        access_log::append_all(&mut tx, chunk).await?;
    }
    tx.commit().await.map_err(internal)
}

/// Records a coach page an operator opens under a grant (while it renders; its answer waits
/// for this), and with a client's page that client (`client_id`, found in the workspace with
/// the grant by [`open_by_id`]), in one transaction and one statement: the page's panels all read
/// that client, and one write is what keeps a support page load close to the coach's own.
pub async fn record_page(
    db: &Db,
    operator_id: &str,
    grant_id: &str,
    coach_id: &str,
    page: String,
    client_id: Option<&str>,
) -> Result<(), AppError> {
    let basis = grant_ref(grant_id);
    let read = AccessAction::SupportRead;
    let mut reads = vec![support_access(
        operator_id,
        coach_id,
        &basis,
        read,
        None,
        page,
    )];
    if let Some(id) = client_id {
        let object = Logged::Client(id).to_string();
        reads.push(support_access(
            operator_id,
            coach_id,
            &basis,
            read,
            Some(id),
            object,
        ));
    }
    let mut tx = db.begin().await?;
    access_log::append_all(&mut tx, &reads).await?;
    tx.commit().await.map_err(internal)
}
