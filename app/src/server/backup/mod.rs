//! Backups: one file per backup holding a consistent snapshot of the database as JSON lines per
//! table, the stored objects exactly as stored (sealed), and a manifest with checksums
//! ([`archive`]). A backup restores into an empty database of either backend.
//!
//! A backup never holds a data key. The wrapped data keys live in one key file beside the
//! backups ([`KEY_FILE`]), which is only ever replaced by the current keys: after every backup
//! and after every client deletion. Restoring an old backup therefore opens with today's keys,
//! and a client deleted since it was taken opens as erased.

pub mod archive;

use crate::server::crypto::master::MasterKeySource;
use crate::server::crypto::Keyring;
use crate::server::db::{bind_f64, Backend, Db};
use crate::server::now_millis;
use crate::server::storage::{ObjectKey, Storage};
use crate::server::store::keys::TOMBSTONE;
use archive::{Manifest, TableCount};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{Column, Row, ValueRef};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const FILE_PREFIX: &str = "coachroom-backup-";
pub const FILE_SUFFIX: &str = ".tar";
/// A backup being written; never listed, and removed by a later backup once it is stale.
pub const PARTIAL_SUFFIX: &str = ".partial";
/// The current wrapped data keys, beside the backups (see the module docs).
pub const KEY_FILE: &str = "data-keys.json";
const KEY_FILE_FORMAT: &str = "coachroom-data-keys/1";

/// The tables a backup holds, each with its primary key (the export's order), parents before
/// children: the order a restore inserts them in.
pub const TABLES: &[(&str, &str)] = &[
    ("users", "id"),
    ("operator_accounts", "user_id"),
    ("coaches", "user_id"),
    ("support_grants", "id"),
    ("forms", "id"),
    ("clients", "id"),
    ("invites", "id"),
    ("notes", "id"),
    ("todos", "id"),
    ("app_secrets", "name"),
    ("checkins", "id"),
    ("checkin_idempotency_keys", "client_id, idempotency_key"),
    ("checkin_photos", "id"),
    ("goals", "id"),
    ("goal_habit_weeks", "goal_id, week_start"),
    ("plans", "id"),
    ("form_assignments", "id"),
    ("checkin_form_answers", "checkin_id"),
    ("coaching_sessions", "id"),
    ("action_items", "id"),
    ("ai_jobs", "session_id"),
    ("ai_calls", "id"),
    ("ai_coach_turns", "coach_id"),
    ("ai_budget", "coach_id"),
    ("deletion_requests", "id"),
    ("legal_requests", "id"),
    ("imported_records", "coach_id, source_key"),
    ("access_log", "seq"),
    ("access_log_head", "id"),
];

/// Tables a backup leaves out, and why (ARCHITECTURE.md has the same list).
pub const LEFT_OUT: &[(&str, &str)] = &[
    ("data_keys", "keys live only in the key file, kept current"),
    ("sessions", "sign-ins do not survive a restore"),
    ("throttle_buckets", "counters that refill by themselves"),
    (
        "email_links",
        "one-time links; a restore must not revive them",
    ),
    (
        "object_deletions",
        "objects already deleted are not in the backup",
    ),
    ("_sqlx_migrations", "the restore migrates the target itself"),
    (
        "mcp_connections",
        "connected AI tools reconnect after a restore: one revoked since must not come back",
    ),
    ("mcp_tokens", "the connections' tokens, left out with them"),
    (
        "oauth_clients",
        "tools register again when they reconnect after a restore",
    ),
    (
        "oauth_codes",
        "single-use codes minutes long; a restore must not revive them",
    ),
];

/// `app_secrets` rows left out: the master key's id comes with the key file, and the backup
/// lease belongs to the deployment that took the backup.
const SECRETS_LEFT_OUT: &[&str] = &["master_key_id", BACKUP_LEASE, LAST_BACKUP];
const BACKUP_LEASE: &str = "backup_lease";
/// The last backup made: its size as the value, its time as `created_at` (the operator console
/// shows it). Left out of backups, which would otherwise each claim the one before.
pub const LAST_BACKUP: &str = "backup_last_made";

/// Rows per table entry: bounds the memory of writing and of restoring.
const ROWS_PER_ENTRY: i64 = 5000;
/// A stale partial file (its writer died) is removed by a later backup after this long.
const PARTIAL_STALE_AFTER: Duration = Duration::from_secs(3600);

/// Where backups go and how often the server takes one.
#[derive(Debug, Clone)]
pub struct BackupSettings {
    /// The backups' directory; with an S3 target, only where a backup is written before it is
    /// uploaded (and removed), and the key file's local copy and lock.
    pub dir: PathBuf,
    /// Backups and the key file go to this bucket and prefix instead of `dir`.
    pub s3: Option<S3Target>,
    /// `None`: only `coachroom backup` takes one.
    pub every: Option<Duration>,
    /// Backups kept; older ones are removed after each new one.
    pub keep: usize,
}

/// An S3 bucket and key prefix for backups (never the photos' keys).
#[derive(Debug, Clone)]
pub struct S3Target {
    pub settings: crate::server::storage::S3Settings,
    /// Ends with `/` (or is empty, in a bucket of its own).
    pub prefix: String,
}

impl S3Target {
    fn store(&self) -> crate::server::storage::s3::S3Store {
        crate::server::storage::s3::S3Store::new(&self.settings)
    }

    /// `s3://bucket/prefix/name`: how backups in S3 are named to the commands.
    fn url(&self, name: &str) -> String {
        format!("s3://{}/{}{name}", self.settings.bucket, self.prefix)
    }
}

