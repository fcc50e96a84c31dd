//! "Download my data": `GET /api/portal/export` answers the signed-in client with a ZIP of
//! everything their portal shows them.
//!
//! - `data.json`: profile, check-ins with values, coach replies and form answers, goals, the
//!   active plans, forms and answers, shared session summaries and action items, the deletion
//!   request, and their access log;
//! - `photos/`: their progress photos, as image files;
//! - `pdfs/`: each check-in and each active plan as PDF;
//! - `open-coaching-data.json`: the same in the Fitness Coaching Data Standard v1 ([`fcds`]).
//!
//! The export is logged before anything is read. Everything but the photos and PDFs is gathered
//! first (so a failure there is a clean error status); then the archive is written entry by
//! entry into a small in-memory pipe that the response body drains. One photo or PDF is in
//! memory at a time, so 500 photos cost what one does. Exports run at most [`EXPORTS_AT_ONCE`]
//! at a time on a server and one at a time per user (more are refused, never queued), and each
//! has a deadline ([`EXPORT_DEADLINE`], [`WORKSPACE_EXPORT_DEADLINE`]), so a download nobody reads
//! cannot hold its slot. Both downloads answer only a GET from this site's own pages (or typed
//! in): a link on another site cannot make a signed-in browser export, and log, anything. When the
//! writing fails part-way the response ends with an error instead of a clean end, so the
//! browser reports the download as failed rather than saving a cut-off archive.
//!
//! [`fcds`]: super::fcds

use super::authz::{self, ClientSelf};
use super::exports::Exporter;
use super::http::error_response;
use super::pdf::PlanPdf;
use super::principal::{self, Principal};
use super::state::AppState;
use super::storage::ObjectKey;
use super::store;
use super::store::checkins::ExportHeader;
use super::{fcds, internal, new_id, now_millis};
use crate::domain::{
    date_label, AccessAction, AccessLogEntry, CheckinDetail, MealPlan, MealPlanKind, PlanDoc,
    PlanKind, WorkoutPlan, WorkoutPlanKind,
};
use crate::AppError;
use async_zip::tokio::write::ZipFileWriter;
use async_zip::{Compression, ZipDateTime, ZipDateTimeBuilder, ZipEntryBuilder};
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::DuplexStream;
use tokio::sync::{Semaphore, SemaphorePermit};
use tower_sessions::Session;

/// Exports a server writes at once: each holds a photo or a PDF in memory at a time and a
/// database reader while it gathers.
pub const EXPORTS_AT_ONCE: usize = 2;
static EXPORTS: Semaphore = Semaphore::const_new(EXPORTS_AT_ONCE);
/// Users with an export being written on this server.
static EXPORTING: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
/// The longest a client's export may take, however slowly its download is read.
pub const EXPORT_DEADLINE: Duration = Duration::from_secs(60 * 60);
/// The longest a legal or workspace export may take: it may cover a whole workspace.
pub const WORKSPACE_EXPORT_DEADLINE: Duration = Duration::from_secs(12 * 60 * 60);

/// One of the server's export slots, held by one user until their archive is written.
pub(super) struct ExportSlot {
    _permit: SemaphorePermit<'static>,
    user_id: String,
}

impl ExportSlot {
    pub(super) fn take(user_id: &str) -> Result<Self, AppError> {
        let mut exporting = EXPORTING
            .lock()
            .map_err(|_| internal("export slots poisoned"))?;
        if exporting.contains(user_id) {
            return Err(AppError::Conflict(
                "Your previous download is still being prepared. Try again when it is done.".into(),
            ));
        }
        let permit = EXPORTS.try_acquire().map_err(|_| AppError::Busy)?;
        exporting.insert(user_id.to_owned());
        Ok(Self {
            _permit: permit,
            user_id: user_id.to_owned(),
        })
    }
}

impl Drop for ExportSlot {
    fn drop(&mut self) {
        if let Ok(mut exporting) = EXPORTING.lock() {
            exporting.remove(&self.user_id);
        }
    }
}

