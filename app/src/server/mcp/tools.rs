//! The MCP tools: read-only views of one coach's workspace. Each runs as the coach's principal
//! marked with the call's `McpVisit` and goes through the same proofs and store functions as the
//! coach's own server fns, so a client with AI turned off is not found and every read of a
//! client's data is logged under them first. No tool writes.

use super::McpVisit;
use crate::domain::{
    CheckinDetail, ClientPage, ClientProfile, FormResponse, Goal, InboxItem, MealPlan,
    MealPlanKind, Metric, Note, PlanDoc, RosterSort, Series, SessionDetail, Todo, WorkoutPlan,
    WorkoutPlanKind,
};
use crate::server::authz::{self, OwnedClient};
use crate::server::plans;
use crate::server::principal::CoachPrincipal;
use crate::server::state::AppState;
use crate::server::store::{self, mcp::TokenHolder};
use crate::AppError;
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_handler, tool_router, ErrorData, ServerHandler};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Check-ins, and sessions, one page holds.
const PAGE_SIZE: usize = 10;

#[derive(Clone)]
pub struct Tools {
    state: AppState,
}

impl Tools {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// The coach the call's token acts for, marked with this call of `tool`, once the call
    /// itself is logged.
    async fn coach(
        &self,
        parts: &axum::http::request::Parts,
        tool: &'static str,
    ) -> Result<CoachPrincipal, ErrorData> {
        let holder = parts
            .extensions
            .get::<Arc<TokenHolder>>()
            .cloned()
            .ok_or_else(|| ErrorData::internal_error("no token holder", None))?;
        let visit = McpVisit::new(holder, tool);
        visit.log_call(&self.state.db).await.map_err(tool_error)?;
        Ok(CoachPrincipal::of_mcp_visit(visit))
    }

    /// One of the coach's clients with AI on (the proof logs the read).
    async fn client(
        &self,
        coach: &CoachPrincipal,
        client_id: &str,
    ) -> Result<OwnedClient, ErrorData> {
        authz::client(&self.state.db, coach, client_id)
            .await
            .map_err(tool_error)
    }
}

/// What a tool answers for an error: the cause is logged; the caller gets a short message. A
/// client with AI off, another coach's client and a made-up id all read the same.
fn tool_error(err: AppError) -> ErrorData {
    match err {
        AppError::NotFound => ErrorData::invalid_params(
            "Not found: no client or record of that id in this workspace.",
            None,
        ),
        AppError::Invalid(message) => ErrorData::invalid_params(message, None),
        other => {
            tracing::error!(error = %other, "MCP tool failed");
            ErrorData::internal_error("The tool failed; try again.", None)
        }
    }
}

/// A client's id.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ClientArgs {
    /// The client's id (32 hex digits), from `find_clients`.
    pub client_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FindClientsArgs {
    /// Words of the client's name or email; empty finds every client.
    #[serde(default)]
    pub query: String,
    /// Archived clients instead of active ones.
    #[serde(default)]
    pub archived: bool,
    /// The page, from 1.
    #[serde(default = "first_page")]
    pub page: i64,
}

