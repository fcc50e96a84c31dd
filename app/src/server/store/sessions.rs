//! Coaching sessions. Everything but the shared summary is the coach's alone; the client reads
//! only `shared`, which returns nothing unless the coach shared it.

use crate::domain::{
    ActionItem, ActionItemInput, ActionOwner, SessionDetail, SessionInput, SessionSummary,
    SharedSession, Transcript,
};
use crate::server::authz::{ClientSelf, MyActionItem, OwnedActionItem, OwnedClient, OwnedSession};
use crate::server::crypto::{DataKey, Field};
use crate::server::db::{expect_one, Db};
use crate::server::store::keys;
use crate::server::{internal, new_id, now_millis};
use crate::AppError;
use sqlx::any::AnyRow;
use sqlx::Row;

const SUMMARY_COLUMNS: &str = "id, held_at, duration_min, title, tags, summary_shared, \
     CAST(CASE WHEN transcript IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_transcript";

/// Everything written about a session is sealed with its client's key.
pub(crate) const TITLE: Field = Field::new("coaching_sessions", "title");
pub(crate) const TAGS: Field = Field::new("coaching_sessions", "tags");
pub(crate) const TRANSCRIPT: Field = Field::new("coaching_sessions", "transcript");
pub(crate) const PRIVATE_NOTES: Field = Field::new("coaching_sessions", "private_notes");
pub(crate) const SUMMARY: Field = Field::new("coaching_sessions", "summary");
pub(crate) const ACTION_ITEM: Field = Field::new("action_items", "body");

/// Opens one sealed text column of a row.
fn open_column(row: &AnyRow, key: &DataKey, field: Field, id: &str) -> Result<String, AppError> {
    let stored: String = row.try_get(field.column).map_err(internal)?;
    key.open(field, id, &stored).map_err(internal)
}

/// The key of the session's client, found from the session row.
async fn session_key(db: &Db, session: &OwnedSession) -> Result<std::sync::Arc<DataKey>, AppError> {
    keys::for_item(
        db,
        "coaching_sessions",
        session.item_id(),
        session.coach_id(),
    )
    .await
}

fn summary(row: &AnyRow, key: &DataKey) -> Result<SessionSummary, AppError> {
    let id: String = row.try_get("id").map_err(internal)?;
    let tags: String = row.try_get(TAGS.column).map_err(internal)?;
    let tags: Vec<String> = key.open_json(TAGS, &id, &tags).map_err(internal)?;
    let duration: i64 = row.try_get("duration_min").map_err(internal)?;
    Ok(SessionSummary {
        title: open_column(row, key, TITLE, &id)?,
        id,
        held_at: row.try_get("held_at").map_err(internal)?,
        duration_min: u32::try_from(duration).map_err(internal)?,
        tags,
        has_transcript: row.try_get::<i64, _>("has_transcript").map_err(internal)? == 1,
        summary_shared: row.try_get::<i64, _>("summary_shared").map_err(internal)? == 1,
    })
}

pub async fn list(db: &Db, client: &OwnedClient) -> Result<Vec<SessionSummary>, AppError> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM coaching_sessions WHERE client_id = $1 AND coach_id = $2 \
         ORDER BY held_at DESC, id LIMIT {}",
        super::LIST_CAP
    );
    let rows = sqlx::query(&sql)
        .bind(client.client_id())
        .bind(client.coach_id())
        .fetch_all(db.reader())
        .await
        .map_err(internal)?;
    let key = keys::client(db, client.client_id()).await?;
    rows.iter().map(|row| summary(row, &key)).collect()
}

fn tags_json(input: &SessionInput) -> Result<String, AppError> {
    serde_json::to_string(&input.tags).map_err(internal)
}

