//! The Coachroom server: configuration, start-up and serving. The binary and the integration
//! tests both start the app through [`start`], so tests run exactly what ships.

pub mod assets;
pub mod config;

use app::server::ai::{jobs, Ai};
use app::server::{db::Db, router, state::AppState, storage};
use config::Config;
use leptos::config::LeptosOptions;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

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

/// Connects the store (migrating it) and object storage, and assembles the shared state.
pub async fn build_state(config: &Config) -> Result<AppState, String> {
    std::fs::create_dir_all(&config.settings.data_dir).map_err(|e| {
        format!(
            "COACHROOM_DATA_DIR: cannot create {}: {e}",
            config.settings.data_dir.display()
        )
    })?;
    let db = Db::connect(&config.database_url)
        .await
        .map_err(|e| format!("DATABASE_URL: {}", config::redact_password(&e)))?;
    let (storage, file_signer) = storage::connect(&config.settings.storage, &db).await?;
    let ai = config.settings.ai.as_ref().map(Ai::new).transpose()?;
    let photo_origin = storage::photo_origin(&storage).await?;
    let session_cookie_key = app::server::session_store::cookie_key(&db).await?;
    Ok(AppState {
        db,
        settings: Arc::new(config.settings.clone()),
        leptos_options: leptos_options(config),
        storage,
        file_signer,
        ai,
        photo_origin,
        session_cookie_key,
        full_buckets: Default::default(),
    })
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
    let app = router::build(state);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    let _ = stop_jobs.send(true);
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    served
}
