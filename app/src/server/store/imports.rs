//! Importing a parsed package (`server::fcds_import`) into a workspace: one transaction for all
//! of it, so an import that fails anywhere (a taken email, say) leaves nothing behind.
//!
//! Every record imported is remembered under its source key (`<platform>/<package id>`) in
//! `imported_records` (migration 0017): importing the same package again finds it and adds
//! nothing. A record whose copy was deleted since is imported again. Our own export's ids name
//! our rows, so a Coachroom package imported into the workspace it came from finds those too.
//!
//! A dry run does exactly the same, then rolls back: its counts are what the import would do,
//! refusals included.

use super::{checkins, clients, forms, keys, plans};
use crate::domain::{
    AccessAction, ActorKind, ImportReport, ImportTally, MealPlanKind, PlanKind, WorkoutPlanKind,
};
use crate::server::authz::OwnedWorkspace;
use crate::server::crypto::DataKey;
use crate::server::db::Db;
use crate::server::fcds_import::{ImportPackage, ImportPlan, ImportSettings};
use crate::server::store::access_log::{self, Access, Logged};
use crate::server::{internal, new_id, now_millis};
use crate::AppError;
use sqlx::{Any, Transaction};
use std::sync::Arc;

/// What an imported record became, and where that lives.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Client,
    Checkin,
    GivenForm,
    LibraryForm,
    Plan,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Checkin => "checkin",
            Self::GivenForm => "given_form",
            Self::LibraryForm => "library_form",
            Self::Plan => "plan",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Self::Client => "clients",
            Self::Checkin => "checkins",
            Self::GivenForm => "form_assignments",
            Self::LibraryForm => "forms",
            Self::Plan => "plans",
        }
    }

    /// The id prefixes our own FCDS export gives rows of this kind (`fcds::fcds_id`).
    fn our_prefixes(self) -> &'static [&'static str] {
        match self {
            Self::Client => &["client:"],
            Self::Checkin => &["check_in:"],
            Self::GivenForm => &["assignment:"],
            Self::LibraryForm => &[],
            // A template by its own id, a client's plan by its assignment's.
            Self::Plan => &[
                "meal_plan:",
                "workout_plan:",
                "assignment:meal-plan-",
                "assignment:workout-plan-",
            ],
        }
    }
}

/// True when the workspace has a row `id` in the kind's table.
async fn row_exists(
    tx: &mut Transaction<'static, Any>,
    kind: Kind,
    coach_id: &str,
    id: &str,
) -> Result<bool, AppError> {
    let sql = format!(
        "SELECT id FROM {} WHERE id = $1 AND coach_id = $2",
        kind.table()
    );
    let row: Option<(String,)> = sqlx::query_as(&sql)
        .bind(id)
        .bind(coach_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(internal)?;
    Ok(row.is_some())
}

/// The workspace's copy of a package record, if it has one.
async fn existing(
    tx: &mut Transaction<'static, Any>,
    kind: Kind,
    coach_id: &str,
    source_key: &str,
) -> Result<Option<String>, AppError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT local_id FROM imported_records WHERE coach_id = $1 AND source_key = $2",
    )
    .bind(coach_id)
    .bind(source_key)
    .fetch_optional(&mut **tx)
    .await
    .map_err(internal)?;
    if let Some((local_id,)) = row {
        if row_exists(tx, kind, coach_id, &local_id).await? {
            return Ok(Some(local_id));
        }
    }
    let ours = source_key.strip_prefix("coachroom/").and_then(|id| {
        kind.our_prefixes()
            .iter()
            .find_map(|prefix| id.strip_prefix(prefix))
    });
    if let Some(id) = ours {
        if row_exists(tx, kind, coach_id, id).await? {
            return Ok(Some(id.to_owned()));
        }
    }
    Ok(None)
}

/// Remembers what a package record became.
async fn remember(
    tx: &mut Transaction<'static, Any>,
    kind: Kind,
    coach_id: &str,
    source_key: &str,
    local_id: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO imported_records (coach_id, source_key, kind, local_id, imported_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (coach_id, source_key) DO UPDATE \
         SET kind = excluded.kind, local_id = excluded.local_id, imported_at = excluded.imported_at",
    )
    .bind(coach_id)
    .bind(source_key)
    .bind(kind.key())
    .bind(local_id)
    .bind(now_millis())
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(())
}

