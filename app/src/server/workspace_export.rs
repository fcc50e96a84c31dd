//! "Export workspace": `GET /api/coach/export` answers the signed-in coach with a ZIP of their
//! whole workspace, for a backup of their own or a move to another platform.
//!
//! - `workspace.json`: the coach's profile and settings, their form library, plan templates,
//!   general notes and to-dos, and the list of clients with the folder each is in;
//! - `clients/<client_id>/data.json`: everything the coach has about one client (profile,
//!   check-ins with values, replies and photo files, goals, forms and answers, every plan,
//!   sessions with transcripts, insights and action items, notes and to-dos);
//! - `clients/<client_id>/photos/`: that client's progress photos;
//! - `open-coaching-data.json`: every client in the Fitness Coaching Data Standard v1, which the
//!   importer (`workspace_import`) and other platforms read.
//!
//! It is written like the client's export (`client_export`): streamed entry by entry, one photo
//! in memory at a time, one export per user and two per server, within
//! [`WORKSPACE_EXPORT_DEADLINE`]. The export is logged as a whole, and then under each client
//! before their data is read, so each client sees in their own log that the coach exported it.
//! Support, under a grant, cannot export: exports are not reads.

use super::authz::{self, OwnedClient, OwnedWorkspace};
use super::client_export::{
    add, dated_zip_download, finish, stream_archive, zip_date_time, ExportSlot,
    WORKSPACE_EXPORT_DEADLINE,
};
use super::exports::Exporter;
use super::principal::{self, CoachPrincipal, Principal};
use super::state::AppState;
use super::storage::ObjectKey;
use super::store;
use super::{fcds, internal, new_id, now_millis};
use crate::domain::{date_label, AccessAction, CoachProfile, MealPlanKind, WorkoutPlanKind};
use crate::AppError;
use async_zip::tokio::write::ZipFileWriter;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use serde_json::{json, Value};
use tokio::io::DuplexStream;
use tower_sessions::Session;

/// Check-ins the workspace's FCDS file holds at most (clients in id order, each client's newest
/// while there is room), so the one file the export builds in memory stays bounded; each
/// client's `data.json` still holds theirs.
pub const FCDS_CHECKINS_MAX: usize = 100_000;

/// `GET /api/coach/export`: the coach's workspace as a ZIP (see the module docs).
pub async fn download(
    State(state): State<AppState>,
    session: Session,
    method: Method,
    headers: HeaderMap,
) -> Response {
    dated_zip_download(&method, &headers, "coachroom-workspace", || {
        start(&state, &session)
    })
    .await
}

async fn start(state: &AppState, session: &Session) -> Result<Body, AppError> {
    let coach = match principal::principal_of(state, session).await? {
        Principal::Coach(coach) => coach,
        // Operators (with or without a support grant) and clients export no workspace.
        _ => return Err(AppError::Forbidden),
    };
    let workspace = authz::own_workspace(&coach);
    let slot = ExportSlot::take(coach.user_id())?;
    Exporter::coach(coach.user_id())
        .record(
            state,
            AccessAction::WorkspaceExported,
            None,
            crate::server::store::access_log::Logged::Workspace(coach.user_id()).to_string(),
        )
        .await?;
    let (clients, clients_truncated) = authz::workspace_clients(&state.db, &workspace).await?;
    let profile = store::coaches::profile(&state.db, &workspace).await?;
    let workspace_json = workspace_json(
        state,
        &coach,
        &workspace,
        &profile,
        &clients,
        clients_truncated,
    )
    .await
    .and_then(|value| serde_json::to_vec_pretty(&value).map_err(internal))?;
    let mut package = fcds::Package::default();
    package.set_coach(coach.user_id(), &profile);
    let state = state.clone();
    Ok(stream_archive(
        slot,
        "workspace export",
        WORKSPACE_EXPORT_DEADLINE,
        move |pipe| async move {
            write_workspace(&state, &coach, clients, workspace_json, package, pipe).await
        },
    ))
}

/// The workspace's own data (not any one client's).
async fn workspace_json(
    state: &AppState,
    coach: &CoachPrincipal,
    workspace: &OwnedWorkspace,
    profile: &CoachProfile,
    clients: &[OwnedClient],
    clients_truncated: bool,
) -> Result<Value, AppError> {
    let db = &state.db;
    let mut forms = Vec::new();
    for form in store::forms::list(db, workspace).await? {
        let owned = authz::item(db, coach, &form.id).await?;
        forms.push(store::forms::get(db, &owned).await?);
    }
    Ok(json!({
        "format": "coachroom-workspace",
        "version": 1,
        "exported_at": now_millis(),
        "coach": profile,
        "forms": forms,
        "meal_plan_templates": super::plans::whole::<MealPlanKind>(&state.db, coach, workspace, None).await?,
        "workout_plan_templates": super::plans::whole::<WorkoutPlanKind>(&state.db, coach, workspace, None).await?,
        "notes": store::notes::list_notes(db, workspace, None).await?,
        "todos": store::notes::list_todos(db, workspace, None).await?,
        "clients": clients
            .iter()
            .map(|c| json!({"id": c.client_id(), "folder": format!("clients/{}/", c.client_id())}))
            .collect::<Vec<_>>(),
        "clients_max": store::legal::CLIENTS_IN_SCOPE_MAX,
        // True when the workspace has more clients than one export holds.
        "clients_truncated": clients_truncated,
    }))
}

/// One client's part of the archive: their `data.json` and the photos to add (path, object).
struct ClientPart {
    data_json: Vec<u8>,
    photos: Vec<(String, ObjectKey)>,
}