/// The response body of an archive that `write` produces into a pipe, in a task of its own.
pub(super) fn stream_archive<F, Fut>(
    slot: ExportSlot,
    what: &'static str,
    deadline: Duration,
    write: F,
) -> Body
where
    F: FnOnce(DuplexStream) -> Fut,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let (reader, writer) = tokio::io::duplex(PIPE_BYTES);
    let (done, outcome) = tokio::sync::oneshot::channel();
    let job = write(writer);
    tokio::spawn(async move {
        let result = match tokio::time::timeout(deadline, job).await {
            Ok(result) => result,
            Err(_) => Err(format!("not done within {deadline:?}")),
        };
        if let Err(e) = &result {
            tracing::error!("{what} stopped part-way: {e}");
        }
        drop(slot);
        let _ = done.send(result);
    });
    // After the archive's last byte: nothing if it was written whole, else an error, which ends
    // the response abruptly (no final chunk), so no client takes a cut-off archive as complete.
    let tail = futures_util::stream::once(outcome).filter_map(|outcome| async move {
        match outcome {
            Ok(Ok(())) => None,
            _ => Some(Err(std::io::Error::other("the export stopped part-way"))),
        }
    });
    Body::from_stream(tokio_util::io::ReaderStream::new(reader).chain(tail))
}

/// The pipe between the archive writer and the response body: the most of the archive that is
/// ever in memory beyond the one file being written.
const PIPE_BYTES: usize = 64 * 1024;

/// Access-log entries an export holds at most (newest first), so one client's export is bounded
/// however long their log grows.
const LOG_ENTRIES_MAX: usize = 20_000;

/// `GET /api/portal/export`: the client's data as a ZIP (see the module docs).
pub async fn download(
    State(state): State<AppState>,
    session: Session,
    method: Method,
    headers: HeaderMap,
) -> Response {
    dated_zip_download(&method, &headers, "coachroom-data", || {
        start(&state, &session)
    })
    .await
}

/// A ZIP download named `<stem>-YYYY-MM-DD.zip`, whose archive `start` begins only for a GET
/// from this site (see [`own_site_get`]).
pub(super) async fn dated_zip_download<Fut>(
    method: &Method,
    headers: &HeaderMap,
    stem: &str,
    start: impl FnOnce() -> Fut,
) -> Response
where
    Fut: Future<Output = Result<Body, AppError>>,
{
    if let Err(err) = own_site_get(method, headers) {
        return error_response(&err);
    }
    match start().await {
        Ok(body) => zip_response(body, &format!("{stem}-{}.zip", date_label(now_millis()))),
        Err(err) => error_response(&err),
    }
}

/// An export is a GET (not a HEAD, which axum would answer with the same handler, exporting and
/// logging for nothing) from this site's own pages: browsers say where a request comes from in
/// `Sec-Fetch-Site`, and a link or image on another site must not start an export. A client
/// that sends no such header (not a browser) is not a cross-site page.
pub(super) fn own_site_get(method: &Method, headers: &HeaderMap) -> Result<(), AppError> {
    if method != Method::GET {
        return Err(AppError::invalid("Exports are downloaded with GET."));
    }
    match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
        None | Some(b"same-origin") | Some(b"none") => Ok(()),
        Some(_) => Err(AppError::CrossSite),
    }
}