/// Whether the workspace has a package record already (`existing`); counted in `tally` if so.
async fn already_imported(
    tx: &mut Transaction<'static, Any>,
    kind: Kind,
    (coach_id, source_key): (&str, &str),
    tally: &mut ImportTally,
) -> Result<bool, AppError> {
    let found = existing(tx, kind, coach_id, source_key).await?.is_some();
    if found {
        tally.existing += 1;
    }
    Ok(found)
}

/// Remembers what a package record became (`local_id`, just made), and counts it as new.
async fn imported(
    tx: &mut Transaction<'static, Any>,
    kind: Kind,
    (coach_id, source_key): (&str, &str),
    local_id: &str,
    tally: &mut ImportTally,
) -> Result<(), AppError> {
    remember(tx, kind, coach_id, source_key, local_id).await?;
    tally.new += 1;
    Ok(())
}

/// A refusal about one client, named by the client's place in the package.
fn at_client(path: &str, err: AppError) -> AppError {
    match err {
        AppError::Conflict(message) => AppError::Conflict(format!("{path}/email: {message}")),
        AppError::Invalid(message) => AppError::Invalid(format!("{path}: {message}")),
        other => other,
    }
}

/// One plan of kind `K`, for a client or (`None`) as a template.
async fn import_plan<K: PlanKind>(
    tx: &mut Transaction<'static, Any>,
    workspace: &OwnedWorkspace,
    key: &DataKey,
    client_id: Option<&str>,
    plan: &ImportPlan<K::Body>,
    tally: &mut ImportTally,
) -> Result<(), AppError> {
    let coach_id = workspace.coach_id();
    let source = (coach_id, plan.source_key.as_str());
    if already_imported(tx, Kind::Plan, source, tally).await? {
        return Ok(());
    }
    let body = plans::to_json::<K>(&plan.body)?;
    let new = plans::NewPlan {
        client_id,
        may_be_active: plan.active,
        name: &plan.name,
        body_json: &body,
        template_id: None,
    };
    let id = plans::insert::<K>(tx, key, workspace, &new).await?;
    imported(tx, Kind::Plan, source, &id, tally).await
}

/// A new workspace's settings: no business name, metric, UTC (migration 0001's defaults).
const UNSET: (&str, &str, &str) = ("", "metric", "UTC");

/// Sets the package's workspace settings in a workspace that has none of its own yet (all still
/// as a new account starts), and names those that changed ("business name", "units", "time
/// zone"); a workspace whose coach chose any setting keeps them all. The check is part of the
/// update, so a Settings save racing the import is never overwritten.
async fn apply_settings(
    tx: &mut Transaction<'static, Any>,
    coach_id: &str,
    settings: &ImportSettings,
) -> Result<Vec<String>, AppError> {
    let wanted = (
        settings
            .brand_name
            .as_ref()
            .map_or(UNSET.0, |name| name.as_str()),
        settings.units.map_or(UNSET.1, |units| units.as_str()),
        settings
            .timezone
            .as_ref()
            .map_or(UNSET.2, |zone| zone.as_str()),
    );
    let changed: Vec<String> = [
        (wanted.0 != UNSET.0, "business name"),
        (wanted.1 != UNSET.1, "units"),
        (wanted.2 != UNSET.2, "time zone"),
    ]
    .into_iter()
    .filter(|(differs, _)| *differs)
    .map(|(_, name)| name.to_owned())
    .collect();
    if changed.is_empty() {
        return Ok(changed);
    }
    let result = sqlx::query(
        "UPDATE coaches SET brand_name = $1, units = $2, timezone = $3 \
         WHERE user_id = $4 AND brand_name = $5 AND units = $6 AND timezone = $7",
    )
    .bind(wanted.0)
    .bind(wanted.1)
    .bind(wanted.2)
    .bind(coach_id)
    .bind(UNSET.0)
    .bind(UNSET.1)
    .bind(UNSET.2)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(if result.rows_affected() == 0 {
        Vec::new()
    } else {
        changed
    })
}

