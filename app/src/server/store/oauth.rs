//! The OAuth authorization server's records (migration 0019): registered clients, authorization
//! codes, and the exchange of a code or a refresh token for a connection's tokens.
//!
//! - A code is single use: exchanged once, it is marked used, and presented again it revokes the
//!   connection it made (RFC 6749 §4.1.2).
//! - A refresh token is single use too (rotation): each refresh gives a new pair, and an old
//!   refresh token presented again revokes the whole connection, as it means two parties hold
//!   the chain.
//! - Every token is bound to the resource (the MCP endpoint's URL) it was asked for.

use super::mcp::{insert_connection, insert_token, revoke_connection, revoke_now, TokenKind};
use crate::domain::{ActorKind, McpConnectionKind};
use crate::server::db::Db;
use crate::server::{digest_hex, internal, new_id, new_link_token, now_millis};
use crate::AppError;
use base64::Engine;
use sha2::{Digest, Sha256};

/// How long a consent's code may wait for its exchange.
pub const CODE_LIFETIME_MS: i64 = 5 * 60 * 1000;
/// Registrations no connection came from that are kept: past this the oldest go, so what
/// anonymous callers can make us store is bounded without refusing anyone (each address is
/// throttled too, and each such registration is swept after a day anyway).
pub const UNUSED_REGISTRATIONS_MAX: i64 = 10_000;
const DAY_MS: i64 = 24 * 3600 * 1000;
/// How long a new registration is safe from eviction: its consent is usually minutes away.
const REGISTRATION_GRACE_MS: i64 = 10 * 60 * 1000;

/// A client registered by dynamic client registration.
#[derive(Debug, Clone)]
pub struct RegisteredClient {
    pub id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
}

/// Why a token request is refused: each is an OAuth error code (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The code or refresh token is unknown, used, expired, revoked, or not this client's, or
    /// the verifier or redirect URI does not match it.
    InvalidGrant(&'static str),
}

/// What a successful exchange gives the tool.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
}

/// Registers a client (RFC 7591) and names its id: `mcpc_` and 32 hex digits.
pub async fn register_client(
    db: &Db,
    name: &str,
    redirect_uris: &[String],
) -> Result<String, AppError> {
    let now = now_millis();
    let id = format!("mcpc_{}", new_id());
    let uris = serde_json::to_string(redirect_uris).map_err(internal)?;
    sqlx::query(
        "INSERT INTO oauth_clients (id, name, redirect_uris, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&id)
    .bind(name)
    .bind(uris)
    .bind(now)
    .execute(db.writer())
    .await
    .map_err(internal)?;
    // LIMIT with OFFSET (not OFFSET alone) is the form both databases take. One made in the
    // last minutes may be in the middle of its consent: a flood does not push it out.
    sqlx::query(
        "DELETE FROM oauth_clients WHERE id IN (SELECT id FROM oauth_clients WHERE id NOT IN \
         (SELECT client_id FROM mcp_connections WHERE client_id IS NOT NULL) \
         AND created_at < $2 ORDER BY created_at DESC, id LIMIT 100 OFFSET $1)",
    )
    .bind(UNUSED_REGISTRATIONS_MAX)
    .bind(now - REGISTRATION_GRACE_MS)
    .execute(db.writer())
    .await
    .map_err(internal)?;
    Ok(id)
}

/// A registered client, if `client_id` names one.
pub async fn registered_client(
    db: &Db,
    client_id: &str,
) -> Result<Option<RegisteredClient>, AppError> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT name, redirect_uris FROM oauth_clients WHERE id = $1")
            .bind(client_id)
            .fetch_optional(db.reader())
            .await
            .map_err(internal)?;
    row.map(|(name, uris)| {
        Ok(RegisteredClient {
            id: client_id.to_owned(),
            name,
            redirect_uris: serde_json::from_str(&uris).map_err(internal)?,
        })
    })
    .transpose()
}

/// What the coach approved on the consent page.
#[derive(Debug, Clone)]
pub struct Consent<'a> {
    pub coach_id: &'a str,
    pub client_id: &'a str,
    pub client_name: &'a str,
    pub redirect_uri: &'a str,
    pub code_challenge: &'a str,
    pub resource: &'a str,
}

/// Records an approval and gives its authorization code (stored only as its hash).
pub async fn create_code(db: &Db, consent: &Consent<'_>) -> Result<String, AppError> {
    let code = new_link_token();
    let now = now_millis();
    sqlx::query(
        "INSERT INTO oauth_codes (hash, client_id, client_name, coach_id, redirect_uri, \
         code_challenge, resource, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(digest_hex(&code))
    .bind(consent.client_id)
    .bind(consent.client_name)
    .bind(consent.coach_id)
    .bind(consent.redirect_uri)
    .bind(consent.code_challenge)
    .bind(consent.resource)
    .bind(now)
    .bind(now + CODE_LIFETIME_MS)
    .execute(db.writer())
    .await
    .map_err(internal)?;
    Ok(code)
}

/// The PKCE S256 challenge of `verifier`: base64url(SHA-256(verifier)) (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` is the PKCE verifier of `challenge` (S256, RFC 7636 §4.6).
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    // Not a secret compared against a guess: the challenge was sent in the clear.
    pkce_challenge(verifier) == challenge
}

