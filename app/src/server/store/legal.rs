//! Legal requests: recorded by one operator, approved by another (the two-person rule, also a
//! CHECK in the schema), exported only while approved and unexpired, and shown to the coach from
//! their `notify_at`. The reason and reference are sealed with the workspace key. Every step is
//! an access-log entry whose basis names the request, so the log can hide them all until the
//! coach may be told (`access_log::page`).

use super::access_log::{self, Access, Logged};
use super::keys;
use crate::domain::{
    AccessAction, ActorKind, LegalNotice, LegalRequestInput, LegalRequestView, LegalScope,
    LegalStatus, LEGAL_ACCESS_DAYS,
};
use crate::server::authz::{ApprovedLegalRequest, ManagedCoachAccount, OwnedWorkspace};
use crate::server::crypto::Field;
use crate::server::db::Db;
use crate::server::{internal, new_id, now_millis};
use crate::AppError;

const REASON: Field = Field::new("legal_requests", "reason");
const REFERENCE: Field = Field::new("legal_requests", "reference");

/// Requests the operators' console lists, and notices a coach's dashboard lists, at most.
pub const LIST_LIMIT: i64 = 200;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// A request not approved within this many days lapses: it can no longer be approved.
pub const APPROVAL_WINDOW_DAYS: i64 = 30;

/// How the access log names a request: the object of recording and approving it, and the basis
/// of everything done under it.
pub fn request_ref(request_id: &str) -> String {
    Logged::LegalRequest(request_id).to_string()
}

/// The id of the coach with this login email, or a 400 naming the field.
pub async fn coach_by_email(db: &Db, email: &crate::domain::Email) -> Result<String, AppError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT c.user_id FROM coaches c JOIN users u ON u.id = c.user_id WHERE u.email = $1",
    )
    .bind(email.as_str())
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    row.map(|(id,)| id)
        .ok_or_else(|| AppError::invalid("Coach email: no coach has that email."))
}

/// Records a request (not yet usable: a second operator must approve it). A one-client request
/// names the client by their email in the coach's workspace. Returns the request's id.
pub async fn create(
    db: &Db,
    coach: &ManagedCoachAccount,
    input: &LegalRequestInput,
) -> Result<String, AppError> {
    let coach_id = coach.coach_id();
    let client_id = match &input.client_email {
        None => None,
        Some(email) => {
            let row: Option<(String,)> =
                sqlx::query_as("SELECT id FROM clients WHERE coach_id = $1 AND email = $2")
                    .bind(coach_id)
                    .bind(email.as_str())
                    .fetch_optional(db.reader())
                    .await
                    .map_err(internal)?;
            let Some((id,)) = row else {
                // The answer tells the operator whether this person is the coach's client, so
                // even a refused lookup is on the record (as a platform event: the coach is not
                // told of a request that was never made).
                let coach_ref = Logged::Coach(coach_id).to_string();
                access_log::record(
                    db,
                    &Access {
                        object: Some(coach_ref),
                        detail: Some("refused: no client with that email"),
                        ..Access::new(
                            ActorKind::Operator,
                            Some(coach.operator_id()),
                            AccessAction::LegalRequested,
                        )
                    },
                )
                .await?;
                return Err(AppError::invalid(
                    "Client email: no client of this coach has that email.",
                ));
            };
            Some(id)
        }
    };
    let key = keys::writable(keys::workspace(db, coach_id).await?)?;
    let id = new_id();
    let basis = request_ref(&id);
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO legal_requests (id, coach_id, scope, client_id, reason, reference, \
         requested_by, requested_at, notify_after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(coach_id)
    .bind(input.scope.as_str())
    .bind(&client_id)
    .bind(key.seal(REASON, &id, &input.reason))
    .bind(key.seal(REFERENCE, &id, &input.reference))
    .bind(coach.operator_id())
    .bind(now_millis())
    .bind(input.notify_after)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    access_log::append(
        &mut tx,
        &Access {
            coach_id: Some(coach_id),
            client_id: client_id.as_deref(),
            object: Some(basis.clone()),
            basis: Some(&basis),
            detail: Some(input.scope.as_str()),
            ..Access::new(
                ActorKind::Operator,
                Some(coach.operator_id()),
                AccessAction::LegalRequested,
            )
        },
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(id)
}

type ViewRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
);

/// Every request, newest first, for the operators' console (`operator_id` is who is asking).
pub async fn list(db: &Db, operator_id: &str) -> Result<Vec<LegalRequestView>, AppError> {
    let rows: Vec<ViewRow> = sqlx::query_as(
        "SELECT r.id, r.coach_id, cu.name, cu.email, r.scope, r.reason, r.reference, \
         ru.email, r.requested_at, au.email, r.approved_at, r.notify_at, r.access_until, \
         r.requested_by \
         FROM legal_requests r JOIN users cu ON cu.id = r.coach_id \
         JOIN users ru ON ru.id = r.requested_by LEFT JOIN users au ON au.id = r.approved_by \
         ORDER BY r.requested_at DESC, r.id LIMIT $1",
    )
    .bind(LIST_LIMIT)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let now = now_millis();
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        let (id, coach_id, coach_name, coach_email, scope, reason, reference) =
            (row.0, row.1, row.2, row.3, row.4, row.5, row.6);
        let key = keys::workspace(db, &coach_id).await?;
        let status = match (row.10, row.12) {
            (None, _) if row.8 + APPROVAL_WINDOW_DAYS * DAY_MS <= now => LegalStatus::Expired,
            (None, _) => LegalStatus::AwaitingApproval,
            (Some(_), Some(until)) if until > now => LegalStatus::Approved,
            (Some(_), _) => LegalStatus::Expired,
        };
        views.push(LegalRequestView {
            reason: key.open(REASON, &id, &reason).map_err(internal)?,
            reference: key.open(REFERENCE, &id, &reference).map_err(internal)?,
            id,
            coach_name,
            coach_email,
            scope: LegalScope::parse(&scope)?,
            requested_by: row.7,
            requested_at: row.8,
            approved_by: row.9,
            approved_at: row.10,
            notify_at: row.11,
            access_until: row.12,
            status,
            mine: row.13 == operator_id,
        });
    }
    Ok(views)
}

