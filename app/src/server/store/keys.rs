//! Data keys in the database, wrapped by the master key. The store asks here for the key of a
//! client or a workspace before it seals or opens; a key is made the first time it is needed.
//!
//! Callers fetch keys before they begin a write transaction: on SQLite the one writer connection
//! would otherwise be held by the transaction while a new key waits for it.

use crate::server::crypto::master::{KeyProvider, MasterKeySource};
use crate::server::crypto::DataKey;
use crate::server::db::{Backend, Db};
use crate::server::{internal, now_millis};
use crate::AppError;
use std::sync::Arc;

const MASTER_KEY_ID: &str = "master_key_id";

/// The `wrapped` value of a destroyed key's tombstone. A restore writes one for each owner whose
/// key existed when the backup was taken but is gone now (the client was deleted since), so their
/// restored rows open as erased and no new key is ever made for them.
pub const TOMBSTONE: &str = "";

/// Which owner a data key belongs to.
#[derive(Clone, Copy)]
enum Owner<'a> {
    Client(&'a str),
    Workspace(&'a str),
    /// An operator's own key: it seals their TOTP secret.
    Operator(&'a str),
}

impl Owner<'_> {
    fn id(&self) -> &str {
        match self {
            Owner::Client(id) | Owner::Workspace(id) | Owner::Operator(id) => id,
        }
    }

    /// Makes the owner's key row from the owner's own row, so a key is never made for an owner
    /// that does not exist. It inserts nothing when the database is under another master key
    /// (a rotation finished meanwhile): the caller then reloads the master key and tries again.
    fn insert_sql(&self) -> &'static str {
        match self {
            Owner::Client(_) => {
                "INSERT INTO data_keys (owner_id, coach_id, client_id, master_key_id, wrapped, created_at) \
                 SELECT id, coach_id, id, $2, $3, $4 FROM clients WHERE id = $1 \
                 AND EXISTS (SELECT 1 FROM app_secrets WHERE name = 'master_key_id' AND value = $2) \
                 ON CONFLICT DO NOTHING"
            }
            Owner::Workspace(_) => {
                "INSERT INTO data_keys (owner_id, coach_id, client_id, master_key_id, wrapped, created_at) \
                 SELECT user_id, user_id, NULL, $2, $3, $4 FROM coaches WHERE user_id = $1 \
                 AND EXISTS (SELECT 1 FROM app_secrets WHERE name = 'master_key_id' AND value = $2) \
                 ON CONFLICT DO NOTHING"
            }
            Owner::Operator(_) => {
                "INSERT INTO data_keys (owner_id, coach_id, client_id, master_key_id, wrapped, created_at) \
                 SELECT id, id, NULL, $2, $3, $4 FROM users WHERE id = $1 AND role = 'admin' \
                 AND EXISTS (SELECT 1 FROM app_secrets WHERE name = 'master_key_id' AND value = $2) \
                 ON CONFLICT DO NOTHING"
            }
        }
    }
}

/// The data key of one client (everything about them is sealed with it).
pub async fn client(db: &Db, client_id: &str) -> Result<Arc<DataKey>, AppError> {
    key_of(db, Owner::Client(client_id)).await
}

/// The key, for a write: an erased owner's key is refused (409), since anything sealed with it
/// would be unreadable at once.
pub fn writable(key: Arc<DataKey>) -> Result<Arc<DataKey>, AppError> {
    if key.is_erased() {
        return Err(AppError::Conflict(ERASED_WRITE.to_owned()));
    }
    Ok(key)
}

/// What a write to an erased client answers.
pub const ERASED_WRITE: &str = "This client's data was erased (they were deleted after the \
    backup this workspace was restored from). Delete the client to remove what is left.";

/// The data key of a coach's workspace: their own general notes and to-dos.
pub async fn workspace(db: &Db, coach_id: &str) -> Result<Arc<DataKey>, AppError> {
    key_of(db, Owner::Workspace(coach_id)).await
}

/// The data key of an operator (it seals their TOTP secret).
pub async fn operator(db: &Db, user_id: &str) -> Result<Arc<DataKey>, AppError> {
    key_of(db, Owner::Operator(user_id)).await
}

