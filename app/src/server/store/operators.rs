//! Operators (role `admin`) and what they may see: enrolment from the command line, sign-in with
//! a password and a TOTP code, platform health in counts, and coach accounts with suspension.
//! Nothing here reads a client's name or any content.

use super::access_log::{self, Access, Logged};
use super::keys;
use crate::domain::{
    AccessAction, ActorKind, AiQueue, BackupSummary, CoachAccount, CoachAccountPage, Email,
    LinkToken, OperatorOverview, PersonName, Role, ServerErrorEntry,
};
use crate::server::authz::ManagedCoachAccount;
use crate::server::crypto::Field;
use crate::server::db::{Backend, Db};
use crate::server::principal::OperatorPrincipal;
use crate::server::{digest_hex, internal, new_link_token, now_millis, totp};
use crate::AppError;

const TOTP_SECRET: Field = Field::new("operator_accounts", "totp_secret");

/// How long a setup link works.
pub const SETUP_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;

/// Not a password hash: the account has no password until its setup link is used, and no
/// sign-in path reads the hash of an operator whose setup is unfinished.
const NO_PASSWORD: &str = "!unset";

/// Coach accounts per page of the console.
pub const COACH_PAGE: i64 = 100;

/// A setup link made by `coachroom admin add`.
pub struct Enrolled {
    pub user_id: String,
    /// The one-time token of the setup link.
    pub token: String,
    /// False when the operator existed: their password and authenticator are reset.
    pub created: bool,
}

