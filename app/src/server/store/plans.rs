//! Meal and workout plans, one table for both kinds. Templates have no client; a client's plan is
//! an independent copy. Each client has at most one active plan of each kind: the one the portal
//! shows.

use crate::domain::{PlanDoc, PlanKind, PlanSummary};
use crate::server::authz::{OwnedClient, OwnedPlan, OwnedWorkspace, PlanScope};
use crate::server::crypto::{DataKey, Field};
use crate::server::db::{expect_one, Db};
use crate::server::store::keys;
use crate::server::{internal, new_id, now_millis};
use crate::AppError;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

const SUMMARY_COLUMNS: &str =
    "p.id, p.name, p.client_id, p.active, p.updated_at, t.name AS template_name";
const FROM_PLANS: &str = "FROM plans p LEFT JOIN plans t ON t.id = p.template_id";

fn summary(row: &AnyRow) -> Result<PlanSummary, AppError> {
    Ok(PlanSummary {
        id: row.try_get("id").map_err(internal)?,
        name: row.try_get("name").map_err(internal)?,
        client_id: row.try_get("client_id").map_err(internal)?,
        active: row.try_get::<i64, _>("active").map_err(internal)? == 1,
        template_name: row.try_get("template_name").map_err(internal)?,
        updated_at: row.try_get("updated_at").map_err(internal)?,
    })
}

/// A plan's body (JSON), sealed with its client's key, or the workspace's for a template.
pub(crate) const BODY: Field = Field::new("plans", "body");

pub(super) fn to_json<K: PlanKind>(body: &K::Body) -> Result<String, AppError> {
    serde_json::to_string(body).map_err(internal)
}

/// The key of a plan's holder: its client's, or the workspace's for a template.
async fn key_for(
    db: &Db,
    workspace: &OwnedWorkspace,
    client: Option<&OwnedClient>,
) -> Result<std::sync::Arc<DataKey>, AppError> {
    keys::client_or_workspace(db, workspace.coach_id(), client.map(|c| c.client_id())).await
}

/// The workspace's templates of kind `K` (`client` = `None`), or one client's plans, active
/// first, then the most recently changed.
pub async fn list<K: PlanKind>(
    db: &Db,
    workspace: &OwnedWorkspace,
    client: Option<&OwnedClient>,
) -> Result<Vec<PlanSummary>, AppError> {
    let client_filter = if client.is_some() {
        "p.client_id = $3"
    } else {
        "p.client_id IS NULL"
    };
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} {FROM_PLANS} WHERE p.coach_id = $1 AND p.kind = $2 AND \
         {client_filter} ORDER BY p.active DESC, p.updated_at DESC, p.id LIMIT {}",
        super::LIST_CAP
    );
    let mut query = sqlx::query(&sql).bind(workspace.coach_id()).bind(K::KEY);
    if let Some(client) = client {
        query = query.bind(client.client_id());
    }
    let rows = query.fetch_all(db.reader()).await.map_err(internal)?;
    rows.iter().map(summary).collect()
}

/// True when the client has an active plan of kind `K`.
async fn has_active<K: PlanKind>(
    tx: &mut Transaction<'static, Any>,
    client_id: &str,
) -> Result<bool, AppError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT id FROM plans WHERE client_id = $1 AND kind = $2 AND active = 1")
            .bind(client_id)
            .bind(K::KEY)
            .fetch_optional(&mut **tx)
            .await
            .map_err(internal)?;
    Ok(row.is_some())
}

/// A plan to insert. `client_id` is one of the workspace's clients (a proof's, or one the caller
/// made in the same transaction: an import), or `None` for a template.
pub(super) struct NewPlan<'a> {
    pub client_id: Option<&'a str>,
    /// False keeps it inactive even as the client's first plan of its kind.
    pub may_be_active: bool,
    pub name: &'a str,
    pub body_json: &'a str,
    pub template_id: Option<&'a str>,
}

