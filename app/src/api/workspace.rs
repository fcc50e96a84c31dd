//! Moving a workspace: importing a Fitness Coaching Data Standard v1 package. (The export is a
//! download, `GET /api/coach/export`, in `server::workspace_export`.)

use crate::domain::ImportReport;
use crate::AppError;
use leptos::prelude::*;
use server_fn::codec::{MultipartData, MultipartFormData};

/// Imports an FCDS v1 package into the coach's workspace, from a multipart body: `package` (the
/// `open-coaching-data.json` file, or a ZIP holding it) and `dry_run` (`true` counts what would
/// be added and writes nothing; only `false` imports). All or nothing; a package imported again
/// adds nothing. Coaches only; support under a grant is refused like every write.
#[server(prefix = "/api", endpoint = "coach/import", input = MultipartFormData)]
pub async fn import_workspace(data: MultipartData) -> Result<ImportReport, AppError> {
    use crate::server::{internal, principal, state::AppState, workspace_import};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    if coach.support().is_some() {
        return Err(AppError::Forbidden);
    }
    let multipart = data
        .into_inner()
        .ok_or_else(|| internal("multipart body missing on the server"))?;
    workspace_import::receive(&state, &coach, multipart).await
}