/// Imports the package into the workspace, all of it or (on any error) none of it; with
/// `dry_run`, counts and rolls back.
pub async fn import(
    db: &Db,
    workspace: &OwnedWorkspace,
    package: &ImportPackage,
    dry_run: bool,
) -> Result<ImportReport, AppError> {
    let coach_id = workspace.coach_id();
    let mut report = ImportReport {
        dry_run,
        ..ImportReport::default()
    };
    let mut new_keys: Vec<(String, Arc<DataKey>)> = Vec::new();
    // Read before the transaction: the first use makes the workspace's key, through the writer
    // the transaction would be holding.
    let templates = !package.meal_templates.is_empty() || !package.workout_templates.is_empty();
    let workspace_key = if templates {
        Some(keys::writable(keys::workspace(db, coach_id).await?)?)
    } else {
        None
    };
    let mut tx = db.begin().await?;
    report.settings = apply_settings(&mut tx, coach_id, &package.settings).await?;
    for client in &package.clients {
        let (client_id, key) = match existing(&mut tx, Kind::Client, coach_id, &client.source_key)
            .await?
        {
            Some(id) => {
                report.clients.existing += 1;
                let key = keys::writable(keys::client(db, &id).await?)?;
                (id, key)
            }
            None => {
                let profile = &client.profile;
                let (id, key) = clients::insert(db, &mut tx, workspace, profile, client.archived)
                    .await
                    .map_err(|e| at_client(&client.path, e))?;
                let source = (coach_id, client.source_key.as_str());
                imported(&mut tx, Kind::Client, source, &id, &mut report.clients).await?;
                let key = Arc::new(key);
                new_keys.push((id.clone(), key.clone()));
                (id, key)
            }
        };
        for checkin in &client.checkins {
            let (tally, source) = (
                &mut report.checkins,
                (coach_id, checkin.source_key.as_str()),
            );
            if already_imported(&mut tx, Kind::Checkin, source, tally).await? {
                continue;
            }
            let id = new_id();
            let record = &checkin.record;
            let row = checkins::CheckinRow {
                id: &id,
                submitted_at: record.submitted_at,
                // History, not news: an imported check-in does not wait in the inbox.
                reviewed_at: Some(now_millis()),
                feedback: record.feedback.as_str(),
                values: &record.values,
            };
            checkins::insert_row(&mut tx, &key, (coach_id, &client_id), &row).await?;
            imported(&mut tx, Kind::Checkin, source, &id, tally).await?;
        }
        for form in &client.forms {
            let (tally, source) = (&mut report.forms, (coach_id, form.source_key.as_str()));
            if already_imported(&mut tx, Kind::GivenForm, source, tally).await? {
                continue;
            }
            let record = &form.record;
            let given = forms::Given {
                coach_id,
                client_id: &client_id,
                form_id: None,
                definition: &record.definition,
                assigned_at: record.assigned_at,
                answered: record
                    .submitted_at
                    .map(|at| (&record.answers, key.as_ref(), at)),
            };
            let id = forms::insert_given(&mut tx, &given).await?;
            imported(&mut tx, Kind::GivenForm, source, &id, tally).await?;
        }
        for plan in &client.meal_plans {
            let tally = &mut report.plans;
            import_plan::<MealPlanKind>(&mut tx, workspace, &key, Some(&client_id), plan, tally)
                .await?;
        }
        for plan in &client.workout_plans {
            let tally = &mut report.plans;
            import_plan::<WorkoutPlanKind>(&mut tx, workspace, &key, Some(&client_id), plan, tally)
                .await?;
        }
    }
    for form in &package.forms {
        let (tally, source) = (&mut report.forms, (coach_id, form.source_key.as_str()));
        if already_imported(&mut tx, Kind::LibraryForm, source, tally).await? {
            continue;
        }
        let id = forms::insert_library(&mut tx, workspace, &form.record).await?;
        imported(&mut tx, Kind::LibraryForm, source, &id, tally).await?;
    }
    if let Some(key) = workspace_key {
        for plan in &package.meal_templates {
            import_plan::<MealPlanKind>(&mut tx, workspace, &key, None, plan, &mut report.plans)
                .await?;
        }
        for plan in &package.workout_templates {
            let tally = &mut report.plans;
            import_plan::<WorkoutPlanKind>(&mut tx, workspace, &key, None, plan, tally).await?;
        }
    }
    if dry_run {
        tx.rollback().await.map_err(internal)?;
        return Ok(report);
    }
    let detail = match report.settings_list() {
        Some(settings) => format!("{}; settings: {settings}", report.summary()),
        None => report.summary(),
    };
    access_log::append(
        &mut tx,
        &Access {
            coach_id: Some(coach_id),
            object: Some(Logged::Workspace(coach_id).to_string()),
            detail: Some(&detail),
            ..Access::new(
                ActorKind::Coach,
                Some(coach_id),
                AccessAction::WorkspaceImported,
            )
        },
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    for (client_id, key) in new_keys {
        db.keyring().remember(&client_id, key);
    }
    Ok(report)
}