/// Inserts a plan. A client's first plan of a kind becomes their active one (unless
/// `may_be_active` is false); later ones wait until the coach activates them, so a client never
/// sees a plan still being written.
pub(super) async fn insert<K: PlanKind>(
    tx: &mut Transaction<'static, Any>,
    key: &DataKey,
    workspace: &OwnedWorkspace,
    plan: &NewPlan<'_>,
) -> Result<String, AppError> {
    let active = match plan.client_id {
        Some(client_id) if plan.may_be_active => !has_active::<K>(tx, client_id).await?,
        _ => false,
    };
    let id = new_id();
    let now = now_millis();
    sqlx::query(
        "INSERT INTO plans (id, coach_id, client_id, kind, name, body, active, template_id, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&id)
    .bind(workspace.coach_id())
    .bind(plan.client_id)
    .bind(K::KEY)
    .bind(plan.name)
    .bind(key.seal(BODY, &id, plan.body_json))
    .bind(i64::from(active))
    .bind(plan.template_id)
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(id)
}

/// A new plan: a template (`client` = `None`) or a plan for one client.
pub async fn create<K: PlanKind>(
    db: &Db,
    workspace: &OwnedWorkspace,
    client: Option<&OwnedClient>,
    name: &str,
    body: &K::Body,
) -> Result<String, AppError> {
    let json = to_json::<K>(body)?;
    let key = keys::writable(key_for(db, workspace, client).await?)?;
    let mut tx = db.begin().await?;
    let plan = NewPlan {
        client_id: client.map(|c| c.client_id()),
        may_be_active: true,
        name,
        body_json: &json,
        template_id: None,
    };
    let id = insert::<K>(&mut tx, &key, workspace, &plan).await?;
    tx.commit().await.map_err(internal)?;
    Ok(id)
}

/// Copies a plan (usually a template) to a client as a new, independent plan.
pub async fn copy_to_client<K: PlanKind>(
    db: &Db,
    workspace: &OwnedWorkspace,
    source: &OwnedPlan<K>,
    client: &OwnedClient,
) -> Result<String, AppError> {
    let source_key = keys::for_item(db, "plans", source.plan_id(), source.coach_id()).await?;
    let key = keys::writable(keys::client(db, client.client_id()).await?)?;
    let mut tx = db.begin().await?;
    let (name, body, template_id): (String, String, Option<String>) = sqlx::query_as(
        "SELECT name, body, template_id FROM plans WHERE id = $1 AND coach_id = $2 AND kind = $3",
    )
    .bind(source.plan_id())
    .bind(source.coach_id())
    .bind(K::KEY)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?
    .ok_or(AppError::NotFound)?;
    if source_key.is_erased() {
        // An erased client's plan is gone: there is nothing to copy.
        return Err(AppError::NotFound);
    }
    let body = source_key
        .open(BODY, source.plan_id(), &body)
        .map_err(internal)?;
    // A copy of a copy still names the template it all came from.
    let template = template_id.unwrap_or_else(|| source.plan_id().to_owned());
    let plan = NewPlan {
        client_id: Some(client.client_id()),
        may_be_active: true,
        name: &name,
        body_json: &body,
        template_id: Some(&template),
    };
    let id = insert::<K>(&mut tx, &key, workspace, &plan).await?;
    tx.commit().await.map_err(internal)?;
    Ok(id)
}

/// One plan with its body, for whoever holds a proof of it.
pub async fn get<K: PlanKind>(
    db: &Db,
    plan: &impl PlanScope<K>,
) -> Result<PlanDoc<K::Body>, AppError> {
    let (column, holder) = plan.holder();
    // `column` comes from the proof type, never from input.
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, p.coach_id, p.body, k.name AS client_name, u.name AS coach_name, \
         c.brand_name {FROM_PLANS} \
         JOIN coaches c ON c.user_id = p.coach_id JOIN users u ON u.id = c.user_id \
         LEFT JOIN clients k ON k.id = p.client_id \
         WHERE p.id = $1 AND p.kind = $2 AND p.{column} = $3"
    );
    let row = sqlx::query(&sql)
        .bind(plan.plan_id())
        .bind(K::KEY)
        .bind(holder)
        .fetch_optional(db.reader())
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let body: String = row.try_get("body").map_err(internal)?;
    let coach_id: String = row.try_get("coach_id").map_err(internal)?;
    let client_id: Option<String> = row.try_get("client_id").map_err(internal)?;
    let key = keys::client_or_workspace(db, &coach_id, client_id.as_deref()).await?;
    let body = key
        .open_json(BODY, plan.plan_id(), &body)
        .map_err(internal)?;
    let brand: String = row.try_get("brand_name").map_err(internal)?;
    let mut summary = summary(&row)?;
    if column != "coach_id" {
        // Which template a plan came from is the coach's own bookkeeping: its name (often
        // something like "Cut, low budget") never reaches the client.
        summary.template_name = None;
    }
    Ok(PlanDoc {
        summary,
        brand: if brand.is_empty() {
            row.try_get("coach_name").map_err(internal)?
        } else {
            brand
        },
        client_name: row.try_get("client_name").map_err(internal)?,
        body,
    })
}