/// Makes an operator account, or resets an existing operator's password and authenticator (a
/// lost phone): either way the account is locked until the returned setup link is used. An email
/// that belongs to a coach or a client is refused.
pub async fn enrol(db: &Db, email: &Email, name: &PersonName) -> Result<Enrolled, AppError> {
    let existing: Option<(String, String)> =
        sqlx::query_as("SELECT id, role FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(db.writer())
            .await
            .map_err(internal)?;
    let (user_id, created) = match existing {
        Some((id, role)) if role == Role::Admin.as_str() => {
            // An account whose first `admin add` stopped after making the user (below) has
            // never been set up: this one makes it, rather than resetting it.
            let enrolled: Option<(String,)> =
                sqlx::query_as("SELECT user_id FROM operator_accounts WHERE user_id = $1")
                    .bind(&id)
                    .fetch_optional(db.writer())
                    .await
                    .map_err(internal)?;
            (id, enrolled.is_none())
        }
        Some(_) => {
            return Err(AppError::Conflict(
                "This email belongs to a coach or client account; an operator needs an address \
                 of their own."
                    .into(),
            ))
        }
        None => {
            let mut tx = db.begin().await?;
            let id = super::users::insert(&mut tx, email, name, Role::Admin, NO_PASSWORD).await?;
            tx.commit().await.map_err(internal)?;
            (id, true)
        }
    };
    // The user is made first, and the key outside any transaction (see `keys`); an account
    // without its setup row cannot sign in, and the next `admin add` finishes it.
    let key = keys::operator(db, &user_id).await?;
    let secret = key.seal(TOTP_SECRET, &user_id, &totp::new_secret());
    let token = new_link_token();
    let now = now_millis();
    // The new secret and link, the reset of an existing account, and the entry that records it
    // are one transaction: the account is never reset unlogged.
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO operator_accounts (user_id, totp_secret, totp_last_step, setup_token_hash, \
         setup_expires_at, created_at) VALUES ($1, $2, 0, $3, $4, $5) \
         ON CONFLICT (user_id) DO UPDATE SET totp_secret = excluded.totp_secret, \
         setup_token_hash = excluded.setup_token_hash, \
         setup_expires_at = excluded.setup_expires_at",
    )
    .bind(&user_id)
    .bind(&secret)
    .bind(digest_hex(&token))
    .bind(now + SETUP_LIFETIME_MS)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    if !created {
        // The old password stops working and every session ends.
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(NO_PASSWORD)
            .bind(&user_id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        super::users::end_sessions(&mut tx, &user_id, None).await?;
    }
    // Made on the command line: no user acted.
    access_log::append(
        &mut tx,
        &Access {
            object: Some(Logged::Operator(&user_id).to_string()),
            detail: Some(if created { "created" } else { "reset" }),
            ..Access::new(ActorKind::Operator, None, AccessAction::OperatorEnrolled)
        },
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(Enrolled {
        user_id,
        token,
        created,
    })
}

/// Records a read of the operator console (`endpoint`, e.g. `operator/coaches/list`) before it
/// is answered: a platform event, in no workspace's log, but in the chain `audit verify` checks.
pub async fn record_console_read(
    db: &Db,
    operator: &OperatorPrincipal,
    endpoint: &str,
) -> Result<(), AppError> {
    let access = Access {
        object: Some(Logged::Endpoint(endpoint).to_string()),
        ..Access::new(
            ActorKind::Operator,
            Some(operator.user_id()),
            AccessAction::OperatorRead,
        )
    };
    access_log::record(db, &access).await
}

/// What a used, expired or unknown setup link answers.
pub fn setup_link_unusable() -> AppError {
    AppError::Conflict(
        "This setup link is no longer valid. Ask for a new one (`coachroom admin add EMAIL`)."
            .into(),
    )
}

/// An operator whose setup link is still good.
pub struct PendingSetup {
    pub user_id: String,
    pub email: String,
    /// The TOTP secret, opened (hex).
    pub secret: String,
}

/// The operator a setup link is for, or 409 when it is used, expired or unknown.
pub async fn pending_setup(db: &Db, token: &LinkToken) -> Result<PendingSetup, AppError> {
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT o.user_id, u.email, o.totp_secret FROM operator_accounts o \
         JOIN users u ON u.id = o.user_id \
         WHERE o.setup_token_hash = $1 AND o.setup_expires_at > $2",
    )
    .bind(digest_hex(token.as_str()))
    .bind(now_millis())
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    let (user_id, email, sealed) = row.ok_or_else(setup_link_unusable)?;
    let secret = open_secret(db, &user_id, &sealed).await?;
    Ok(PendingSetup {
        user_id,
        email,
        secret,
    })
}

async fn open_secret(db: &Db, user_id: &str, sealed: &str) -> Result<String, AppError> {
    keys::operator(db, user_id)
        .await?
        .open(TOTP_SECRET, user_id, sealed)
        .map_err(|e| {
            internal(format!(
                "cannot open operator {user_id}'s TOTP secret: {e:?}"
            ))
        })
}

/// Finishes a setup: the link is spent, the password set, and the code's step used. False when
/// the link was used or ran out meanwhile, or the step is not newer than the last one used.
pub async fn finish_setup(
    db: &Db,
    token: &LinkToken,
    user_id: &str,
    password_hash: &str,
    step: u64,
) -> Result<bool, AppError> {
    let mut tx = db.begin().await?;
    let claimed = sqlx::query(
        "UPDATE operator_accounts SET setup_token_hash = NULL, setup_expires_at = NULL, \
         totp_last_step = $1 \
         WHERE user_id = $2 AND setup_token_hash = $3 AND setup_expires_at > $4 \
         AND totp_last_step < $1",
    )
    .bind(step as i64)
    .bind(user_id)
    .bind(digest_hex(token.as_str()))
    .bind(now_millis())
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    if claimed.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    access_log::append_account_event(&mut tx, user_id, AccessAction::PasswordChanged).await?;
    tx.commit().await.map_err(internal)?;
    Ok(true)
}

/// The id, password hash and sealed TOTP secret of a set-up operator, for sign-in.
pub async fn credentials(
    db: &Db,
    email: &Email,
) -> Result<Option<(String, String, String)>, AppError> {
    sqlx::query_as(
        "SELECT u.id, u.password_hash, o.totp_secret FROM users u \
         JOIN operator_accounts o ON o.user_id = u.id \
         WHERE u.email = $1 AND u.role = 'admin' AND o.setup_token_hash IS NULL \
         AND u.password_hash <> $2",
    )
    .bind(email.as_str())
    .bind(NO_PASSWORD)
    .fetch_optional(db.reader())
    .await
    .map_err(internal)
}

/// The step `code` is this operator's code for, if it is one within a step of now. Nothing is
/// used up yet: sign-in checks the code whether or not the password was right, so the time it
/// takes does not tell which was wrong.
pub async fn code_step(
    db: &Db,
    user_id: &str,
    sealed_secret: &str,
    code: &str,
) -> Result<Option<u64>, AppError> {
    let secret = open_secret(db, user_id, sealed_secret).await?;
    totp::matching_step(&secret, code, totp::now_secs())
}

/// Uses up `step` for this operator if it is newer than the last one used (atomically: two
/// requests with the same code cannot both pass).
pub async fn use_step(db: &Db, user_id: &str, step: u64) -> Result<bool, AppError> {
    let used = sqlx::query(
        "UPDATE operator_accounts SET totp_last_step = $1 \
         WHERE user_id = $2 AND totp_last_step < $1",
    )
    .bind(step as i64)
    .bind(user_id)
    .execute(db.writer())
    .await
    .map_err(internal)?;
    Ok(used.rows_affected() == 1)
}

/// Platform health, in counts and sizes, with this server's `errors` (count since start, latest).
pub async fn overview(
    db: &Db,
    (errors_since_start, recent_errors): (u64, Vec<ServerErrorEntry>),
) -> Result<OperatorOverview, AppError> {
    let (coaches, suspended_coaches): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(suspended_at) FROM users WHERE role = 'coach'")
            .fetch_one(db.reader())
            .await
            .map_err(internal)?;
    let (clients,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM clients")
        .fetch_one(db.reader())
        .await
        .map_err(internal)?;
    let (photo_bytes,): (i64,) =
        sqlx::query_as("SELECT CAST(COALESCE(SUM(byte_size), 0) AS BIGINT) FROM checkin_photos")
            .fetch_one(db.reader())
            .await
            .map_err(internal)?;
    let size_sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT p.page_count * s.page_size FROM pragma_page_count() p, pragma_page_size() s"
        }
        Backend::Postgres => "SELECT pg_database_size(current_database())",
    };
    let (database_bytes,): (i64,) = sqlx::query_as(size_sql)
        .fetch_one(db.reader())
        .await
        .map_err(internal)?;
    let last: Option<(String, i64)> =
        sqlx::query_as("SELECT value, created_at FROM app_secrets WHERE name = $1")
            .bind(crate::server::backup::LAST_BACKUP)
            .fetch_optional(db.reader())
            .await
            .map_err(internal)?;
    let last_backup = last.map(|(bytes, at)| BackupSummary {
        at,
        bytes: bytes.parse().unwrap_or(0),
    });
    let (queued, running, failed_last_day): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(CASE WHEN status = 'queued' THEN 1 END), \
         COUNT(CASE WHEN status = 'running' THEN 1 END), \
         COUNT(CASE WHEN status = 'failed' AND updated_at > $1 THEN 1 END) FROM ai_jobs",
    )
    .bind(now_millis() - 24 * 60 * 60 * 1000)
    .fetch_one(db.reader())
    .await
    .map_err(internal)?;
    Ok(OperatorOverview {
        coaches,
        suspended_coaches,
        clients,
        photo_bytes,
        database_bytes,
        last_backup,
        ai_queue: AiQueue {
            queued,
            running,
            failed_last_day,
        },
        errors_since_start,
        recent_errors,
    })
}

