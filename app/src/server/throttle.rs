//! Login throttling per IP and per account, kept in the database so every app server agrees.

use super::db::Db;
use super::settings::LoginThrottle;
use super::{internal, now_millis};
use crate::domain::Email;
use crate::AppError;
use std::net::IpAddr;

/// The throttle buckets a login attempt counts against.
pub struct LoginKeys {
    ip: String,
    account: String,
}

impl LoginKeys {
    pub fn new(ip: IpAddr, email: &Email) -> Self {
        Self {
            ip: format!("ip:{ip}"),
            account: format!("account:{email}"),
        }
    }
}

/// 429 with a Retry-After when either bucket is full.
pub async fn check(db: &Db, limits: LoginThrottle, keys: &LoginKeys) -> Result<(), AppError> {
    let now = now_millis();
    let window_ms = limits.window_secs as i64 * 1000;
    let mut retry_after_ms = 0;
    for (key, max) in [
        (&keys.account, limits.max_per_account),
        (&keys.ip, limits.max_per_ip),
    ] {
        // The max-th most recent failure decides when a slot frees up.
        let nth_latest: Option<(i64,)> = sqlx::query_as(
            "SELECT failed_at FROM login_failures WHERE throttle_key = $1 AND failed_at > $2 \
             ORDER BY failed_at DESC LIMIT 1 OFFSET $3",
        )
        .bind(key)
        .bind(now - window_ms)
        .bind(i64::from(max.saturating_sub(1)))
        .fetch_optional(db.reader())
        .await
        .map_err(internal)?;
        if let Some((failed_at,)) = nth_latest {
            retry_after_ms = retry_after_ms.max(failed_at + window_ms - now);
        }
    }
    if retry_after_ms > 0 {
        let retry_after_secs = (retry_after_ms as u64).div_ceil(1000).max(1);
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    Ok(())
}

/// Counts a failed attempt against both buckets and forgets failures outside the window.
pub async fn record_failure(
    db: &Db,
    limits: LoginThrottle,
    keys: &LoginKeys,
) -> Result<(), AppError> {
    let now = now_millis();
    let mut tx = db.begin().await?;
    for key in [&keys.account, &keys.ip] {
        sqlx::query("INSERT INTO login_failures (throttle_key, failed_at) VALUES ($1, $2)")
            .bind(key)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
    }
    sqlx::query("DELETE FROM login_failures WHERE failed_at < $1")
        .bind(now - limits.window_secs as i64 * 1000)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    tx.commit().await.map_err(internal)
}

/// A successful login clears the account's bucket (not the IP's).
pub async fn clear_account(db: &Db, keys: &LoginKeys) -> Result<(), AppError> {
    sqlx::query("DELETE FROM login_failures WHERE throttle_key = $1")
        .bind(&keys.account)
        .execute(db.writer())
        .await
        .map_err(internal)?;
    Ok(())
}