fn first_page() -> i64 {
    1
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PagedClientArgs {
    /// The client's id (32 hex digits), from `find_clients`.
    pub client_id: String,
    /// The page, from 1 (newest first, 10 a page).
    #[serde(default = "first_page")]
    pub page: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ProgressArgs {
    /// The client's id (32 hex digits), from `find_clients`.
    pub client_id: String,
    /// The metric: weight, body_fat, waist, chest, hips, arms, thighs, sleep, energy, mood,
    /// stress, hunger, steps, water or adherence.
    pub metric: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NotesArgs {
    /// A client's id for the notes and to-dos about them; empty for the general ones.
    #[serde(default)]
    pub client_id: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckinsPage {
    /// Newest first, with values, the client's feedback, the coach's reply, and photos as links
    /// that work for a few minutes.
    pub checkins: Vec<CheckinDetail>,
    pub page: i64,
    pub total: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ProgressSeries {
    /// Points in the coach's units, oldest first (`at` in ms since the epoch).
    pub series: Option<Series>,
    pub units: crate::domain::Units,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Goals {
    pub goals: Vec<Goal>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Plans {
    pub meal_plans: Vec<PlanDoc<MealPlan>>,
    pub workout_plans: Vec<PlanDoc<WorkoutPlan>>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Forms {
    /// Forms given to the client, with their answers once submitted.
    pub forms: Vec<FormResponse>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SessionsPage {
    /// Newest first, with summaries, transcripts and action items.
    pub sessions: Vec<SessionDetail>,
    pub page: i64,
    pub total: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct NotesAndTodos {
    /// The coach's private notes.
    pub notes: Vec<Note>,
    pub todos: Vec<Todo>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Attention {
    /// Check-ins waiting longest for the coach's review, oldest first (at most 25).
    pub waiting_for_review: Vec<InboxItem>,
    /// To-dos not done whose date is within the next 7 days or past (`YYYY-MM-DD`).
    pub todos_due: Vec<Todo>,
}

/// The items of `page` (from 1) of `all`, `PAGE_SIZE` to a page.
fn page_of<T: Clone>(all: &[T], page: i64) -> Vec<T> {
    let start = usize::try_from(page.max(1) - 1)
        .unwrap_or(0)
        .saturating_mul(PAGE_SIZE);
    all.iter().skip(start).take(PAGE_SIZE).cloned().collect()
}

#[tool_router]
impl Tools {
    #[tool(
        description = "Find the coach's clients by name or email (25 a page). Clients with AI turned off are not listed.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn find_clients(
        &self,
        Parameters(args): Parameters<FindClientsArgs>,
        Extension(parts): Extension<axum::http::request::Parts>,
    ) -> Result<Json<ClientPage>, ErrorData> {
        let coach = self.coach(&parts, "find_clients").await?;
        let db = &self.state.db;
        let workspace = authz::own_workspace(&coach);
        let query =
            crate::domain::bounded_text(&args.query, "Query", false, 100).map_err(tool_error)?;
        let page = store::clients::list(
            db,
            &workspace,
            &query,
            args.archived,
            args.page,
            RosterSort::Name,
            true,
        )
        .await
        .map_err(tool_error)?;
        let shown = page.clients.iter().map(|c| c.id.as_str());
        authz::log_support_list_read(db, &coach, "find_clients", shown)
            .await
            .map_err(tool_error)?;
        Ok(Json(page))
    }

    #[tool(
        description = "A client's profile: contact details, health context, goals, check-in day.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn client_profile(
        &self,
        Parameters(args): Parameters<ClientArgs>,
        Extension(parts): Extension<axum::http::request::Parts>,
    ) -> Result<Json<ClientProfile>, ErrorData> {
        let coach = self.coach(&parts, "client_profile").await?;
        let client = self.client(&coach, &args.client_id).await?;
        store::clients::profile(&self.state.db, &client)
            .await
            .map(Json)
            .map_err(tool_error)
    }

    #[tool(
        description = "A client's check-ins, newest first, 10 a page: values, the client's feedback, the coach's reply, and photos as short-lived links.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn check_ins(
        &self,
        Parameters(args): Parameters<PagedClientArgs>,
        Extension(parts): Extension<axum::http::request::Parts>,
    ) -> Result<Json<CheckinsPage>, ErrorData> {
        let coach = self.coach(&parts, "check_ins").await?;
        let client = self.client(&coach, &args.client_id).await?;
        let (db, storage) = (&self.state.db, &self.state.storage);
        let all = store::checkins::list(db, &client)
            .await
            .map_err(tool_error)?;
        let mut checkins = Vec::new();
        for summary in page_of(&all, args.page) {
            let checkin = match authz::checkin(db, &coach, &summary.id).await {
                Ok(checkin) => checkin,
                // Deleted since it was listed.
                Err(AppError::NotFound) => continue,
                Err(e) => return Err(tool_error(e)),
            };
            let ttl = self.state.settings.file_url_ttl;
            let detail = store::checkins::detail(db, storage, ttl, &checkin)
                .await
                .map_err(tool_error)?;
            checkins.push(detail);
        }
        Ok(Json(CheckinsPage {
            checkins,
            page: args.page.max(1),
            total: all.len(),
        }))
    }

    #[tool(
        description = "One metric of a client over time (weight, waist, sleep, mood...), in the coach's units.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn progress(
        &self,
        Parameters(args): Parameters<ProgressArgs>,
        Extension(parts): Extension<axum::http::request::Parts>,
    ) -> Result<Json<ProgressSeries>, ErrorData> {
        let metric = Metric::from_key(args.metric.trim()).ok_or_else(|| {
            ErrorData::invalid_params("metric: not a metric Coachroom records", None)
        })?;
        let coach = self.coach(&parts, "progress").await?;
        let client = self.client(&coach, &args.client_id).await?;
        let progress = store::checkins::progress(&self.state.db, &client)
            .await
            .map_err(tool_error)?;
        Ok(Json(ProgressSeries {
            series: progress.series.into_iter().find(|s| s.metric == metric),
            units: progress.units,
        }))
    }

    #[tool(
        description = "A client's goals and how far along each is.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn goals(
        &self,
        Parameters(args): Parameters<ClientArgs>,
        Extension(parts): Extension<axum::http::request::Parts>,
    ) -> Result<Json<Goals>, ErrorData> {
        let coach = self.coach(&parts, "goals").await?;
        let client = self.client(&coach, &args.client_id).await?;
        let goals = store::goals::list(&self.state.db, &client)
            .await
            .map_err(tool_error)?;
        Ok(Json(Goals { goals }))
    }

    #[tool(
        description = "A client's meal and workout plans, whole (the active one of each kind is marked).",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn plans(
        &self,
        Parameters(args): Parameters<ClientArgs>,
        Extension(parts): Extension<axum::http::request::Parts>,
    ) -> Result<Json<Plans>, ErrorData> {
        let coach = self.coach(&parts, "plans").await?;
        let client = self.client(&coach, &args.client_id).await?;
        let (db, workspace) = (&self.state.db, authz::own_workspace(&coach));
        Ok(Json(Plans {
            meal_plans: plans::whole::<MealPlanKind>(db, &coach, &workspace, Some(&client))
                .await
                .map_err(tool_error)?,
            workout_plans: plans::whole::<WorkoutPlanKind>(db, &coach, &workspace, Some(&client))
                .await
                .map_err(tool_error)?,
        }))
    }

    #[tool(
        description = "The forms given to a client, with their answers.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn forms(
        &self,
        Parameters(args): Parameters<ClientArgs>,
        Extension(parts): Extension<axum::http::request::Parts>,
    ) -> Result<Json<Forms>, ErrorData> {
        let coach = self.coach(&parts, "forms").await?;
        let client = self.client(&coach, &args.client_id).await?;
        let workspace = authz::own_workspace(&coach);
        let forms = store::forms::responses(&self.state.db, &workspace, Some(&client), None)
            .await
            .map_err(tool_error)?;
        Ok(Json(Forms { forms }))
    }

    #[tool(
        description = "A client's coaching sessions, newest first, 10 a page: summaries, transcripts, insights and action items.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn sessions(
        &self,
        Parameters(args): Parameters<PagedClientArgs>,
        Extension(parts): Extension<axum::http::request::Parts>,
    ) -> Result<Json<SessionsPage>, ErrorData> {
        let coach = self.coach(&parts, "sessions").await?;
        let client = self.client(&coach, &args.client_id).await?;
        let db = &self.state.db;
        let all = store::sessions::list(db, &client)
            .await
            .map_err(tool_error)?;
        let mut sessions = Vec::new();
        for summary in page_of(&all, args.page) {
            let session = match authz::item(db, &coach, &summary.id).await {
                Ok(session) => store::sessions::get(db, &session).await,
                Err(e) => Err(e),
            };
            match session {
                Ok(session) => sessions.push(session),
                // Deleted since it was listed.
                Err(AppError::NotFound) => continue,
                Err(e) => return Err(tool_error(e)),
            }
        }
        Ok(Json(SessionsPage {
            sessions,
            page: args.page.max(1),
            total: all.len(),
        }))
    }

    #[tool(
        description = "The coach's private notes and to-dos: about one client, or the general ones (no client).",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn notes_and_todos(
        &self,
        Parameters(args): Parameters<NotesArgs>,
        Extension(parts): Extension<axum::http::request::Parts>,
    ) -> Result<Json<NotesAndTodos>, ErrorData> {
        let coach = self.coach(&parts, "notes_and_todos").await?;
        let db = &self.state.db;
        let workspace = authz::own_workspace(&coach);
        let client_id = args.client_id.trim();
        let client = match client_id {
            "" => None,
            id => Some(self.client(&coach, id).await?),
        };
        let notes = store::notes::list_notes(db, &workspace, client.as_ref())
            .await
            .map_err(tool_error)?;
        // Without a client: the general ones (those about a client are under that client).
        let todos = match &client {
            Some(client) => store::notes::list_todos(db, &workspace, Some(client)).await,
            None => store::notes::list_general_todos(db, &workspace).await,
        }
        .map_err(tool_error)?;
        Ok(Json(NotesAndTodos { notes, todos }))
    }

    #[tool(
        description = "Who needs the coach's attention this week: check-ins waiting for review (oldest first) and to-dos due within 7 days or overdue.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn needs_attention(
        &self,
        Extension(parts): Extension<axum::http::request::Parts>,
    ) -> Result<Json<Attention>, ErrorData> {
        let coach = self.coach(&parts, "needs_attention").await?;
        let db = &self.state.db;
        let workspace = authz::own_workspace(&coach);
        let waiting = store::checkins::waiting_longest_ai_visible(db, &workspace)
            .await
            .map_err(tool_error)?;
        let soon = crate::domain::date_label(crate::server::now_millis() + 7 * 86_400_000);
        let mut todos_due = Vec::new();
        for todo in store::notes::list_todos(db, &workspace, None)
            .await
            .map_err(tool_error)?
        {
            let due = todo
                .due_date
                .as_deref()
                .is_some_and(|date| date <= soon.as_str());
            if todo.done || !due {
                continue;
            }
            let visible = match todo.client_id.as_deref() {
                None => true,
                Some(id) => store::mcp::ai_visible(db, coach.user_id(), id)
                    .await
                    .map_err(tool_error)?,
            };
            if visible {
                todos_due.push(todo);
            }
        }
        let shown = waiting.iter().map(|item| item.client_id.as_str()).chain(
            todos_due
                .iter()
                .filter_map(|todo| todo.client_id.as_deref()),
        );
        authz::log_support_list_read(db, &coach, "needs_attention", shown)
            .await
            .map_err(tool_error)?;
        Ok(Json(Attention {
            waiting_for_review: waiting,
            todos_due,
        }))
    }
}

#[tool_handler(
    name = "coachroom",
    instructions = "Read-only access to one coach's Coachroom workspace: clients, check-ins, progress, goals, plans, forms, sessions, notes and to-dos. Start with find_clients or needs_attention. Nothing can be changed through these tools."
)]
impl ServerHandler for Tools {}
