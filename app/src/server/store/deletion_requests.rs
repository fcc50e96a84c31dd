//! Deletion requests: the client asks (and may withdraw), the coach deletes the client or
//! declines with a reason. Each step is logged in the access log in its own transaction; the
//! message and the reason are sealed with the client's key.

use crate::domain::{deletion_due_at, AccessAction, ActorKind, DeletionRequest, DeletionStatus};
use crate::server::authz::{ClientScope, ClientSelf, OwnedDeletionRequest, OwnedWorkspace};
use crate::server::crypto::{DataKey, Field};
use crate::server::db::{is_foreign_key_violation, is_unique_violation, Db};
use crate::server::store::access_log::{self, Access, Logged};
use crate::server::store::keys;
use crate::server::{internal, new_id, now_millis};
use crate::AppError;
use sqlx::any::AnyRow;
use sqlx::Row;

pub(crate) const MESSAGE: Field = Field::new("deletion_requests", "message");
pub(crate) const REASON: Field = Field::new("deletion_requests", "decline_reason");

const COLUMNS: &str = "r.id, r.client_id, c.name AS client_name, r.message, r.status, \
     r.decline_reason, r.created_at, r.decided_at";

fn read_request(row: &AnyRow, key: &DataKey) -> Result<DeletionRequest, AppError> {
    let id: String = row.try_get("id").map_err(internal)?;
    let status: String = row.try_get("status").map_err(internal)?;
    let message: String = row.try_get("message").map_err(internal)?;
    let reason: Option<String> = row.try_get("decline_reason").map_err(internal)?;
    let requested_at: i64 = row.try_get("created_at").map_err(internal)?;
    Ok(DeletionRequest {
        client_id: row.try_get("client_id").map_err(internal)?,
        client_name: row.try_get("client_name").map_err(internal)?,
        message: key.open(MESSAGE, &id, &message).map_err(internal)?,
        status: DeletionStatus::parse(&status).ok_or_else(|| internal(status))?,
        requested_at,
        due_at: deletion_due_at(requested_at),
        decided_at: row.try_get("decided_at").map_err(internal)?,
        decline_reason: reason
            .map(|sealed| key.open(REASON, &id, &sealed))
            .transpose()
            .map_err(internal)?,
        id,
    })
}

/// The entry for a step of a request.
fn step<'a>(
    actor: ActorKind,
    actor_id: &'a str,
    action: AccessAction,
    scope: &'a impl ClientScope,
    request_id: &str,
) -> Access<'a> {
    Access {
        coach_id: Some(scope.coach_id()),
        client_id: Some(scope.client_id()),
        object: Some(Logged::DeletionRequest(request_id).to_string()),
        ..Access::new(actor, Some(actor_id), action)
    }
}

/// The client asks for their data to be deleted. One open request at a time (409).
pub async fn request(db: &Db, me: &ClientSelf, message: &str) -> Result<(), AppError> {
    let key = keys::writable(keys::client(db, me.client_id()).await?)?;
    let id = new_id();
    let mut tx = db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO deletion_requests (id, coach_id, client_id, message, status, created_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5)",
    )
    .bind(&id)
    .bind(me.coach_id())
    .bind(me.client_id())
    .bind(key.seal(MESSAGE, &id, message))
    .bind(now_millis())
    .execute(&mut *tx)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Conflict(
                "You have already asked; your coach has not answered yet. You can withdraw \
                 that request."
                    .into(),
            ))
        }
        // The coach deleted the client meanwhile: there is nobody left to ask for.
        Err(e) if is_foreign_key_violation(&e) => return Err(AppError::NotFound),
        Err(e) => return Err(internal(e)),
        Ok(_) => {}
    }
    let entry = step(
        ActorKind::Client,
        me.user_id(),
        AccessAction::DeletionRequested,
        me,
        &id,
    );
    access_log::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(internal)
}

/// The client takes their open request back (409 when there is none).
pub async fn withdraw(db: &Db, me: &ClientSelf) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let row: Option<(String,)> = sqlx::query_as(
        "UPDATE deletion_requests SET status = 'withdrawn', decided_at = $1 \
         WHERE client_id = $2 AND coach_id = $3 AND status = 'pending' RETURNING id",
    )
    .bind(now_millis())
    .bind(me.client_id())
    .bind(me.coach_id())
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let (id,) = row.ok_or_else(|| {
        AppError::Conflict("You have no open deletion request to withdraw.".into())
    })?;
    let entry = step(
        ActorKind::Client,
        me.user_id(),
        AccessAction::DeletionWithdrawn,
        me,
        &id,
    );
    access_log::append(&mut tx, &entry).await?;
    tx.commit().await.map_err(internal)
}

/// The coach declines an open request with a reason the client sees (409 when it is no longer
/// open).
pub async fn decline(
    db: &Db,
    request: &OwnedDeletionRequest,
    reason: &str,
) -> Result<(), AppError> {
    let (client_id,): (String,) =
        sqlx::query_as("SELECT client_id FROM deletion_requests WHERE id = $1 AND coach_id = $2")
            .bind(request.item_id())
            .bind(request.coach_id())
            .fetch_optional(db.reader())
            .await
            .map_err(internal)?
            .ok_or(AppError::NotFound)?;
    let key = keys::writable(keys::client(db, &client_id).await?)?;
    let mut tx = db.begin().await?;
    let result = sqlx::query(
        "UPDATE deletion_requests SET status = 'declined', decline_reason = $1, decided_at = $2 \
         WHERE id = $3 AND coach_id = $4 AND status = 'pending'",
    )
    .bind(key.seal(REASON, request.item_id(), reason))
    .bind(now_millis())
    .bind(request.item_id())
    .bind(request.coach_id())
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    if result.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "This request is no longer open: the client withdrew it, or it was answered.".into(),
        ));
    }
    access_log::append(
        &mut tx,
        &Access {
            coach_id: Some(request.coach_id()),
            client_id: Some(&client_id),
            object: Some(Logged::DeletionRequest(request.item_id()).to_string()),
            ..Access::new(
                ActorKind::Coach,
                Some(request.coach_id()),
                AccessAction::DeletionDeclined,
            )
        },
    )
    .await?;
    tx.commit().await.map_err(internal)
}

/// The client's open request, else their newest (`None` if they never asked). The open one
/// comes first: two made in the same millisecond must not hide it.
pub async fn latest(
    db: &Db,
    scope: &impl ClientScope,
) -> Result<Option<DeletionRequest>, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM deletion_requests r JOIN clients c ON c.id = r.client_id \
         WHERE r.client_id = $1 AND r.coach_id = $2 \
         ORDER BY CASE r.status WHEN 'pending' THEN 0 ELSE 1 END, r.created_at DESC, r.id LIMIT 1"
    ))
    .bind(scope.client_id())
    .bind(scope.coach_id())
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let key = keys::client(db, scope.client_id()).await?;
    read_request(&row, &key).map(Some)
}

/// The workspace's open requests, the oldest (the most urgent) first.
pub async fn open_in_workspace(
    db: &Db,
    workspace: &OwnedWorkspace,
) -> Result<Vec<DeletionRequest>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM deletion_requests r JOIN clients c ON c.id = r.client_id \
         WHERE r.coach_id = $1 AND r.status = 'pending' ORDER BY r.created_at, r.id LIMIT {}",
        super::LIST_CAP
    ))
    .bind(workspace.coach_id())
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let client_id: String = row.try_get("client_id").map_err(internal)?;
        let key = keys::client(db, &client_id).await?;
        out.push(read_request(row, &key)?);
    }
    Ok(out)
}
