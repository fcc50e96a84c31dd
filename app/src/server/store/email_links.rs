//! Links that prove who holds them: finishing a sign-up and confirming a new login email (sent
//! by email), and resetting a password (emailed, or handed over by a coach or an operator).
//! Single-use, for a day at most, stored only as a hash of the token.

use crate::domain::{Email, LinkToken, PersonName};
use crate::server::db::{Backend, Db};
use crate::server::{digest_hex, internal, new_link_token, now_millis};
use crate::AppError;

/// How long a link sent by email works.
pub const LINK_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;

/// How long an emailed password reset link works: whoever reads the inbox can take the
/// account with it, so the window is short.
pub const EMAILED_RESET_LIFETIME_MS: i64 = 60 * 60 * 1000;

/// A sign-up waiting for its address to be confirmed. It holds no password: whoever opens the
/// link chooses it, so a stranger who signed up with someone else's address cannot set theirs.
pub struct PendingSignup {
    pub email: Email,
    pub name: PersonName,
}

struct NewLink<'a> {
    purpose: &'a str,
    email: &'a Email,
    user_id: Option<&'a str>,
    name: Option<&'a str>,
    lifetime_ms: i64,
}

/// A link written: the token to send, and when it stops working.
pub struct MadeLink {
    pub token: String,
    pub expires_at: i64,
}

async fn insert(db: &Db, link: NewLink<'_>) -> Result<String, AppError> {
    let mut tx = db.begin().await?;
    let made = insert_in(&mut tx, link).await?;
    tx.commit().await.map_err(internal)?;
    Ok(made.token)
}

async fn insert_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    link: NewLink<'_>,
) -> Result<MadeLink, AppError> {
    let token = new_link_token();
    let now = now_millis();
    let expires_at = now + link.lifetime_ms;
    // Old links go with the next one made, so the table never grows past a day's worth.
    sqlx::query("DELETE FROM email_links WHERE expires_at < $1")
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    // A new reset link replaces the account's earlier ones: only the latest handed out works.
    if link.purpose == PASSWORD_RESET {
        sqlx::query(
            "UPDATE email_links SET used_at = $1 WHERE purpose = $2 AND user_id = $3 \
             AND used_at IS NULL",
        )
        .bind(now)
        .bind(PASSWORD_RESET)
        .bind(link.user_id)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    }
    sqlx::query(
        "INSERT INTO email_links (token_hash, purpose, email, user_id, name, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(digest_hex(&token))
    .bind(link.purpose)
    .bind(link.email.as_str())
    .bind(link.user_id)
    .bind(link.name)
    .bind(now)
    .bind(expires_at)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(MadeLink { token, expires_at })
}

/// A link that creates this coach account once opened. Returns the token to send.
pub async fn create_signup(db: &Db, email: &Email, name: &PersonName) -> Result<String, AppError> {
    let link = NewLink {
        purpose: "signup",
        email,
        user_id: None,
        name: Some(name.as_str()),
        lifetime_ms: LINK_LIFETIME_MS,
    };
    insert(db, link).await
}

/// A link that makes `email` this user's login email once opened. Returns the token to send.
pub async fn create_email_change(
    db: &Db,
    user_id: &str,
    email: &Email,
) -> Result<String, AppError> {
    let link = NewLink {
        purpose: "email_change",
        email,
        user_id: Some(user_id),
        name: None,
        lifetime_ms: LINK_LIFETIME_MS,
    };
    insert(db, link).await
}

const PASSWORD_RESET: &str = "password_reset";

/// A link that lets its holder choose a new password for `user_id` (whose login is `email`),
/// working for `lifetime_ms`, inside the caller's transaction (which logs who made it); earlier
/// reset links of the account stop working. With no `user_id` the link can never be used (the
/// same work for an address without an account). Returns the token to hand over.
pub async fn create_password_reset(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    user_id: Option<&str>,
    email: &Email,
    lifetime_ms: i64,
) -> Result<MadeLink, AppError> {
    // Only the latest link may work. On PostgreSQL two made at once would each withdraw only
    // the links already committed, and both would work: the account's row is locked first, so
    // the second waits for the first (SQLite has one writer anyway).
    if let (Some(user_id), Backend::Postgres) = (user_id, backend) {
        sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
            .bind(user_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(internal)?;
    }
    let link = NewLink {
        purpose: PASSWORD_RESET,
        email,
        user_id,
        name: None,
        lifetime_ms,
    };
    insert_in(tx, link).await
}

/// Whether a sign-up link is unused and unexpired: the cheap look before a password is hashed.
/// Only the claim inside the account's transaction settles it.
pub async fn signup_usable(db: &Db, token: &LinkToken) -> Result<bool, AppError> {
    usable(db, token, "signup").await
}

/// [`signup_usable`] for a password reset link.
pub async fn password_reset_usable(db: &Db, token: &LinkToken) -> Result<bool, AppError> {
    usable(db, token, PASSWORD_RESET).await
}

async fn usable(db: &Db, token: &LinkToken, purpose: &str) -> Result<bool, AppError> {
    let found: Option<(String,)> = sqlx::query_as(
        "SELECT token_hash FROM email_links WHERE token_hash = $1 AND purpose = $3 \
         AND used_at IS NULL AND expires_at > $2",
    )
    .bind(digest_hex(token.as_str()))
    .bind(now_millis())
    .bind(purpose)
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
    claim_for_account(tx, token, "email_change", false).await
}

/// Claims a password reset link inside the caller's transaction: the account's user id.
pub async fn claim_password_reset(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    token: &LinkToken,
) -> Result<Option<String>, AppError> {
    // Only while the account still logs in with the address the link was made for: a link
    // sent to an old address stops working when the login email changes.
    Ok(claim_for_account(tx, token, PASSWORD_RESET, true)
        .await?
        .map(|(user_id, _)| user_id))
}

/// Claims a link made for an account that still exists and is not suspended (and, with
/// `same_login`, still logs in with the link's email): (user id, the link's email).
async fn claim_for_account(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    token: &LinkToken,
    purpose: &str,
    same_login: bool,
) -> Result<Option<(String, Email)>, AppError> {
    if !claim(tx, token, purpose).await? {
        return Ok(None);
    }
    // A suspended account's link is no longer valid either (until it is reinstated).
    let login = if same_login {
        " AND u.email = l.email"
    } else {
        ""
    };
    let (user_id, email): (Option<String>, String) = sqlx::query_as(&format!(
        "SELECT u.id, l.email FROM email_links l \
         LEFT JOIN users u ON u.id = l.user_id AND u.suspended_at IS NULL{login} \
         WHERE l.token_hash = $1"
    ))
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
