//! Links sent by email to prove the address: finishing a sign-up and confirming a new login
//! email. Single-use, 24 hours, stored only as a hash of the token.

use crate::domain::{Email, LinkToken, PersonName};
use crate::server::db::Db;
use crate::server::{digest_hex, internal, new_link_token, now_millis};
use crate::AppError;

/// How long a link sent by email works.
pub const LINK_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;

/// A sign-up waiting for its address to be confirmed. It holds no password: whoever opens the
/// link chooses it, so a stranger who signed up with someone else's address cannot set theirs.
pub struct PendingSignup {
    pub email: Email,
    pub name: PersonName,
}

async fn insert(
    db: &Db,
    purpose: &str,
    email: &Email,
    user_id: Option<&str>,
    name: Option<&str>,
) -> Result<String, AppError> {
    let token = new_link_token();
    let now = now_millis();
    let mut tx = db.begin().await?;
    // Old links go with the next one made, so the table never grows past a day's worth.
    sqlx::query("DELETE FROM email_links WHERE expires_at < $1")
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    sqlx::query(
        "INSERT INTO email_links (token_hash, purpose, email, user_id, name, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(digest_hex(&token))
    .bind(purpose)
    .bind(email.as_str())
    .bind(user_id)
    .bind(name)
    .bind(now)
    .bind(now + LINK_LIFETIME_MS)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(token)
}

/// A link that creates this coach account once opened. Returns the token to send.
pub async fn create_signup(db: &Db, email: &Email, name: &PersonName) -> Result<String, AppError> {
    insert(db, "signup", email, None, Some(name.as_str())).await
}

/// A link that makes `email` this user's login email once opened. Returns the token to send.
pub async fn create_email_change(
    db: &Db,
    user_id: &str,
    email: &Email,
) -> Result<String, AppError> {
    insert(db, "email_change", email, Some(user_id), None).await
}

/// Whether a sign-up link is unused and unexpired: the cheap look before a password is hashed.
/// Only the claim inside the account's transaction settles it.
pub async fn signup_usable(db: &Db, token: &LinkToken) -> Result<bool, AppError> {
    let found: Option<(String,)> = sqlx::query_as(
        "SELECT token_hash FROM email_links WHERE token_hash = $1 AND purpose = 'signup' \
         AND used_at IS NULL AND expires_at > $2",
    )
    .bind(digest_hex(token.as_str()))
    .bind(now_millis())
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    Ok(found.is_some())
}

/// Marks a link used, once: true when this call claimed it (unused, unexpired, this purpose).
async fn claim(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    token: &LinkToken,
    purpose: &str,
) -> Result<bool, AppError> {
    let now = now_millis();
    let claimed = sqlx::query(
        "UPDATE email_links SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 \
         AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(digest_hex(token.as_str()))
    .bind(purpose)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(claimed.rows_affected() == 1)
}

/// Claims a sign-up link inside the caller's transaction (which then creates the account).
pub async fn claim_signup(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    token: &LinkToken,
) -> Result<Option<PendingSignup>, AppError> {
    if !claim(tx, token, "signup").await? {
        return Ok(None);
    }
    let (email, name): (String, Option<String>) =
        sqlx::query_as("SELECT email, name FROM email_links WHERE token_hash = $1")
            .bind(digest_hex(token.as_str()))
            .fetch_one(&mut **tx)
            .await
            .map_err(internal)?;
    Ok(Some(PendingSignup {
        email: Email::parse(&email).map_err(internal)?,
        name: PersonName::parse(&name.unwrap_or_default()).map_err(internal)?,
    }))
}

/// Claims an email-change link inside the caller's transaction: (user id, new email).
pub async fn claim_email_change(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    token: &LinkToken,
) -> Result<Option<(String, Email)>, AppError> {
    if !claim(tx, token, "email_change").await? {
        return Ok(None);
    }
    // A suspended account's link is no longer valid either (until it is reinstated).
    let (user_id, email): (Option<String>, String) = sqlx::query_as(
        "SELECT u.id, l.email FROM email_links l \
         LEFT JOIN users u ON u.id = l.user_id AND u.suspended_at IS NULL \
         WHERE l.token_hash = $1",
    )
    .bind(digest_hex(token.as_str()))
    .fetch_one(&mut **tx)
    .await
    .map_err(internal)?;
    // The account may have been deleted since: then the link is simply no longer valid.
    Ok(match user_id {
        Some(user_id) => Some((user_id, Email::parse(&email).map_err(internal)?)),
        None => None,
    })
}