/// A backup: on disk, or in S3 (then `path` holds its `s3://bucket/key` URL).
#[derive(Debug, Clone)]
pub struct Listed {
    pub path: PathBuf,
    pub bytes: u64,
}

fn is_backup_name(name: &str) -> bool {
    name.starts_with(FILE_PREFIX) && name.ends_with(FILE_SUFFIX)
}

/// The backups of `settings`, oldest first (their names sort by time). Partial files are never
/// listed (and an S3 object exists only once its upload is whole).
pub async fn list_backups(settings: &BackupSettings) -> Result<Vec<Listed>, String> {
    let Some(target) = &settings.s3 else {
        return list(&settings.dir);
    };
    let found = target
        .store()
        .list(&target.prefix)
        .await
        .map_err(|e| format!("cannot list the backups: {e}"))?;
    Ok(found
        .into_iter()
        .filter_map(|(key, bytes)| {
            let name = key.strip_prefix(&target.prefix)?;
            is_backup_name(name).then(|| Listed {
                path: PathBuf::from(target.url(name)),
                bytes,
            })
        })
        .collect())
}

/// A local copy of a backup or key file named by an `s3://bucket/key` URL (removed when
/// dropped), or the path itself.
struct Fetched {
    path: PathBuf,
    temporary: bool,
}

impl Drop for Fetched {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

async fn fetch(settings: &BackupSettings, path: &Path, what: &str) -> Result<Fetched, String> {
    let text = path.to_string_lossy();
    let Some(rest) = text.strip_prefix("s3://") else {
        return Ok(Fetched {
            path: path.to_owned(),
            temporary: false,
        });
    };
    let (bucket, key) = rest
        .split_once('/')
        .ok_or_else(|| format!("{what}: expected s3://BUCKET/KEY, got {text}"))?;
    let target = settings.s3.as_ref().ok_or_else(|| {
        format!("{what}: {text} is in S3, but COACHROOM_BACKUP_S3_BUCKET is not set")
    })?;
    let mut s3 = target.settings.clone();
    s3.bucket = bucket.to_owned();
    tokio::fs::create_dir_all(&settings.dir)
        .await
        .map_err(|e| {
            format!(
                "COACHROOM_BACKUP_DIR: cannot create {}: {e}",
                settings.dir.display()
            )
        })?;
    let local = settings
        .dir
        .join(format!(".fetched-{}.tmp", crate::server::new_id()));
    let fetched = Fetched {
        path: local.clone(),
        temporary: true,
    };
    let found = crate::server::storage::s3::S3Store::new(&s3)
        .get_file(key, &local)
        .await
        .map_err(|e| format!("{what}: {e}"))?;
    if !found {
        return Err(format!("{what}: {text} does not exist"));
    }
    Ok(fetched)
}

/// Backups in `dir`, oldest first (their names sort by time). Partial files are never listed.
pub fn list(dir: &Path) -> Result<Vec<Listed>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(format!("cannot list {}: {e}", dir.display())),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_backup_name(&name) {
            let bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
            found.push(Listed {
                path: entry.path(),
                bytes,
            });
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

/// Checks a backup end to end (see [`archive::verify_file`]); `path` may be an `s3://` URL.
pub async fn verify_backup(settings: &BackupSettings, path: &Path) -> Result<Manifest, String> {
    let fetched = fetch(settings, path, "FILE").await?;
    fetched.verify(path).await
}

impl Fetched {
    /// Verifies the fetched copy; errors name the original (`s3://...`), not the copy.
    async fn verify(&self, original: &Path) -> Result<Manifest, String> {
        verify(&self.path).await.map_err(|e| {
            e.replace(
                &self.path.display().to_string(),
                &original.display().to_string(),
            )
        })
    }
}

/// Checks a backup file end to end (see [`archive::verify_file`]).
pub async fn verify(path: &Path) -> Result<Manifest, String> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || archive::verify_file(&path))
        .await
        .map_err(|e| format!("verify failed: {e}"))?
}

/// What a backup run made.
#[derive(Debug)]
pub struct Made {
    pub path: PathBuf,
    pub bytes: u64,
    pub manifest: Manifest,
    pub removed: Vec<PathBuf>,
}

