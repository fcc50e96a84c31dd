//! Single-use invitation links. Only a hash of each token is stored, so a database leak does not
//! leak working links.

use crate::domain::{InviteStatus, LinkToken, PersonName, Role, Timezone};
use crate::server::authz::OwnedClient;
use crate::server::db::Db;
use crate::server::{internal, new_id, now_millis};
use crate::AppError;

/// How long an invitation link works.
pub const INVITE_LIFETIME_MS: i64 = 7 * 24 * 60 * 60 * 1000;

fn token_hash(token: &LinkToken) -> String {
    crate::server::digest_hex(token.as_str())
}

/// Revokes the client's open invitations and issues a new one. Returns (token, expires_at).
pub async fn issue(db: &Db, client: &OwnedClient) -> Result<(String, i64), AppError> {
    let now = now_millis();
    let token = crate::server::new_link_token();
    let expires_at = now + INVITE_LIFETIME_MS;
    let mut tx = db.begin().await?;
    let login = super::clients::login_of(&mut tx, client, "").await?;
    if login.user_id.is_some() {
        return Err(AppError::Conflict("This client has already joined.".into()));
    }
    revoke_open(&mut tx, client.client_id(), now).await?;
    sqlx::query(
        "INSERT INTO invites (id, coach_id, client_id, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(client.coach_id())
    .bind(client.client_id())
    .bind(crate::server::digest_hex(&token))
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok((token, expires_at))
}

async fn revoke_open(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    client_id: &str,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query("UPDATE invites SET revoked_at = $1 WHERE client_id = $2 AND used_at IS NULL AND revoked_at IS NULL")
        .bind(now)
        .bind(client_id)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    Ok(())
}

pub async fn revoke(db: &Db, client: &OwnedClient) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    revoke_open(&mut tx, client.client_id(), now_millis()).await?;
    tx.commit().await.map_err(internal)
}

/// expires_at, used_at, revoked_at, client name, client email, coach name, brand name.
type InviteRow = (
    i64,
    Option<i64>,
    Option<i64>,
    String,
    String,
    String,
    String,
);

/// What a link shows before anyone signs in.
pub async fn status(db: &Db, token: &LinkToken) -> Result<InviteStatus, AppError> {
    let row: Option<InviteRow> = sqlx::query_as(
        "SELECT i.expires_at, i.used_at, i.revoked_at, c.name, c.email, u.name, k.brand_name \
         FROM invites i JOIN clients c ON c.id = i.client_id JOIN coaches k ON k.user_id = i.coach_id \
         JOIN users u ON u.id = i.coach_id WHERE i.token_hash = $1",
    )
    .bind(token_hash(token))
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    let Some((expires_at, used_at, revoked_at, client_name, email, coach_name, brand_name)) = row
    else {
        return Ok(InviteStatus::Unknown);
    };
    Ok(if used_at.is_some() {
        InviteStatus::Used
    } else if revoked_at.is_some() {
        InviteStatus::Revoked
    } else if expires_at <= now_millis() {
        InviteStatus::Expired
    } else {
        InviteStatus::Valid {
            client_name,
            email,
            coach_name,
            brand_name,
        }
    })
}

/// The message for a link that can no longer be used.
pub fn unusable_message(status: &InviteStatus) -> &'static str {
    match status {
        InviteStatus::Expired => {
            "This invitation link has expired. Ask your coach to send a new one."
        }
        InviteStatus::Revoked => {
            "This invitation link was withdrawn. Ask your coach for a new one."
        }
        InviteStatus::Used => "This invitation link has already been used. Log in instead.",
        InviteStatus::Unknown | InviteStatus::Valid { .. } => "This invitation link is not valid.",
    }
}

/// Claims the invitation and creates the client's login, all or nothing. Returns the new user id.
/// `timezone` is the client's browser's, when it told (the portal then shows their own time
/// from the start); without it their coach's zone stands in until they choose one.
pub async fn accept(
    db: &Db,
    token: &LinkToken,
    password_hash: &str,
    timezone: Option<&Timezone>,
) -> Result<String, AppError> {
    let now = now_millis();
    let mut tx = db.begin().await?;
    // Claiming with a conditional update makes the link single-use even under a race.
    let claimed = sqlx::query(
        "UPDATE invites SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL \
         AND expires_at > $3",
    )
    .bind(now)
    .bind(token_hash(token))
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    if claimed.rows_affected() != 1 {
        drop(tx);
        let status = status(db, token).await?;
        return Err(AppError::Conflict(unusable_message(&status).into()));
    }
    let (client_id, name, email): (String, String, String) = sqlx::query_as(
        "SELECT c.id, c.name, c.email FROM invites i JOIN clients c ON c.id = i.client_id WHERE i.token_hash = $1",
    )
    .bind(token_hash(token))
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    let email = crate::domain::Email::parse(&email).map_err(internal)?;
    let name = PersonName::parse(&name).map_err(internal)?;
    let user_id = super::users::insert(&mut tx, &email, &name, Role::Client, password_hash).await?;
    sqlx::query("UPDATE clients SET user_id = $1, timezone = COALESCE($3, timezone) WHERE id = $2")
        .bind(&user_id)
        .bind(&client_id)
        .bind(timezone.map(Timezone::as_str))
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(user_id)
}
