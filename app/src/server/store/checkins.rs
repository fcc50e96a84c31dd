//! Check-ins and their photos. Reads take a client or check-in proof from `authz` (held by the
//! coach or by the client); writes that only a coach may make take `OwnedCheckin`.

use crate::domain::{
    CheckinDetail, CheckinInput, CheckinReview, CheckinSummary, FilledForm, IdempotencyKey,
    InboxItem, InboxPage, LongText, Metric, MetricValues, PhotoCheckin, PhotoSlot, PhotoView,
    Point, Progress, Series, Units,
};
use crate::server::authz::{CheckinScope, ClientScope, ClientSelf, OwnedCheckin, OwnedWorkspace};
use crate::server::crypto::{DataKey, Field};
use crate::server::db::{expect_one, Db};
use crate::server::storage::{ObjectKey, Storage};
use crate::server::store::keys;
use crate::server::store::object_deletions;
use crate::server::{internal, new_id, now_millis};
use crate::AppError;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;
use std::time::Duration;

pub const INBOX_PER_PAGE: i64 = 25;

/// A photo already written to storage, to be recorded with its check-in.
#[derive(Debug, Clone)]
pub struct StoredPhoto {
    pub slot: PhotoSlot,
    pub key: ObjectKey,
    pub width: u32,
    pub height: u32,
    pub byte_size: usize,
}

/// A check-in's values, sealed as one JSON object of metric key to value (SI units).
pub(crate) const VALUES: Field = Field::new("checkins", "sealed_values");
pub(crate) const FEEDBACK: Field = Field::new("checkins", "feedback");
pub(crate) const REPLY: Field = Field::new("checkins", "reply");
pub(crate) const FORM_ANSWERS: Field = Field::new("checkin_form_answers", "answers");

pub(crate) fn seal_values(key: &DataKey, checkin_id: &str, values: &MetricValues) -> String {
    let by_key: BTreeMap<&str, f64> = values.iter().map(|(m, v)| (m.key(), *v)).collect();
    key.seal_json(VALUES, checkin_id, &by_key)
}

/// The coach's units (every check-in is shown in them).
pub async fn units(db: &Db, scope: &impl ClientScope) -> Result<Units, AppError> {
    let (units,): (String,) = sqlx::query_as("SELECT units FROM coaches WHERE user_id = $1")
        .bind(scope.coach_id())
        .fetch_one(db.reader())
        .await
        .map_err(internal)?;
    Units::parse(&units).map_err(internal)
}

/// What [`create`] did.
#[derive(Debug)]
pub enum Recorded {
    New(CheckinSummary),
    /// Nothing: the idempotency key had recorded this check-in already.
    Earlier(CheckinSummary),
}