fn file_name(created_at_ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(created_at_ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{FILE_PREFIX}{:04}{:02}{:02}T{:02}{:02}{:02}.{:03}Z{FILE_SUFFIX}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// The schema version of the migrations this binary carries (both backends number them alike).
pub fn binary_schema_version() -> i64 {
    sqlx::migrate!("./migrations/sqlite")
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

/// The query for one entry of `table`'s rows. A table ordered by one column is paged by key
/// (`$2` is the last key of the previous entry, left out for the first), so each entry costs
/// the same however far in it is: the access log only ever grows. A composite order pages by
/// `OFFSET $2`.
fn select_sql(table: &str, order: &str, after_key: bool) -> String {
    let mut conditions = Vec::new();
    if table == "app_secrets" {
        let names: Vec<String> = SECRETS_LEFT_OUT.iter().map(|n| format!("'{n}'")).collect();
        conditions.push(format!("name NOT IN ({})", names.join(", ")));
    }
    let by_key = !order.contains(',');
    if by_key && after_key {
        conditions.push(format!("{order} > $2"));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    if by_key {
        format!("SELECT * FROM {table}{filter} ORDER BY {order} LIMIT $1")
    } else {
        format!("SELECT * FROM {table}{filter} ORDER BY {order} LIMIT $1 OFFSET $2")
    }
}

/// One row as JSON values, in column order. Only the types the schema uses (text, integers,
/// doubles) are expected; anything else stops the backup rather than lose it.
pub fn row_values(row: &sqlx::any::AnyRow, table: &str) -> Result<Vec<Value>, String> {
    use sqlx::any::AnyTypeInfoKind as Kind;
    let mut values = Vec::with_capacity(row.columns().len());
    for (i, column) in row.columns().iter().enumerate() {
        let raw = row
            .try_get_raw(i)
            .map_err(|e| format!("{table}.{}: {e}", column.name()))?;
        let kind = if raw.is_null() {
            Kind::Null
        } else {
            raw.type_info().kind()
        };
        let cell = |e: sqlx::Error| format!("{table}.{}: {e}", column.name());
        values.push(match kind {
            Kind::Null => Value::Null,
            Kind::SmallInt | Kind::Integer | Kind::BigInt => {
                Value::from(row.try_get::<i64, _>(i).map_err(cell)?)
            }
            Kind::Real | Kind::Double => {
                let v: f64 = row.try_get(i).map_err(cell)?;
                serde_json::Number::from_f64(v)
                    .map(Value::Number)
                    .ok_or_else(|| format!("{table}.{}: not a finite number", column.name()))?
            }
            Kind::Text => Value::from(row.try_get::<String, _>(i).map_err(cell)?),
            other => {
                return Err(format!(
                    "{table}.{}: a {other:?} value, which backups do not hold",
                    column.name()
                ))
            }
        });
    }
    Ok(values)
}

/// Takes the key file's lock (`flock` on a file beside it), held until the returned file is
/// dropped. Every writer, in this server or another process (a `coachroom backup` or `keys
/// rotate` beside it), reads the keys and renames its file while holding it, so an older set of
/// keys can never replace a newer one.
async fn lock_key_file(dir: &Path) -> Result<std::fs::File, String> {
    let path = dir.join(KEY_FILE_LOCK);
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        file.lock()
            .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
        Ok(file)
    })
    .await
    .map_err(|e| format!("cannot lock the key file: {e}"))?
}

const KEY_FILE_LOCK: &str = ".data-keys.lock";

#[derive(Debug, Serialize, Deserialize)]
struct KeyFile {
    format: String,
    written_at: i64,
    keys: Vec<StoredKey>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredKey {
    owner_id: String,
    coach_id: String,
    client_id: Option<String>,
    master_key_id: String,
    /// Wrapped by the master key; empty for an erased owner's tombstone.
    wrapped: String,
    created_at: i64,
}

/// Replaces `dir`'s key file with the database's current data keys (still wrapped).
pub async fn write_key_file(db: &Db, settings: &BackupSettings) -> Result<usize, String> {
    let dir = &settings.dir;
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| format!("COACHROOM_BACKUP_DIR: cannot create {}: {e}", dir.display()))?;
    let _held = lock_key_file(dir).await?;
    let rows: Vec<(String, String, Option<String>, String, String, i64)> = sqlx::query_as(
        "SELECT owner_id, coach_id, client_id, master_key_id, wrapped, created_at FROM data_keys \
         ORDER BY owner_id",
    )
    .fetch_all(db.reader())
    .await
    .map_err(|e| format!("cannot read the data keys: {e}"))?;
    let keys: Vec<StoredKey> = rows
        .into_iter()
        .map(
            |(owner_id, coach_id, client_id, master_key_id, wrapped, created_at)| StoredKey {
                owner_id,
                coach_id,
                client_id,
                master_key_id,
                wrapped,
                created_at,
            },
        )
        .collect();
    let count = keys.len();
    let json = serde_json::to_vec(&KeyFile {
        format: KEY_FILE_FORMAT.to_owned(),
        written_at: now_millis(),
        keys,
    })
    .map_err(|e| format!("cannot write the key file: {e}"))?;
    let path = dir.join(KEY_FILE);
    let local = path.clone();
    tokio::task::spawn_blocking(move || replace_file(&local, &json))
        .await
        .map_err(|e| format!("cannot write the key file: {e}"))??;
    if let Some(target) = &settings.s3 {
        // Replaced in place: keep versioning off for this prefix (see ARCHITECTURE.md).
        target
            .store()
            .put_file(&format!("{}{KEY_FILE}", target.prefix), &path)
            .await
            .map_err(|e| format!("cannot upload the key file: {e}"))?;
    }
    Ok(count)
}

/// Writes `bytes` to `path` whole or not at all: a private temporary file, synced, renamed
/// over the old one, and the directory synced.
fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        crate::server::new_id()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(fail)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Whether this deployment keeps a key file: always with an S3 target (this machine may not have
/// made the last backup), else once a backup has written one here.
pub fn keeps_key_file(settings: &BackupSettings) -> bool {
    settings.s3.is_some() || settings.dir.join(KEY_FILE).exists()
}

/// After a client is deleted: if this deployment keeps a key file, it is rewritten at once, so
/// the deleted client's key is gone from it too. Runs in the background; a failure is logged
/// (and the next backup rewrites the file anyway).
pub fn after_client_deleted(db: &Db, settings: &BackupSettings) {
    if !keeps_key_file(settings) {
        return;
    }
    let (db, settings) = (db.clone(), settings.clone());
    tokio::spawn(async move {
        if let Err(e) = write_key_file(&db, &settings).await {
            tracing::error!(%e, "could not rewrite the key file after a client deletion");
        }
    });
}

/// Takes a backup now: the database snapshot, then the objects its photo rows name, then the
/// manifest; written to a partial file that is renamed into place only when whole. Then the
/// key file is rewritten and backups beyond `keep` are removed.
pub async fn create(db: &Db, raw: &Storage, settings: &BackupSettings) -> Result<Made, String> {
    let made = make(db, raw, settings).await?;
    // Only for the operator console: a backup that is made but not recorded is still made.
    let recorded = sqlx::query(
        "INSERT INTO app_secrets (name, value, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, created_at = excluded.created_at",
    )
    .bind(LAST_BACKUP)
    .bind(made.bytes.to_string())
    .bind(now_millis())
    .execute(db.writer())
    .await;
    if let Err(e) = recorded {
        tracing::warn!(%e, "cannot record the last backup");
    }
    Ok(made)
}

async fn make(db: &Db, raw: &Storage, settings: &BackupSettings) -> Result<Made, String> {
    let dir = &settings.dir;
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| format!("COACHROOM_BACKUP_DIR: cannot create {}: {e}", dir.display()))?;
    remove_stale_partials(dir);
    let created_at = now_millis();
    let path = dir.join(file_name(created_at));
    let partial = PathBuf::from(format!("{}{PARTIAL_SUFFIX}", path.display()));
    let file = {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options
            .open(&partial)
            .map_err(|e| format!("cannot create {}: {e}", partial.display()))?
    };
    let writer = archive::Writer::start(file, (created_at / 1000).max(0) as u64);
    let written = fill(db, raw, &writer, created_at).await;
    let manifest = match written {
        Ok(manifest) => writer.finish(manifest).await,
        // If the writer stopped (a full disk), its error is the one that says why.
        Err(e) => Err(writer.abandon().await.unwrap_or(e)),
    };
    let manifest = match manifest {
        Ok(manifest) => manifest,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    // The key file first: a listed backup always has a key file at least as new beside it.
    if let Err(e) = write_key_file(db, settings).await {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    let bytes = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
    if let Some(target) = &settings.s3 {
        let name = file_name(created_at);
        let uploaded = target
            .store()
            .put_file(&format!("{}{name}", target.prefix), &partial)
            .await
            .map_err(|e| format!("cannot upload the backup: {e}"));
        let _ = std::fs::remove_file(&partial);
        uploaded?;
        // The backup is made; an old one that could not be removed is only worth a warning.
        let removed = prune_s3(target, settings.keep).await.unwrap_or_else(|e| {
            tracing::warn!(%e, "could not remove old backups");
            Vec::new()
        });
        return Ok(Made {
            path: PathBuf::from(target.url(&name)),
            bytes,
            manifest,
            removed,
        });
    }
    std::fs::rename(&partial, &path)
        .and_then(|()| sync_dir(dir))
        .map_err(|e| format!("cannot move {} into place: {e}", partial.display()))?;
    let removed = prune(dir, settings.keep).unwrap_or_else(|e| {
        tracing::warn!(%e, "could not remove old backups");
        Vec::new()
    });
    Ok(Made {
        path,
        bytes,
        manifest,
        removed,
    })
}

/// Writes the snapshot's tables and the objects it names; returns the manifest to finish with.
async fn fill(
    db: &Db,
    raw: &Storage,
    writer: &archive::Writer,
    created_at: i64,
) -> Result<Manifest, String> {
    let mut tx = db.read_snapshot().await?;
    let read = |table: &str, e: sqlx::Error| format!("cannot read {table}: {e}");
    let (schema_version,): (i64,) = sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| read("_sqlx_migrations", e))?;
    let key_owners: Vec<(String,)> =
        sqlx::query_as("SELECT owner_id FROM data_keys ORDER BY owner_id")
            .fetch_all(&mut *tx)
            .await
            .map_err(|e| read("data_keys", e))?;
    let mut tables = Vec::with_capacity(TABLES.len());
    let mut object_keys = Vec::new();
    for (table, order) in TABLES {
        let by_key = !order.contains(',');
        let mut rows_done: i64 = 0;
        let mut last_key: Option<Value> = None;
        let mut part = 0;
        loop {
            let sql = select_sql(table, order, last_key.is_some());
            let query = sqlx::query(&sql).bind(ROWS_PER_ENTRY);
            let query = match &last_key {
                Some(Value::String(key)) => query.bind(key.clone()),
                Some(Value::Number(key)) => query.bind(
                    key.as_i64()
                        .ok_or_else(|| format!("{table}: a key {key} that is not an integer"))?,
                ),
                Some(other) => return Err(format!("{table}: a key {other} that cannot page")),
                None if by_key => query,
                None => query.bind(rows_done),
            };
            let rows = query
                .fetch_all(&mut *tx)
                .await
                .map_err(|e| read(table, e))?;
            let columns: Vec<String> = match rows.first() {
                Some(row) => row.columns().iter().map(|c| c.name().to_owned()).collect(),
                None => break,
            };
            let key_column = columns.iter().position(|c| c == "object_key");
            let order_column = columns.iter().position(|c| c == *order);
            let mut lines = serde_json::to_vec(&columns).map_err(|e| e.to_string())?;
            lines.push(b'\n');
            for row in &rows {
                let values = row_values(row, table)?;
                if *table == "checkin_photos" {
                    if let Some(Value::String(key)) = key_column.and_then(|i| values.get(i)) {
                        object_keys.push(key.clone());
                    }
                }
                serde_json::to_writer(&mut lines, &values).map_err(|e| e.to_string())?;
                lines.push(b'\n');
                if by_key {
                    last_key = order_column.and_then(|i| values.get(i)).cloned();
                }
            }
            if by_key && last_key.is_none() {
                return Err(format!("{table}: its key column {order} was not read"));
            }
            part += 1;
            rows_done += rows.len() as i64;
            writer
                .add(format!("tables/{table}/{part:06}.jsonl"), lines)
                .await?;
            if (rows.len() as i64) < ROWS_PER_ENTRY {
                break;
            }
        }
        tables.push(TableCount {
            name: (*table).to_owned(),
            rows: rows_done as u64,
        });
    }
    // The snapshot ends here; objects are never changed once written, so copying them after it
    // gives the same bytes. One deleted meanwhile (its client went) is counted as missing.
    let _ = tx.rollback().await;
    let mut objects = 0;
    let mut objects_missing = 0;
    for raw_key in object_keys {
        let Some(key) = ObjectKey::parse(&raw_key) else {
            return Err(format!(
                "checkin_photos holds a malformed object key {raw_key:?}"
            ));
        };
        match raw.get(&key).await.map_err(|e| e.to_string())? {
            Some(bytes) => {
                writer.add(format!("objects/{key}"), bytes).await?;
                objects += 1;
            }
            None => {
                tracing::warn!(%key, "object deleted while the backup ran; left out");
                objects_missing += 1;
            }
        }
    }
    Ok(Manifest {
        format: archive::FORMAT.to_owned(),
        created_at,
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        backend: match db.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
        .to_owned(),
        schema_version,
        key_owners: key_owners.into_iter().map(|(id,)| id).collect(),
        tables,
        objects,
        objects_missing,
        entries: vec![],
    })
}

fn remove_stale_partials(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > PARTIAL_STALE_AFTER);
        let leftover = (name.starts_with(FILE_PREFIX) && name.ends_with(PARTIAL_SUFFIX))
            || (name.starts_with(&format!(".{KEY_FILE}.")) && name.ends_with(".tmp"))
            || (name.starts_with(".fetched-") && name.ends_with(".tmp"));
        if leftover && stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Removes the oldest backups beyond `keep`; returns what it removed.
fn prune(dir: &Path, keep: usize) -> Result<Vec<PathBuf>, String> {
    let listed = list(dir)?;
    let excess = listed.len().saturating_sub(keep.max(1));
    let mut removed = Vec::new();
    for old in listed.into_iter().take(excess) {
        match std::fs::remove_file(&old.path) {
            Ok(()) => removed.push(old.path),
            // Another process pruned it first.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}: {e}", old.path.display())),
        }
    }
    Ok(removed)
}

/// Removes the oldest backups in S3 beyond `keep`.
async fn prune_s3(target: &S3Target, keep: usize) -> Result<Vec<PathBuf>, String> {
    let store = target.store();
    let listed: Vec<String> = store
        .list(&target.prefix)
        .await
        .map_err(|e| format!("cannot list the backups: {e}"))?
        .into_iter()
        .filter_map(|(key, _)| {
            let name = key.strip_prefix(&target.prefix)?.to_owned();
            is_backup_name(&name).then_some(name)
        })
        .collect();
    let excess = listed.len().saturating_sub(keep.max(1));
    let mut removed = Vec::new();
    for name in listed.into_iter().take(excess) {
        store
            .delete_key(&format!("{}{name}", target.prefix))
            .await
            .map_err(|e| format!("cannot remove an old backup: {e}"))?;
        removed.push(PathBuf::from(target.url(&name)));
    }
    Ok(removed)
}

/// Claims this period's scheduled backup for this server: true for exactly one server of a
/// deployment per period (the database row is the lease).
async fn claim_period(db: &Db, every: Duration) -> Result<bool, sqlx::Error> {
    let now = now_millis();
    let claimed = sqlx::query(
        "INSERT INTO app_secrets (name, value, created_at) VALUES ($1, 'claimed', $2) \
         ON CONFLICT (name) DO UPDATE SET created_at = excluded.created_at \
         WHERE app_secrets.created_at <= $3",
    )
    .bind(BACKUP_LEASE)
    .bind(now)
    .bind(now - every.as_millis() as i64)
    .execute(db.writer())
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Gives the period back after a failed backup, so the next check (here or on another server)
/// tries again instead of waiting a whole period.
async fn release_period(db: &Db) {
    let released = sqlx::query("UPDATE app_secrets SET created_at = 0 WHERE name = $1")
        .bind(BACKUP_LEASE)
        .execute(db.writer())
        .await;
    if let Err(e) = released {
        tracing::error!(%e, "scheduled backup: cannot release the period");
    }
}

/// Backs up every `settings.every` for as long as the server runs (one server of a deployment
/// per period). Checks a few times a period, so a restart does not skip one. It stops between
/// backups when `stop` turns true; the server waits a while for a backup in progress, then
/// aborts it (a backup cut short stays a partial file, never listed).
pub fn spawn_scheduled(
    db: Db,
    raw: Storage,
    settings: BackupSettings,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    let every = settings.every?;
    let check = (every / 4).clamp(Duration::from_secs(1), Duration::from_secs(600));
    Some(tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(check) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return;
            }
            match claim_period(&db, every).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::error!(%e, "scheduled backup: cannot claim the period");
                    continue;
                }
            }
            match create(&db, &raw, &settings).await {
                Ok(made) => tracing::info!(
                    path = %made.path.display(),
                    bytes = made.bytes,
                    objects = made.manifest.objects,
                    removed = made.removed.len(),
                    "scheduled backup made"
                ),
                Err(e) => {
                    tracing::error!(%e, "scheduled backup failed");
                    release_period(&db).await;
                }
            }
        }
    }))
}