/// Records a session, with its transcript when there is one already. Returns its id.
pub async fn create(
    db: &Db,
    client: &OwnedClient,
    input: &SessionInput,
    transcript: Option<&Transcript>,
) -> Result<String, AppError> {
    let id = new_id();
    let now = now_millis();
    let transcript = transcript
        .map(|t| serde_json::to_string(t).map_err(internal))
        .transpose()?;
    let key = keys::writable(keys::client(db, client.client_id()).await?)?;
    sqlx::query(
        "INSERT INTO coaching_sessions (id, coach_id, client_id, held_at, duration_min, title, \
         tags, transcript, private_notes, summary, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&id)
    .bind(client.coach_id())
    .bind(client.client_id())
    .bind(input.held_at)
    .bind(i64::from(input.duration_min))
    .bind(key.seal(TITLE, &id, &input.title))
    .bind(key.seal(TAGS, &id, &tags_json(input)?))
    .bind(key.seal_opt(TRANSCRIPT, &id, transcript.as_deref()))
    .bind(key.seal(PRIVATE_NOTES, &id, input.private_notes.as_str()))
    .bind(key.seal(SUMMARY, &id, input.summary.as_str()))
    .bind(now)
    .bind(now)
    .execute(db.writer())
    .await
    .map_err(internal)?;
    Ok(id)
}

pub async fn get(db: &Db, session: &OwnedSession) -> Result<SessionDetail, AppError> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, client_id, transcript, private_notes, summary \
         FROM coaching_sessions WHERE id = $1 AND coach_id = $2"
    );
    let row = sqlx::query(&sql)
        .bind(session.item_id())
        .bind(session.coach_id())
        .fetch_optional(db.reader())
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let client_id: String = row.try_get("client_id").map_err(internal)?;
    let key = keys::client(db, &client_id).await?;
    let id = session.item_id();
    let transcript: Option<String> = row.try_get("transcript").map_err(internal)?;
    let transcript = key
        .open_opt(TRANSCRIPT, id, transcript.as_deref())
        .map_err(internal)?;
    Ok(SessionDetail {
        summary: summary(&row, &key)?,
        client_id,
        // An erased client's transcript is gone, not an error.
        transcript: transcript
            .filter(|_| !key.is_erased())
            .map(|t| serde_json::from_str(&t).map_err(internal))
            .transpose()?,
        private_notes: open_column(&row, &key, PRIVATE_NOTES, id)?,
        shared_summary: open_column(&row, &key, SUMMARY, id)?,
        action_items: action_items(db, &key, session).await?,
    })
}

/// Replaces the session's details. A shared summary that is emptied stops being shared.
pub async fn update(db: &Db, session: &OwnedSession, input: &SessionInput) -> Result<(), AppError> {
    let key = keys::writable(session_key(db, session).await?)?;
    let id = session.item_id();
    let result = sqlx::query(
        "UPDATE coaching_sessions SET held_at = $1, duration_min = $2, title = $3, tags = $4, \
         private_notes = $5, summary = $6, \
         summary_shared = CASE WHEN $6 = '' THEN 0 ELSE summary_shared END, updated_at = $7 \
         WHERE id = $8 AND coach_id = $9",
    )
    .bind(input.held_at)
    .bind(i64::from(input.duration_min))
    .bind(key.seal(TITLE, id, &input.title))
    .bind(key.seal(TAGS, id, &tags_json(input)?))
    .bind(key.seal(PRIVATE_NOTES, id, input.private_notes.as_str()))
    .bind(key.seal(SUMMARY, id, input.summary.as_str()))
    .bind(now_millis())
    .bind(session.item_id())
    .bind(session.coach_id())
    .execute(db.writer())
    .await
    .map_err(internal)?;
    expect_one(result)
}

