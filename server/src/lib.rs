//! The Coachroom server: configuration, start-up and serving. The binary and the integration
//! tests both start the app through [`start`], so tests run exactly what ships.

pub mod assets;
pub mod config;

use app::server::ai::{jobs, Ai};
use app::server::crypto::master::{
    new_key_text, write_key_file, KeyProvider, LocalMasterKey, MasterKeySource,
};
use app::server::{backup, db::Db, router, state::AppState, storage};
use axum::serve::{ListenerExt, TapIo};
use config::Config;
use leptos::config::LeptosOptions;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};

/// Leptos options built from our config rather than from Cargo.toml at runtime, so the binary
/// runs from anywhere. Hashed file names are used when cargo-leptos built us with them.
fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(option_env!("LEPTOS_OUTPUT_NAME").unwrap_or("coachroom"))
        .site_root(config.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.bind)
        .hash_files(option_env!("LEPTOS_HASH_FILES") == Some("true"))
        .build()
}

/// Makes the embedded default's master key on first start, and says once that it must be kept.
fn ensure_master_key(setting: &config::MasterKeySetting) -> Result<(), String> {
    let MasterKeySource::File(path) = &setting.source else {
        return Ok(());
    };
    if !setting.generate_if_missing || path.exists() {
        return Ok(());
    }
    match write_key_file(path, &new_key_text(), true) {
        Ok(()) => {
            tracing::warn!(
                path = %path.display(),
                "made a new master key: back this file up apart from the data and its backups; \
                 without it nothing sealed can be read"
            );
            Ok(())
        }
        // Another server on the same data dir made it first: use theirs.
        Err(_) if path.exists() => Ok(()),
        Err(e) => Err(format!("COACHROOM_MASTER_KEY_FILE: {e}")),
    }
}

/// Connects the store (migrating it) under the configured master key.
pub async fn connect_db(config: &Config) -> Result<Db, String> {
    ensure_master_key(&config.master_key)?;
    Db::connect(&config.database_url, &config.master_key.source)
        .await
        .map_err(|e| {
            if e.starts_with("COACHROOM_MASTER_KEY") {
                e
            } else {
                format!("DATABASE_URL: {}", config::redact_password(&e))
            }
        })
}

/// Creates the data directory (the embedded database and local files) if it is missing.
fn ensure_data_dir(config: &Config) -> Result<(), String> {
    std::fs::create_dir_all(&config.settings.data_dir).map_err(|e| {
        format!(
            "COACHROOM_DATA_DIR: cannot create {}: {e}",
            config.settings.data_dir.display()
        )
    })
}

/// Connects the store (migrating it) and object storage, and assembles the shared state.
pub async fn build_state(config: &Config) -> Result<AppState, String> {
    ensure_data_dir(config)?;
    let db = connect_db(config).await?;
    let (storage, file_signer) = storage::connect(&config.settings.storage, &db).await?;
    let raw_storage = storage::open_backend(&config.settings.storage, file_signer.clone()).await?;
    let ai = config.settings.ai.as_ref().map(Ai::new).transpose()?;
    let session_cookie_key = app::server::session_store::cookie_key(&db).await?;
    Ok(AppState {
        db,
        settings: Arc::new(config.settings.clone()),
        leptos_options: leptos_options(config),
        storage,
        raw_storage,
        file_signer,
        ai,
        session_cookie_key,
        full_buckets: Default::default(),
        recent_errors: Default::default(),
    })
}

/// `coachroom keys ...`: prints what it did, or one line of error.
pub async fn keys_command(config: &Config, action: config::KeysCommand) -> Result<String, String> {
    match action {
        config::KeysCommand::New { out } => {
            write_key_file(&out, &new_key_text(), true).map_err(|e| format!("--out: {e}"))?;
            Ok(format!(
                "wrote a new master key to {}; keep a copy apart from the data",
                out.display()
            ))
        }
        config::KeysCommand::Rotate { new_key_file } => {
            // Read once: the key installed is the key the data keys were wrapped under.
            let text = std::fs::read_to_string(&new_key_file)
                .map_err(|e| format!("--new-key-file: {e}"))?;
            let new = LocalMasterKey::parse(&text)
                .ok_or("--new-key-file: must hold 64 hex digits (a 256-bit key)")?;
            let db = connect_db(config).await?;
            let rewrapped = app::server::store::keys::rotate(&db, &new).await?;
            // The key file beside the backups must follow: restores check it against the key.
            let dir = &config.settings.backup.dir;
            let key_file = if backup::keeps_key_file(&config.settings.backup) {
                backup::write_key_file(&db, &config.settings.backup)
                    .await
                    .map_err(|e| {
                        format!(
                        "the data keys are now under the new key, but {e}: run `coachroom backup`"
                    )
                    })?;
                format!(
                    "; the key file {} follows it",
                    dir.join(backup::KEY_FILE).display()
                )
            } else {
                String::new()
            };
            db.close().await;
            let installed = match &config.master_key.source {
                MasterKeySource::File(path) => {
                    write_key_file(path, &text, false).map_err(|e| {
                        format!(
                            "the data keys are now under the new key, but {e}: install {} as \
                             COACHROOM_MASTER_KEY_FILE yourself",
                            new_key_file.display()
                        )
                    })?;
                    format!(
                        "{} now holds it (running servers here pick it up); copy it to every \
                         other app server's key file now (until then they cannot make or read \
                         keys they have not cached)",
                        path.display()
                    )
                }
                MasterKeySource::Value(_) => "set COACHROOM_MASTER_KEY to it on every app \
                                              server and restart them now (until then they \
                                              cannot make or read keys they have not cached)"
                    .to_owned(),
            };
            Ok(format!(
                "re-wrapped {rewrapped} data keys under master key {}{key_file}; {installed}",
                new.key_id()
            ))
        }
    }
}

