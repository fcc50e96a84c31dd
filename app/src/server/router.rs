//! The axum router: pages, server fns, static files and the middleware stack.

use super::http;
use super::session_store::SqlSessionStore;
use super::state::AppState;
use crate::domain::{MealPlanKind, WorkoutPlanKind};
use axum::http::header::{
    HeaderName, HeaderValue, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{any, get};
use axum::Router;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::time::Duration;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// The largest request body any endpoint but an upload accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Session cookie name.
pub const SESSION_COOKIE: &str = "coachroom_session";

pub fn build(state: AppState) -> Router {
    let store = SqlSessionStore::new(state.db.clone(), state.settings.session_max_age);
    store.spawn_cleanup(Duration::from_secs(3600));
    let sessions = SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.settings.secure_cookies)
        .with_expiry(Expiry::OnInactivity(
            time::Duration::try_from(state.settings.session_idle)
                .unwrap_or(time::Duration::days(14)),
        ))
        .with_signed(state.session_cookie_key.clone());

    super::throttle::spawn_sweeper(
        state.db.clone(),
        state.settings.throttle,
        Duration::from_secs(3600),
    );
    // Objects whose deletion failed earlier are retried in the background.
    super::cleanup::spawn_sweeper(
        state.db.clone(),
        state.storage.clone(),
        Duration::from_secs(300),
    );
    super::mcp::spawn_sweeper(state.db.clone(), Duration::from_secs(600));
    super::legal::spawn_notifier(state.clone());
    // Room for four photos at the limit plus the check-in's text fields; for one session audio
    // file (past which the intake's own limit gives the clearer message); for one package to
    // import.
    let body_limits = http::BodyLimits {
        default: MAX_BODY_BYTES,
        checkin_upload: 4 * state.settings.photo_max_bytes + 256 * 1024,
        transcript_upload: super::transcript_intake::MAX_AUDIO_BYTES + 256 * 1024,
        import_upload: super::workspace_import::UPLOAD_MAX + 64 * 1024,
    };

    let readiness = super::health::Readiness::new(state.db.clone(), state.storage.clone());
    // Outside every layer too, so part a of the benchmark measures a truly bare handler.
    let bench_baseline = if state.settings.bench_baseline {
        Router::new().route(
            "/bench/baseline/clients/{coach_id}/{client_id}",
            get(super::bench_baseline::client_row),
        )
    } else {
        Router::new()
    };
    let routes = generate_route_list(crate::ui::App);
    let shell_options = state.leptos_options.clone();
    let is_https = state.settings.base_url.starts_with("https://");
    // Built assets from their own directory, with the brotli and gzip copies made at startup: a
    // miss is a plain 404, not a page render (these skip the anonymous lane).
    let pkg_dir = std::path::Path::new(&*state.leptos_options.site_root)
        .join(&*state.leptos_options.site_pkg_dir);
    let assets = ServeDir::new(pkg_dir)
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .nest_service("/pkg", assets)
        .route("/api/{*rest}", any(http::api_not_found))
        // A static route: matched before the catch-all above.
        .route("/api/openapi.json", get(super::openapi::serve))
        .route("/files/{*key}", get(super::storage::local::serve_file))
        .route("/api/portal/export", get(super::client_export::download))
        .route("/api/coach/export", get(super::workspace_export::download))
        .route(
            "/api/operator/legal/{request_id}/export",
            get(super::client_export::legal_download),
        )
        .route(
            "/api/checkins/{checkin_id}/pdf",
            get(super::exports::checkin_pdf),
        )
        .route(
            "/api/meal_plans/{plan_id}/pdf",
            get(super::exports::plan_pdf::<MealPlanKind>),
        )
        .route(
            "/api/workout_plans/{plan_id}/pdf",
            get(super::exports::plan_pdf::<WorkoutPlanKind>),
        )
        // Connected AI tools: `/mcp` and its OAuth metadata (none of it when MCP is off).
        .merge(super::mcp::routes(&state))
        .leptos_routes_with_context(
            &state,
            routes,
            http::set_content_security_policy,
            move || crate::ui::shell(shell_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            http::set_content_security_policy, crate::ui::shell
        ))
        .layer(from_fn_with_state(state.clone(), http::guard_pages))
        .layer(from_fn_with_state(state.clone(), super::support::guard))
        .layer(from_fn_with_state(
            super::upload_gate::UploadGate::new(state.settings.uploads),
            super::upload_gate::limit_uploads,
        ))
        .layer(from_fn_with_state(
            super::anonymous_lane::AnonymousLane::new(
                state.settings.anonymous,
                state.settings.trust_forwarded_for,
            ),
            super::anonymous_lane::admit_anonymous,
        ))
        .layer(from_fn_with_state(
            state.settings.clone(),
            http::reject_cross_site,
        ))
        .layer(from_fn_with_state(
            state.settings.session_idle,
            super::session_store::keep_alive,
        ))
        .layer(sessions)
        .layer(from_fn_with_state(body_limits, http::limit_body))
        .layer(from_fn(http::api_errors_as_json))
        .layer(from_fn_with_state(
            state.recent_errors.clone(),
            super::recent_errors::note_server_errors,
        ))
        .layer(from_fn(http::cache_headers))
        .layer(SetResponseHeaderLayer::if_not_present(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(from_fn_with_state(
            is_https,
            http::strict_transport_security,
        ))
        // ZIP downloads are compressed already (and streamed): compressing them again costs CPU
        // for nothing.
        .layer(CompressionLayer::new().compress_when(
            DefaultPredicate::new().and(NotForContentType::const_new("application/zip")),
        ))
        // Added after the layers, so none of them applies: a load balancer's probe needs no
        // session, and must not queue behind strangers in the anonymous lane.
        .route("/healthz", get(super::health::alive))
        .route(
            "/readyz",
            get(move || super::health::ready(readiness.clone())),
        )
        .merge(bench_baseline)
        .with_state(state)
}
