use clap::Parser;
use coachroom_server::{
    admin_command, assets, audit_command, backup_command, build_state, config, keys_command,
    restore_command, seed_command, serve, SeedArgs,
};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// Keeps glibc from holding freed large blocks. By default its threshold for giving a large
/// allocation its own mapping rises to the largest block freed so far, so after the first
/// password hash every 19 MiB argon2 block (and every decoded photo) came from the heap and
/// stayed resident when freed: RSS rose by about 17 MB a sign-up to some 420 MB. A fixed 1 MiB
/// threshold returns such blocks to the system when they are freed (measured: flat at 59 MB
/// over 40 sign-ups).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks_to_the_system() {
    // SAFETY: mallopt only sets an allocator parameter; glibc takes its own locks.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_to_the_system() {}

fn main() -> ExitCode {
    return_large_blocks_to_the_system();
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(start()),
        Err(err) => {
            eprintln!("coachroom: cannot start the async runtime: {err}");
            ExitCode::from(2)
        }
    }
}

async fn start() -> ExitCode {
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
    let mut cli = config::Cli::parse();
    let command = cli.command.take();
    let config = config::Config::from_cli(cli)?;
    let done = match command {
        Some(config::Command::Keys { action }) => Some(keys_command(&config, action).await?),
        Some(config::Command::Backup { action }) => Some(backup_command(&config, action).await?),
        Some(config::Command::Audit { action }) => Some(audit_command(&config, action).await?),
        Some(config::Command::Admin { action }) => Some(admin_command(&config, action).await?),
        Some(config::Command::Seed {
            clients,
            checkins_per_client,
            photos,
            email,
        }) => Some(
            seed_command(
                &config,
                SeedArgs {
                    email,
                    clients,
                    checkins_per_client,
                    photos,
                },
            )
            .await?,
        ),
        Some(config::Command::Restore { file, keys }) => {
            Some(restore_command(&config, &file, keys).await?)
        }
        None => None,
    };
    if let Some(done) = done {
        println!("{done}");
        return Ok(());
    }
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| format!("COACHROOM_BIND: cannot listen on {}: {e}", config.bind))?;
    let state = build_state(&config).await?;

    let pkg_dir = config.site_root.join("pkg");
    tokio::task::spawn_blocking(move || match assets::precompress(&pkg_dir) {
        Ok(n) => tracing::debug!(files = n, "precompressed assets"),
        Err(err) => {
            tracing::warn!(%err, "could not precompress assets; compressing them on each request")
        }
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
