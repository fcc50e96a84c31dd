//! For `scripts/bench` only, and only when `COACHROOM_BENCH_BASELINE=true`: a bare axum handler
//! that runs `clients/get`'s SELECT with no session, no principal, no proof and no server-fn
//! layer, in the same process, so the benchmark can say what those cost (its part a). It
//! skips authorization by design, so it answers only whether the row was found, never any of
//! it, and it is not routed at all unless the setting is on.

use super::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// `GET /bench/baseline/clients/{coach_id}/{client_id}`: 200 `found` or 404.
pub async fn client_row(
    State(state): State<AppState>,
    Path((coach_id, client_id)): Path<(String, String)>,
) -> Response {
    let row = sqlx::query(&super::store::clients::profile_select())
        .bind(&client_id)
        .bind(&coach_id)
        .fetch_optional(state.db.reader())
        .await;
    match row {
        Ok(Some(_)) => (StatusCode::OK, "found").into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            tracing::warn!(%err, "bench baseline query failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
