//! Accounts: creation, lookup for login, and the "who am I" view.

use crate::domain::{AccessAction, Email, Me, PersonName, Role};
use crate::server::db::{is_unique_violation, Db};
use crate::server::{internal, new_id, now_millis, time_zones};
use crate::AppError;
use sqlx::{Any, Transaction};

/// Inserts a user inside the caller's transaction; a taken email is a 409.
pub async fn insert(
    tx: &mut Transaction<'static, Any>,
    email: &Email,
    name: &PersonName,
    role: Role,
    password_hash: &str,
) -> Result<String, AppError> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO users (id, email, name, role, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(email.as_str())
    .bind(name.as_str())
    .bind(role.as_str())
    .bind(password_hash)
    .bind(now_millis())
    .execute(&mut **tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::Conflict("An account with this email already exists.".into())
        } else {
            internal(e)
        }
    })?;
    Ok(id)
}

/// An account as login needs it.
pub struct Credentials {
    pub user_id: String,
    pub password_hash: String,
    /// Suspended by an operator: told only to whoever knows the password.
    pub suspended: bool,
}

/// The account of an email, for login. Operators are not found here: they sign in with a code
/// as well (`store::operators::credentials`).
pub async fn credentials(db: &Db, email: &Email) -> Result<Option<Credentials>, AppError> {
    let row: Option<(String, String, Option<i64>)> = sqlx::query_as(
        "SELECT id, password_hash, suspended_at FROM users WHERE email = $1 AND role <> 'admin'",
    )
    .bind(email.as_str())
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    Ok(
        row.map(|(user_id, password_hash, suspended_at)| Credentials {
            user_id,
            password_hash,
            suspended: suspended_at.is_some(),
        }),
    )
}

/// Who `user_id` is; `None` when the account is gone or suspended (its sessions are worthless).
/// Their clock is in their zone: a coach's workspace zone; a client's own, or their coach's
/// until they choose one; UTC for an operator.
pub async fn me(db: &Db, user_id: &str) -> Result<Option<Me>, AppError> {
    let row: Option<(String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT u.id, u.email, u.name, u.role, \
                COALESCE(own.timezone, cl.timezone, their_coach.timezone) \
         FROM users u \
         LEFT JOIN coaches own ON own.user_id = u.id \
         LEFT JOIN clients cl ON cl.user_id = u.id \
         LEFT JOIN coaches their_coach ON their_coach.user_id = cl.coach_id \
         WHERE u.id = $1 AND u.suspended_at IS NULL",
    )
    .bind(user_id)
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    row.map(|(user_id, email, name, role, zone)| {
        let role = Role::parse(&role).ok_or_else(|| internal(format!("unknown role {role}")))?;
        Ok(Me {
            user_id,
            email,
            name,
            role,
            support_until: None,
            clock: time_zones::clock(zone.as_deref().unwrap_or("UTC"), now_millis()),
            inbox_waiting: 0,
        })
    })
    .transpose()
}

/// The role of `user_id`; `None` when the account is gone or suspended.
pub async fn active_role(db: &Db, user_id: &str) -> Result<Option<Role>, AppError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT role FROM users WHERE id = $1 AND suspended_at IS NULL")
            .bind(user_id)
            .fetch_optional(db.reader())
            .await
            .map_err(internal)?;
    row.map(|(role,)| Role::parse(&role).ok_or_else(|| internal(format!("unknown role {role}"))))
        .transpose()
}

/// The stored password hash of a signed-in user.
pub async fn password_hash(db: &Db, user_id: &str) -> Result<String, AppError> {
    let (hash,): (String,) = sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db.reader())
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    Ok(hash)
}

/// Sets a new password, ends every other session of the user and logs the change, together.
pub async fn change_password(
    db: &Db,
    user_id: &str,
    new_hash: &str,
    keep_session: Option<&str>,
) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    set_password_in(&mut tx, user_id, new_hash, keep_session).await?;
    tx.commit().await.map_err(internal)
}

/// [`change_password`] inside the caller's transaction.
pub async fn set_password_in(
    tx: &mut Transaction<'static, Any>,
    user_id: &str,
    new_hash: &str,
    keep_session: Option<&str>,
) -> Result<(), AppError> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(new_hash)
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    end_sessions(tx, user_id, keep_session).await?;
    super::access_log::append_account_event(tx, user_id, AccessAction::PasswordChanged).await
}

/// Ends every session of `user_id` but `keep_session` (the caller's own, when it stays signed
/// in), inside the caller's transaction.
pub async fn end_sessions(
    tx: &mut Transaction<'static, Any>,
    user_id: &str,
    keep_session: Option<&str>,
) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(keep_session.unwrap_or_default())
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    Ok(())
}

/// Whether `email` is taken for `user_id` (`None`: for a new account): another account logs in
/// with it, or, for a client, another client of the same coach has it on file. Only ever used to
/// decide what to email; callers answer the same either way.
pub async fn email_taken(db: &Db, email: &Email, user_id: Option<&str>) -> Result<bool, AppError> {
    let user_id = user_id.unwrap_or_default();
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM users WHERE email = $1 AND id <> $2 \
         UNION ALL SELECT 1 FROM clients c JOIN clients me ON me.coach_id = c.coach_id \
         WHERE me.user_id = $2 AND c.email = $1 AND c.id <> me.id LIMIT 1",
    )
    .bind(email.as_str())
    .bind(user_id)
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    Ok(row.is_some())
}

/// Makes `email` the user's login email (and, for a client, their email on file with the
/// coach), ends every other session of theirs and logs the change, together. A conflict (the address was taken
/// meanwhile) changes nothing and is reported as `None`.
pub async fn change_login_email(
    tx: &mut Transaction<'static, Any>,
    user_id: &str,
    email: &Email,
    keep_session: Option<&str>,
) -> Result<Option<()>, AppError> {
    let updated = sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
        .bind(email.as_str())
        .bind(user_id)
        .execute(&mut **tx)
        .await;
    match updated {
        Err(e) if is_unique_violation(&e) => return Ok(None),
        Err(e) => return Err(internal(e)),
        Ok(_) => {}
    }
    if super::clients::sync_login_email(tx, user_id, email)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    end_sessions(tx, user_id, keep_session).await?;
    super::access_log::append_account_event(tx, user_id, AccessAction::EmailChanged).await?;
    Ok(Some(()))
}
