//! A coach's profile and workspace settings.

use crate::domain::{BrandName, CoachProfile, PersonName, Timezone, Units};
use crate::server::authz::{InWorkspace, OwnedWorkspace};
use crate::server::db::{expect_one, Db};
use crate::server::internal;
use crate::AppError;
use sqlx::{Any, Transaction};

/// Creates the workspace row for a new coach, inside the sign-up transaction: in the time zone
/// their browser told at sign-up, else UTC until they set one.
pub async fn create_workspace(
    tx: &mut Transaction<'static, Any>,
    coach_user_id: &str,
    timezone: Option<&Timezone>,
) -> Result<(), AppError> {
    sqlx::query("INSERT INTO coaches (user_id, timezone) VALUES ($1, $2)")
        .bind(coach_user_id)
        .bind(timezone.map_or("UTC", Timezone::as_str))
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    Ok(())
}

pub async fn profile(db: &Db, workspace: &OwnedWorkspace) -> Result<CoachProfile, AppError> {
    let row: Option<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT u.name, u.email, c.brand_name, c.units, c.timezone \
         FROM coaches c JOIN users u ON u.id = c.user_id WHERE c.user_id = $1",
    )
    .bind(workspace.coach_id())
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    let (name, email, brand_name, units, timezone) = row.ok_or(AppError::NotFound)?;
    Ok(CoachProfile {
        name,
        email,
        brand_name,
        units: Units::parse(&units).map_err(internal)?,
        timezone,
    })
}

/// The workspace's time zone (an IANA name), in which the coach reads and types times.
pub async fn timezone(db: &Db, scope: &impl InWorkspace) -> Result<String, AppError> {
    let (zone,): (String,) = sqlx::query_as("SELECT timezone FROM coaches WHERE user_id = $1")
        .bind(scope.workspace_coach_id())
        .fetch_optional(db.reader())
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    Ok(zone)
}

/// The parsed fields of a profile update.
pub struct ProfileUpdate {
    pub name: PersonName,
    pub brand_name: BrandName,
    pub units: Units,
    pub timezone: Timezone,
}

/// Updates the account and workspace rows together, or neither.
pub async fn update_profile(
    db: &Db,
    workspace: &OwnedWorkspace,
    update: &ProfileUpdate,
) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let result = sqlx::query("UPDATE users SET name = $1 WHERE id = $2")
        .bind(update.name.as_str())
        .bind(workspace.coach_id())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    expect_one(result)?;
    let result = sqlx::query(
        "UPDATE coaches SET brand_name = $1, units = $2, timezone = $3 WHERE user_id = $4",
    )
    .bind(update.brand_name.as_str())
    .bind(update.units.as_str())
    .bind(update.timezone.as_str())
    .bind(workspace.coach_id())
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    expect_one(result)?;
    tx.commit().await.map_err(internal)
}

/// The coach's name and brand, as the coach's client sees them.
pub async fn public_brand(
    db: &Db,
    client: &crate::server::authz::ClientSelf,
) -> Result<(String, String), AppError> {
    sqlx::query_as("SELECT u.name, c.brand_name FROM coaches c JOIN users u ON u.id = c.user_id WHERE c.user_id = $1")
        .bind(client.coach_id())
        .fetch_optional(db.reader())
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)
}
