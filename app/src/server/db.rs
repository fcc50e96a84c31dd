//! The store's connection: SQLite (embedded default) or PostgreSQL, chosen by the URL scheme.
//!
//! Queries are written once against `sqlx::Any` with `$N` placeholders, which both backends accept.
//! Column types are limited to what both drivers map the same way: TEXT, BIGINT/INTEGER, REAL.

use crate::server::crypto::master::MasterKeySource;
use crate::server::crypto::Keyring;
use crate::AppError;
use sqlx::any::{AnyPoolOptions, AnyQueryResult};
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// Readers and the writer. On SQLite the writer pool has exactly one connection, so write
/// transactions queue in the app instead of failing with SQLITE_BUSY. On PostgreSQL they are two
/// pools too, so that reads never queue behind writers for a connection.
#[derive(Debug, Clone)]
pub struct Db {
    reader: AnyPool,
    writer: AnyPool,
    backend: Backend,
    keyring: Arc<Keyring>,
}

/// `secure_delete` zeroes the space a deleted or rewritten row leaves behind, so a deleted
/// client's rows (and plaintext sealed in place at upgrade) do not linger in free pages.
const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
     PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON;";

impl Db {
    /// Connects, migrates, and checks that `master_key` is the database's master key.
    pub async fn connect(url: &str, master_key: &MasterKeySource) -> Result<Self, String> {
        sqlx::any::install_default_drivers();
        let keyring = Arc::new(Keyring::new(master_key.clone())?);
        let backend = Backend::from_url(url).ok_or_else(|| {
            "DATABASE_URL must start with sqlite:, postgres:// or postgresql://".to_string()
        })?;
        let db = match backend {
            Backend::Sqlite => {
                let url = if url.contains('?') {
                    url.to_string()
                } else {
                    format!("{url}?mode=rwc")
                };
                let writer = sqlite_pool(&url, 1).await?;
                // WAL lets readers run beside the single writer; it is a property of the file.
                sqlx::query("PRAGMA journal_mode = WAL")
                    .execute(&writer)
                    .await
                    .map_err(|e| format!("cannot enable WAL on {url}: {e}"))?;
                let reader = sqlite_pool(&url, 8).await?;
                Self {
                    reader,
                    writer,
                    backend,
                    keyring,
                }
            }
            Backend::Postgres => {
                // Two pools, as on SQLite: a burst of writers that holds every writer
                // connection (scripts/bench part c: 32 check-in writers) never makes a read
                // wait for one. 20 connections per app server in all.
                let connect = |max| async move {
                    AnyPoolOptions::new()
                        .max_connections(max)
                        .acquire_timeout(Duration::from_secs(10))
                        .connect(url)
                        .await
                        .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))
                };
                Self {
                    writer: connect(12).await?,
                    reader: connect(8).await?,
                    backend,
                    keyring,
                }
            }
        };
        db.migrate().await?;
        super::store::keys::check_master(&db).await?;
        super::store::seal_existing::run(&db)
            .await
            .map_err(|_| "sealing data written before sealing existed failed (see the log); nothing was lost, and the next start carries on".to_string())?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), String> {
        let result = match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.writer)
                    .await
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.writer)
                    .await
            }
        };
        result.map_err(|e| format!("database migration failed: {e}"))
    }

    /// The master key and the cache of data keys (see `store::keys`).
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// For single reads.
    pub fn reader(&self) -> &AnyPool {
        &self.reader
    }

    /// For single-statement writes.
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// A write transaction; commit it or it rolls back on drop.
    pub async fn begin(&self) -> Result<Transaction<'static, Any>, AppError> {
        self.writer.begin().await.map_err(super::internal)
    }

    /// A read-only transaction that sees one snapshot of the whole database until it ends.
    /// SQLite in WAL mode: a read transaction's snapshot is fixed by its first read, and writers
    /// go on beside it. PostgreSQL: REPEATABLE READ fixes it at the first statement.
    pub async fn read_snapshot(&self) -> Result<Transaction<'static, Any>, String> {
        let fail = |e: sqlx::Error| format!("cannot open a snapshot of the database: {e}");
        let mut tx = self.reader.begin().await.map_err(fail)?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await
                .map_err(fail)?;
        }
        Ok(tx)
    }

    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

async fn sqlite_pool(url: &str, max: u32) -> Result<AnyPool, String> {
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(SQLITE_PRAGMAS).await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .map_err(|e| format!("cannot open SQLite database {url}: {e}"))
}

pub type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

/// Binds an optional double. sqlx 0.8's Any driver declares a NULL `f64` as float4 on
/// PostgreSQL (and a NULL `f32` as float8), so a statement first run with NULL and cached then
/// fails on a real value ("incorrect binary data format"). A NULL `f32` declares float8.
pub fn bind_f64<'q>(query: AnyQuery<'q>, value: Option<f64>) -> AnyQuery<'q> {
    match value {
        Some(v) => query.bind(v),
        None => query.bind(None::<f32>),
    }
}

/// True when a write failed because a row it refers to is gone (deleted meanwhile).
pub fn is_foreign_key_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_foreign_key_violation())
}

/// True when a write failed only because a unique constraint was hit.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

/// Turns "0 rows touched" into not-found.
pub fn expect_one(result: AnyQueryResult) -> Result<(), AppError> {
    if result.rows_affected() == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}