/// The key of a client, or of the workspace when the item belongs to no client.
pub async fn client_or_workspace(
    db: &Db,
    coach_id: &str,
    client_id: Option<&str>,
) -> Result<Arc<DataKey>, AppError> {
    match client_id {
        Some(client_id) => client(db, client_id).await,
        None => workspace(db, coach_id).await,
    }
}

/// Stores a new client's key in the transaction that makes the client.
pub async fn insert_client_key(
    db: &Db,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    client_id: &str,
    coach_id: &str,
    key: &DataKey,
) -> Result<(), AppError> {
    let master = db.keyring().master();
    sqlx::query(
        "INSERT INTO data_keys (owner_id, coach_id, client_id, master_key_id, wrapped, created_at) \
         VALUES ($1, $2, $1, $3, $4, $5)",
    )
    .bind(client_id)
    .bind(coach_id)
    .bind(master.key_id())
    .bind(master.wrap(client_id, key))
    .bind(now_millis())
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    // Checked after the insert: a rotation that starts later waits for this transaction and then
    // re-wraps this key; one that finished before is seen here, and the client is not made.
    let (current,): (String,) = sqlx::query_as("SELECT value FROM app_secrets WHERE name = $1")
        .bind(MASTER_KEY_ID)
        .fetch_one(&mut **tx)
        .await
        .map_err(internal)?;
    if current != master.key_id() {
        // Rotated since this server last looked: wrap it under the database's key instead.
        let rotated = db.keyring().master_with_id(&current).ok_or_else(|| {
            internal(format!(
                "the database is under master key {current}, which this server does not hold"
            ))
        })?;
        sqlx::query("UPDATE data_keys SET master_key_id = $1, wrapped = $2 WHERE owner_id = $3")
            .bind(rotated.key_id())
            .bind(rotated.wrap(client_id, key))
            .bind(client_id)
            .execute(&mut **tx)
            .await
            .map_err(internal)?;
    }
    Ok(())
}

/// The key of a coach's item (`table` names a table with `id`, `coach_id` and `client_id`; a
/// constant, never user input): its client's, or the workspace's. A foreign id is not found.
pub async fn for_item(
    db: &Db,
    table: &'static str,
    item_id: &str,
    coach_id: &str,
) -> Result<Arc<DataKey>, AppError> {
    let (client_id,): (Option<String>,) = sqlx::query_as(&format!(
        "SELECT client_id FROM {table} WHERE id = $1 AND coach_id = $2"
    ))
    .bind(item_id)
    .bind(coach_id)
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?
    .ok_or(AppError::NotFound)?;
    client_or_workspace(db, coach_id, client_id.as_deref()).await
}

fn unwrap(db: &Db, owner_id: &str, key_id: &str, wrapped: &str) -> Result<DataKey, AppError> {
    let master = db.keyring().master_with_id(key_id).ok_or_else(|| {
        internal(format!(
            "the key of {owner_id} is under master key {key_id}, which this server does not hold"
        ))
    })?;
    master.unwrap(owner_id, wrapped).map_err(internal)
}

