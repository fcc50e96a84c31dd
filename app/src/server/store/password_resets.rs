//! Choosing a new password through a single-use link (`email_links`, purpose
//! `password_reset`). The owner asks for one by email; without email, a coach makes one for a
//! joined client and an operator makes one for a coach on the command line. A link someone else
//! made is in the owner's access log; the reset itself ends every session of the account.

use crate::domain::{AccessAction, ActorKind, Email, LinkToken};
use crate::server::authz::OwnedClient;
use crate::server::db::Db;
use crate::server::internal;
use crate::server::store::access_log::{self, Access, Logged};
use crate::server::store::email_links::{self, EMAILED_RESET_LIFETIME_MS, LINK_LIFETIME_MS};
use crate::server::store::users;
use crate::AppError;

/// A link made: the token to put in `/reset-password/{token}`, when it stops working, and the
/// account's login email.
pub struct ResetLink {
    pub token: String,
    pub expires_at: i64,
    pub email: Email,
}

fn link(made: email_links::MadeLink, email: Email) -> ResetLink {
    ResetLink {
        token: made.token,
        expires_at: made.expires_at,
        email,
    }
}

/// A one-hour link for the account that logs in with `email`, to email to that address; `None`
/// when no coach or client account does (or it is suspended). Operators reset theirs with
/// `coachroom admin add`. A link row is written either way (one for nobody can never be used),
/// so the answer's timing does not tell whether the address has an account.
pub async fn for_own_email(db: &Db, email: &Email) -> Result<Option<ResetLink>, AppError> {
    let account = users::credentials(db, email)
        .await?
        .filter(|account| !account.suspended);
    let mut tx = db.begin().await?;
    let made = email_links::create_password_reset(
        &mut tx,
        db.backend(),
        account.as_ref().map(|account| account.user_id.as_str()),
        email,
        EMAILED_RESET_LIFETIME_MS,
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(account.map(|_| link(made, email.clone())))
}

/// A day-long link for the coach's joined client, made by the coach to hand over; in the
/// client's access log. A client who has not joined gets an invitation instead.
pub async fn for_client(db: &Db, client: &OwnedClient) -> Result<ResetLink, AppError> {
    let mut tx = db.begin().await?;
    let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT c.user_id, u.email FROM clients c LEFT JOIN users u ON u.id = c.user_id \
         WHERE c.id = $1 AND c.coach_id = $2",
    )
    .bind(client.client_id())
    .bind(client.coach_id())
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let (user_id, email) = match row.ok_or(AppError::NotFound)? {
        (Some(user_id), Some(email)) => (user_id, email),
        _ => {
            return Err(AppError::Conflict(
                "This client has not joined yet: send them an invitation link instead.".into(),
            ))
        }
    };
    let email = Email::parse(&email).map_err(internal)?;
    let made = email_links::create_password_reset(
        &mut tx,
        db.backend(),
        Some(&user_id),
        &email,
        LINK_LIFETIME_MS,
    )
    .await?;
    access_log::append(
        &mut tx,
        &Access {
            coach_id: Some(client.coach_id()),
            client_id: Some(client.client_id()),
            object: Some(Logged::Client(client.client_id()).to_string()),
            ..Access::new(
                ActorKind::Coach,
                Some(client.coach_id()),
                AccessAction::PasswordResetLink,
            )
        },
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(link(made, email))
}

/// A day-long link for the coach account that logs in with `email`, made by an operator on the
/// command line; in the coach's access log. Clients get theirs from their coach.
pub async fn for_coach_by_operator(db: &Db, email: &Email) -> Result<ResetLink, String> {
    let mut tx = db.begin().await.map_err(|e| e.to_string())?;
    // Role and suspension in one read, inside the link's own transaction.
    let account: Option<(String, String, Option<i64>)> =
        sqlx::query_as("SELECT id, role, suspended_at FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| e.to_string())?;
    let (user_id, role, suspended_at) = account
        .filter(|(_, role, _)| role != "admin")
        .ok_or_else(|| format!("EMAIL: no coach account logs in with {email}"))?;
    if role != "coach" {
        return Err(format!(
            "EMAIL: {email} is a client's login; their coach makes them a link on the client's \
             page"
        ));
    }
    if suspended_at.is_some() {
        return Err(format!(
            "EMAIL: the account of {email} is suspended; reinstate it on the console first"
        ));
    }
    let made = email_links::create_password_reset(
        &mut tx,
        db.backend(),
        Some(&user_id),
        email,
        LINK_LIFETIME_MS,
    )
    .await
    .map_err(|e| e.to_string())?;
    access_log::append(
        &mut tx,
        &Access {
            coach_id: Some(&user_id),
            object: Some(Logged::Coach(&user_id).to_string()),
            ..Access::new(ActorKind::Operator, None, AccessAction::PasswordResetLink)
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(link(made, email.clone()))
}

/// Whether the link still works: the cheap look before a password is hashed.
pub async fn usable(db: &Db, token: &LinkToken) -> Result<bool, AppError> {
    email_links::password_reset_usable(db, token).await
}

/// Uses the link: the account's password becomes `new_hash`, every session of it ends, a
/// coach's connected AI tools are disconnected (whoever had the old password may have connected
/// one), and the change is logged, all or nothing. The account's user id, or `None` when the link
/// no longer works.
pub async fn reset(db: &Db, token: &LinkToken, new_hash: &str) -> Result<Option<String>, AppError> {
    let mut tx = db.begin().await?;
    let Some(user_id) = email_links::claim_password_reset(&mut tx, token).await? else {
        return Ok(None);
    };
    users::set_password_in(&mut tx, &user_id, new_hash, None).await?;
    super::mcp::revoke_all_in(&mut tx, &user_id, "The password was reset.").await?;
    tx.commit().await.map_err(internal)?;
    Ok(Some(user_id))
}