/// `coachroom admin add EMAIL`: the setup link to hand to the operator, or one line of error.
pub async fn admin_command(
    config: &Config,
    action: config::AdminCommand,
) -> Result<String, String> {
    use app::domain::{Email, PersonName};
    match action {
        config::AdminCommand::Add { email, name } => {
            let email = Email::parse(&email).map_err(|e| format!("EMAIL: {e}"))?;
            let name = name.unwrap_or_else(|| {
                email
                    .as_str()
                    .split('@')
                    .next()
                    .unwrap_or("Operator")
                    .to_owned()
            });
            let name = PersonName::parse(&name).map_err(|e| format!("--name: {e}"))?;
            let db = connect_db(config).await?;
            let enrolled = app::server::store::operators::enrol(&db, &email, &name).await;
            db.close().await;
            let enrolled = enrolled.map_err(|e| e.to_string())?;
            let link = format!(
                "{}/operator/setup/{}",
                config.settings.base_url, enrolled.token
            );
            let what = if enrolled.created {
                "Operator account created"
            } else {
                "Operator account locked and reset (its password and authenticator no longer work)"
            };
            Ok(format!(
                "{what} for {email}. Give the operator this one-time link, valid for 24 hours, to \
                 choose a password and enrol an authenticator app:\n{link}"
            ))
        }
        config::AdminCommand::ResetPassword { email } => {
            let email = Email::parse(&email).map_err(|e| format!("EMAIL: {e}"))?;
            let db = connect_db(config).await?;
            let made =
                app::server::store::password_resets::for_coach_by_operator(&db, &email).await;
            db.close().await;
            let made = made?;
            Ok(format!(
                "Give the coach {email} this one-time link, valid for 24 hours, to choose a new \
                 password (it is in their access log):\n{}/reset-password/{}",
                config.settings.base_url, made.token
            ))
        }
    }
}

/// `coachroom seed ...`: what was made and how to sign in, or one line of error.
pub async fn seed_command(config: &Config, plan: SeedArgs) -> Result<String, String> {
    use app::server::seed::{seed, SeedPlan};
    let plan = SeedPlan {
        email: app::domain::Email::parse(&plan.email).map_err(|e| format!("--email: {e}"))?,
        clients: plan.clients,
        checkins_per_client: plan.checkins_per_client,
        photos: plan.photos,
    };
    ensure_data_dir(config)?;
    let db = connect_db(config).await?;
    let seeded = match storage::connect(&config.settings.storage, &db).await {
        Ok((storage, _)) => seed(&db, &storage, &plan).await.map_err(|e| match e {
            app::AppError::Conflict(_) => {
                format!("--email: {} already has an account", plan.email)
            }
            other => other.to_string(),
        }),
        Err(err) => Err(err),
    };
    db.close().await;
    let seeded = seeded?;
    Ok(format!(
        "Seeded a demo workspace: {} clients, {} check-ins, {} photos.\n\
         Sign in at {}/login as {} with the password {}",
        seeded.clients,
        seeded.checkins,
        seeded.photos,
        config.settings.base_url,
        seeded.email,
        seeded.password
    ))
}

/// The arguments of `coachroom seed`.
pub struct SeedArgs {
    pub email: String,
    pub clients: u32,
    pub checkins_per_client: u32,
    pub photos: bool,
}

/// `coachroom audit verify`: how many entries were checked, or where the chain breaks.
pub async fn audit_command(
    config: &Config,
    action: config::AuditCommand,
) -> Result<String, String> {
    match action {
        config::AuditCommand::Verify => {
            let db = connect_db(config).await?;
            let report = app::server::store::access_log::verify(&db).await;
            db.close().await;
            let report = report?;
            match report.problem {
                None => Ok(format!(
                    "the access log is intact: {} entries, each following the one before",
                    report.entries
                )),
                Some(problem) => Err(format!(
                    "the access log was tampered with: {problem} ({} entries before it are intact)",
                    report.entries
                )),
            }
        }
    }
}