/// Records a submitted check-in and its (already stored) photos in one transaction, with its
/// idempotency key when it has one.
pub async fn create(
    db: &Db,
    me: &ClientSelf,
    checkin_id: &str,
    input: &CheckinInput,
    idempotency_key: Option<&IdempotencyKey>,
    photos: &[StoredPhoto],
) -> Result<Recorded, AppError> {
    let now = now_millis();
    let key = keys::writable(keys::client(db, me.client_id()).await?)?;
    let mut tx = db.begin().await?;
    let row = CheckinRow {
        id: checkin_id,
        submitted_at: now,
        reviewed_at: None,
        feedback: input.feedback.as_str(),
        values: &input.values,
    };
    insert_row(&mut tx, &key, (me.coach_id(), me.client_id()), &row).await?;
    if let Some(idempotency_key) = idempotency_key {
        // On PostgreSQL a second transaction with the same key waits here for the first to end.
        let claimed = sqlx::query(
            "INSERT INTO checkin_idempotency_keys (client_id, idempotency_key, checkin_id) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(me.client_id())
        .bind(idempotency_key.as_str())
        .bind(checkin_id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?
        .rows_affected()
            == 1;
        if !claimed {
            tx.rollback().await.map_err(internal)?;
            return by_idempotency_key(db, me, idempotency_key)
                .await?
                .map(Recorded::Earlier)
                .ok_or_else(|| internal("an idempotency key's check-in vanished"));
        }
    }
    for photo in photos {
        insert_photo(
            &mut tx,
            checkin_id,
            (me.coach_id(), me.client_id()),
            photo,
            now,
        )
        .await?;
    }
    if let Some(form) = &input.form {
        sqlx::query(
            "INSERT INTO checkin_form_answers (checkin_id, definition, answers) VALUES ($1, $2, $3)",
        )
        .bind(checkin_id)
        .bind(serde_json::to_string(&form.definition).map_err(internal)?)
        .bind(key.seal(
            FORM_ANSWERS,
            checkin_id,
            &serde_json::to_string(&form.answers).map_err(internal)?,
        ))
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    }
    tx.commit().await.map_err(internal)?;
    Ok(Recorded::New(CheckinSummary {
        id: checkin_id.to_owned(),
        submitted_at: now,
        reviewed: false,
        has_reply: false,
        photo_count: photos.len() as u32,
    }))
}

/// The check-in this client recorded with `key`, if any.
pub async fn by_idempotency_key(
    db: &Db,
    me: &ClientSelf,
    key: &IdempotencyKey,
) -> Result<Option<CheckinSummary>, AppError> {
    let row: Option<SummaryRow> = sqlx::query_as(&format!(
        "{SUMMARY_SELECT} JOIN checkin_idempotency_keys k ON k.checkin_id = c.id \
         WHERE k.client_id = $1 AND k.idempotency_key = $2 AND c.coach_id = $3"
    ))
    .bind(me.client_id())
    .bind(key.as_str())
    .bind(me.coach_id())
    // The writer: a key recorded a moment ago must be seen (replicas may lag).
    .fetch_optional(db.writer())
    .await
    .map_err(internal)?;
    Ok(row.map(summary_from_row))
}

/// A check-in's own row, as [`insert_row`] writes it.
pub(super) struct CheckinRow<'a> {
    pub id: &'a str,
    pub submitted_at: i64,
    /// Set for a check-in that is history rather than news (an imported one): it does not wait
    /// in the inbox.
    pub reviewed_at: Option<i64>,
    pub feedback: &'a str,
    pub values: &'a MetricValues,
}

/// Inserts a check-in's own row (values and note sealed with the client's `key`) in the
/// caller's transaction; `client_id` is a proof's, or a client the caller made in it (an import).
pub(super) async fn insert_row(
    tx: &mut Transaction<'static, Any>,
    key: &DataKey,
    (coach_id, client_id): (&str, &str),
    row: &CheckinRow<'_>,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO checkins (id, coach_id, client_id, submitted_at, reviewed_at, feedback, \
         sealed_values) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(row.id)
    .bind(coach_id)
    .bind(client_id)
    .bind(row.submitted_at)
    .bind(row.reviewed_at)
    .bind(key.seal(FEEDBACK, row.id, row.feedback))
    .bind(seal_values(key, row.id, row.values))
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(())
}

/// Records a photo of the check-in `checkin_id`, already in storage, in the caller's transaction.
pub(super) async fn insert_photo(
    tx: &mut Transaction<'static, Any>,
    checkin_id: &str,
    (coach_id, client_id): (&str, &str),
    photo: &StoredPhoto,
    created_at: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO checkin_photos (id, checkin_id, coach_id, client_id, slot, object_key, \
         width, height, byte_size, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(new_id())
    .bind(checkin_id)
    .bind(coach_id)
    .bind(client_id)
    .bind(photo.slot.as_str())
    .bind(photo.key.as_str())
    .bind(i64::from(photo.width))
    .bind(i64::from(photo.height))
    .bind(photo.byte_size as i64)
    .bind(created_at)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(())
}

/// id, submitted_at, reviewed_at, reply, photo count.
type SummaryRow = (String, i64, Option<i64>, Option<String>, i64);

/// Whether a check-in row exists (used only to decide what a failed upload may remove).
pub async fn is_recorded(db: &Db, checkin_id: &str) -> Result<bool, AppError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT id FROM checkins WHERE id = $1")
        .bind(checkin_id)
        .fetch_optional(db.writer())
        .await
        .map_err(internal)?;
    Ok(row.is_some())
}

/// The client's check-ins, newest first.
pub async fn list(db: &Db, scope: &impl ClientScope) -> Result<Vec<CheckinSummary>, AppError> {
    let rows: Vec<SummaryRow> = sqlx::query_as(&format!(
        "{SUMMARY_SELECT} WHERE c.client_id = $1 AND c.coach_id = $2 \
         ORDER BY c.submitted_at DESC, c.id LIMIT $3"
    ))
    .bind(scope.client_id())
    .bind(scope.coach_id())
    .bind(super::LIST_CAP)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    Ok(rows.into_iter().map(summary_from_row).collect())
}

/// The columns of a [`SummaryRow`], from `checkins c`.
const SUMMARY_SELECT: &str = "SELECT c.id, c.submitted_at, c.reviewed_at, c.reply, \
     (SELECT COUNT(*) FROM checkin_photos p WHERE p.checkin_id = c.id) FROM checkins c";

fn summary_from_row((id, submitted_at, reviewed_at, reply, photos): SummaryRow) -> CheckinSummary {
    CheckinSummary {
        id,
        submitted_at,
        reviewed: reviewed_at.is_some(),
        has_reply: reply.is_some_and(|r| !r.is_empty()),
        photo_count: photos as u32,
    }
}

/// The values of a check-in row, from its sealed JSON.
fn values_from_row(row: &AnyRow, key: &DataKey) -> Result<MetricValues, AppError> {
    let id: String = row.try_get("id").map_err(internal)?;
    let sealed: Option<String> = row.try_get("sealed_values").map_err(internal)?;
    let sealed = sealed.ok_or_else(|| internal(format!("check-in {id} is not sealed")))?;
    let by_key: BTreeMap<String, f64> = key.open_json(VALUES, &id, &sealed).map_err(internal)?;
    Ok(by_key
        .into_iter()
        .filter_map(|(k, v)| Metric::from_key(&k).map(|m| (m, v)))
        .collect())
}

/// A stored photo of a check-in: where it is, not a URL.
#[derive(Debug, Clone)]
pub struct PhotoFile {
    pub slot: PhotoSlot,
    pub key: ObjectKey,
    pub width: u32,
    pub height: u32,
}

/// The photos of one check-in, in slot order.
pub async fn photo_files(db: &Db, checkin_id: &str) -> Result<Vec<PhotoFile>, AppError> {
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT slot, object_key, width, height FROM checkin_photos WHERE checkin_id = $1",
    )
    .bind(checkin_id)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let mut files = rows
        .into_iter()
        .map(|(slot, key, width, height)| {
            Ok(PhotoFile {
                slot: PhotoSlot::parse(&slot)
                    .ok_or_else(|| internal(format!("bad slot {slot}")))?,
                key: ObjectKey::parse(&key).ok_or_else(|| internal(format!("bad key {key}")))?,
                width: width as u32,
                height: height as u32,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    files.sort_by_key(|p| p.slot);
    Ok(files)
}

/// Photo rows of one check-in, each with a fresh short-lived URL.
async fn photos(
    db: &Db,
    storage: &Storage,
    ttl: Duration,
    checkin_id: &str,
) -> Result<Vec<PhotoView>, AppError> {
    let mut views = Vec::new();
    for file in photo_files(db, checkin_id).await? {
        views.push(PhotoView {
            slot: file.slot,
            url: storage.signed_url(&file.key, ttl).await?,
            width: file.width,
            height: file.height,
        });
    }
    Ok(views)
}

/// The check-in's form answers, with the definition they answered.
async fn form_answers(
    db: &Db,
    key: &DataKey,
    checkin_id: &str,
) -> Result<Option<FilledForm>, AppError> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT definition, answers FROM checkin_form_answers WHERE checkin_id = $1",
    )
    .bind(checkin_id)
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    row.map(|(definition, answers)| {
        Ok(FilledForm {
            definition: serde_json::from_str(&definition).map_err(internal)?,
            answers: key
                .open_json(FORM_ANSWERS, checkin_id, &answers)
                .map_err(internal)?,
        })
    })
    .transpose()
}

/// Where a check-in's photos go: short-lived URLs for a page, or nowhere (an export names its
/// files itself, from [`photo_files`]).
#[derive(Clone, Copy)]
enum PhotoLinks<'a> {
    Signed(&'a Storage, Duration),
    Omitted,
}

/// One check-in of this client (ids already proven by the caller).
async fn load_detail(
    db: &Db,
    links: PhotoLinks<'_>,
    scope: &impl ClientScope,
    checkin_id: &str,
    units: Units,
) -> Result<CheckinDetail, AppError> {
    let key = keys::client(db, scope.client_id()).await?;
    let row = sqlx::query(
        "SELECT id, submitted_at, feedback, reply, replied_at, reviewed_at, sealed_values \
         FROM checkins WHERE id = $1 AND client_id = $2 AND coach_id = $3",
    )
    .bind(checkin_id)
    .bind(scope.client_id())
    .bind(scope.coach_id())
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?
    .ok_or(AppError::NotFound)?;
    Ok(CheckinDetail {
        id: row.try_get("id").map_err(internal)?,
        submitted_at: row.try_get("submitted_at").map_err(internal)?,
        values: values_from_row(&row, &key)?,
        feedback: key
            .open(
                FEEDBACK,
                checkin_id,
                &row.try_get::<String, _>("feedback").map_err(internal)?,
            )
            .map_err(internal)?,
        reply: key
            .open_opt(
                REPLY,
                checkin_id,
                row.try_get::<Option<String>, _>("reply")
                    .map_err(internal)?
                    .as_deref(),
            )
            .map_err(internal)?,
        replied_at: row.try_get("replied_at").map_err(internal)?,
        reviewed_at: row.try_get("reviewed_at").map_err(internal)?,
        photos: match links {
            PhotoLinks::Signed(storage, ttl) => photos(db, storage, ttl, checkin_id).await?,
            PhotoLinks::Omitted => Vec::new(),
        },
        units,
        form: form_answers(db, &key, checkin_id).await?,
    })
}

/// One check-in with its photos' short-lived URLs, for its coach or its client.
pub async fn detail(
    db: &Db,
    storage: &Storage,
    ttl: Duration,
    checkin: &impl CheckinScope,
) -> Result<CheckinDetail, AppError> {
    let units = units(db, checkin).await?;
    let links = PhotoLinks::Signed(storage, ttl);
    load_detail(db, links, checkin, checkin.checkin_id(), units).await
}

/// Check-ins one data export holds at most (years of weekly check-ins, many times over): the
/// export stays bounded, and says when it stopped short.
pub const EXPORT_CHECKINS_MAX: i64 = 5_000;

/// The client's newest check-ins (at most [`EXPORT_CHECKINS_MAX`]), oldest first, without photo
/// links, and whether older ones were left out: for the client's data export, which adds the
/// photos as files. Not capped at the lists' 200, as an export is meant to be all of it. A
/// check-in deleted while this runs is left out.
pub async fn all_for_export(
    db: &Db,
    me: &impl ClientScope,
) -> Result<(Vec<CheckinDetail>, bool), AppError> {
    let mut ids: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM checkins WHERE client_id = $1 AND coach_id = $2 \
         ORDER BY submitted_at DESC, id DESC LIMIT $3",
    )
    .bind(me.client_id())
    .bind(me.coach_id())
    .bind(EXPORT_CHECKINS_MAX + 1)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let truncated = ids.len() as i64 > EXPORT_CHECKINS_MAX;
    ids.truncate(EXPORT_CHECKINS_MAX as usize);
    ids.reverse();
    let units = units(db, me).await?;
    let mut checkins = Vec::with_capacity(ids.len());
    for (id,) in ids {
        match load_detail(db, PhotoLinks::Omitted, me, &id, units).await {
            Ok(detail) => checkins.push(detail),
            Err(AppError::NotFound) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok((checkins, truncated))
}

/// The check-in beside the client's previous one, for the coach's review.
pub async fn review(
    db: &Db,
    storage: &Storage,
    ttl: Duration,
    checkin: &OwnedCheckin,
) -> Result<CheckinReview, AppError> {
    let units = units(db, checkin).await?;
    let links = PhotoLinks::Signed(storage, ttl);
    let current = load_detail(db, links, checkin, checkin.checkin_id(), units).await?;
    let previous_id: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM checkins WHERE client_id = $1 AND coach_id = $2 \
         AND (submitted_at < $3 OR (submitted_at = $3 AND id < $4)) \
         ORDER BY submitted_at DESC, id DESC LIMIT 1",
    )
    .bind(checkin.client_id())
    .bind(checkin.coach_id())
    .bind(current.submitted_at)
    .bind(checkin.checkin_id())
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    let previous = match previous_id {
        Some((id,)) => Some(load_detail(db, links, checkin, &id, units).await?),
        None => None,
    };
    let (client_name,): (String,) =
        sqlx::query_as("SELECT name FROM clients WHERE id = $1 AND coach_id = $2")
            .bind(checkin.client_id())
            .bind(checkin.coach_id())
            .fetch_one(db.reader())
            .await
            .map_err(internal)?;
    Ok(CheckinReview {
        client_id: checkin.client_id().to_owned(),
        client_name,
        current,
        previous,
    })
}

/// Who a check-in export is from and about.
pub struct ExportHeader {
    /// The coach's brand name, or their name when they have none.
    pub brand: String,
    pub client_name: String,
}

impl ExportHeader {
    /// From the coach's name and brand name (empty when none) and the client's name.
    pub fn new(coach_name: String, brand_name: String, client_name: String) -> Self {
        Self {
            brand: if brand_name.is_empty() {
                coach_name
            } else {
                brand_name
            },
            client_name,
        }
    }
}

pub async fn export_header(db: &Db, scope: &impl ClientScope) -> Result<ExportHeader, AppError> {
    let (client_name, coach_name, brand_name): (String, String, String) = sqlx::query_as(
        "SELECT k.name, u.name, c.brand_name FROM clients k \
         JOIN coaches c ON c.user_id = k.coach_id JOIN users u ON u.id = c.user_id \
         WHERE k.id = $1 AND k.coach_id = $2",
    )
    .bind(scope.client_id())
    .bind(scope.coach_id())
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?
    .ok_or(AppError::NotFound)?;
    Ok(ExportHeader::new(coach_name, brand_name, client_name))
}

/// How many check-ins wait for review in the workspace (one indexed count, cheap enough for
/// every page's navigation).
pub async fn waiting_count(db: &Db, workspace: &OwnedWorkspace) -> Result<i64, AppError> {
    let (total,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM checkins WHERE coach_id = $1 AND reviewed_at IS NULL")
            .bind(workspace.coach_id())
            .fetch_one(db.reader())
            .await
            .map_err(internal)?;
    Ok(total)
}

/// Check-ins waiting for review across all the coach's clients, newest first.
pub async fn inbox(db: &Db, workspace: &OwnedWorkspace, page: i64) -> Result<InboxPage, AppError> {
    let total = waiting_count(db, workspace).await?;
    let last_page = ((total + INBOX_PER_PAGE - 1) / INBOX_PER_PAGE).max(1);
    let page = page.clamp(1, last_page);
    let rows: Vec<(String, String, String, i64, String, i64)> = sqlx::query_as(
        "SELECT c.id, c.client_id, k.name, c.submitted_at, c.feedback, \
         (SELECT COUNT(*) FROM checkin_photos p WHERE p.checkin_id = c.id) \
         FROM checkins c JOIN clients k ON k.id = c.client_id \
         WHERE c.coach_id = $1 AND c.reviewed_at IS NULL \
         ORDER BY c.submitted_at DESC, c.id LIMIT $2 OFFSET $3",
    )
    .bind(workspace.coach_id())
    .bind(INBOX_PER_PAGE)
    .bind((page - 1) * INBOX_PER_PAGE)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let items = inbox_items(db, rows).await?;
    Ok(InboxPage {
        items,
        total,
        page,
        per_page: INBOX_PER_PAGE,
    })
}

/// An inbox query's rows (id, client, name, submitted, sealed feedback, photo count) as items.
async fn inbox_items(
    db: &Db,
    rows: Vec<(String, String, String, i64, String, i64)>,
) -> Result<Vec<InboxItem>, AppError> {
    let mut items = Vec::with_capacity(rows.len());
    for (checkin_id, client_id, client_name, submitted_at, feedback, photos) in rows {
        let key = keys::client(db, &client_id).await?;
        let feedback = key
            .open(FEEDBACK, &checkin_id, &feedback)
            .map_err(internal)?;
        items.push(InboxItem {
            feedback_preview: preview(&feedback),
            checkin_id,
            client_id,
            client_name,
            submitted_at,
            photo_count: photos as u32,
        });
    }
    Ok(items)
}

/// The check-ins waiting longest for review (oldest first, one inbox page), of clients with AI
/// on: what a connected AI tool is shown as needing the coach (`server::mcp`).
pub async fn waiting_longest_ai_visible(
    db: &Db,
    workspace: &OwnedWorkspace,
) -> Result<Vec<InboxItem>, AppError> {
    let rows: Vec<(String, String, String, i64, String, i64)> = sqlx::query_as(
        "SELECT c.id, c.client_id, k.name, c.submitted_at, c.feedback, \
         (SELECT COUNT(*) FROM checkin_photos p WHERE p.checkin_id = c.id) \
         FROM checkins c JOIN clients k ON k.id = c.client_id \
         WHERE c.coach_id = $1 AND c.reviewed_at IS NULL AND k.ai_enabled = 1 \
         ORDER BY c.submitted_at, c.id LIMIT $2",
    )
    .bind(workspace.coach_id())
    .bind(INBOX_PER_PAGE)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    inbox_items(db, rows).await
}

fn preview(text: &str) -> String {
    const MAX: usize = 140;
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() > MAX || text.lines().nth(1).is_some() {
        let cut: String = line.chars().take(MAX).collect();
        format!("{}…", cut.trim_end())
    } else {
        line.to_owned()
    }
}

/// Saves the coach's reply (empty clears it) and marks the check-in reviewed.
pub async fn set_review(db: &Db, checkin: &OwnedCheckin, reply: &LongText) -> Result<(), AppError> {
    let now = now_millis();
    let key = keys::writable(keys::client(db, checkin.client_id()).await?)?;
    let reply =
        (!reply.as_str().is_empty()).then(|| key.seal(REPLY, checkin.checkin_id(), reply.as_str()));
    let result = sqlx::query(
        "UPDATE checkins SET replied_at = $1, reviewed_at = $2, reply = $3 \
         WHERE id = $4 AND coach_id = $5",
    )
    .bind(reply.is_some().then_some(now))
    .bind(now)
    .bind(reply)
    .bind(checkin.checkin_id())
    .bind(checkin.coach_id())
    .execute(db.writer())
    .await
    .map_err(internal)?;
    expect_one(result)
}

/// Deletes the check-in and its photo rows, queueing the photo objects for deletion in the same
/// transaction (see `object_deletions`). Returns the queued keys.
pub async fn delete(db: &Db, checkin: &OwnedCheckin) -> Result<Vec<ObjectKey>, AppError> {
    let mut tx = db.begin().await?;
    let keys = object_deletions::queue_for_checkin(&mut tx, checkin.checkin_id()).await?;
    let result = sqlx::query("DELETE FROM checkins WHERE id = $1 AND coach_id = $2")
        .bind(checkin.checkin_id())
        .bind(checkin.coach_id())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    expect_one(result)?;
    tx.commit().await.map_err(internal)?;
    Ok(keys)
}

/// The client's latest value of `metric` and when it was sent (the portal's "Weight").
pub async fn latest(
    db: &Db,
    scope: &impl ClientScope,
    metric: Metric,
) -> Result<Option<Point>, AppError> {
    value_of(db, scope.client_id(), metric, None).await
}

/// The client's latest (or, with `earliest_after`, first since then) value of `metric`. Values
/// are sealed, so the check-ins are opened in order until one has it (at most [`SERIES_CAP`] of
/// them, as for the progress series).
///
/// [`SERIES_CAP`]: super::SERIES_CAP
pub(crate) async fn value_of(
    db: &Db,
    client_id: &str,
    metric: Metric,
    earliest_after: Option<i64>,
) -> Result<Option<Point>, AppError> {
    let (filter, order) = match earliest_after {
        Some(_) => ("AND submitted_at >= $3", "ASC"),
        None => ("", "DESC"),
    };
    let sql = format!(
        "SELECT id, submitted_at, sealed_values FROM checkins WHERE client_id = $1 {filter} \
         ORDER BY submitted_at {order}, id {order} LIMIT $2"
    );
    let mut query = sqlx::query(&sql).bind(client_id).bind(super::SERIES_CAP);
    if let Some(after) = earliest_after {
        query = query.bind(after);
    }
    let rows = query.fetch_all(db.reader()).await.map_err(internal)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let key = keys::client(db, client_id).await?;
    for row in &rows {
        if let Some(value) = values_from_row(row, &key)?.get(&metric) {
            let at: i64 = row.try_get("submitted_at").map_err(internal)?;
            return Ok(Some(Point { at, value: *value }));
        }
    }
    Ok(None)
}

/// Every metric over time and the check-ins that have photos, for one client.
pub async fn progress(db: &Db, scope: &impl ClientScope) -> Result<Progress, AppError> {
    let units = units(db, scope).await?;
    let key = keys::client(db, scope.client_id()).await?;
    // The newest check-ins, put back in time order.
    let rows = sqlx::query(
        "SELECT * FROM (SELECT id, submitted_at, sealed_values FROM checkins \
         WHERE client_id = $1 AND coach_id = $2 ORDER BY submitted_at DESC, id DESC LIMIT $3) \
         recent ORDER BY submitted_at, id",
    )
    .bind(scope.client_id())
    .bind(scope.coach_id())
    .bind(super::SERIES_CAP)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let mut points: BTreeMap<Metric, Vec<Point>> = BTreeMap::new();
    for row in &rows {
        let at: i64 = row.try_get("submitted_at").map_err(internal)?;
        for (metric, value) in values_from_row(row, &key)? {
            points.entry(metric).or_default().push(Point { at, value });
        }
    }
    let series = Metric::ALL
        .into_iter()
        .filter_map(|metric| {
            points
                .remove(&metric)
                .map(|points| Series { metric, points })
        })
        .collect();

    let photo_rows: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT * FROM (SELECT c.id, c.submitted_at, p.slot FROM checkin_photos p \
         JOIN checkins c ON c.id = p.checkin_id \
         WHERE p.client_id = $1 AND p.coach_id = $2 \
         ORDER BY c.submitted_at DESC, c.id DESC LIMIT $3) recent ORDER BY submitted_at, id",
    )
    .bind(scope.client_id())
    .bind(scope.coach_id())
    .bind(super::SERIES_CAP * PhotoSlot::ALL.len() as i64)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let mut photo_checkins: Vec<PhotoCheckin> = Vec::new();
    for (checkin_id, submitted_at, slot) in photo_rows {
        let Some(slot) = PhotoSlot::parse(&slot) else {
            continue;
        };
        match photo_checkins.last_mut() {
            Some(last) if last.checkin_id == checkin_id => last.slots.push(slot),
            _ => photo_checkins.push(PhotoCheckin {
                checkin_id,
                submitted_at,
                slots: vec![slot],
            }),
        }
    }
    for entry in &mut photo_checkins {
        entry.slots.sort();
    }
    Ok(Progress {
        units,
        series,
        photo_checkins,
    })
}

#[cfg(test)]
mod tests {
    use super::preview;

    #[test]
    fn previews_are_one_short_line() {
        assert_eq!(preview("Good week"), "Good week");
        assert_eq!(preview("Line one\nline two"), "Line one…");
        assert_eq!(preview(&"a".repeat(200)).chars().count(), 141);
    }
}