async fn key_of(db: &Db, owner: Owner<'_>) -> Result<Arc<DataKey>, AppError> {
    let owner_id = owner.id();
    if let Some(key) = db.keyring().cached(owner_id) {
        return Ok(key);
    }
    // Most keys exist: read them without waiting for SQLite's one writer connection.
    if let Some(key) = open_stored(db, owner_id, db.reader()).await? {
        return Ok(key);
    }
    for _attempt in 0..2 {
        let master = db.keyring().master();
        let fresh = DataKey::generate();
        let inserted = sqlx::query(owner.insert_sql())
            .bind(owner_id)
            .bind(master.key_id())
            .bind(master.wrap(owner_id, &fresh))
            .bind(now_millis())
            .execute(db.writer())
            .await
            .map_err(internal)?;
        if inserted.rows_affected() == 1 {
            // A rotation that committed while this insert waited for its lock: the key must be
            // under the database's master key, not the one this server held.
            let (current,) = current_master_id(db).await?;
            if current != master.key_id() {
                let rotated = db.keyring().master_with_id(&current).ok_or_else(|| {
                    internal(format!(
                        "the database is under master key {current}, which this server does not hold"
                    ))
                })?;
                sqlx::query(
                    "UPDATE data_keys SET master_key_id = $1, wrapped = $2 \
                     WHERE owner_id = $3 AND master_key_id = $4",
                )
                .bind(rotated.key_id())
                .bind(rotated.wrap(owner_id, &fresh))
                .bind(owner_id)
                .bind(master.key_id())
                .execute(db.writer())
                .await
                .map_err(internal)?;
            }
            let key = Arc::new(fresh);
            db.keyring().remember(owner_id, key.clone());
            return Ok(key);
        }
        // Another request made it first, the owner is gone, or the master key was rotated.
        if let Some(key) = open_stored(db, owner_id, db.writer()).await? {
            return Ok(key);
        }
        if !owner_exists(db, owner).await? {
            return Err(AppError::NotFound);
        }
        let (current,) = current_master_id(db).await?;
        if db.keyring().master_with_id(&current).is_none() {
            return Err(internal(format!(
                "the database is under master key {current}, which this server does not hold"
            )));
        }
    }
    Err(internal(format!(
        "no data key could be made for {owner_id}"
    )))
}

/// The owner's stored key, unwrapped and cached, read through `pool`.
async fn open_stored(
    db: &Db,
    owner_id: &str,
    pool: &sqlx::AnyPool,
) -> Result<Option<Arc<DataKey>>, AppError> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT master_key_id, wrapped FROM data_keys WHERE owner_id = $1")
            .bind(owner_id)
            .fetch_optional(pool)
            .await
            .map_err(internal)?;
    let Some((key_id, wrapped)) = row else {
        return Ok(None);
    };
    let key = if wrapped == TOMBSTONE {
        Arc::new(DataKey::erased())
    } else {
        Arc::new(unwrap(db, owner_id, &key_id, &wrapped)?)
    };
    db.keyring().remember(owner_id, key.clone());
    Ok(Some(key))
}

async fn owner_exists(db: &Db, owner: Owner<'_>) -> Result<bool, AppError> {
    let sql = match owner {
        Owner::Client(_) => "SELECT id FROM clients WHERE id = $1",
        Owner::Workspace(_) => "SELECT user_id FROM coaches WHERE user_id = $1",
        Owner::Operator(_) => "SELECT id FROM users WHERE id = $1 AND role = 'admin'",
    };
    let row: Option<(String,)> = sqlx::query_as(sql)
        .bind(owner.id())
        .fetch_optional(db.writer())
        .await
        .map_err(internal)?;
    Ok(row.is_some())
}

async fn current_master_id(db: &Db) -> Result<(String,), AppError> {
    sqlx::query_as("SELECT value FROM app_secrets WHERE name = $1")
        .bind(MASTER_KEY_ID)
        .fetch_one(db.writer())
        .await
        .map_err(internal)
}

/// Names the master key's source in errors, so the operator knows what to fix.
fn source_name(source: &MasterKeySource) -> String {
    match source {
        MasterKeySource::File(path) => format!("COACHROOM_MASTER_KEY_FILE ({})", path.display()),
        MasterKeySource::Value(_) => crate::server::crypto::master::MASTER_KEY_ENV.to_owned(),
    }
}

