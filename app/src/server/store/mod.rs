//! SQL store. Functions that read or change workspace data take an ownership proof from
//! [`super::authz`]; only account plumbing (sign-up, login, sessions) works on raw ids.

pub mod ai;
pub mod checkins;
pub mod clients;
pub mod coaches;
pub mod forms;
pub mod goals;
pub mod invites;
pub mod notes;
pub mod object_deletions;
pub mod plans;
pub mod secrets;
pub mod sessions;
pub mod users;

use super::authz::{ItemKind, OwnedItem};
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
