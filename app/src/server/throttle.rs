//! Throttling of login, sign-up, invitation acceptance and password changes, kept in the
//! database so every app server agrees.
//!
//! An attempt is counted *before* the expensive work (argon2) with one atomic upsert per bucket,
//! so a hundred parallel guesses cannot all pass a check that runs before any of them is
//! recorded. A success gives its hit back ([`Attempt::succeeded`]), so only failures use up a
//! bucket. Buckets are fixed windows keyed by a hash of what they count.
//!
//! Each server also remembers, in memory, the buckets the database reported full and until
//! when ([`FullBuckets`]): a flood against a full bucket is refused without touching the
//! database, so it costs almost nothing and cannot queue up behind the database's writer.

use super::db::Db;
use super::settings::ThrottleLimits;
use super::state::AppState;
use super::{internal, now_millis};
use crate::domain::Email;
use crate::AppError;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Buckets this server has seen full, with the end of their window (ms). Bounded: past
/// [`FullBuckets::MAX`] entries the ended ones go, then all (the database still decides).
#[derive(Debug, Default)]
pub struct FullBuckets(Mutex<HashMap<String, i64>>);

impl FullBuckets {
    const MAX: usize = 10_000;

    /// When the first of these buckets known to be full frees up, if any is.
    fn full_until(&self, buckets: &[Bucket], now: i64) -> Option<i64> {
        let full = self.0.lock().unwrap_or_else(|p| p.into_inner());
        buckets
            .iter()
            .filter_map(|b| full.get(&b.key).copied())
            .filter(|until| *until > now)
            .max()
    }

    fn remember(&self, key: &str, until: i64, now: i64) {
        let mut full = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if full.len() >= Self::MAX {
            full.retain(|_, until| *until > now);
            if full.len() >= Self::MAX {
                full.clear();
            }
        }
        full.insert(key.to_owned(), until);
    }
}