/// At startup: records the master key's id on first start, and refuses a master key other than
/// the database's, so a server never starts and then fails every read.
pub async fn check_master(db: &Db) -> Result<(), String> {
    let master = db.keyring().master();
    sqlx::query(
        "INSERT INTO app_secrets (name, value, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(MASTER_KEY_ID)
    .bind(master.key_id())
    .bind(now_millis())
    .execute(db.writer())
    .await
    .map_err(|e| format!("cannot record the master key id: {e}"))?;
    let (expected,) = current_master_id(db)
        .await
        .map_err(|_| "cannot read the master key id".to_string())?;
    let not_ours = || {
        format!(
            "{}: this is not the master key of this database (its key id is {}, the database's is {expected})",
            source_name(db.keyring().source()),
            master.key_id()
        )
    };
    if expected != master.key_id() {
        return Err(not_ours());
    }
    // The id row may have been lost while wrapped keys remain: they must be under this key too.
    let (foreign,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM data_keys WHERE master_key_id <> $1")
            .bind(master.key_id())
            .fetch_one(db.writer())
            .await
            .map_err(|e| format!("cannot read the data keys: {e}"))?;
    if foreign > 0 {
        return Err(format!(
            "{}: {foreign} data keys are wrapped under another master key than this one ({})",
            source_name(db.keyring().source()),
            master.key_id()
        ));
    }
    Ok(())
}

/// Re-wraps every data key under `new` and makes it the database's master key, in one
/// transaction: it commits whole or changes nothing. Data is not touched. Keys that servers make
/// meanwhile wait for it (PostgreSQL: the table lock; SQLite: the one writer) and then check
/// which master key the database is under before they count (`insert_client_key`, `key_of`).
/// Returns how many keys were re-wrapped.
pub async fn rotate(db: &Db, new: &dyn KeyProvider) -> Result<u64, String> {
    let current = db.keyring().master();
    let fail = |e: sqlx::Error| format!("key rotation failed (nothing changed): {e}");
    let mut tx = db.begin().await.map_err(|e| e.to_string())?;
    if db.backend() == Backend::Postgres {
        sqlx::query("LOCK TABLE data_keys IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
    }
    // Take the write lock first (SQLite: no other writer can slip in between read and write),
    // then check under it that no other rotation got there first.
    sqlx::query("UPDATE app_secrets SET value = value WHERE name = $1")
        .bind(MASTER_KEY_ID)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    let (under,): (String,) = sqlx::query_as("SELECT value FROM app_secrets WHERE name = $1")
        .bind(MASTER_KEY_ID)
        .fetch_one(&mut *tx)
        .await
        .map_err(fail)?;
    if under != current.key_id() {
        return Err(format!(
            "key rotation refused (nothing changed): the database is now under master key {under}, not {}",
            current.key_id()
        ));
    }
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT owner_id, wrapped FROM data_keys WHERE master_key_id = $1 AND wrapped <> $2",
    )
    .bind(current.key_id())
    .bind(TOMBSTONE)
    .fetch_all(&mut *tx)
    .await
    .map_err(fail)?;
    // Tombstones hold no key; they only follow the database to its new master key.
    sqlx::query(
        "UPDATE data_keys SET master_key_id = $1 WHERE master_key_id = $2 AND wrapped = $3",
    )
    .bind(new.key_id())
    .bind(current.key_id())
    .bind(TOMBSTONE)
    .execute(&mut *tx)
    .await
    .map_err(fail)?;
    for (owner_id, wrapped) in &rows {
        let key = current
            .unwrap(owner_id, wrapped)
            .map_err(|e| format!("key rotation failed (nothing changed): {e}"))?;
        sqlx::query("UPDATE data_keys SET master_key_id = $1, wrapped = $2 WHERE owner_id = $3")
            .bind(new.key_id())
            .bind(new.wrap(owner_id, &key))
            .bind(owner_id)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
    }
    let (left,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM data_keys WHERE master_key_id <> $1")
            .bind(new.key_id())
            .fetch_one(&mut *tx)
            .await
            .map_err(fail)?;
    if left > 0 {
        return Err(format!(
            "key rotation refused (nothing changed): {left} data keys are under a master key \
             other than the current one"
        ));
    }
    sqlx::query("UPDATE app_secrets SET value = $1 WHERE name = $2")
        .bind(new.key_id())
        .bind(MASTER_KEY_ID)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    if let Err(e) = tx.commit().await {
        // A commit whose answer was lost may still have happened: say which.
        let now = current_master_id(db).await.map(|(id,)| id);
        return Err(match now {
            Ok(id) if id == new.key_id() => format!(
                "the rotation committed, but its answer failed ({e}): the database is under the \
                 new key; install it as the key file"
            ),
            Ok(_) => format!("key rotation failed (nothing changed): {e}"),
            Err(_) => format!(
                "key rotation: the commit's outcome is unknown ({e}); keep both keys and check \
                 which one starts the server"
            ),
        });
    }
    Ok(rows.len() as u64)
}