/// `coachroom backup [list | verify FILE]`: prints what it did, or one line of error.
pub async fn backup_command(
    config: &Config,
    action: Option<config::BackupCommand>,
) -> Result<String, String> {
    let settings = &config.settings.backup;
    match action {
        None => {
            let db = connect_db(config).await?;
            let raw = backup::open_raw_storage(&config.settings.storage).await?;
            let made = backup::create(&db, &raw, settings).await;
            db.close().await;
            let made = made?;
            let rows: u64 = made.manifest.tables.iter().map(|t| t.rows).sum();
            let mut out = format!(
                "wrote {} ({} bytes: {rows} rows, {} objects); the key file {} is current",
                made.path.display(),
                made.bytes,
                made.manifest.objects,
                match &settings.s3 {
                    Some(s3) => format!(
                        "s3://{}/{}{}",
                        s3.settings.bucket,
                        s3.prefix,
                        backup::KEY_FILE
                    ),
                    None => settings.dir.join(backup::KEY_FILE).display().to_string(),
                }
            );
            if made.manifest.objects_missing > 0 {
                out.push_str(&format!(
                    "; {} objects were deleted while it ran and are left out",
                    made.manifest.objects_missing
                ));
            }
            for removed in made.removed {
                out.push_str(&format!(
                    "\nremoved {} (keeping {})",
                    removed.display(),
                    settings.keep
                ));
            }
            Ok(out)
        }
        Some(config::BackupCommand::List) => {
            let listed = backup::list_backups(settings).await?;
            if listed.is_empty() {
                return Ok(match &settings.s3 {
                    Some(s3) => format!("no backups in s3://{}/{}", s3.settings.bucket, s3.prefix),
                    None => format!("no backups in {}", settings.dir.display()),
                });
            }
            Ok(listed
                .iter()
                .map(|b| format!("{}\t{} bytes", b.path.display(), b.bytes))
                .collect::<Vec<_>>()
                .join("\n"))
        }
        Some(config::BackupCommand::Verify { file }) => {
            let manifest = backup::verify_backup(settings, &file).await?;
            let rows: u64 = manifest.tables.iter().map(|t| t.rows).sum();
            Ok(format!(
                "{}: ok ({} backup of schema version {}, {rows} rows in {} tables, {} objects)",
                file.display(),
                manifest.backend,
                manifest.schema_version,
                manifest.tables.len(),
                manifest.objects
            ))
        }
    }
}

/// `coachroom restore FILE [--keys KEYFILE]` into `--database-url`.
pub async fn restore_command(
    config: &Config,
    file: &std::path::Path,
    keys: Option<std::path::PathBuf>,
) -> Result<String, String> {
    let keys = keys.unwrap_or_else(|| {
        file.parent()
            .unwrap_or(std::path::Path::new("."))
            .join(backup::KEY_FILE)
    });
    let restored = backup::restore(
        file,
        &config.database_url,
        &config.master_key.source,
        &config.settings.storage,
        &keys,
        &config.settings.backup,
    )
    .await?;
    Ok(format!(
        "restored {} rows and {} objects into {}; {} owners deleted since the backup open as erased",
        restored.rows,
        restored.objects,
        config::redact_password(&config.database_url),
        restored.erased
    ))
}

/// `listener` with `TCP_NODELAY` set on every connection it accepts. Without it, a response
/// written in two parts (headers, then body) waits for the client's delayed ACK of the first:
/// measured at 43 ms a request for the stylesheet on one keep-alive connection.
pub fn without_nagle(listener: TcpListener) -> TapIo<TcpListener, fn(&mut TcpStream)> {
    listener.tap_io(set_nodelay as fn(&mut TcpStream))
}

fn set_nodelay(stream: &mut TcpStream) {
    if let Err(err) = stream.set_nodelay(true) {
        tracing::debug!(%err, "could not set TCP_NODELAY on a connection");
    }
}

/// Serves the app on `listener` until `shutdown` completes; background AI jobs stop with it
/// (a job in progress goes back to the queue for the next server).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
    let worker = state
        .ai
        .clone()
        .map(|ai| jobs::spawn_workers(state.db.clone(), ai, jobs_stopped));
    let (stop_backups, backups_stopped) = tokio::sync::watch::channel(false);
    let backups = backup::spawn_scheduled(
        state.db.clone(),
        state.raw_storage.clone(),
        state.settings.backup.clone(),
        backups_stopped,
    );
    let app = router::build(state);
    let served = axum::serve(
        without_nagle(listener),
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    let _ = stop_jobs.send(true);
    if let Some(mut backups) = backups {
        // A backup in progress may finish; a long one is cut short (it stays a partial file).
        let _ = stop_backups.send(true);
        if tokio::time::timeout(std::time::Duration::from_secs(30), &mut backups)
            .await
            .is_err()
        {
            backups.abort();
            let _ = backups.await;
        }
    }
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    served
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::serve::Listener;

    /// The accepted side is what sends responses, so that is where Nagle must be off.
    #[tokio::test]
    async fn accepted_connections_send_without_delay() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut listener = without_nagle(listener);
        let _client = TcpStream::connect(addr).await.unwrap();
        let (accepted, _) = listener.accept().await;
        assert!(accepted.nodelay().unwrap());
    }
}