/// Replaces a plan's name and body. Copies made from it earlier are separate rows and keep theirs.
pub async fn save<K: PlanKind>(
    db: &Db,
    plan: &OwnedPlan<K>,
    name: &str,
    body: &K::Body,
) -> Result<(), AppError> {
    let key = keys::writable(keys::for_item(db, "plans", plan.plan_id(), plan.coach_id()).await?)?;
    let result = sqlx::query(
        "UPDATE plans SET name = $1, body = $2, updated_at = $3 \
         WHERE id = $4 AND coach_id = $5 AND kind = $6",
    )
    .bind(name)
    .bind(key.seal(BODY, plan.plan_id(), &to_json::<K>(body)?))
    .bind(now_millis())
    .bind(plan.plan_id())
    .bind(plan.coach_id())
    .bind(K::KEY)
    .execute(db.writer())
    .await
    .map_err(internal)?;
    expect_one(result)
}

/// Makes a client's plan their active one (deactivating the previous), or deactivates it.
pub async fn set_active<K: PlanKind>(
    db: &Db,
    plan: &OwnedPlan<K>,
    active: bool,
) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let (client_id,): (Option<String>,) =
        sqlx::query_as("SELECT client_id FROM plans WHERE id = $1 AND coach_id = $2 AND kind = $3")
            .bind(plan.plan_id())
            .bind(plan.coach_id())
            .bind(K::KEY)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?
            .ok_or(AppError::NotFound)?;
    let Some(client_id) = client_id else {
        return Err(AppError::invalid(
            "A template is not shown to anyone; copy it to a client first.",
        ));
    };
    if active {
        sqlx::query(
            "UPDATE plans SET active = 0 WHERE client_id = $1 AND kind = $2 AND active = 1",
        )
        .bind(&client_id)
        .bind(K::KEY)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    }
    sqlx::query("UPDATE plans SET active = $1, updated_at = $2 WHERE id = $3 AND coach_id = $4")
        .bind(i64::from(active))
        .bind(now_millis())
        .bind(plan.plan_id())
        .bind(plan.coach_id())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    tx.commit().await.map_err(internal)
}

pub async fn delete<K: PlanKind>(db: &Db, plan: &OwnedPlan<K>) -> Result<(), AppError> {
    let result = sqlx::query("DELETE FROM plans WHERE id = $1 AND coach_id = $2 AND kind = $3")
        .bind(plan.plan_id())
        .bind(plan.coach_id())
        .bind(K::KEY)
        .execute(db.writer())
        .await
        .map_err(internal)?;
    expect_one(result)
}
