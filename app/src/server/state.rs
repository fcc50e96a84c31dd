//! Shared application state, handed to axum and to every server fn through Leptos context.

use super::db::Db;
use super::settings::Settings;
use super::storage::local::UrlSigner;
use super::storage::Storage;
use crate::AppError;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub leptos_options: LeptosOptions,
    /// Where photos and other files live (local disk or S3).
    pub storage: Storage,
    /// The same storage without sealing (it hands back the sealed bytes): backups copy from it.
    pub raw_storage: Storage,
    /// Signs and checks `/files/` links (used by local storage; shared through the database).
    pub file_signer: Arc<UrlSigner>,
    /// The AI server, when one is configured.
    pub ai: Option<super::ai::Ai>,
    /// Signs session cookies (shared through the database, like `file_signer`).
    pub session_cookie_key: tower_sessions::cookie::Key,
    /// Throttle buckets this server knows are full (see `throttle`).
    pub full_buckets: Arc<super::throttle::FullBuckets>,
    /// The server errors this server answered, for the operator console.
    pub recent_errors: Arc<super::recent_errors::RecentErrors>,
}

impl AppState {
    /// The state inside a server fn or SSR render.
    pub fn current() -> Result<Self, AppError> {
        leptos::prelude::use_context::<Self>()
            .ok_or_else(|| super::internal("AppState missing from Leptos context"))
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
