//! Bulk writes for `coachroom seed`: a demo coach made here, their clients and each client's
//! check-in history, sealed with each client's own key exactly as the app seals what it is sent.
//! Nothing here is reachable from a request.

use crate::domain::{ClientInput, Email, MetricValues, PersonName, Role};
use crate::server::authz::OwnedWorkspace;
use crate::server::crypto::DataKey;
use crate::server::db::Db;
use crate::server::internal;
use crate::server::store::checkins::{self, CheckinRow, StoredPhoto};
use crate::server::store::{clients, coaches, users};
use crate::AppError;
use std::sync::Arc;

/// A coach account this process has just made, so no one else can hold it yet; only
/// `authz::made_workspace` turns it into that workspace's [`OwnedWorkspace`].
pub struct MadeCoach {
    coach_id: String,
}

impl MadeCoach {
    pub fn coach_id(&self) -> &str {
        &self.coach_id
    }
}

/// Makes a coach account and its workspace, as sign-up does.
pub async fn make_coach(
    db: &Db,
    email: &Email,
    name: &PersonName,
    password_hash: &str,
) -> Result<MadeCoach, AppError> {
    let mut tx = db.begin().await?;
    let coach_id = users::insert(&mut tx, email, name, Role::Coach, password_hash).await?;
    coaches::create_workspace(&mut tx, &coach_id, None).await?;
    tx.commit().await.map_err(internal)?;
    Ok(MadeCoach { coach_id })
}

/// A client the seed made, the workspace it made them in, and the key their check-ins are
/// sealed with: everything [`add_history`] needs, so a history can only go to its own client.
pub struct SeededClient {
    pub id: String,
    coach_id: String,
    key: Arc<DataKey>,
}

impl SeededClient {
    pub fn coach_id(&self) -> &str {
        &self.coach_id
    }
}

/// Adds `inputs` as clients of the workspace, in one transaction.
pub async fn add_clients(
    db: &Db,
    workspace: &OwnedWorkspace,
    inputs: &[ClientInput],
) -> Result<Vec<SeededClient>, AppError> {
    let mut tx = db.begin().await?;
    let mut made = Vec::with_capacity(inputs.len());
    for input in inputs {
        let (id, key) = clients::insert(db, &mut tx, workspace, input, false).await?;
        made.push((id, Arc::new(key)));
    }
    tx.commit().await.map_err(internal)?;
    Ok(made
        .into_iter()
        .map(|(id, key)| {
            db.keyring().remember(&id, key.clone());
            SeededClient {
                id,
                coach_id: workspace.coach_id().to_owned(),
                key,
            }
        })
        .collect())
}

/// Refreshes the query planner's statistics after a bulk load. Right after a million rows
/// arrive, PostgreSQL still plans for the empty tables it last measured (its own ANALYZE comes
/// minutes later) and scans where it should use an index; SQLite's planner likewise reads what
/// ANALYZE stored.
pub async fn refresh_statistics(db: &Db) -> Result<(), AppError> {
    sqlx::query("ANALYZE")
        .execute(db.writer())
        .await
        .map_err(internal)?;
    Ok(())
}

/// One check-in of a client's history.
pub struct PastCheckin {
    pub id: String,
    pub submitted_at: i64,
    /// Reviewed (out of the inbox) at this time, or still waiting.
    pub reviewed_at: Option<i64>,
    pub feedback: String,
    pub values: MetricValues,
    /// Photos already written to storage under this check-in's keys.
    pub photos: Vec<StoredPhoto>,
}

/// Records `history` for `client`, in one transaction.
pub async fn add_history(
    db: &Db,
    client: &SeededClient,
    history: &[PastCheckin],
) -> Result<(), AppError> {
    let owner = (client.coach_id.as_str(), client.id.as_str());
    let mut tx = db.begin().await?;
    for checkin in history {
        let row = CheckinRow {
            id: &checkin.id,
            submitted_at: checkin.submitted_at,
            reviewed_at: checkin.reviewed_at,
            feedback: &checkin.feedback,
            values: &checkin.values,
        };
        checkins::insert_row(&mut tx, &client.key, owner, &row).await?;
        for photo in &checkin.photos {
            checkins::insert_photo(&mut tx, &checkin.id, owner, photo, checkin.submitted_at)
                .await?;
        }
    }
    tx.commit().await.map_err(internal)?;
    Ok(())
}