/// What the tool sends to exchange a code.
#[derive(Debug, Clone)]
pub struct CodeExchange<'a> {
    pub code: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub code_verifier: &'a str,
}

/// Exchanges an authorization code for a new connection's tokens, in one transaction. The code
/// is spent by any attempt, right or wrong.
pub async fn exchange_code(
    db: &Db,
    exchange: &CodeExchange<'_>,
) -> Result<Result<IssuedTokens, Refusal>, AppError> {
    let now = now_millis();
    let hash = digest_hex(exchange.code);
    let mut tx = db.begin().await?;
    type CodeRow = (String, String, String, String, String, String, i64);
    let row: Option<CodeRow> = sqlx::query_as(
        "UPDATE oauth_codes SET used_at = $1 WHERE hash = $2 AND used_at IS NULL \
         RETURNING client_id, client_name, coach_id, redirect_uri, code_challenge, resource, \
         expires_at",
    )
    .bind(now)
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let Some((client_id, client_name, coach_id, redirect_uri, challenge, resource, expires_at)) =
        row
    else {
        // Unknown, or spent: a spent code presented again may have been stolen, so whatever it
        // made is revoked.
        let spent: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT coach_id, connection_id FROM oauth_codes WHERE hash = $1 AND used_at IS NOT NULL",
        )
        .bind(&hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?;
        if let Some((coach_id, Some(connection_id))) = spent {
            end_by_reuse(
                &mut tx,
                &coach_id,
                &connection_id,
                "authorization code used twice",
            )
            .await?;
            tx.commit().await.map_err(internal)?;
        }
        return Ok(Err(Refusal::InvalidGrant("unknown or used code")));
    };
    let refusal = if expires_at <= now {
        Some(Refusal::InvalidGrant("the code has expired"))
    } else if client_id != exchange.client_id {
        Some(Refusal::InvalidGrant(
            "the code was issued to another client",
        ))
    } else if redirect_uri != exchange.redirect_uri {
        Some(Refusal::InvalidGrant(
            "redirect_uri differs from the authorization request's",
        ))
    } else if !pkce_matches(exchange.code_verifier, &challenge) {
        Some(Refusal::InvalidGrant("code_verifier does not match"))
    } else {
        None
    };
    if let Some(refusal) = refusal {
        // The code stays spent.
        tx.commit().await.map_err(internal)?;
        return Ok(Err(refusal));
    }
    let connection = insert_connection(
        &mut tx,
        &coach_id,
        McpConnectionKind::Oauth,
        &client_name,
        Some(&client_id),
    )
    .await?;
    sqlx::query("UPDATE oauth_codes SET connection_id = $1 WHERE hash = $2")
        .bind(&connection.id)
        .bind(&hash)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    let tokens = issue_pair(&mut tx, &connection.id, &resource).await?;
    tx.commit().await.map_err(internal)?;
    Ok(Ok(tokens))
}

/// Ends a connection whose code or refresh token came back a second time: two parties hold the
/// grant, and neither is trusted. Logged as done by the connection itself, saying why.
async fn end_by_reuse(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    coach_id: &str,
    connection_id: &str,
    why: &str,
) -> Result<(), AppError> {
    revoke_connection(
        tx,
        coach_id,
        connection_id,
        (ActorKind::Mcp, connection_id),
        Some(why),
    )
    .await?;
    Ok(())
}

/// A new access token and refresh token for the connection.
async fn issue_pair(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    connection_id: &str,
    resource: &str,
) -> Result<IssuedTokens, AppError> {
    let tokens = IssuedTokens {
        access_token: format!("{ACCESS_TOKEN_PREFIX}{}", new_link_token()),
        refresh_token: format!("{REFRESH_TOKEN_PREFIX}{}", new_link_token()),
    };
    insert_token(
        tx,
        &tokens.access_token,
        connection_id,
        TokenKind::Access,
        resource,
    )
    .await?;
    insert_token(
        tx,
        &tokens.refresh_token,
        connection_id,
        TokenKind::Refresh,
        resource,
    )
    .await?;
    Ok(tokens)
}

/// Prefixes that make a leaked token recognisable, as the personal token's does.
pub const ACCESS_TOKEN_PREFIX: &str = "coachroom_at_";
pub const REFRESH_TOKEN_PREFIX: &str = "coachroom_rt_";

