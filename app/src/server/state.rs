//! Shared application state, handed to axum and to every server fn through Leptos context.

use super::db::Db;
use super::settings::Settings;
use crate::AppError;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub leptos_options: LeptosOptions,
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
