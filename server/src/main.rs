use clap::Parser;
use coachroom_server::{assets, build_state, config, serve};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(line) => {
            eprintln!("coachroom: {line}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<(), String> {
    let config = config::Config::from_cli(config::Cli::parse())?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| format!("COACHROOM_BIND: cannot listen on {}: {e}", config.bind))?;
    let state = build_state(&config).await?;

    let pkg_dir = config.site_root.join("pkg");
    tokio::task::spawn_blocking(move || match assets::precompress(&pkg_dir) {
        Ok(n) => tracing::debug!(files = n, "precompressed assets"),
        Err(err) => tracing::warn!(%err, "could not precompress assets; serving them uncompressed"),
    });

    tracing::info!(
        "Coachroom listening on http://{} (public URL {})",
        config.bind,
        config.settings.base_url
    );
    let db = state.db.clone();
    serve(listener, state, shutdown_signal())
        .await
        .map_err(|e| format!("server stopped: {e}"))?;
    db.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut sig) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            sig.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