/// Exchanges a refresh token for a new pair (rotation). A refresh token presented a second time
/// revokes its connection, even a moment later (a retry after a lost answer too: the tool then
/// connects again); one presented by another client is refused and stays unspent.
pub async fn refresh(
    db: &Db,
    refresh_token: &str,
    client_id: &str,
) -> Result<Result<IssuedTokens, Refusal>, AppError> {
    let now = now_millis();
    let hash = digest_hex(refresh_token);
    let mut tx = db.begin().await?;
    // The connection, the resource it is bound to, when it was spent, the coach, the client.
    type RefreshRow = (String, String, Option<i64>, String, Option<String>);
    let row: Option<RefreshRow> = sqlx::query_as(
        "SELECT t.connection_id, t.resource, t.used_at, c.coach_id, c.client_id \
         FROM mcp_tokens t JOIN mcp_connections c ON c.id = t.connection_id \
         JOIN users u ON u.id = c.coach_id \
         WHERE t.hash = $1 AND t.kind = 'refresh' AND t.expires_at > $2 \
         AND c.revoked_at IS NULL AND u.suspended_at IS NULL",
    )
    .bind(&hash)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let Some((connection_id, bound_resource, used_at, coach_id, owner)) = row else {
        return Ok(Err(Refusal::InvalidGrant(
            "unknown, expired or revoked token",
        )));
    };
    if owner.as_deref() != Some(client_id) {
        return Ok(Err(Refusal::InvalidGrant("the token is another client's")));
    }
    // Spent already, or spent by a concurrent refresh between the read and this update: either
    // way two parties hold this chain, and it ends here.
    let spent = used_at.is_some()
        || sqlx::query("UPDATE mcp_tokens SET used_at = $1 WHERE hash = $2 AND used_at IS NULL")
            .bind(now)
            .bind(&hash)
            .execute(&mut *tx)
            .await
            .map_err(internal)?
            .rows_affected()
            == 0;
    if spent {
        end_by_reuse(
            &mut tx,
            &coach_id,
            &connection_id,
            "refresh token used twice",
        )
        .await?;
        tx.commit().await.map_err(internal)?;
        return Ok(Err(Refusal::InvalidGrant("refresh token used twice")));
    }
    let tokens = issue_pair(&mut tx, &connection_id, &bound_resource).await?;
    tx.commit().await.map_err(internal)?;
    Ok(Ok(tokens))
}

/// RFC 7009: revokes the connection `token` belongs to (a tool that hands back either of its
/// tokens is done with the whole grant). Every client is public, so holding the token is enough;
/// but a token another client names as its own is left alone. Unknown tokens are no error: the
/// answer must not tell which tokens exist.
pub async fn revoke_token(db: &Db, token: &str, client_id: Option<&str>) -> Result<(), AppError> {
    let row: Option<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT c.id, c.coach_id, c.client_id FROM mcp_tokens t \
         JOIN mcp_connections c ON c.id = t.connection_id WHERE t.hash = $1",
    )
    .bind(digest_hex(token))
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    let Some((connection_id, coach_id, owner)) = row else {
        return Ok(());
    };
    // A personal token has no client: whoever holds it may hand it back.
    if owner.is_some() && client_id.is_some_and(|asking| owner.as_deref() != Some(asking)) {
        return Ok(());
    }
    revoke_now(
        db,
        &coach_id,
        &connection_id,
        (ActorKind::Mcp, &connection_id),
        Some("revoked by the tool"),
    )
    .await?;
    Ok(())
}

/// Connections ended by one sweep, at most: the rest wait for the next.
const ENDED_PER_SWEEP: i64 = 100;

/// Ends OAuth connections that can no longer be used (no access token left, and no refresh
/// token that is unspent and unexpired: the tool forgot them, or stopped for 30 days), so they
/// do not fill the coach's list. Then deletes what has run out: codes a day past their time,
/// expired tokens (a spent refresh token is kept until then, to catch its reuse), and
/// registrations no connection came from, after a day.
pub async fn sweep(db: &Db) -> Result<u64, AppError> {
    let now = now_millis();
    let dead: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.id, c.coach_id FROM mcp_connections c \
         WHERE c.kind = 'oauth' AND c.revoked_at IS NULL AND NOT EXISTS \
         (SELECT 1 FROM mcp_tokens t WHERE t.connection_id = c.id AND t.expires_at > $1 \
          AND (t.kind = 'access' OR t.used_at IS NULL)) \
         ORDER BY c.created_at LIMIT $2",
    )
    .bind(now)
    .bind(ENDED_PER_SWEEP)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let mut swept = 0;
    for (connection_id, coach_id) in dead {
        let ended = revoke_now(
            db,
            &coach_id,
            &connection_id,
            (ActorKind::Mcp, &connection_id),
            Some("no token left: not used for 30 days"),
        )
        .await?;
        swept += u64::from(ended);
    }
    for (sql, bound) in [
        (
            "DELETE FROM oauth_codes WHERE expires_at < $1",
            now - DAY_MS,
        ),
        (
            "DELETE FROM mcp_tokens WHERE expires_at IS NOT NULL AND expires_at < $1",
            now,
        ),
        (
            "DELETE FROM oauth_clients WHERE created_at < $1 AND id NOT IN \
             (SELECT client_id FROM mcp_connections WHERE client_id IS NOT NULL)",
            now - DAY_MS,
        ),
    ] {
        swept += sqlx::query(sql)
            .bind(bound)
            .execute(db.writer())
            .await
            .map_err(internal)?
            .rows_affected();
    }
    Ok(swept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches("another-verifier", challenge));
    }
}
