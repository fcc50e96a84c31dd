//! The coach's private notes and to-dos: never visible to clients.

use crate::domain::{Note, Todo};
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Notes about one client, or general notes when `client_id` is empty.
#[server(
    prefix = "/api",
    endpoint = "notes/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn list_notes(client_id: Option<String>) -> Result<Vec<Note>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::optional_client(&state.db, &coach, client_id.as_deref()).await?;
    store::notes::list_notes(&state.db, &authz::own_workspace(&coach), client.as_ref()).await
}

#[server(
    prefix = "/api",
    endpoint = "notes/create",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn create_note(client_id: Option<String>, body: String) -> Result<Note, AppError> {
    use crate::domain::LongText;
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::optional_client(&state.db, &coach, client_id.as_deref()).await?;
    let body = LongText::required(&body, "Note")?;
    store::notes::add_note(
        &state.db,
        &authz::own_workspace(&coach),
        client.as_ref(),
        &body,
    )
    .await
}

#[server(
    prefix = "/api",
    endpoint = "notes/delete",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn delete_note(note_id: String) -> Result<(), AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let note = authz::item::<authz::NoteItem>(&state.db, &coach, &note_id).await?;
    store::delete_item(&state.db, &note).await
}

/// To-dos about one client, or all of the coach's to-dos when `client_id` is empty.
#[server(
    prefix = "/api",
    endpoint = "todos/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn list_todos(client_id: Option<String>) -> Result<Vec<Todo>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::optional_client(&state.db, &coach, client_id.as_deref()).await?;
    let todos =
        store::notes::list_todos(&state.db, &authz::own_workspace(&coach), client.as_ref()).await?;
    if client.is_none() {
        let shown = todos.iter().filter_map(|todo| todo.client_id.as_deref());
        authz::log_support_list_read(&state.db, &coach, "todos/list", shown).await?;
    }
    Ok(todos)
}

#[server(
    prefix = "/api",
    endpoint = "todos/create",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn create_todo(
    client_id: Option<String>,
    title: String,
    due_date: String,
) -> Result<Todo, AppError> {
    use crate::domain::{bounded_text, CalendarDate};
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let client = authz::optional_client(&state.db, &coach, client_id.as_deref()).await?;
    let title = bounded_text(&title, "To-do", true, 200)?;
    let due_date = CalendarDate::optional(&due_date, "Due date")?;
    store::notes::add_todo(
        &state.db,
        &authz::own_workspace(&coach),
        client.as_ref(),
        &title,
        due_date.as_ref(),
    )
    .await
}

#[server(
    prefix = "/api",
    endpoint = "todos/set_done",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn set_todo_done(todo_id: String, done: bool) -> Result<(), AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let todo = authz::item::<authz::TodoItem>(&state.db, &coach, &todo_id).await?;
    store::notes::set_todo_done(&state.db, &todo, done).await
}

#[server(
    prefix = "/api",
    endpoint = "todos/delete",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn delete_todo(todo_id: String) -> Result<(), AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let coach = principal::require_coach(&state).await?;
    let todo = authz::item::<authz::TodoItem>(&state.db, &coach, &todo_id).await?;
    store::delete_item(&state.db, &todo).await
}