/// The address a bucket counts: an IPv4 address, or an IPv6 address's /64 (one subscriber's
/// network, whose 2^64 addresses would otherwise each get their own allowance).
pub fn address_block(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// How long a server remembers a full bucket without asking the database again: long enough to
/// absorb a flood, short enough that hits given back (successes, refusals) count soon.
const REMEMBER_FULL_MS: i64 = 5_000;

fn too_many(retry_after_ms: i64) -> AppError {
    let retry_after_secs = (retry_after_ms.max(0) as u64).div_ceil(1000).max(1);
    AppError::TooManyRequests { retry_after_secs }
}

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
pub async fn login(state: &AppState, ip: IpAddr, email: &Email) -> Result<Attempt, AppError> {
    let limits = state.settings.throttle;
    let ip = address_block(ip);
    // Narrowest first: a refusal stops at the first full bucket, so one address's flood never
    // reaches (and fills) the account's all-addresses bucket.
    let buckets = vec![
        Bucket::new(&format!("login:{email}:{ip}"), limits.max_per_account),
        Bucket::new(&format!("login-ip:{ip}"), limits.max_per_ip),
        Bucket::new(&format!("login:{email}"), limits.max_per_account_all_ips),
    ];
    count(state, buckets).await
}

/// Sign-ups and invitation acceptances from one IP (each creates an account and hashes a
/// password).
pub async fn new_account(state: &AppState, ip: IpAddr) -> Result<Attempt, AppError> {
    let limits = state.settings.throttle;
    let buckets = vec![Bucket::new(
        &format!("new-account-ip:{}", address_block(ip)),
        limits.max_new_accounts_per_ip,
    )];
    count(state, buckets).await
}

/// OAuth client registrations from one IP (each stores a row).
pub async fn client_registration(state: &AppState, ip: IpAddr) -> Result<Attempt, AppError> {
    let buckets = vec![Bucket::new(
        &format!("oauth-register-ip:{}", address_block(ip)),
        state.settings.throttle.max_client_registrations_per_ip,
    )];
    count(state, buckets).await
}

/// Emails to one address (sign-up links, login-email links, invitations), whoever asks: true
/// when this one may go. Every IP's sign-ups together cannot flood one inbox.
pub async fn email_to(state: &AppState, to: &Email) -> Result<bool, AppError> {
    // `ann+1@…` and `ann+2@…` reach one inbox: they share its allowance.
    let inbox = match to.as_str().split_once('@') {
        Some((local, domain)) => format!("{}@{domain}", local.split('+').next().unwrap_or(local)),
        None => to.to_string(),
    };
    let buckets = vec![Bucket::new(
        &format!("email-to:{inbox}"),
        state.settings.throttle.max_emails_per_address,
    )];
    match count(state, buckets).await {
        Ok(attempt) => {
            attempt.keep_counted();
            Ok(true)
        }
        Err(AppError::TooManyRequests { .. }) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Invitation emails to one client, whoever else writes to the address: a stranger's sign-ups
/// with the client's address cannot stop the coach from inviting them. 429 past the limit.
pub async fn invitation_email(state: &AppState, client_id: &str) -> Result<Attempt, AppError> {
    let buckets = vec![Bucket::new(
        &format!("invite-to:{client_id}"),
        state.settings.throttle.max_emails_per_address,
    )];
    count(state, buckets).await
}

/// A client's deletion requests and withdrawals in one window. Each writes a row and access-log
/// entries (whose appends queue deployment-wide), so a client looping them is stopped.
const DELETION_STEPS_PER_WINDOW: u32 = 10;

/// One deletion request or withdrawal by a client; 429 past [`DELETION_STEPS_PER_WINDOW`].
pub async fn deletion_step(state: &AppState, client_id: &str) -> Result<(), AppError> {
    let buckets = vec![Bucket::new(
        &format!("deletion:{client_id}"),
        DELETION_STEPS_PER_WINDOW,
    )];
    count(state, buckets).await?.keep_counted();
    Ok(())
}

/// Wrong current passwords on a signed-in account (password and email changes).
pub async fn reauthenticate(state: &AppState, user_id: &str) -> Result<Attempt, AppError> {
    let limits = state.settings.throttle;
    let buckets = vec![Bucket::new(
        &format!("reauth:{user_id}"),
        limits.max_per_account,
    )];
    count(state, buckets).await
}

/// Checks a signed-in user's current password (before a password or email change): wrong ones
/// are throttled per account and are a 400 naming the field.
pub async fn check_current_password(
    state: &AppState,
    user_id: &str,
    current_password: &str,
) -> Result<(), AppError> {
    let attempt = reauthenticate(state, user_id).await?;
    let checked = match super::store::users::password_hash(&state.db, user_id).await {
        Ok(stored) => super::password::verify(current_password, Some(stored)).await,
        Err(err) => Err(err),
    };
    match checked {
        Ok(true) => attempt.succeeded(&state.db).await,
        Ok(false) => {
            attempt.keep_counted();
            Err(AppError::invalid("Current password is incorrect."))
        }
        // Not a wrong password (e.g. 503 busy): it must not count as a failed try.
        Err(err) => {
            attempt.succeeded(&state.db).await?;
            Err(err)
        }
    }
}

/// Counts a hit against every bucket; 429 with Retry-After when any is over its limit.
async fn count(state: &AppState, buckets: Vec<Bucket>) -> Result<Attempt, AppError> {
    let (db, limits): (&Db, ThrottleLimits) = (&state.db, state.settings.throttle);
    let now = now_millis();
    if let Some(until) = state.full_buckets.full_until(&buckets, now) {
        return Err(too_many(until - now));
    }
    let window_ms = limits.window_ms();
    let expired_before = now - window_ms;
    for (counted, bucket) in buckets.iter().enumerate() {
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
            // A refused attempt did no work: it gives back the hits it added, so only real
            // tries count (and a refusal never extends a lock-out).
            give_back(db, &buckets[..=counted]).await?;
            let until = window_start + window_ms;
            state
                .full_buckets
                .remember(&bucket.key, until.min(now + REMEMBER_FULL_MS), now);
            return Err(too_many(until - now));
        }
    }
    Ok(Attempt { buckets })
}

/// Forgets windows that are over, every `period`, so the table holds only live buckets. A
/// background sweep rather than a delete per attempt: a flood of attempts then costs one write
/// each, not two.
pub fn spawn_sweeper(db: Db, limits: ThrottleLimits, period: std::time::Duration) {
    let window_ms = limits.window_ms();
    super::periodic::run_every(period, move || {
        let db = db.clone();
        async move {
            let result = sqlx::query("DELETE FROM throttle_buckets WHERE window_start <= $1")
                .bind(now_millis() - window_ms)
                .execute(db.writer())
                .await;
            if let Err(err) = result {
                tracing::warn!(%err, "throttle sweep failed");
            }
        }
    });
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