type CoachRow = (String, String, String, i64, Option<i64>);

fn coach_account((user_id, name, email, created_at, suspended_at): CoachRow) -> CoachAccount {
    CoachAccount {
        user_id,
        name,
        email,
        created_at,
        suspended_at,
    }
}

/// The `after` cursor of the coach list: empty for the first page, else `created_at:id` of the
/// last coach of the previous page.
pub fn coach_cursor(after: &str) -> Result<Option<(i64, String)>, AppError> {
    let after = after.trim();
    if after.is_empty() {
        return Ok(None);
    }
    let bad = || AppError::invalid("After must be the next_after of the previous page, or empty.");
    let (at, id) = after.split_once(':').ok_or_else(bad)?;
    let at: i64 = at.parse().map_err(|_| bad())?;
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(bad());
    }
    Ok(Some((at, id.to_owned())))
}

/// Coach accounts, oldest first, a page at a time.
pub async fn coach_page(
    db: &Db,
    after: Option<(i64, String)>,
) -> Result<CoachAccountPage, AppError> {
    const COLUMNS: &str = "SELECT id, name, email, created_at, suspended_at FROM users";
    let rows: Vec<CoachRow> = match &after {
        None => sqlx::query_as(&format!(
            "{COLUMNS} WHERE role = 'coach' ORDER BY created_at, id LIMIT $1"
        ))
        .bind(COACH_PAGE + 1)
        .fetch_all(db.reader())
        .await
        .map_err(internal)?,
        Some((at, id)) => sqlx::query_as(&format!(
            "{COLUMNS} WHERE role = 'coach' AND (created_at > $1 OR (created_at = $1 AND id > $2)) \
             ORDER BY created_at, id LIMIT $3"
        ))
        .bind(at)
        .bind(id)
        .bind(COACH_PAGE + 1)
        .fetch_all(db.reader())
        .await
        .map_err(internal)?,
    };
    let mut coaches: Vec<CoachAccount> = rows.into_iter().map(coach_account).collect();
    let next_after = if coaches.len() as i64 > COACH_PAGE {
        coaches.truncate(COACH_PAGE as usize);
        coaches
            .last()
            .map(|last| format!("{}:{}", last.created_at, last.user_id))
    } else {
        None
    };
    Ok(CoachAccountPage {
        coaches,
        next_after,
    })
}

