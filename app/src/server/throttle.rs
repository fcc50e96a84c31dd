//! Throttling of login, sign-up, invitation acceptance and password changes, kept in the
//! database so every app server agrees.
//!
//! An attempt is counted *before* the expensive work (argon2) with one atomic upsert per bucket,
//! so a hundred parallel guesses cannot all pass a check that runs before any of them is
//! recorded. A success gives its hit back ([`Attempt::succeeded`]), so only failures use up a
//! bucket. Buckets are fixed windows keyed by a hash of what they count.

use super::db::Db;
use super::settings::ThrottleLimits;
use super::{internal, now_millis};
use crate::domain::Email;
use crate::AppError;
use std::net::IpAddr;

/// One counter: at most `max` hits per window.
struct Bucket {
    key: String,
    max: u32,
}

impl Bucket {
    fn new(what: &str, max: u32) -> Self {
        Self {
            key: super::digest_hex(what),
            max,
        }
    }
}

/// An attempt that has been counted against its buckets and allowed to proceed.
#[must_use = "call `succeeded` on success so the attempt does not count as a failure"]
pub struct Attempt {
    buckets: Vec<Bucket>,
}

/// Login: per (account, IP), so a stranger elsewhere cannot lock the owner out; per account over
/// all IPs, with a higher ceiling, against a guesser with many addresses; and per IP.
pub async fn login(
    db: &Db,
    limits: ThrottleLimits,
    ip: IpAddr,
    email: &Email,
) -> Result<Attempt, AppError> {
    let buckets = vec![
        Bucket::new(&format!("login:{email}:{ip}"), limits.max_per_account),
        Bucket::new(&format!("login:{email}"), limits.max_per_account_all_ips),
        Bucket::new(&format!("login-ip:{ip}"), limits.max_per_ip),
    ];
    count(db, limits, buckets).await
}

/// Sign-ups and invitation acceptances from one IP (each creates an account and hashes a
/// password).
pub async fn new_account(db: &Db, limits: ThrottleLimits, ip: IpAddr) -> Result<Attempt, AppError> {
    let buckets = vec![Bucket::new(
        &format!("new-account-ip:{ip}"),
        limits.max_new_accounts_per_ip,
    )];
    count(db, limits, buckets).await
}

/// Wrong current passwords on a signed-in account (password and email changes).
pub async fn reauthenticate(
    db: &Db,
    limits: ThrottleLimits,
    user_id: &str,
) -> Result<Attempt, AppError> {
    let buckets = vec![Bucket::new(
        &format!("reauth:{user_id}"),
        limits.max_per_account,
    )];
    count(db, limits, buckets).await
}

/// Counts a hit against every bucket; 429 with Retry-After when any is over its limit.
async fn count(db: &Db, limits: ThrottleLimits, buckets: Vec<Bucket>) -> Result<Attempt, AppError> {
    let now = now_millis();
    let window_ms = i64::try_from(limits.window_secs)
        .unwrap_or(i64::MAX / 2_000)
        .saturating_mul(1000);
    let expired_before = now - window_ms;
    let mut retry_after_ms = 0;
    for bucket in &buckets {
        // One statement per bucket: the row lock (PostgreSQL) or the single writer (SQLite)
        // makes the increment and the read of the new count one atomic step.
        let (window_start, hits): (i64, i64) = sqlx::query_as(
            "INSERT INTO throttle_buckets (throttle_key, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (throttle_key) DO UPDATE SET \
             hits = CASE WHEN throttle_buckets.window_start <= $3 THEN 1 \
                         ELSE throttle_buckets.hits + 1 END, \
             window_start = CASE WHEN throttle_buckets.window_start <= $3 THEN $2 \
                         ELSE throttle_buckets.window_start END \
             RETURNING window_start, hits",
        )
        .bind(&bucket.key)
        .bind(now)
        .bind(expired_before)
        .fetch_one(db.writer())
        .await
        .map_err(internal)?;
        if hits > i64::from(bucket.max) {
            retry_after_ms = retry_after_ms.max(window_start + window_ms - now);
        }
    }
    if retry_after_ms > 0 {
        // A refused attempt did no work: it gives its hits back, so only real tries count
        // (and the refusal never extends a lock-out).
        give_back(db, &buckets).await?;
        let retry_after_secs = (retry_after_ms as u64).div_ceil(1000).max(1);
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    // Forget windows that are over, so the table holds only live buckets.
    sqlx::query("DELETE FROM throttle_buckets WHERE window_start <= $1")
        .bind(expired_before)
        .execute(db.writer())
        .await
        .map_err(internal)?;
    Ok(Attempt { buckets })
}

async fn give_back(db: &Db, buckets: &[Bucket]) -> Result<(), AppError> {
    for bucket in buckets {
        sqlx::query(
            "UPDATE throttle_buckets SET hits = hits - 1 WHERE throttle_key = $1 AND hits > 0",
        )
        .bind(&bucket.key)
        .execute(db.writer())
        .await
        .map_err(internal)?;
    }
    Ok(())
}

impl Attempt {
    /// The attempt succeeded: its hits are given back, so only failures count.
    pub async fn succeeded(self, db: &Db) -> Result<(), AppError> {
        give_back(db, &self.buckets).await
    }

    /// The attempt stays counted (a failure, or an attempt that counts whatever its outcome,
    /// like a sign-up).
    pub fn keep_counted(self) {}
}