async fn write_workspace(
    state: &AppState,
    coach: &CoachPrincipal,
    clients: Vec<OwnedClient>,
    workspace_json: Vec<u8>,
    mut package: fcds::Package,
    pipe: DuplexStream,
) -> Result<(), String> {
    let mut zip = ZipFileWriter::with_tokio(pipe);
    let now = zip_date_time(now_millis());
    add(&mut zip, now, "workspace.json", &workspace_json).await?;
    drop(workspace_json);
    let mut fcds_cut = false;
    for client in clients {
        let folder = format!("clients/{}/", client.client_id());
        // Logged under the client before their data is read.
        Exporter::coach(coach.user_id())
            .record(
                state,
                AccessAction::WorkspaceExported,
                Some(client.client_id()),
                crate::server::store::access_log::Logged::Client(client.client_id()).to_string(),
            )
            .await
            .map_err(|e| e.to_string())?;
        let part =
            match client_part(state, coach, &client, &folder, &mut package, &mut fcds_cut).await {
                Ok(part) => part,
                // Deleted while the export ran: left out.
                Err(AppError::NotFound) => continue,
                Err(e) => return Err(e.to_string()),
            };
        add(
            &mut zip,
            now,
            &format!("{folder}data.json"),
            &part.data_json,
        )
        .await?;
        for (path, key) in part.photos {
            match state.storage.get(&key).await {
                Ok(Some(bytes)) => add(&mut zip, now, &path, &bytes).await?,
                // Removed since it was listed (the check-in was deleted): left out.
                Ok(None) => continue,
                Err(e) => return Err(format!("reading {key}: {e}")),
            }
        }
    }
    let warnings: &[(&str, &str)] = if fcds_cut {
        &[(
            "check_ins_truncated",
            "This workspace has more check-ins than one file holds: they are here until the \
             file is full, and the rest are only in each client's data.json.",
        )]
    } else {
        &[]
    };
    // Compact: the largest file of the export, and the one an import reads.
    let fcds_json = serde_json::to_vec(&package.finish(&new_id(), now_millis(), warnings))
        .map_err(|e| e.to_string())?;
    add(&mut zip, now, "open-coaching-data.json", &fcds_json).await?;
    finish(zip).await
}

/// Reads one client's data, adds what FCDS holds of it to `package` (while it has room for
/// their check-ins: else `fcds_cut`), and returns their `data.json` and photo files.
async fn client_part(
    state: &AppState,
    coach: &CoachPrincipal,
    client: &OwnedClient,
    folder: &str,
    package: &mut fcds::Package,
    fcds_cut: &mut bool,
) -> Result<ClientPart, AppError> {
    let db = &state.db;
    let workspace = authz::own_workspace(coach);
    let profile = store::clients::profile(db, client).await?;
    let (checkins, checkins_truncated) = store::checkins::all_for_export(db, client).await?;
    let goals = store::goals::list(db, client).await?;
    let forms = store::forms::responses(db, &workspace, Some(client), None).await?;
    let meal_plans =
        super::plans::whole::<MealPlanKind>(db, coach, &workspace, Some(client)).await?;
    let workout_plans =
        super::plans::whole::<WorkoutPlanKind>(db, coach, &workspace, Some(client)).await?;
    let mut sessions = Vec::new();
    for summary in store::sessions::list(db, client).await? {
        match authz::item(db, coach, &summary.id).await {
            Ok(session) => sessions.push(store::sessions::get(db, &session).await?),
            Err(AppError::NotFound) => continue,
            Err(e) => return Err(e),
        }
    }
    let notes = store::notes::list_notes(db, &workspace, Some(client)).await?;
    let todos = store::notes::list_todos(db, &workspace, Some(client)).await?;

    let mut photos = Vec::new();
    let mut checkins_json = Vec::with_capacity(checkins.len());
    for checkin in &checkins {
        let stem = format!("{}-{}", date_label(checkin.submitted_at), checkin.id);
        let mut files = Vec::new();
        for photo in store::checkins::photo_files(db, &checkin.id).await? {
            let extension = photo.key.as_str().rsplit('.').next().unwrap_or("jpg");
            let path = format!("{folder}photos/{stem}-{}.{extension}", photo.slot.as_str());
            files.push(json!({
                "slot": photo.slot,
                "file": path,
                "width": photo.width,
                "height": photo.height,
            }));
            photos.push((path, photo.key));
        }
        let mut entry = serde_json::to_value(checkin).map_err(internal)?;
        entry["photos"] = json!(files);
        checkins_json.push(entry);
    }

    let room = FCDS_CHECKINS_MAX.saturating_sub(package.check_in_count());
    if checkins.len() > room {
        *fcds_cut = true;
    }
    let meal_plan = meal_plans.iter().find(|d| d.summary.active);
    let workout_plan = workout_plans.iter().find(|d| d.summary.active);
    package.add(&fcds::ClientRecords {
        profile: &profile,
        joined_at: None,
        checkins: &checkins[checkins.len().saturating_sub(room)..],
        forms: &forms,
        meal_plan,
        workout_plan,
    });

    let data = json!({
        "format": "coachroom-client-record",
        "version": 1,
        "profile": profile,
        "checkins": checkins_json,
        // True when the client has more check-ins than one export holds (the newest are here).
        "checkins_truncated": checkins_truncated,
        "goals": goals,
        "forms": forms,
        "meal_plans": meal_plans,
        "workout_plans": workout_plans,
        "sessions": sessions,
        "notes": notes,
        "todos": todos,
    });
    Ok(ClientPart {
        data_json: serde_json::to_vec_pretty(&data).map_err(internal)?,
        photos,
    })
}