/// Suspends or reinstates a coach account, and logs it in the coach's access log. Suspending
/// ends every session of the account in the same transaction. A coach id that is not a coach
/// (another role, or no one) is not found.
pub async fn set_suspended(
    db: &Db,
    account: &ManagedCoachAccount,
    suspend: bool,
) -> Result<CoachAccount, AppError> {
    let (coach_id, operator_id) = (account.coach_id(), account.operator_id());
    let mut tx = db.begin().await?;
    // Only a change is made and logged: suspending a suspended coach keeps the first time.
    let sql = if suspend {
        "UPDATE users SET suspended_at = $1 WHERE id = $2 AND role = 'coach' \
         AND suspended_at IS NULL"
    } else {
        "UPDATE users SET suspended_at = NULL WHERE id = $2 AND role = 'coach' \
         AND suspended_at IS NOT NULL AND $1 > 0"
    };
    let changed = sqlx::query(sql)
        .bind(now_millis())
        .bind(coach_id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    let row: Option<CoachRow> = sqlx::query_as(
        "SELECT id, name, email, created_at, suspended_at FROM users \
         WHERE id = $1 AND role = 'coach'",
    )
    .bind(coach_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let row = row.ok_or(AppError::NotFound)?;
    if changed.rows_affected() == 0 {
        // Already as asked: nothing to do, nothing to log.
        return Ok(coach_account(row));
    }
    if suspend {
        super::users::end_sessions(&mut tx, coach_id, None).await?;
    }
    access_log::append(
        &mut tx,
        &Access {
            coach_id: Some(coach_id),
            ..Access::new(
                ActorKind::Operator,
                Some(operator_id),
                if suspend {
                    AccessAction::CoachSuspended
                } else {
                    AccessAction::CoachReinstated
                },
            )
        },
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(coach_account(row))
}
