//! File downloads (not server fns: they answer with a file, not JSON). Each one resolves the
//! principal and proves ownership exactly as a server fn does.

use super::authz::{self, CheckinScope, ClientSelf};
use super::http::error_response;
use super::pdf::PlanPdf;
use super::principal::{self, Principal};
use super::state::AppState;
use super::store;
use super::store::access_log::{Access, Logged};
use super::store::checkins::ExportHeader;
use crate::domain::{date_label, AccessAction, ActorKind, CheckinDetail, PlanKind};
use crate::AppError;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

/// `GET /api/checkins/{checkin_id}/pdf`: the check-in as a PDF, for its coach or its client.
pub async fn checkin_pdf(State(state): State<AppState>, session: Session, uri: Uri) -> Response {
    pdf_response(render_checkin(&state, &session, id_segment(&uri)).await)
}

/// The id in a download path (`/api/<kind>/<id>/pdf`), as sent: a percent-encoded or otherwise
/// malformed id is simply not an id (a 404 from `authz`), never a path extractor's 400.
fn id_segment(uri: &Uri) -> &str {
    uri.path().rsplit('/').nth(1).unwrap_or_default()
}

/// `GET /api/meal_plans/{plan_id}/pdf` and `GET /api/workout_plans/{plan_id}/pdf`: a plan as a
/// PDF, for its coach (templates too) or, when it is their active plan, its client.
pub async fn plan_pdf<K: PlanKind>(
    State(state): State<AppState>,
    session: Session,
    uri: Uri,
) -> Response
where
    K::Body: PlanPdf,
{
    pdf_response(render_plan::<K>(&state, &session, id_segment(&uri)).await)
}

async fn render_plan<K: PlanKind>(
    state: &AppState,
    session: &Session,
    plan_id: &str,
) -> Result<(String, Vec<u8>), AppError>
where
    K::Body: PlanPdf,
{
    let (doc, exporter) = match principal::principal_of(state, session).await? {
        Principal::Coach(coach) => {
            let plan = authz::plan::<K>(&state.db, &coach, plan_id).await?;
            let exporter = Exporter::coach(coach.user_id());
            (store::plans::get(&state.db, &plan).await?, exporter)
        }
        Principal::Client(client) => {
            let me = authz::client_self(&state.db, &client).await?;
            let plan = authz::my_plan::<K>(&state.db, &me, plan_id).await?;
            let exporter = Exporter::client(&me);
            (store::plans::get(&state.db, &plan).await?, exporter)
        }
        // Exports are not for operators, inside a workspace or not.
        Principal::Operator(_) | Principal::Support(_) => return Err(AppError::Forbidden),
    };
    let plan_object = format!("{}_plan:{}", K::KEY, doc.summary.id);
    exporter
        .record(
            state,
            AccessAction::PlanPdfExported,
            doc.summary.client_id.as_deref(),
            plan_object,
        )
        .await?;
    let bytes = K::Body::render(&doc)?;
    Ok((format!("{}-plan.pdf", K::KEY), bytes))
}

/// A PDF download, or the error as JSON.
fn pdf_response(result: Result<(String, Vec<u8>), AppError>) -> Response {
    match result {
        Ok((file_name, bytes)) => (
            StatusCode::OK,
            [
                (CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file_name}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(err) => error_response(&err),
    }
}

async fn render_checkin(
    state: &AppState,
    session: &Session,
    checkin_id: &str,
) -> Result<(String, Vec<u8>), AppError> {
    let (detail, header) = match principal::principal_of(state, session).await? {
        Principal::Coach(coach) => {
            let checkin = authz::checkin(&state.db, &coach, checkin_id).await?;
            let exporter = Exporter::coach(coach.user_id());
            load_checkin(state, &checkin, exporter).await?
        }
        Principal::Client(client) => {
            let me = authz::client_self(&state.db, &client).await?;
            let checkin = authz::my_checkin(&state.db, &me, checkin_id).await?;
            load_checkin(state, &checkin, Exporter::client(&me)).await?
        }
        // Exports are not for operators, inside a workspace or not.
        Principal::Operator(_) | Principal::Support(_) => return Err(AppError::Forbidden),
    };
    let bytes = super::pdf::checkin(&header.brand, &header.client_name, &detail)?;
    Ok((
        format!("checkin-{}.pdf", date_label(detail.submitted_at)),
        bytes,
    ))
}

/// The check-in and who it is from and about, for whoever holds a proof of it; the export is
/// logged before anything is read.
async fn load_checkin(
    state: &AppState,
    checkin: &impl CheckinScope,
    exporter: Exporter,
) -> Result<(CheckinDetail, ExportHeader), AppError> {
    exporter
        .record(
            state,
            AccessAction::CheckinPdfExported,
            Some(checkin.client_id()),
            Logged::Record {
                table: "checkins",
                id: checkin.checkin_id(),
            }
            .to_string(),
        )
        .await?;
    let ttl = state.settings.file_url_ttl;
    Ok((
        store::checkins::detail(&state.db, &state.storage, ttl, checkin).await?,
        store::checkins::export_header(&state.db, checkin).await?,
    ))
}

/// Who is exporting, for the access log: every export is logged, and the export fails if its
/// entry cannot be written.
pub(crate) struct Exporter {
    actor: ActorKind,
    user_id: String,
    coach_id: String,
}

impl Exporter {
    pub(crate) fn coach(coach_id: &str) -> Self {
        Self {
            actor: ActorKind::Coach,
            user_id: coach_id.to_owned(),
            coach_id: coach_id.to_owned(),
        }
    }

    pub(crate) fn client(me: &ClientSelf) -> Self {
        Self {
            actor: ActorKind::Client,
            user_id: me.user_id().to_owned(),
            coach_id: me.coach_id().to_owned(),
        }
    }

    pub(crate) async fn record(
        &self,
        state: &AppState,
        action: AccessAction,
        client_id: Option<&str>,
        object: String,
    ) -> Result<(), AppError> {
        store::access_log::record(
            &state.db,
            &Access {
                coach_id: Some(&self.coach_id),
                client_id,
                object: Some(object),
                ..Access::new(self.actor, Some(&self.user_id), action)
            },
        )
        .await
    }
}
