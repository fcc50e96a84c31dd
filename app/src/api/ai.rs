//! AI: whether it is set up, the per-client switch, session insights (queued, reviewed, applied),
//! check-in reply drafts (returned, never stored) and the log of AI calls.

use crate::domain::{AiCall, AiStatus, Insights, SessionInsights};
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use server_fn::codec::Json;

/// How many calls the logs show.
#[cfg(feature = "ssr")]
const CALL_LOG_LIMIT: i64 = 200;

/// Whether AI is set up on this server, its models and where requests go.
#[server(
    prefix = "/api",
    endpoint = "ai/status",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn get_ai_status() -> Result<AiStatus, AppError> {
    use crate::server::{ai::Ai, principal, state::AppState};
    let state = AppState::current()?;
    principal::require_coach(&state).await?;
    let ai = state.settings.ai.as_ref();
    Ok(AiStatus {
        configured: ai.is_some(),
        chat_model: ai.map(|ai| ai.chat_model.clone()).unwrap_or_default(),
        transcription_model: ai
            .map(|ai| ai.transcription_model.clone())
            .unwrap_or_default(),
        server: Ai::server_host(&state.settings),
    })
}

/// Whether the coach allows AI for this client.
#[server(
    prefix = "/api",
    endpoint = "clients/ai",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn client_ai_enabled(client_id: String) -> Result<bool, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    store::ai::ai_enabled(&state.db, &client).await
}

/// Turns AI on or off for one client. Off, nothing about them is sent to the AI server, not even
/// their replies as examples of the coach's voice.
#[server(
    prefix = "/api",
    endpoint = "clients/ai/set",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn set_client_ai(client_id: String, enabled: bool) -> Result<(), AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::client(&state.db, &coach, &client_id).await?;
    store::ai::set_ai_enabled(&state.db, &client, enabled).await
}

/// The session's insights and their job's status and progress (poll while pending).
#[server(
    prefix = "/api",
    endpoint = "sessions/insights",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn get_session_insights(session_id: String) -> Result<SessionInsights, AppError> {
    use crate::server::authz::{self, SessionItem};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let session = authz::item::<SessionItem>(&state.db, &coach, &session_id).await?;
    store::ai::insights(&state.db, &session).await
}

/// Queues insights generation from the transcript (also the retry after a failure). Runs in
/// the background; earlier insights stay until new ones are ready.
#[server(
    prefix = "/api",
    endpoint = "sessions/insights/generate",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn generate_insights(session_id: String) -> Result<SessionInsights, AppError> {
    use crate::server::authz::{self, SessionItem};
    use crate::server::{ai, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let session = authz::item::<SessionItem>(&state.db, &coach, &session_id).await?;
    ai::configured(state.ai.as_ref())?;
    let client = authz::session_client(&state.db, &session).await?;
    let subject = authz::ai_subject(&state.db, &client).await?;
    ai::configured(state.ai.as_ref())?
        .check_budget(&state.db, &subject)
        .await?;
    let detail = store::sessions::get(&state.db, &session).await?;
    if detail.transcript.is_none_or(|t| t.turns.is_empty()) {
        return Err(AppError::invalid(
            "Add a transcript first: insights are drawn from it.",
        ));
    }
    store::ai::enqueue(&state.db, &session).await?;
    store::ai::insights(&state.db, &session).await
}

/// Keeps the coach's edits to the insights (JSON: `session_id`, `insights`).
#[server(
    prefix = "/api",
    endpoint = "sessions/insights/save",
    input = Json,
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn save_insights(session_id: String, insights: Insights) -> Result<(), AppError> {
    use crate::server::authz::{self, SessionItem};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let session = authz::item::<SessionItem>(&state.db, &coach, &session_id).await?;
    let insights = Insights::parse(&insights)?;
    store::ai::save_insights(&state.db, &session, &insights).await
}

/// Applies the reviewed insights (JSON: `session_id`, `insights`, `actions` = indexes of the
/// suggested action items to add): the summary becomes the session's summary and the chosen
/// suggestions become action items, all unshared until the coach shares them.
#[server(
    prefix = "/api",
    endpoint = "sessions/insights/apply",
    input = Json,
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn apply_insights(
    session_id: String,
    insights: Insights,
    actions: Vec<usize>,
) -> Result<(), AppError> {
    use crate::domain::ActionItemInput;
    use crate::server::authz::{self, SessionItem};
    use crate::server::{principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let session = authz::item::<SessionItem>(&state.db, &coach, &session_id).await?;
    let insights = Insights::parse(&insights)?;
    let mut chosen = Vec::new();
    for index in actions {
        let item = insights.action_items.get(index).ok_or_else(|| {
            AppError::invalid(format!("There is no suggested action item {index}."))
        })?;
        chosen.push(ActionItemInput::parse(
            item.owner.as_str(),
            &item.text,
            item.due_date.as_deref().unwrap_or_default(),
        )?);
    }
    store::ai::apply_insights(&state.db, &session, &insights, &chosen).await
}

/// A draft reply to the check-in in the coach's voice. Returned for editing, never stored:
/// `checkins/review` saves it once the coach is happy.
#[server(
    prefix = "/api",
    endpoint = "checkins/reply_draft",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn draft_checkin_reply(checkin_id: String) -> Result<String, AppError> {
    use crate::domain::{MealPlanKind, WorkoutPlanKind};
    use crate::server::ai::{self, drafts};
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let checkin = authz::checkin(&state.db, &coach, &checkin_id).await?;
    let ai = ai::configured(state.ai.as_ref())?;
    let subject = authz::ai_subject(&state.db, &checkin).await?;
    let client = authz::client(&state.db, &coach, subject.client_id()).await?;
    let workspace = authz::own_workspace(&coach);
    let ttl = state.settings.file_url_ttl;
    let review = store::checkins::review(&state.db, &state.storage, ttl, &checkin).await?;
    let goals = store::goals::list(&state.db, &client).await?;
    let mut plans =
        store::plans::list::<MealPlanKind>(&state.db, &workspace, Some(&client)).await?;
    plans
        .extend(store::plans::list::<WorkoutPlanKind>(&state.db, &workspace, Some(&client)).await?);
    let examples =
        store::ai::voice_examples(&state.db, &subject, ai.settings().voice_examples).await?;
    let context = drafts::DraftContext {
        review: &review,
        goals: &goals,
        plans: &plans,
        examples: &examples,
    };
    drafts::draft_reply(ai, &state.db, &subject, &context).await
}

/// Every AI call in the coach's workspace, newest first: who it was about, what for, the model
/// and token counts. Never the content.
#[server(
    prefix = "/api",
    endpoint = "ai/calls",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn ai_calls() -> Result<Vec<AiCall>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let workspace = authz::own_workspace(&coach);
    let calls = store::ai::calls_in_workspace(&state.db, &workspace, CALL_LOG_LIMIT).await?;
    let shown = calls.iter().map(|call| call.client_id.as_str());
    authz::log_support_list_read(&state.db, &coach, "ai/calls", shown).await?;
    Ok(calls)
}