/// The configured storage backend without sealing, for commands that copy objects as stored
/// (it makes no links, so its link signer is a throwaway).
pub async fn open_raw_storage(
    settings: &crate::server::storage::StorageSettings,
) -> Result<Storage, String> {
    let mut secret = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
    let signer =
        crate::server::storage::local::UrlSigner::new(&secret).map_err(|e| e.to_string())?;
    crate::server::storage::open_backend(settings, std::sync::Arc::new(signer)).await
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub rows: u64,
    pub objects: u64,
    /// Owners whose key was destroyed after the backup: their rows open as erased.
    pub erased: usize,
}

#[derive(Clone, Copy)]
enum ColumnKind {
    Text,
    Integer,
    Double,
}

async fn column_kinds(db: &Db, table: &str) -> Result<HashMap<String, ColumnKind>, String> {
    let sql = match db.backend() {
        Backend::Sqlite => "SELECT name, type FROM pragma_table_info($1)",
        Backend::Postgres => {
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    let rows: Vec<(String, String)> = sqlx::query_as(sql)
        .bind(table)
        .fetch_all(db.reader())
        .await
        .map_err(|e| format!("cannot read the columns of {table}: {e}"))?;
    Ok(rows
        .into_iter()
        .map(|(name, declared)| {
            let declared = declared.to_ascii_uppercase();
            let kind = if declared.contains("INT") {
                ColumnKind::Integer
            } else if ["REAL", "DOUBLE", "FLOAT", "NUMERIC"]
                .iter()
                .any(|t| declared.contains(t))
            {
                ColumnKind::Double
            } else {
                ColumnKind::Text
            };
            (name, kind)
        })
        .collect())
}

/// Whether the database at `url` holds no data: no tables yet, or no users. A restore goes only
/// into such a database. Also refuses a database a newer Coachroom has migrated.
async fn check_empty(url: &str) -> Result<(), String> {
    sqlx::any::install_default_drivers();
    let backend = Backend::from_url(url)
        .ok_or("--database-url: must start with sqlite:, postgres:// or postgresql://")?;
    let url_for_pool = if backend == Backend::Sqlite && !url.contains('?') {
        format!("{url}?mode=rwc")
    } else {
        url.to_owned()
    };
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url_for_pool)
        .await
        .map_err(|e| format!("--database-url: cannot connect: {e}"))?;
    let checked = async {
        let has_table = |table: &'static str| {
            let sql = match backend {
                Backend::Sqlite => {
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1"
                }
                Backend::Postgres => {
                    "SELECT COUNT(*) FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_name = $1"
                }
            };
            let pool = &pool;
            async move {
                let (n,): (i64,) = sqlx::query_as(sql).bind(table).fetch_one(pool).await?;
                Ok::<bool, sqlx::Error>(n > 0)
            }
        };
        if has_table("users").await? {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
                .fetch_one(&pool)
                .await?;
            if n > 0 {
                return Ok(Err(format!(
                    "--database-url: the target database is not empty ({n} users): restore only \
                     into a new, empty database"
                )));
            }
        }
        if has_table("_sqlx_migrations").await? {
            let (v,): (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations")
                .fetch_one(&pool)
                .await?;
            if let Some(v) = v.filter(|v| *v > binary_schema_version()) {
                return Ok(Err(format!(
                    "--database-url: the target database is at schema version {v}, newer than \
                     this Coachroom's {}: restore with the version that made it",
                    binary_schema_version()
                )));
            }
        }
        Ok::<_, sqlx::Error>(Ok(()))
    }
    .await;
    pool.close().await;
    checked.map_err(|e| format!("--database-url: cannot inspect the target database: {e}"))?
}

fn read_key_file(path: &Path) -> Result<KeyFile, String> {
    let text = std::fs::read(path).map_err(|e| {
        format!(
            "--keys: cannot read the key file {}: {e} (it is written beside the backups)",
            path.display()
        )
    })?;
    let file: KeyFile = serde_json::from_slice(&text)
        .map_err(|e| format!("--keys: {} is not a key file: {e}", path.display()))?;
    if file.format != KEY_FILE_FORMAT {
        return Err(format!(
            "--keys: {} is a {:?} file; this Coachroom reads {KEY_FILE_FORMAT}",
            path.display(),
            file.format
        ));
    }
    Ok(file)
}

/// Restores `file` into the empty database at `target_url` and its objects into `storage`,
/// with the data keys of the key file at `keys_path`. Checks the whole file first; the rows go
/// in one transaction and the objects written are removed again if it fails, so a failed
/// restore leaves no data behind.
pub async fn restore(
    file: &Path,
    target_url: &str,
    master_key: &MasterKeySource,
    storage: &crate::server::storage::StorageSettings,
    keys_path: &Path,
    backups: &BackupSettings,
) -> Result<Restored, String> {
    let fetched = fetch(backups, file, "FILE").await?;
    let fetched_keys = fetch(backups, keys_path, "--keys").await?;
    let manifest = fetched.verify(file).await?;
    let file = fetched.path.as_path();
    let ours = binary_schema_version();
    if manifest.schema_version != ours {
        return Err(format!(
            "{}: the backup is of schema version {}, and this Coachroom restores version {ours}: \
             restore it with the Coachroom version that made it ({}), then upgrade",
            file.display(),
            manifest.schema_version,
            manifest.app_version
        ));
    }
    let keys = read_key_file(&fetched_keys.path)?;
    if keys.written_at < manifest.created_at {
        // Keys made after it was written would be missing, and their owners would be
        // tombstoned for good: only a key file at least as new as the backup will do.
        return Err(format!(
            "--keys: {} is older than the backup (written before it was taken): give the current \
             key file, which is beside the newest backup",
            keys_path.display()
        ));
    }
    let master_id = Keyring::new(master_key.clone())?
        .master()
        .key_id()
        .to_string();
    if let Some(other) = keys.keys.iter().find(|k| k.master_key_id != master_id) {
        return Err(format!(
            "--keys: the key file's keys are under master key {}, but the master key given is \
             {master_id}: give the master key the key file was written under",
            other.master_key_id
        ));
    }
    check_empty(target_url).await?;
    let db = Db::connect(target_url, master_key).await?;
    let restored = insert_all(&db, file, &manifest, storage, &keys).await;
    db.close().await;
    restored
}

async fn insert_all(
    db: &Db,
    file: &Path,
    manifest: &Manifest,
    storage_settings: &crate::server::storage::StorageSettings,
    keys: &KeyFile,
) -> Result<Restored, String> {
    let raw = open_raw_storage(storage_settings).await?;
    let mut written = Vec::new();
    let restored = insert_rows_and_objects(db, file, manifest, &raw, keys, &mut written).await;
    if restored.is_err() {
        // The rows rolled back; the objects written so far go too.
        for key in &written {
            let _ = raw.delete(key).await;
        }
    }
    restored
}

async fn insert_rows_and_objects(
    db: &Db,
    file: &Path,
    manifest: &Manifest,
    raw: &Storage,
    keys: &KeyFile,
    written: &mut Vec<ObjectKey>,
) -> Result<Restored, String> {
    let mut kinds = HashMap::new();
    for (table, _) in TABLES {
        kinds.insert(*table, column_kinds(db, table).await?);
    }
    let mut tx = db
        .begin()
        .await
        .map_err(|e| format!("cannot begin the restore: {e}"))?;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut client_coach: HashMap<String, String> = HashMap::new();
    let mut coaches: HashSet<String> = HashSet::new();
    let mut objects = 0;
    let mut entries = archive::read_entries(file, manifest);
    while let Some(entry) = entries.recv().await {
        let entry = entry?;
        if let Some(key) = entry.name.strip_prefix("objects/") {
            let key = ObjectKey::parse(key)
                .ok_or_else(|| format!("{}: a malformed object name {key:?}", file.display()))?;
            // One already there (a restore into the storage it came from) is the same object:
            // it is left alone, and never removed if the restore fails.
            let present = raw
                .exists(&key)
                .await
                .map_err(|e| format!("cannot store {key}: {e}"))?;
            if !present {
                raw.put(&key, entry.bytes)
                    .await
                    .map_err(|e| format!("cannot store {key}: {e}"))?;
                written.push(key);
            }
            objects += 1;
            continue;
        }
        let table = entry
            .name
            .strip_prefix("tables/")
            .and_then(|rest| rest.split('/').next())
            .and_then(|t| TABLES.iter().find(|(name, _)| *name == t).map(|(n, _)| *n))
            .ok_or_else(|| format!("{}: an unknown entry {:?}", file.display(), entry.name))?;
        let rows = insert_entry(&mut tx, table, &kinds[table], &entry.bytes).await?;
        for row in &rows.ids {
            match table {
                "clients" => {
                    client_coach.insert(row.0.clone(), row.1.clone());
                }
                // Owners of a key of their own: workspaces and operators.
                "coaches" | "operator_accounts" => {
                    coaches.insert(row.0.clone());
                }
                _ => {}
            }
        }
        *counts.entry(table.to_owned()).or_default() += rows.count;
    }
    for listed in &manifest.tables {
        let got = counts.get(&listed.name).copied().unwrap_or(0);
        if got != listed.rows {
            return Err(format!(
                "{}: {} holds {got} rows, its manifest says {}",
                file.display(),
                listed.name,
                listed.rows
            ));
        }
    }
    if objects != manifest.objects {
        return Err(format!(
            "{}: holds {objects} objects, its manifest says {}",
            file.display(),
            manifest.objects
        ));
    }
    let erased = insert_keys(&mut tx, manifest, keys, &client_coach, &coaches).await?;
    // A support grant revoked after the backup was taken must not open again: a restore ends
    // them all (a coach who still wants help grants it anew).
    sqlx::query("UPDATE support_grants SET ended_at = $1 WHERE ended_at IS NULL")
        .bind(now_millis())
        .execute(&mut *tx)
        .await
        .map_err(|e| format!("cannot end the support grants: {e}"))?;
    tx.commit()
        .await
        .map_err(|e| format!("cannot commit the restore: {e}"))?;
    Ok(Restored {
        rows: counts.values().sum(),
        objects,
        erased,
    })
}

/// The data keys of the restored owners: the current key where the key file has one; a
/// tombstone where the owner had a key when the backup was taken and has none now (deleted
/// since); nothing for an owner that never had one (made when first needed, as usual).
async fn insert_keys(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    manifest: &Manifest,
    keys: &KeyFile,
    client_coach: &HashMap<String, String>,
    coaches: &HashSet<String>,
) -> Result<usize, String> {
    let current: HashMap<&str, &StoredKey> =
        keys.keys.iter().map(|k| (k.owner_id.as_str(), k)).collect();
    let master_id: String = sqlx::query_as::<_, (String,)>(
        "SELECT value FROM app_secrets WHERE name = 'master_key_id'",
    )
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| format!("cannot read the master key id: {e}"))?
    .0;
    let mut erased = 0;
    let owners = client_coach
        .iter()
        .map(|(client, coach)| (client.as_str(), coach.as_str(), Some(client.as_str())))
        .chain(coaches.iter().map(|c| (c.as_str(), c.as_str(), None)));
    let had_key: HashSet<&str> = manifest.key_owners.iter().map(String::as_str).collect();
    for (owner, coach, client) in owners {
        let (wrapped, created_at) = match current.get(owner) {
            // A tombstone already (erased in an earlier restore) counts as erased here too.
            Some(key) if key.wrapped != TOMBSTONE => (key.wrapped.as_str(), key.created_at),
            Some(_) => {
                erased += 1;
                if let Some(client) = client {
                    revoke_login(tx, client).await?;
                }
                (TOMBSTONE, now_millis())
            }
            None if had_key.contains(owner) => {
                erased += 1;
                if let Some(client) = client {
                    revoke_login(tx, client).await?;
                }
                (TOMBSTONE, now_millis())
            }
            None => continue,
        };
        sqlx::query(
            "INSERT INTO data_keys (owner_id, coach_id, client_id, master_key_id, wrapped, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(owner)
        .bind(coach)
        .bind(client)
        .bind(&master_id)
        .bind(wrapped)
        .bind(created_at)
        .execute(&mut **tx)
        .await
        .map_err(|e| format!("cannot restore the key of {owner}: {e}"))?;
    }
    Ok(erased)
}

/// An erased client was deleted, login and invitations included: the restore does not bring
/// those back (their row stays, erased, for the coach to see and delete).
async fn revoke_login(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    client_id: &str,
) -> Result<(), String> {
    for sql in [
        "DELETE FROM users WHERE id IN (SELECT user_id FROM clients WHERE id = $1 \
         AND user_id IS NOT NULL)",
        "DELETE FROM invites WHERE client_id = $1",
    ] {
        sqlx::query(sql)
            .bind(client_id)
            .execute(&mut **tx)
            .await
            .map_err(|e| format!("cannot revoke the login of erased client {client_id}: {e}"))?;
    }
    Ok(())
}

struct Inserted {
    count: u64,
    /// (id, coach id) of client rows, (user id, user id) of coach rows.
    ids: Vec<(String, String)>,
}

/// Inserts one table entry's rows, several per statement.
async fn insert_entry(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    table: &'static str,
    kinds: &HashMap<String, ColumnKind>,
    bytes: &[u8],
) -> Result<Inserted, String> {
    let bad = |what: String| format!("backup entry for {table}: {what}");
    let mut lines = bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty());
    let columns: Vec<String> = serde_json::from_slice(lines.next().unwrap_or_default())
        .map_err(|e| bad(format!("no column list ({e})")))?;
    let column_kinds: Vec<ColumnKind> = columns
        .iter()
        .map(|c| {
            kinds
                .get(c)
                .copied()
                .ok_or_else(|| bad(format!("column {c} is not in this schema")))
        })
        .collect::<Result<_, _>>()?;
    let id_columns = match table {
        "clients" => Some(("id", "coach_id")),
        "coaches" => Some(("user_id", "user_id")),
        // An operator's own key seals their TOTP secret.
        "operator_accounts" => Some(("user_id", "user_id")),
        _ => None,
    };
    let id_positions = id_columns.and_then(|(a, b)| {
        Some((
            columns.iter().position(|c| c == a)?,
            columns.iter().position(|c| c == b)?,
        ))
    });
    let rows: Vec<Vec<Value>> = lines
        .map(|line| serde_json::from_slice(line).map_err(|e| bad(format!("a bad row ({e})"))))
        .collect::<Result<_, _>>()?;
    let per_statement = (900 / columns.len().max(1)).max(1);
    let on_conflict = match table {
        // A fresh start of the target made its own secrets; the backup's are the ones to keep
        // only where the target has none.
        "app_secrets" => " ON CONFLICT (name) DO NOTHING",
        // The migration made an empty chain's head; the backup's chain continues from its own.
        "access_log_head" => {
            " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash"
        }
        _ => "",
    };
    let mut ids = Vec::new();
    for chunk in rows.chunks(per_statement) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (r, row) in chunk.iter().enumerate() {
            if row.len() != columns.len() {
                return Err(bad(format!(
                    "a row of {} values for {} columns",
                    row.len(),
                    columns.len()
                )));
            }
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..columns.len() {
                n += 1;
                sql.push_str(&format!("{}${n}", if c == 0 { "" } else { ", " }));
            }
            sql.push(')');
        }
        sql.push_str(on_conflict);
        let mut query = sqlx::query(&sql);
        for row in chunk {
            if let Some((a, b)) = id_positions {
                if let (Some(Value::String(id)), Some(Value::String(coach))) =
                    (row.get(a), row.get(b))
                {
                    ids.push((id.clone(), coach.clone()));
                }
            }
            for (value, kind) in row.iter().zip(&column_kinds) {
                query = match (kind, value) {
                    (ColumnKind::Integer, Value::Null) => query.bind(None::<i64>),
                    (ColumnKind::Integer, v) => query.bind(
                        v.as_i64()
                            .ok_or_else(|| bad(format!("{v} is not an integer")))?,
                    ),
                    (ColumnKind::Double, Value::Null) => bind_f64(query, None),
                    (ColumnKind::Double, v) => bind_f64(
                        query,
                        Some(
                            v.as_f64()
                                .ok_or_else(|| bad(format!("{v} is not a number")))?,
                        ),
                    ),
                    (ColumnKind::Text, Value::Null) => query.bind(None::<String>),
                    (ColumnKind::Text, Value::String(s)) => query.bind(s.clone()),
                    (ColumnKind::Text, v) => return Err(bad(format!("{v} is not text"))),
                };
            }
        }
        query
            .execute(&mut **tx)
            .await
            .map_err(|e| bad(format!("cannot insert: {e}")))?;
    }
    Ok(Inserted {
        count: rows.len() as u64,
        ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_names_sort_by_time() {
        let a = file_name(1_764_700_000_000);
        let b = file_name(1_764_700_000_001);
        assert!(a < b, "{a} {b}");
        assert!(a.starts_with(FILE_PREFIX) && a.ends_with(FILE_SUFFIX));
    }

    #[test]
    fn stored_secrets_left_out_never_reach_a_backup() {
        let sql = select_sql("app_secrets", "name", true);
        assert!(sql.contains("name > $2"), "{sql}");
        assert!(
            sql.contains("'master_key_id'") && sql.contains("'backup_lease'"),
            "{sql}"
        );
    }
}