/// Replaces the transcript (`None` removes it).
pub async fn set_transcript(
    db: &Db,
    session: &OwnedSession,
    transcript: Option<&Transcript>,
) -> Result<(), AppError> {
    let json = transcript
        .map(|t| serde_json::to_string(t).map_err(internal))
        .transpose()?;
    let key = keys::writable(session_key(db, session).await?)?;
    let json = key.seal_opt(TRANSCRIPT, session.item_id(), json.as_deref());
    let result = sqlx::query(
        "UPDATE coaching_sessions SET transcript = $1, updated_at = $2 \
         WHERE id = $3 AND coach_id = $4",
    )
    .bind(json)
    .bind(now_millis())
    .bind(session.item_id())
    .bind(session.coach_id())
    .execute(db.writer())
    .await
    .map_err(internal)?;
    expect_one(result)
}

/// Shares the summary with the client, or stops sharing it. An empty summary cannot be shared.
pub async fn share(db: &Db, session: &OwnedSession, shared: bool) -> Result<(), AppError> {
    let (summary,): (String,) =
        sqlx::query_as("SELECT summary FROM coaching_sessions WHERE id = $1 AND coach_id = $2")
            .bind(session.item_id())
            .bind(session.coach_id())
            .fetch_optional(db.reader())
            .await
            .map_err(internal)?
            .ok_or(AppError::NotFound)?;
    let key = session_key(db, session).await?;
    let summary = key
        .open(SUMMARY, session.item_id(), &summary)
        .map_err(internal)?;
    if shared && summary.trim().is_empty() {
        return Err(AppError::invalid("Write a summary before sharing it."));
    }
    let result = sqlx::query(
        "UPDATE coaching_sessions SET summary_shared = $1, updated_at = $2 \
         WHERE id = $3 AND coach_id = $4",
    )
    .bind(i64::from(shared))
    .bind(now_millis())
    .bind(session.item_id())
    .bind(session.coach_id())
    .execute(db.writer())
    .await
    .map_err(internal)?;
    expect_one(result)
}

/// The client's sessions with a shared summary or shared action items, newest first; nothing
/// unshared is included.
pub async fn shared(db: &Db, me: &ClientSelf) -> Result<Vec<SharedSession>, AppError> {
    let rows: Vec<(String, i64, i64, String, String)> = sqlx::query_as(
        "SELECT s.id, s.held_at, s.duration_min, s.title, \
         CASE WHEN s.summary_shared = 1 THEN s.summary ELSE '' END FROM coaching_sessions s \
         WHERE s.client_id = $1 AND s.coach_id = $2 AND (s.summary_shared = 1 OR EXISTS \
         (SELECT 1 FROM action_items a WHERE a.session_id = s.id AND a.shared = 1)) \
         ORDER BY s.held_at DESC, s.id LIMIT $3",
    )
    .bind(me.client_id())
    .bind(me.coach_id())
    .bind(super::LIST_CAP)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    // All of the client's shared items in one query, then handed to their sessions.
    let item_rows = sqlx::query(&format!(
        "SELECT * FROM (SELECT {ITEM_COLUMNS}, created_at FROM action_items WHERE client_id = $1 \
         AND coach_id = $2 AND shared = 1 ORDER BY created_at DESC, id DESC LIMIT {}) recent \
         ORDER BY created_at, id",
        super::LIST_CAP * 10
    ))
    .bind(me.client_id())
    .bind(me.coach_id())
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let key = keys::client(db, me.client_id()).await?;
    let mut items = item_rows
        .iter()
        .map(|row| action_item(row, &key))
        .collect::<Result<Vec<_>, _>>()?;
    let mut sessions = Vec::with_capacity(rows.len());
    for (id, held_at, duration, title, summary) in rows {
        let (mine, rest): (Vec<_>, Vec<_>) = items.into_iter().partition(|i| i.session_id == id);
        items = rest;
        sessions.push(SharedSession {
            action_items: mine,
            title: key.open(TITLE, &id, &title).map_err(internal)?,
            summary: key.open(SUMMARY, &id, &summary).map_err(internal)?,
            id,
            held_at,
            duration_min: u32::try_from(duration).map_err(internal)?,
        });
    }
    Ok(sessions)
}