/// Approves a request as the second operator: from now it may be exported for
/// [`LEGAL_ACCESS_DAYS`] days, and the coach is told from its notify-after date (or now).
pub async fn approve(db: &Db, operator_id: &str, request_id: &str) -> Result<(), AppError> {
    type Row = (
        String,
        String,
        Option<String>,
        Option<i64>,
        Option<i64>,
        i64,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT requested_by, coach_id, client_id, approved_at, notify_after, requested_at \
         FROM legal_requests WHERE id = $1",
    )
    .bind(request_id)
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    let (requested_by, coach_id, client_id, approved_at, notify_after, requested_at) =
        row.ok_or(AppError::NotFound)?;
    if requested_by == operator_id {
        return Err(AppError::Conflict(
            "A second operator must approve this request: you recorded it.".into(),
        ));
    }
    if approved_at.is_some() {
        return Err(AppError::Conflict(
            "This request is already approved.".into(),
        ));
    }
    let now = now_millis();
    if requested_at + APPROVAL_WINDOW_DAYS * DAY_MS <= now {
        return Err(AppError::Conflict(format!(
            "This request was not approved within {APPROVAL_WINDOW_DAYS} days and has lapsed; \
             record it again."
        )));
    }
    let notify_at = notify_after.map_or(now, |after| after.max(now));
    let basis = request_ref(request_id);
    let mut tx = db.begin().await?;
    let updated = sqlx::query(
        "UPDATE legal_requests SET approved_by = $1, approved_at = $2, notify_at = $3, \
         access_until = $4 WHERE id = $5 AND approved_at IS NULL AND requested_by <> $1",
    )
    .bind(operator_id)
    .bind(now)
    .bind(notify_at)
    .bind(now + LEGAL_ACCESS_DAYS * DAY_MS)
    .bind(request_id)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    if updated.rows_affected() != 1 {
        return Err(AppError::Conflict(
            "This request is already approved.".into(),
        ));
    }
    access_log::append(
        &mut tx,
        &Access {
            coach_id: Some(&coach_id),
            client_id: client_id.as_deref(),
            object: Some(basis.clone()),
            basis: Some(&basis),
            ..Access::new(
                ActorKind::Operator,
                Some(operator_id),
                AccessAction::LegalApproved,
            )
        },
    )
    .await?;
    tx.commit().await.map_err(internal)
}

/// A request that may be exported now: approved, and within its access window.
pub struct ApprovedRow {
    pub coach_id: String,
    pub scope: LegalScope,
    pub client_id: Option<String>,
}

/// The request if it may be exported now; a request that exists but may not says why.
pub async fn approved(db: &Db, request_id: &str) -> Result<ApprovedRow, AppError> {
    type Row = (String, String, Option<String>, Option<i64>, Option<i64>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT coach_id, scope, client_id, approved_at, access_until FROM legal_requests \
         WHERE id = $1",
    )
    .bind(request_id)
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    let (coach_id, scope, client_id, approved_at, access_until) = row.ok_or(AppError::NotFound)?;
    match (approved_at, access_until) {
        (None, _) => Err(AppError::Conflict(
            "This request waits for a second operator's approval.".into(),
        )),
        (Some(_), Some(until)) if until > now_millis() => Ok(ApprovedRow {
            coach_id,
            scope: LegalScope::parse(&scope)?,
            client_id,
        }),
        _ => Err(AppError::Conflict(
            "This request's access window has ended.".into(),
        )),
    }
}

/// Clients a legal export covers at most: it stays bounded, and says when it was cut short.
pub const CLIENTS_IN_SCOPE_MAX: i64 = 10_000;