/// A streamed ZIP download named `file_name`.
pub(super) fn zip_response(body: Body, file_name: &str) -> Response {
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, "application/zip".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// A photo or PDF still to be written: where it goes in the archive and how to get it.
enum Pending {
    Photo { path: String, key: ObjectKey },
    CheckinPdf { path: String, index: usize },
    MealPlanPdf(PlanDoc<MealPlan>),
    WorkoutPlanPdf(PlanDoc<WorkoutPlan>),
}

/// What the writer needs once the response has started.
struct Gathered {
    data_json: Vec<u8>,
    fcds_json: Vec<u8>,
    checkins: Vec<CheckinDetail>,
    brand: String,
    client_name: String,
    pending: Vec<Pending>,
}

async fn start(state: &AppState, session: &Session) -> Result<Body, AppError> {
    let me = match principal::principal_of(state, session).await? {
        Principal::Client(client) => authz::client_self(&state.db, &client).await?,
        // The export is the client's own; a coach exports PDFs, and operators nothing.
        _ => return Err(AppError::Forbidden),
    };
    let slot = ExportSlot::take(me.user_id())?;
    Exporter::client(&me)
        .record(
            state,
            AccessAction::ClientDataExported,
            Some(me.client_id()),
            crate::server::store::access_log::Logged::Client(me.client_id()).to_string(),
        )
        .await?;
    let gathered = gather(state, &me).await?;
    let state = state.clone();
    Ok(stream_archive(
        slot,
        "client export",
        EXPORT_DEADLINE,
        move |pipe| async move { write_archive(&state, gathered, pipe).await },
    ))
}

/// The client's access log, newest first, up to [`LOG_ENTRIES_MAX`].
async fn whole_log(state: &AppState, me: &ClientSelf) -> Result<Vec<AccessLogEntry>, AppError> {
    let mut entries = Vec::new();
    let mut before = None;
    loop {
        let page = store::access_log::client_page(&state.db, me, before).await?;
        entries.extend(page.entries);
        match page.next_before {
            Some(next) if entries.len() < LOG_ENTRIES_MAX => before = Some(next),
            _ => break,
        }
    }
    entries.truncate(LOG_ENTRIES_MAX);
    Ok(entries)
}

/// The active plan of kind `K`, if the client has one.
async fn active_plan<K: PlanKind>(
    state: &AppState,
    me: &ClientSelf,
) -> Result<Option<PlanDoc<K::Body>>, AppError> {
    match authz::my_active_plan::<K>(&state.db, me).await? {
        Some(plan) => store::plans::get(&state.db, &plan).await.map(Some),
        None => Ok(None),
    }
}

async fn gather(state: &AppState, me: &ClientSelf) -> Result<Gathered, AppError> {
    let db = &state.db;
    let profile = store::clients::own_profile(db, me).await?;
    let (coach_name, brand_name) = store::coaches::public_brand(db, me).await?;
    let (checkins, checkins_truncated) = store::checkins::all_for_export(db, me).await?;
    let goals = store::goals::list(db, me).await?;
    let forms = store::forms::mine(db, me).await?;
    let sessions = store::sessions::shared(db, me).await?;
    let deletion_request = store::deletion_requests::latest(db, me).await?;
    let meal_plan = active_plan::<MealPlanKind>(state, me).await?;
    let workout_plan = active_plan::<WorkoutPlanKind>(state, me).await?;
    let access_log = whole_log(state, me).await?;

    let mut pending = Vec::new();
    let mut checkins_json = Vec::with_capacity(checkins.len());
    for (index, checkin) in checkins.iter().enumerate() {
        let stem = format!("{}-{}", date_label(checkin.submitted_at), checkin.id);
        let mut photos = Vec::new();
        for photo in store::checkins::photo_files(db, &checkin.id).await? {
            let extension = photo.key.as_str().rsplit('.').next().unwrap_or("jpg");
            let path = format!("photos/{stem}-{}.{extension}", photo.slot.as_str());
            photos.push(json!({
                "slot": photo.slot,
                "file": path,
                "width": photo.width,
                "height": photo.height,
            }));
            pending.push(Pending::Photo {
                path,
                key: photo.key,
            });
        }
        let pdf = format!("pdfs/checkin-{stem}.pdf");
        let mut entry = serde_json::to_value(checkin).map_err(internal)?;
        entry["photos"] = json!(photos);
        entry["pdf"] = json!(pdf);
        checkins_json.push(entry);
        pending.push(Pending::CheckinPdf { path: pdf, index });
    }
    let meal_plan_json = plan_json(&meal_plan, "pdfs/meal-plan.pdf")?;
    let workout_plan_json = plan_json(&workout_plan, "pdfs/workout-plan.pdf")?;

    let profile_name = profile.name.clone();
    let package_id = new_id();
    let fcds_json = serde_json::to_vec_pretty(&fcds::package(
        &package_id,
        now_millis(),
        &[fcds::ClientRecords {
            profile: &profile,
            joined_at: None,
            checkins: &checkins,
            forms: &forms,
            meal_plan: meal_plan.as_ref(),
            workout_plan: workout_plan.as_ref(),
        }],
    ))
    .map_err(internal)?;
    let data = json!({
        "format": "coachroom-client-data",
        "version": 1,
        "exported_at": now_millis(),
        "coach": {"name": &coach_name, "brand_name": &brand_name},
        "profile": profile,
        "checkins": checkins_json,
        // True when the client has more check-ins than one export holds (the newest are here).
        "checkins_truncated": checkins_truncated,
        "goals": goals,
        "meal_plan": meal_plan_json,
        "workout_plan": workout_plan_json,
        "forms": forms,
        "sessions": sessions,
        "deletion_request": deletion_request,
        "access_log": access_log,
    });
    let data_json = serde_json::to_vec_pretty(&data).map_err(internal)?;
    if let Some(doc) = meal_plan {
        pending.push(Pending::MealPlanPdf(doc));
    }
    if let Some(doc) = workout_plan {
        pending.push(Pending::WorkoutPlanPdf(doc));
    }
    // The PDFs' header, from the names read above (not a second query).
    let header = ExportHeader::new(coach_name, brand_name, profile_name);
    Ok(Gathered {
        data_json,
        fcds_json,
        checkins,
        brand: header.brand,
        client_name: header.client_name,
        pending,
    })
}

/// A plan for `data.json`, naming its PDF in the archive.
fn plan_json<B: serde::Serialize>(doc: &Option<PlanDoc<B>>, file: &str) -> Result<Value, AppError> {
    Ok(match doc {
        Some(doc) => {
            let mut value = serde_json::to_value(doc).map_err(internal)?;
            value["pdf"] = json!(file);
            value
        }
        None => Value::Null,
    })
}

/// Writes the client's archive into the pipe, one entry at a time.
async fn write_archive(
    state: &AppState,
    gathered: Gathered,
    pipe: DuplexStream,
) -> Result<(), String> {
    let mut zip = ZipFileWriter::with_tokio(pipe);
    write_client(&mut zip, state, gathered, "").await?;
    finish(zip).await
}

/// Ends the archive (its central directory) and the pipe, so the response ends.
pub(super) async fn finish(zip: ZipFileWriter<DuplexStream>) -> Result<(), String> {
    let mut pipe = zip.close().await.map_err(|e| e.to_string())?.into_inner();
    tokio::io::AsyncWriteExt::shutdown(&mut pipe)
        .await
        .map_err(|e| e.to_string())
}

/// Writes one client's files under `prefix` (empty, or a folder ending in `/`).
async fn write_client(
    zip: &mut ZipFileWriter<DuplexStream>,
    state: &AppState,
    gathered: Gathered,
    prefix: &str,
) -> Result<(), String> {
    let now = zip_date_time(now_millis());
    let at = |path: &str| format!("{prefix}{path}");
    add(zip, now, &at("data.json"), &gathered.data_json).await?;
    add(
        zip,
        now,
        &at("open-coaching-data.json"),
        &gathered.fcds_json,
    )
    .await?;
    drop(gathered.data_json);
    drop(gathered.fcds_json);
    let brand = gathered.brand;
    let client_name = gathered.client_name;
    for item in gathered.pending {
        let (path, bytes) = match item {
            Pending::Photo { path, key } => match state.storage.get(&key).await {
                Ok(Some(bytes)) => (path, bytes),
                // Removed since it was listed (the coach deleted the check-in): leave it out.
                Ok(None) => continue,
                Err(e) => return Err(format!("reading {key}: {e}")),
            },
            Pending::CheckinPdf { path, index } => {
                let detail = gathered.checkins[index].clone();
                let (brand, client_name) = (brand.clone(), client_name.clone());
                let pdf = tokio::task::spawn_blocking(move || {
                    super::pdf::checkin(&brand, &client_name, &detail)
                })
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
                (path, pdf)
            }
            Pending::MealPlanPdf(doc) => ("pdfs/meal-plan.pdf".to_owned(), render_plan(doc).await?),
            Pending::WorkoutPlanPdf(doc) => {
                ("pdfs/workout-plan.pdf".to_owned(), render_plan(doc).await?)
            }
        };
        add(zip, now, &at(&path), &bytes).await?;
    }
    Ok(())
}

/// `GET /api/operator/legal/{request_id}/export`: the data a legal request covers, for an
/// operator, once a second operator approved it and while its access window is open. One
/// folder per client (`clients/<client_id>/`), each as that client's own export, plus
/// `request.json`. The export is logged as a whole, then each client before their data is read,
/// all with actor `legal` and the request as basis.
pub async fn legal_download(
    State(state): State<AppState>,
    session: Session,
    uri: Uri,
    method: Method,
    headers: HeaderMap,
) -> Response {
    if let Err(err) = own_site_get(&method, &headers) {
        return error_response(&err);
    }
    let request_id = uri.path().rsplit('/').nth(1).unwrap_or_default().to_owned();
    match start_legal(&state, &session, &request_id).await {
        Ok(body) => zip_response(body, &format!("coachroom-legal-{request_id}.zip")),
        Err(err) => error_response(&err),
    }
}

async fn start_legal(
    state: &AppState,
    session: &Session,
    request_id: &str,
) -> Result<Body, AppError> {
    let operator = match principal::principal_of(state, session).await? {
        Principal::Operator(operator) => operator,
        // Not from inside a workspace entered under a support grant, and not for anyone else.
        _ => return Err(AppError::Forbidden),
    };
    let request = authz::approved_legal_request(&state.db, &operator, request_id).await?;
    let slot = ExportSlot::take(operator.user_id())?;
    store::legal::record_export(&state.db, &request, None).await?;
    let (clients, clients_truncated) = authz::disclosed_clients(&state.db, &request).await?;
    let manifest = serde_json::to_vec_pretty(&json!({
        "format": "coachroom-legal-export",
        "version": 1,
        "request_id": request.request_id(),
        "scope": request.scope().as_str(),
        "exported_at": now_millis(),
        "clients": clients.iter().map(|c| c.client_id()).collect::<Vec<_>>(),
        "clients_max": store::legal::CLIENTS_IN_SCOPE_MAX,
        "clients_truncated": clients_truncated,
    }))
    .map_err(internal)?;
    let state = state.clone();
    Ok(stream_archive(
        slot,
        "legal export",
        WORKSPACE_EXPORT_DEADLINE,
        move |pipe| async move { write_legal(&state, &request, clients, manifest, pipe).await },
    ))
}

async fn write_legal(
    state: &AppState,
    request: &authz::ApprovedLegalRequest,
    clients: Vec<ClientSelf>,
    manifest: Vec<u8>,
    pipe: DuplexStream,
) -> Result<(), String> {
    let mut zip = ZipFileWriter::with_tokio(pipe);
    add(
        &mut zip,
        zip_date_time(now_millis()),
        "request.json",
        &manifest,
    )
    .await?;
    for view in clients {
        let client_id = view.client_id().to_owned();
        // Logged before the client's data is read; a client deleted meanwhile is skipped.
        store::legal::record_export(&state.db, request, Some(&client_id))
            .await
            .map_err(|e| e.to_string())?;
        let gathered = match gather(state, &view).await {
            Ok(gathered) => gathered,
            Err(AppError::NotFound) => continue,
            Err(e) => return Err(e.to_string()),
        };
        write_client(&mut zip, state, gathered, &format!("clients/{client_id}/")).await?;
    }
    finish(zip).await
}

async fn render_plan<B: PlanPdf + Send + 'static>(doc: PlanDoc<B>) -> Result<Vec<u8>, String> {
    tokio::task::spawn_blocking(move || B::render(&doc))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// The archive's timestamp (UTC; ZIP has no time zone).
pub(super) fn zip_date_time(millis: i64) -> ZipDateTime {
    let at = super::utc_at(millis);
    ZipDateTimeBuilder::new()
        .year(at.year())
        .month(u32::from(u8::from(at.month())))
        .day(u32::from(at.day()))
        .hour(u32::from(at.hour()))
        .minute(u32::from(at.minute()))
        .second(u32::from(at.second()))
        .build()
}

/// Adds one file: JSON deflated, photos and PDFs stored (they are compressed already).
pub(super) async fn add(
    zip: &mut ZipFileWriter<DuplexStream>,
    modified: ZipDateTime,
    path: &str,
    bytes: &[u8],
) -> Result<(), String> {
    let compression = if path.ends_with(".json") {
        Compression::Deflate
    } else {
        Compression::Stored
    };
    let entry = ZipEntryBuilder::new(path.to_owned().into(), compression)
        .unix_permissions(0o644)
        .last_modification_date(modified);
    zip.write_entry_whole(entry, bytes)
        .await
        .map_err(|e| format!("writing {path}: {e}"))
}