const ITEM_COLUMNS: &str = "id, session_id, owner, body, due_date, shared, done_at";

fn action_item(row: &AnyRow, key: &DataKey) -> Result<ActionItem, AppError> {
    let owner: String = row.try_get("owner").map_err(internal)?;
    let id: String = row.try_get("id").map_err(internal)?;
    Ok(ActionItem {
        text: open_column(row, key, ACTION_ITEM, &id)?,
        id,
        session_id: row.try_get("session_id").map_err(internal)?,
        owner: ActionOwner::parse(&owner).map_err(internal)?,
        due_date: row.try_get("due_date").map_err(internal)?,
        shared: row.try_get::<i64, _>("shared").map_err(internal)? == 1,
        done_at: row.try_get("done_at").map_err(internal)?,
    })
}

/// A session's action items, oldest first (the coach sees all of them).
async fn action_items(
    db: &Db,
    key: &DataKey,
    session: &OwnedSession,
) -> Result<Vec<ActionItem>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM action_items WHERE session_id = $1 AND coach_id = $2 \
         ORDER BY created_at, id LIMIT {}",
        super::LIST_CAP
    ))
    .bind(session.item_id())
    .bind(session.coach_id())
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    rows.iter().map(|row| action_item(row, key)).collect()
}

/// The key that seals a session's action items (its client's), for [`add_action_item`]: fetched
/// before the caller begins a transaction; an erased client's is refused (409).
pub async fn action_item_key(
    db: &Db,
    session: &OwnedSession,
) -> Result<std::sync::Arc<DataKey>, AppError> {
    keys::writable(session_key(db, session).await?)
}

/// Adds an action item to a session, shared with the client or not: on the writer pool, or
/// inside a caller's transaction. `key` is the session's [`action_item_key`].
pub async fn add_action_item<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    key: &DataKey,
    session: &OwnedSession,
    input: &ActionItemInput,
    shared: bool,
) -> Result<(), AppError> {
    // The client comes from the session row itself, in the same statement.
    let id = new_id();
    let result = sqlx::query(
        "INSERT INTO action_items (id, coach_id, client_id, session_id, owner, body, due_date, \
         shared, created_at) \
         SELECT $1, coach_id, client_id, id, $2, $3, $4, $5, $6 FROM coaching_sessions \
         WHERE id = $7 AND coach_id = $8",
    )
    .bind(&id)
    .bind(input.owner.as_str())
    .bind(key.seal(ACTION_ITEM, &id, &input.text))
    .bind(input.due_date.as_ref().map(|d| d.as_str()))
    .bind(i64::from(shared))
    .bind(now_millis())
    .bind(session.item_id())
    .bind(session.coach_id())
    .execute(executor)
    .await
    .map_err(internal)?;
    expect_one(result)
}

/// Shares an action item with the client, or withdraws it.
pub async fn share_action_item(
    db: &Db,
    item: &OwnedActionItem,
    shared: bool,
) -> Result<(), AppError> {
    let result = sqlx::query("UPDATE action_items SET shared = $1 WHERE id = $2 AND coach_id = $3")
        .bind(i64::from(shared))
        .bind(item.item_id())
        .bind(item.coach_id())
        .execute(db.writer())
        .await
        .map_err(internal)?;
    expect_one(result)
}

/// The client marks a shared action item done, or not done.
pub async fn set_action_item_done(
    db: &Db,
    item: &MyActionItem,
    done: bool,
) -> Result<(), AppError> {
    let result = sqlx::query(
        "UPDATE action_items SET done_at = $1 WHERE id = $2 AND client_id = $3 AND shared = 1",
    )
    .bind(done.then(now_millis))
    .bind(item.item_id())
    .bind(item.client_id())
    .execute(db.writer())
    .await
    .map_err(internal)?;
    expect_one(result)
}