/// The clients a request covers, each with their login (if they joined): the one client (none
/// once deleted), or the workspace's clients, at most [`CLIENTS_IN_SCOPE_MAX`] plus one (more
/// than the cap means the export leaves some out).
pub async fn clients_in_scope(
    db: &Db,
    coach_id: &str,
    scope: LegalScope,
    client_id: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, AppError> {
    let rows: Vec<(String, Option<String>)> = match (scope, client_id) {
        (LegalScope::Client, Some(client_id)) => {
            sqlx::query_as("SELECT id, user_id FROM clients WHERE id = $1 AND coach_id = $2")
                .bind(client_id)
                .bind(coach_id)
                .fetch_all(db.reader())
                .await
        }
        (LegalScope::Client, None) => Ok(Vec::new()),
        (LegalScope::Workspace, _) => {
            // One more than the cap, so the caller can tell the export was cut short.
            sqlx::query_as(
                "SELECT id, user_id FROM clients WHERE coach_id = $1 ORDER BY id LIMIT $2",
            )
            .bind(coach_id)
            .bind(CLIENTS_IN_SCOPE_MAX + 1)
            .fetch_all(db.reader())
            .await
        }
    }
    .map_err(internal)?;
    Ok(rows)
}

/// Records one client's data (or, with `None`, the export as a whole) being exported under the
/// request, before it is read.
pub async fn record_export(
    db: &Db,
    request: &ApprovedLegalRequest,
    client_id: Option<&str>,
) -> Result<(), AppError> {
    let basis = request_ref(request.request_id());
    access_log::record(
        db,
        &Access {
            coach_id: Some(request.coach_id()),
            client_id,
            object: Some(
                match client_id {
                    Some(id) => Logged::Client(id),
                    None => Logged::Workspace(request.coach_id()),
                }
                .to_string(),
            ),
            basis: Some(&basis),
            ..Access::new(
                ActorKind::Legal,
                Some(request.operator_id()),
                AccessAction::LegalExported,
            )
        },
    )
    .await
}

/// Approved requests about the workspace that the coach may now be told of, newest first.
pub async fn notices(db: &Db, workspace: &OwnedWorkspace) -> Result<Vec<LegalNotice>, AppError> {
    type Row = (
        String,
        String,
        Option<String>,
        Option<String>,
        String,
        String,
        i64,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT r.id, r.scope, c.id, c.name, r.reason, r.reference, r.approved_at, r.access_until \
         FROM legal_requests r \
         LEFT JOIN clients c ON c.id = r.client_id AND c.coach_id = r.coach_id \
         WHERE r.coach_id = $1 AND r.notify_at <= $2 \
         ORDER BY r.approved_at DESC, r.id LIMIT $3",
    )
    .bind(workspace.coach_id())
    .bind(now_millis())
    .bind(LIST_LIMIT)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let key = keys::workspace(db, workspace.coach_id()).await?;
    rows.into_iter()
        .map(
            |(id, scope, client_id, client_name, reason, reference, approved_at, access_until)| {
                Ok(LegalNotice {
                    reason: key.open(REASON, &id, &reason).map_err(internal)?,
                    reference: key.open(REFERENCE, &id, &reference).map_err(internal)?,
                    id,
                    scope: LegalScope::parse(&scope)?,
                    client_id,
                    client_name,
                    approved_at,
                    access_until,
                })
            },
        )
        .collect()
}

/// A coach to be told of a request by email now.
pub struct DueNotification {
    pub request_id: String,
    pub coach_name: String,
    pub coach_email: String,
}

/// Failed sends after which the notifier stops trying (the dashboard still tells the coach).
pub const NOTIFY_ATTEMPTS_MAX: i32 = 5;

/// Requests whose coach may now be told and has not been emailed, oldest first, at most 100.
pub async fn due_notifications(db: &Db) -> Result<Vec<DueNotification>, AppError> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT r.id, u.name, u.email FROM legal_requests r JOIN users u ON u.id = r.coach_id \
         WHERE r.notified_at IS NULL AND r.notify_at <= $1 AND r.notify_attempts < $2 \
         ORDER BY r.notify_at LIMIT 100",
    )
    .bind(now_millis())
    .bind(NOTIFY_ATTEMPTS_MAX)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|(request_id, coach_name, coach_email)| DueNotification {
            request_id,
            coach_name,
            coach_email,
        })
        .collect())
}

/// Gives a claimed notification back after its email failed, so a later sweep tries again (at
/// most [`NOTIFY_ATTEMPTS_MAX`] times in all).
pub async fn release_notification(db: &Db, request_id: &str) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE legal_requests SET notified_at = NULL, notify_attempts = notify_attempts + 1 \
         WHERE id = $1",
    )
    .bind(request_id)
    .execute(db.writer())
    .await
    .map_err(internal)?;
    Ok(())
}

/// Marks the request's coach as told; false if another server did first (so each email goes
/// out once across app servers).
pub async fn claim_notification(db: &Db, request_id: &str) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE legal_requests SET notified_at = $1 WHERE id = $2 AND notified_at IS NULL",
    )
    .bind(now_millis())
    .bind(request_id)
    .execute(db.writer())
    .await
    .map_err(internal)?;
    Ok(done.rows_affected() == 1)
}
