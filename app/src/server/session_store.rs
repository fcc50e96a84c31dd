//! tower-sessions store on the app's own database, so several app servers can share sessions
//! through one PostgreSQL. It also records the session's user, so all of a user's sessions can be
//! ended at once (password change, account deletion).
//!
//! Only a hash of each session id is stored, so a copy of the database holds no usable session.
//! Besides the idle expiry that tower-sessions manages, every session has an absolute lifetime
//! counted from its creation (a sign-in always creates a new session, see `principal::sign_in`).

use super::db::Db;
use super::now_millis;
use async_trait::async_trait;
use std::time::Duration;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result as StoreResult};
use tower_sessions::SessionStore;

/// The session key holding the signed-in user's id.
pub const USER_ID_KEY: &str = "user_id";
/// The session key holding when the session's idle expiry was last pushed back (ms).
const RENEWED_AT_KEY: &str = "renewed_at";

/// The key that signs session cookies: from a secret kept in the database, so every app server
/// accepts the cookies of the others.
pub async fn cookie_key(db: &Db) -> Result<tower_sessions::cookie::Key, String> {
    use sha2::Digest;
    let secret = super::store::secrets::get_or_create(db, "session_cookie_key").await?;
    // The cookie crate wants 64 bytes (signing and encryption halves).
    Ok(tower_sessions::cookie::Key::from(
        sha2::Sha512::digest(&secret).as_slice(),
    ))
}

/// How often a signed-in session's idle expiry moves forward: a hundredth of the idle limit
/// (about 3.4 hours of 14 days), so a session in use never lapses while costing one write
/// per interval, not one per request.
fn renewal_interval_ms(idle: Duration) -> i64 {
    i64::try_from(idle.as_millis() / 100).unwrap_or(i64::MAX)
}

/// Middleware (inside the session layer): pushes a signed-in session's idle expiry back now and
/// then, so "ends after 14 days without a request" holds for a session in use. The session
/// layer saves a changed session and sends its cookie again with a fresh Max-Age.
///
/// Only page loads renew (GET, not a built asset): a failed save makes the session layer answer
/// 500, which a page load can take and a server fn that has just written must not.
pub async fn keep_alive(
    axum::extract::State(idle): axum::extract::State<Duration>,
    session: tower_sessions::Session,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let is_page_load = request.method() == axum::http::Method::GET
        && !request.uri().path().starts_with("/pkg/")
        && !request.uri().path().starts_with("/api/");
    if !is_page_load {
        return next.run(request).await;
    }
    if let Ok(Some(_)) = session.get::<String>(USER_ID_KEY).await {
        let now = now_millis();
        let renewed_at = session.get::<i64>(RENEWED_AT_KEY).await.ok().flatten();
        if renewed_at.is_none_or(|at| now - at >= renewal_interval_ms(idle)) {
            if let Err(err) = session.insert(RENEWED_AT_KEY, now).await {
                tracing::warn!(%err, "session renewal failed");
            }
        }
    }
    next.run(request).await
}

#[derive(Debug, Clone)]
pub struct SqlSessionStore {
    db: Db,
    /// Sessions older than this are never loaded, however recently used.
    max_age_ms: i64,
}

/// The stored form of a session id: its hash.
pub fn stored_id(id: &Id) -> String {
    super::digest_hex(&id.to_string())
}

impl SqlSessionStore {
    pub fn new(db: Db, max_age: Duration) -> Self {
        Self {
            db,
            max_age_ms: i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX / 2),
        }
    }

    /// Deletes expired sessions every `period`, forever.
    pub fn spawn_cleanup(&self, period: Duration) {
        let db = self.db.clone();
        let max_age_ms = self.max_age_ms;
        super::periodic::run_every(period, move || {
            let db = db.clone();
            async move {
                let now = now_millis();
                let result =
                    sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR created_at < $2")
                        .bind(now)
                        .bind(now - max_age_ms)
                        .execute(db.writer())
                        .await;
                if let Err(err) = result {
                    tracing::warn!(%err, "session cleanup failed");
                }
            }
        });
    }
}

fn backend(err: sqlx::Error) -> Error {
    Error::Backend(err.to_string())
}

fn columns(record: &Record) -> StoreResult<(String, String, Option<String>, i64)> {
    let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
    let user_id = record
        .data
        .get(USER_ID_KEY)
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let expires_at = (record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64;
    Ok((stored_id(&record.id), data, user_id, expires_at))
}

#[async_trait]
impl SessionStore for SqlSessionStore {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        // Ids are random 128-bit values; on the (theoretical) collision, draw again.
        loop {
            let (id, data, user_id, expires_at) = columns(record)?;
            let inserted = sqlx::query(
                "INSERT INTO sessions (id, data, user_id, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id)
            .bind(data)
            .bind(user_id)
            .bind(expires_at)
            .bind(now_millis())
            .execute(self.db.writer())
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> StoreResult<()> {
        let (id, data, user_id, expires_at) = columns(record)?;
        // Only ever updates: a session deleted meanwhile (a password change, sign-out elsewhere)
        // stays deleted even if a request that loaded it earlier saves it now. tower-sessions
        // makes new sessions with `create`. created_at is never touched: saving does not extend
        // the absolute lifetime.
        sqlx::query("UPDATE sessions SET data = $1, user_id = $2, expires_at = $3 WHERE id = $4")
            .bind(data)
            .bind(user_id)
            .bind(expires_at)
            .bind(id)
            .execute(self.db.writer())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> StoreResult<Option<Record>> {
        let now = now_millis();
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2 \
             AND created_at > $3",
        )
        .bind(stored_id(session_id))
        .bind(now)
        .bind(now - self.max_age_ms)
        .fetch_optional(self.db.reader())
        .await
        .map_err(backend)?;
        let Some((data, expires_at)) = row else {
            return Ok(None);
        };
        let data = serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date =
            time::OffsetDateTime::from_unix_timestamp_nanos(expires_at as i128 * 1_000_000)
                .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *session_id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, session_id: &Id) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(stored_id(session_id))
            .execute(self.db.writer())
            .await
            .map_err(backend)?;
        Ok(())
    }
}
