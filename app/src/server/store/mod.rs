//! SQL store. Functions that read or change workspace data take an ownership proof from
//! [`super::authz`]; only account plumbing (sign-up, login, sessions) works on raw ids.

pub mod access_log;
pub mod ai;
pub mod checkins;
pub mod clients;
pub mod coaches;
pub mod deletion_requests;
pub mod email_links;
pub mod forms;
pub mod goals;
pub mod imports;
pub mod invites;
pub mod keys;
pub mod legal;
pub mod mcp;
pub mod notes;
pub mod oauth;
pub mod object_deletions;
pub mod operators;
pub mod password_resets;
pub mod plans;
pub mod seal_existing;
pub mod secrets;
pub mod seed;
pub mod sessions;
pub mod support;
pub mod today;
pub mod users;

use super::authz::{ItemKind, OwnedItem};

/// The most rows a list that is not paged returns: the newest, or the first in the list's own
/// order (API.md names the order of each). Pages and caps keep every answer bounded.
pub const LIST_CAP: i64 = 200;
/// The most check-ins a progress series covers (the newest; ten years of weekly check-ins).
pub const SERIES_CAP: i64 = 520;
use super::db::{expect_one, Db};
use crate::AppError;

/// Deletes one of the coach's simple items (a note, a to-do, a goal); rows that hang off it go
/// by cascade.
pub async fn delete_item<K: ItemKind>(db: &Db, item: &OwnedItem<K>) -> Result<(), AppError> {
    let sql = format!("DELETE FROM {} WHERE id = $1 AND coach_id = $2", K::TABLE);
    let result = sqlx::query(&sql)
        .bind(item.item_id())
        .bind(item.coach_id())
        .execute(db.writer())
        .await
        .map_err(super::internal)?;
    expect_one(result)
}
