//! A coach's private notes and to-dos. Nothing here is ever readable by a client.

use crate::domain::{CalendarDate, LongText, Note, Todo};
use crate::server::authz::{OwnedClient, OwnedTodo, OwnedWorkspace};
use crate::server::crypto::Field;
use crate::server::db::{expect_one, Db};
use crate::server::store::keys;
use crate::server::{internal, new_id, now_millis};
use crate::AppError;

/// Sealed with the client's key, or the workspace's for a general note or to-do.
pub(crate) const NOTE_BODY: Field = Field::new("notes", "body");
pub(crate) const TODO_TITLE: Field = Field::new("todos", "title");

pub async fn list_notes(
    db: &Db,
    workspace: &OwnedWorkspace,
    client: Option<&OwnedClient>,
) -> Result<Vec<Note>, AppError> {
    let rows: Vec<(String, Option<String>, String, i64)> = match client {
        Some(client) => sqlx::query_as(
            "SELECT id, client_id, body, created_at FROM notes WHERE coach_id = $1 AND client_id = $2 \
             ORDER BY created_at DESC, id LIMIT $3",
        )
        .bind(workspace.coach_id())
        .bind(client.client_id())
        .bind(super::LIST_CAP),
        None => sqlx::query_as(
            "SELECT id, client_id, body, created_at FROM notes WHERE coach_id = $1 AND client_id IS NULL \
             ORDER BY created_at DESC, id LIMIT $2",
        )
        .bind(workspace.coach_id())
        .bind(super::LIST_CAP),
    }
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let key =
        keys::client_or_workspace(db, workspace.coach_id(), client.map(|c| c.client_id())).await?;
    rows.into_iter()
        .map(|(id, client_id, body, created_at_ms)| {
            Ok(Note {
                body: key.open(NOTE_BODY, &id, &body).map_err(internal)?,
                id,
                client_id,
                created_at_ms,
            })
        })
        .collect()
}

pub async fn add_note(
    db: &Db,
    workspace: &OwnedWorkspace,
    client: Option<&OwnedClient>,
    body: &LongText,
) -> Result<Note, AppError> {
    let note = Note {
        id: new_id(),
        client_id: client.map(|c| c.client_id().to_owned()),
        body: body.as_str().to_owned(),
        created_at_ms: now_millis(),
    };
    let key = keys::writable(
        keys::client_or_workspace(db, workspace.coach_id(), note.client_id.as_deref()).await?,
    )?;
    sqlx::query(
        "INSERT INTO notes (id, coach_id, client_id, body, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&note.id)
    .bind(workspace.coach_id())
    .bind(note.client_id.clone())
    .bind(key.seal(NOTE_BODY, &note.id, &note.body))
    .bind(note.created_at_ms)
    .execute(db.writer())
    .await
    .map_err(internal)?;
    Ok(note)
}

/// id, client_id, title, due_date, done.
type TodoRow = (String, Option<String>, String, Option<String>, i64);

/// Open to-dos first, by due date (undated last).
pub async fn list_todos(
    db: &Db,
    workspace: &OwnedWorkspace,
    client: Option<&OwnedClient>,
) -> Result<Vec<Todo>, AppError> {
    let filter = match client {
        Some(client) => TodoFilter::Client(client.client_id()),
        None => TodoFilter::All,
    };
    todos(db, workspace, filter).await
}

/// The to-dos about no client (at most [`super::LIST_CAP`], open ones first).
pub async fn list_general_todos(
    db: &Db,
    workspace: &OwnedWorkspace,
) -> Result<Vec<Todo>, AppError> {
    todos(db, workspace, TodoFilter::General).await
}

/// Which of the workspace's to-dos a list holds.
enum TodoFilter<'a> {
    All,
    Client(&'a str),
    General,
}

async fn todos(
    db: &Db,
    workspace: &OwnedWorkspace,
    filter: TodoFilter<'_>,
) -> Result<Vec<Todo>, AppError> {
    const COLUMNS: &str =
        "SELECT id, client_id, title, due_date, done FROM todos WHERE coach_id = $1";
    let order = format!(
        " ORDER BY done, CASE WHEN due_date IS NULL THEN 1 ELSE 0 END, due_date, created_at \
         LIMIT {}",
        super::LIST_CAP
    );
    let sql_all = format!("{COLUMNS}{order}");
    let sql_client = format!("{COLUMNS} AND client_id = $2{order}");
    let sql_general = format!("{COLUMNS} AND client_id IS NULL{order}");
    let query = match filter {
        TodoFilter::Client(client_id) => sqlx::query_as(&sql_client)
            .bind(workspace.coach_id())
            .bind(client_id),
        TodoFilter::All => sqlx::query_as(&sql_all).bind(workspace.coach_id()),
        TodoFilter::General => sqlx::query_as(&sql_general).bind(workspace.coach_id()),
    };
    let rows: Vec<TodoRow> = query.fetch_all(db.reader()).await.map_err(internal)?;
    let mut todos = Vec::with_capacity(rows.len());
    for (id, client_id, title, due_date, done) in rows {
        let key = keys::client_or_workspace(db, workspace.coach_id(), client_id.as_deref()).await?;
        todos.push(Todo {
            title: key.open(TODO_TITLE, &id, &title).map_err(internal)?,
            id,
            client_id,
            due_date,
            done: done != 0,
        });
    }
    Ok(todos)
}

pub async fn add_todo(
    db: &Db,
    workspace: &OwnedWorkspace,
    client: Option<&OwnedClient>,
    title: &str,
    due_date: Option<&CalendarDate>,
) -> Result<Todo, AppError> {
    let todo = Todo {
        id: new_id(),
        client_id: client.map(|c| c.client_id().to_owned()),
        title: title.to_owned(),
        due_date: due_date.map(|d| d.as_str().to_owned()),
        done: false,
    };
    let key = keys::writable(
        keys::client_or_workspace(db, workspace.coach_id(), todo.client_id.as_deref()).await?,
    )?;
    sqlx::query("INSERT INTO todos (id, coach_id, client_id, title, due_date, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&todo.id)
        .bind(workspace.coach_id())
        .bind(todo.client_id.clone())
        .bind(key.seal(TODO_TITLE, &todo.id, &todo.title))
        .bind(todo.due_date.clone())
        .bind(now_millis())
        .execute(db.writer())
        .await
        .map_err(internal)?;
    Ok(todo)
}

pub async fn set_todo_done(db: &Db, todo: &OwnedTodo, done: bool) -> Result<(), AppError> {
    let result = sqlx::query("UPDATE todos SET done = $1 WHERE id = $2 AND coach_id = $3")
        .bind(i64::from(done))
        .bind(todo.item_id())
        .bind(todo.coach_id())
        .execute(db.writer())
        .await
        .map_err(internal)?;
    expect_one(result)
}
