//! Authorization: the only place that turns a principal plus an id into proof of ownership.
//!
//! Store functions that touch a workspace take these proof types, never bare ids. Their fields
//! are private and they have no public constructor, so a store call cannot skip this module.
//! Anything the principal does not own is reported exactly like something that does not exist.

use super::db::Db;
use super::internal;
use super::principal::{ClientPrincipal, CoachPrincipal};
use super::store::access_log::Logged;
use crate::domain::{ObjectId, PlanKind};
use crate::AppError;
use std::marker::PhantomData;

/// Proof that the caller is the coach who owns this workspace.
#[derive(Debug, Clone)]
pub struct OwnedWorkspace {
    coach_id: String,
}

impl OwnedWorkspace {
    pub fn coach_id(&self) -> &str {
        &self.coach_id
    }
}

/// A coach account, as an operator manages it (suspension): the account, never its workspace's
/// content. Only an operator principal makes one; whether the id is a coach is the store's to
/// find (another role, or no one, is not found).
#[derive(Debug, Clone)]
pub struct ManagedCoachAccount {
    coach_id: String,
    operator_id: String,
}

impl ManagedCoachAccount {
    pub fn coach_id(&self) -> &str {
        &self.coach_id
    }

    pub fn operator_id(&self) -> &str {
        &self.operator_id
    }
}

pub fn coach_account(
    operator: &super::principal::OperatorPrincipal,
    coach_id: &str,
) -> Result<ManagedCoachAccount, AppError> {
    let coach_id = crate::domain::ObjectId::parse(coach_id)?;
    Ok(ManagedCoachAccount {
        coach_id: coach_id.as_str().to_owned(),
        operator_id: operator.user_id().to_owned(),
    })
}

/// An approved legal request within its access window, held by an operator: proof that the
/// data in its scope may be exported, and nothing else.
#[derive(Debug, Clone)]
pub struct ApprovedLegalRequest {
    request_id: String,
    coach_id: String,
    scope: crate::domain::LegalScope,
    client_id: Option<String>,
    operator_id: String,
}

impl ApprovedLegalRequest {
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    pub fn coach_id(&self) -> &str {
        &self.coach_id
    }

    pub fn scope(&self) -> crate::domain::LegalScope {
        self.scope
    }

    pub fn operator_id(&self) -> &str {
        &self.operator_id
    }
}

/// The request, if a second operator approved it and its access window is open (409 saying why
/// not, when it exists).
pub async fn approved_legal_request(
    db: &Db,
    operator: &super::principal::OperatorPrincipal,
    request_id: &str,
) -> Result<ApprovedLegalRequest, AppError> {
    let request_id = crate::domain::ObjectId::parse(request_id)?;
    let row = super::store::legal::approved(db, request_id.as_str()).await?;
    Ok(ApprovedLegalRequest {
        request_id: request_id.as_str().to_owned(),
        coach_id: row.coach_id,
        scope: row.scope,
        client_id: row.client_id,
        operator_id: operator.user_id().to_owned(),
    })
}

/// The clients in a legal request's scope, each seen as the client sees themself: a legal
/// export discloses exactly what each client's own export holds, through the same read-only
/// store calls. The export only reads with these (the `user_id` of a client who never joined is
/// empty, and nothing an export reads uses it).
/// The second value is true when the scope held more clients than one export takes.
pub async fn disclosed_clients(
    db: &Db,
    request: &ApprovedLegalRequest,
) -> Result<(Vec<ClientSelf>, bool), AppError> {
    let mut clients = super::store::legal::clients_in_scope(
        db,
        &request.coach_id,
        request.scope,
        request.client_id.as_deref(),
    )
    .await?;
    let max = super::store::legal::CLIENTS_IN_SCOPE_MAX as usize;
    let truncated = clients.len() > max;
    clients.truncate(max);
    let clients = clients
        .into_iter()
        .map(|(client_id, user_id)| ClientSelf {
            coach_id: request.coach_id.clone(),
            client_id,
            user_id: user_id.unwrap_or_default(),
        })
        .collect();
    Ok((clients, truncated))
}

/// The coach's own workspace; a coach's workspace id is their user id.
pub fn own_workspace(coach: &CoachPrincipal) -> OwnedWorkspace {
    OwnedWorkspace {
        coach_id: coach.user_id().to_owned(),
    }
}

/// The workspace of a coach account this process has just made (`coachroom seed`), which no
/// one else can hold yet.
pub fn made_workspace(made: &super::store::seed::MadeCoach) -> OwnedWorkspace {
    OwnedWorkspace {
        coach_id: made.coach_id().to_owned(),
    }
}

/// A workspace named by id: granted only to its coach. Anyone else gets the same not-found as
/// for an id that does not exist.
pub fn workspace(coach: &CoachPrincipal, workspace_id: &str) -> Result<OwnedWorkspace, AppError> {
    if workspace_id == coach.user_id() {
        Ok(own_workspace(coach))
    } else {
        Err(AppError::NotFound)
    }
}

/// Every client of the coach's own workspace (archived too), up to
/// `store::legal::CLIENTS_IN_SCOPE_MAX`, and whether there were more: for the workspace export.
/// Not for support (exports are not reads), which the export refuses before it asks.
pub async fn workspace_clients(
    db: &Db,
    workspace: &OwnedWorkspace,
) -> Result<(Vec<OwnedClient>, bool), AppError> {
    let mut rows = super::store::legal::clients_in_scope(
        db,
        workspace.coach_id(),
        crate::domain::LegalScope::Workspace,
        None,
    )
    .await?;
    let max = super::store::legal::CLIENTS_IN_SCOPE_MAX as usize;
    let truncated = rows.len() > max;
    rows.truncate(max);
    let clients = rows
        .into_iter()
        .map(|(client_id, _)| OwnedClient {
            coach_id: workspace.coach_id().to_owned(),
            client_id,
        })
        .collect();
    Ok((clients, truncated))
}

/// Proof that the caller is the coach of this client.
#[derive(Debug, Clone)]
pub struct OwnedClient {
    coach_id: String,
    client_id: String,
}

impl OwnedClient {
    pub fn coach_id(&self) -> &str {
        &self.coach_id
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }
}

/// A kind of coach-owned item: a table with `id` and `coach_id` columns. The kind is part of the
/// proof's type, so a note's proof can never be handed to a to-do function.
pub trait ItemKind {
    const TABLE: &'static str;
}

#[derive(Debug, Clone)]
pub enum NoteItem {}

impl ItemKind for NoteItem {
    const TABLE: &'static str = "notes";
}

#[derive(Debug, Clone)]
pub enum TodoItem {}

impl ItemKind for TodoItem {
    const TABLE: &'static str = "todos";
}

#[derive(Debug, Clone)]
pub enum GoalItem {}

impl ItemKind for GoalItem {
    const TABLE: &'static str = "goals";
}

/// Proof that the caller is the coach who owns this item.
#[derive(Debug, Clone)]
pub struct OwnedItem<K: ItemKind> {
    coach_id: String,
    item_id: String,
    kind: PhantomData<K>,
}

pub type OwnedNote = OwnedItem<NoteItem>;
pub type OwnedTodo = OwnedItem<TodoItem>;
pub type OwnedGoal = OwnedItem<GoalItem>;

impl<K: ItemKind> OwnedItem<K> {
    pub fn coach_id(&self) -> &str {
        &self.coach_id
    }

    pub fn item_id(&self) -> &str {
        &self.item_id
    }
}

/// Proof that the caller is this client, signed in as themself.
#[derive(Debug, Clone)]
pub struct ClientSelf {
    coach_id: String,
    client_id: String,
    user_id: String,
}

impl ClientSelf {
    pub fn coach_id(&self) -> &str {
        &self.coach_id
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn user_id(&self) -> &str {
        &self.user_id
    }
}

/// True when `sql` (taking `$1` = id, `$2` = coach id) finds a row.
async fn coach_owns(
    db: &Db,
    sql: &str,
    id: &str,
    coach: &CoachPrincipal,
) -> Result<bool, AppError> {
    let id = ObjectId::parse(id)?;
    let row: Option<(String,)> = sqlx::query_as(sql)
        .bind(id.as_str())
        .bind(coach.user_id())
        .fetch_optional(db.reader())
        .await
        .map_err(internal)?;
    Ok(row.is_some())
}

/// Under a support grant or a connected AI tool's call, a proof of one client's data is an
/// access to that client: logged before it is used, under the client, so the client sees it in
/// their own log (once per request: see `SupportVisit` and `McpVisit`). A connected tool does
/// not find a client with AI turned off.
async fn log_support_read(
    db: &Db,
    coach: &CoachPrincipal,
    client_id: Option<&str>,
    object: String,
) -> Result<(), AppError> {
    if let Some(visit) = coach.mcp() {
        return visit.log_read(db, client_id, object).await;
    }
    match coach.support() {
        Some(visit) => visit.log_read(db, client_id, object).await,
        None => Ok(()),
    }
}

/// Under a support grant, a list that shows several clients' data at once (the roster, the
/// inbox, the deletion requests, ...) is an access to each of them: logged under every client
/// it shows, before it is answered, so each client sees it in their own log. `endpoint` names
/// the list. A list of one client's data needs none of this: its client proof logged the
/// client.
pub async fn log_support_list_read<'a>(
    db: &Db,
    coach: &CoachPrincipal,
    endpoint: &str,
    client_ids: impl IntoIterator<Item = &'a str>,
) -> Result<(), AppError> {
    if let Some(visit) = coach.mcp() {
        return visit.log_list_read(db, client_ids).await;
    }
    match coach.support() {
        Some(visit) => visit.log_list_read(db, endpoint, client_ids).await,
        None => Ok(()),
    }
}

/// Under a support grant, a proof of a workspace item (`table` is a constant naming a table with
/// `id`, and `client_id` unless it is `forms`): logged under the item's client, if it has one.
async fn log_support_item_read(
    db: &Db,
    coach: &CoachPrincipal,
    table: &str,
    id: &str,
) -> Result<(), AppError> {
    let object = Logged::Record { table, id }.to_string();
    if let Some(visit) = coach.mcp() {
        let client_id = if table == "forms" {
            None
        } else {
            item_client(db, table, id).await?
        };
        return visit.log_read(db, client_id.as_deref(), object).await;
    }
    let Some(visit) = coach.support() else {
        return Ok(());
    };
    // Forms are the coach's templates: no client.
    if table == "forms" {
        return visit.log_read(db, None, object).await;
    }
    // Logged already in this request: no need to look up whose it is.
    if visit.has_logged(&object)? {
        return Ok(());
    }
    let client_id = item_client(db, table, id).await?;
    visit.log_read(db, client_id.as_deref(), object).await
}

/// The client a workspace item (`table` is a constant naming a table with `id` and `client_id`)
/// belongs to, if any.
async fn item_client(db: &Db, table: &str, id: &str) -> Result<Option<String>, AppError> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as(&format!("SELECT client_id FROM {table} WHERE id = $1"))
            .bind(id)
            .fetch_optional(db.reader())
            .await
            .map_err(internal)?;
    // Deleted since its ownership was checked: gone, like any missing item.
    let (client_id,) = row.ok_or(AppError::NotFound)?;
    Ok(client_id)
}

/// One of the coach's clients, archived or not.
pub async fn client(
    db: &Db,
    coach: &CoachPrincipal,
    client_id: &str,
) -> Result<OwnedClient, AppError> {
    let sql = "SELECT id FROM clients WHERE id = $1 AND coach_id = $2";
    if coach_owns(db, sql, client_id, coach).await? {
        let object = Logged::Client(client_id).to_string();
        log_support_read(db, coach, Some(client_id), object).await?;
        Ok(OwnedClient {
            coach_id: coach.user_id().to_owned(),
            client_id: client_id.to_owned(),
        })
    } else {
        Err(AppError::NotFound)
    }
}

/// An optional client scope: `None` or empty means "not about one client".
pub async fn optional_client(
    db: &Db,
    coach: &CoachPrincipal,
    client_id: Option<&str>,
) -> Result<Option<OwnedClient>, AppError> {
    match client_id.map(str::trim).filter(|id| !id.is_empty()) {
        Some(id) => client(db, coach, id).await.map(Some),
        None => Ok(None),
    }
}

/// One of the coach's notes or to-dos: `item::<NoteItem>(...)`.
pub async fn item<K: ItemKind>(
    db: &Db,
    coach: &CoachPrincipal,
    id: &str,
) -> Result<OwnedItem<K>, AppError> {
    let sql = format!(
        "SELECT id FROM {} WHERE id = $1 AND coach_id = $2",
        K::TABLE
    );
    if coach_owns(db, &sql, id, coach).await? {
        log_support_item_read(db, coach, K::TABLE, id).await?;
        Ok(OwnedItem {
            coach_id: coach.user_id().to_owned(),
            item_id: id.to_owned(),
            kind: PhantomData,
        })
    } else {
        Err(AppError::NotFound)
    }
}

/// The client record of a signed-in client.
pub async fn client_self(db: &Db, client: &ClientPrincipal) -> Result<ClientSelf, AppError> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT id, coach_id FROM clients WHERE user_id = $1")
            .bind(client.user_id())
            .fetch_optional(db.reader())
            .await
            .map_err(internal)?;
    let (client_id, coach_id) = row.ok_or(AppError::NotFound)?;
    Ok(ClientSelf {
        coach_id,
        client_id,
        user_id: client.user_id().to_owned(),
    })
}

/// A proof naming one client of one coach, held by that coach ([`OwnedClient`]) or by the client
/// themself ([`ClientSelf`]): enough to read what both of them may see.
pub trait ClientScope {
    fn coach_id(&self) -> &str;
    fn client_id(&self) -> &str;
}

/// A proof held inside one coach's workspace, whatever it names there: for what belongs to the
/// workspace as a whole (its settings, such as its time zone).
pub trait InWorkspace {
    fn workspace_coach_id(&self) -> &str;
}

impl InWorkspace for OwnedWorkspace {
    fn workspace_coach_id(&self) -> &str {
        &self.coach_id
    }
}

impl InWorkspace for OwnedClient {
    fn workspace_coach_id(&self) -> &str {
        &self.coach_id
    }
}

impl<K: ItemKind> InWorkspace for OwnedItem<K> {
    fn workspace_coach_id(&self) -> &str {
        &self.coach_id
    }
}

impl ClientScope for OwnedClient {
    fn coach_id(&self) -> &str {
        &self.coach_id
    }
    fn client_id(&self) -> &str {
        &self.client_id
    }
}

impl ClientScope for ClientSelf {
    fn coach_id(&self) -> &str {
        &self.coach_id
    }
    fn client_id(&self) -> &str {
        &self.client_id
    }
}

/// A proof naming one check-in, held by its coach or by its client.
pub trait CheckinScope: ClientScope {
    fn checkin_id(&self) -> &str;
}

/// Proof that the caller is the coach of this check-in's client: may read, reply, delete.
#[derive(Debug, Clone)]
pub struct OwnedCheckin {
    coach_id: String,
    client_id: String,
    checkin_id: String,
}

/// Proof that the caller is the client who submitted this check-in: may read it.
#[derive(Debug, Clone)]
pub struct MyCheckin {
    coach_id: String,
    client_id: String,
    checkin_id: String,
}

macro_rules! checkin_scope {
    ($($proof:ty),*) => {$(
        impl ClientScope for $proof {
            fn coach_id(&self) -> &str {
                &self.coach_id
            }
            fn client_id(&self) -> &str {
                &self.client_id
            }
        }
        impl CheckinScope for $proof {
            fn checkin_id(&self) -> &str {
                &self.checkin_id
            }
        }
    )*};
}
checkin_scope!(OwnedCheckin, MyCheckin);

/// The client id of the row `sql` (`$1` = row id, `$2` = owner id) finds.
async fn owning_client(db: &Db, sql: &str, id: &str, owner: &str) -> Result<String, AppError> {
    let id = ObjectId::parse(id)?;
    let row: Option<(String,)> = sqlx::query_as(sql)
        .bind(id.as_str())
        .bind(owner)
        .fetch_optional(db.reader())
        .await
        .map_err(internal)?;
    row.map(|(client_id,)| client_id).ok_or(AppError::NotFound)
}

/// One of the coach's clients' check-ins.
pub async fn checkin(
    db: &Db,
    coach: &CoachPrincipal,
    checkin_id: &str,
) -> Result<OwnedCheckin, AppError> {
    let sql = "SELECT client_id FROM checkins WHERE id = $1 AND coach_id = $2";
    let client_id = owning_client(db, sql, checkin_id, coach.user_id()).await?;
    let object = Logged::Record {
        table: "checkins",
        id: checkin_id,
    };
    log_support_read(db, coach, Some(&client_id), object.to_string()).await?;
    Ok(OwnedCheckin {
        coach_id: coach.user_id().to_owned(),
        client_id,
        checkin_id: checkin_id.to_owned(),
    })
}

/// One of the signed-in client's own check-ins.
pub async fn my_checkin(db: &Db, me: &ClientSelf, checkin_id: &str) -> Result<MyCheckin, AppError> {
    let sql = "SELECT client_id FROM checkins WHERE id = $1 AND client_id = $2";
    let client_id = owning_client(db, sql, checkin_id, me.client_id()).await?;
    Ok(MyCheckin {
        coach_id: me.coach_id().to_owned(),
        client_id,
        checkin_id: checkin_id.to_owned(),
    })
}

/// Proof that the caller is the client this goal belongs to.
#[derive(Debug, Clone)]
pub struct MyGoal {
    client_id: String,
    goal_id: String,
}

impl MyGoal {
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn goal_id(&self) -> &str {
        &self.goal_id
    }
}

/// One of the signed-in client's own goals.
pub async fn my_goal(db: &Db, me: &ClientSelf, goal_id: &str) -> Result<MyGoal, AppError> {
    let sql = "SELECT client_id FROM goals WHERE id = $1 AND client_id = $2";
    let client_id = owning_client(db, sql, goal_id, me.client_id()).await?;
    Ok(MyGoal {
        client_id,
        goal_id: goal_id.to_owned(),
    })
}

/// Proof that the caller is the coach who owns this plan (a template or a client's copy) of kind
/// `K`: a meal plan's proof never opens a workout plan.
#[derive(Debug)]
pub struct OwnedPlan<K: PlanKind> {
    coach_id: String,
    plan_id: String,
    kind: PhantomData<K>,
}

impl<K: PlanKind> OwnedPlan<K> {
    pub fn coach_id(&self) -> &str {
        &self.coach_id
    }

    pub fn plan_id(&self) -> &str {
        &self.plan_id
    }
}

/// One of the coach's plans of kind `K`.
pub async fn plan<K: PlanKind>(
    db: &Db,
    coach: &CoachPrincipal,
    plan_id: &str,
) -> Result<OwnedPlan<K>, AppError> {
    let plan_id = ObjectId::parse(plan_id)?;
    let plan_id = plan_id.as_str();
    let row: Option<(String,)> =
        sqlx::query_as("SELECT id FROM plans WHERE id = $1 AND coach_id = $2 AND kind = $3")
            .bind(plan_id)
            .bind(coach.user_id())
            .bind(K::KEY)
            .fetch_optional(db.reader())
            .await
            .map_err(internal)?;
    row.ok_or(AppError::NotFound)?;
    log_support_item_read(db, coach, "plans", plan_id).await?;
    Ok(OwnedPlan {
        coach_id: coach.user_id().to_owned(),
        plan_id: plan_id.to_owned(),
        kind: PhantomData,
    })
}

/// Proof that this plan is the signed-in client's active plan of kind `K`: the only plan of
/// theirs they may see (the coach's drafts and old plans stay with the coach).
#[derive(Debug)]
pub struct MyPlan<K: PlanKind> {
    client_id: String,
    plan_id: String,
    kind: PhantomData<K>,
}

/// The signed-in client's active plan of kind `K`, if the coach has given them one.
pub async fn my_active_plan<K: PlanKind>(
    db: &Db,
    me: &ClientSelf,
) -> Result<Option<MyPlan<K>>, AppError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM plans WHERE client_id = $1 AND coach_id = $2 AND kind = $3 AND active = 1",
    )
    .bind(me.client_id())
    .bind(me.coach_id())
    .bind(K::KEY)
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    Ok(row.map(|(plan_id,)| MyPlan {
        client_id: me.client_id().to_owned(),
        plan_id,
        kind: PhantomData,
    }))
}

/// The signed-in client's plan named by id, if it is their active one.
pub async fn my_plan<K: PlanKind>(
    db: &Db,
    me: &ClientSelf,
    plan_id: &str,
) -> Result<MyPlan<K>, AppError> {
    my_active_plan(db, me)
        .await?
        .filter(|plan| plan.plan_id == plan_id)
        .ok_or(AppError::NotFound)
}

/// A proof naming one plan of kind `K`, held by its coach or by its client.
pub trait PlanScope<K: PlanKind> {
    fn plan_id(&self) -> &str;
    /// The column and value that confine a query to the holder's rows.
    fn holder(&self) -> (&'static str, &str);
}

impl<K: PlanKind> PlanScope<K> for OwnedPlan<K> {
    fn plan_id(&self) -> &str {
        &self.plan_id
    }
    fn holder(&self) -> (&'static str, &str) {
        ("coach_id", &self.coach_id)
    }
}

impl<K: PlanKind> PlanScope<K> for MyPlan<K> {
    fn plan_id(&self) -> &str {
        &self.plan_id
    }
    fn holder(&self) -> (&'static str, &str) {
        ("client_id", &self.client_id)
    }
}

#[derive(Debug, Clone)]
pub enum FormItem {}

impl ItemKind for FormItem {
    const TABLE: &'static str = "forms";
}

pub type OwnedForm = OwnedItem<FormItem>;

/// Proof that the caller is the client this form was given to.
#[derive(Debug, Clone)]
pub struct MyFormAssignment {
    client_id: String,
    assignment_id: String,
}

impl MyFormAssignment {
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn assignment_id(&self) -> &str {
        &self.assignment_id
    }
}

/// One of the forms given to the signed-in client.
pub async fn my_form_assignment(
    db: &Db,
    me: &ClientSelf,
    assignment_id: &str,
) -> Result<MyFormAssignment, AppError> {
    let sql = "SELECT client_id FROM form_assignments WHERE id = $1 AND client_id = $2";
    let client_id = owning_client(db, sql, assignment_id, me.client_id()).await?;
    Ok(MyFormAssignment {
        client_id,
        assignment_id: assignment_id.to_owned(),
    })
}

#[derive(Debug, Clone)]
pub enum SessionItem {}

impl ItemKind for SessionItem {
    const TABLE: &'static str = "coaching_sessions";
}

/// Proof that the caller is the coach of this coaching session.
pub type OwnedSession = OwnedItem<SessionItem>;

#[derive(Debug, Clone)]
pub enum DeletionRequestItem {}

impl ItemKind for DeletionRequestItem {
    const TABLE: &'static str = "deletion_requests";
}

/// Proof that the caller is the coach a client's deletion request was made to.
pub type OwnedDeletionRequest = OwnedItem<DeletionRequestItem>;

#[derive(Debug, Clone)]
pub enum ActionItemKind {}

impl ItemKind for ActionItemKind {
    const TABLE: &'static str = "action_items";
}

pub type OwnedActionItem = OwnedItem<ActionItemKind>;

/// Proof that this action item was shared with the signed-in client.
#[derive(Debug, Clone)]
pub struct MyActionItem {
    client_id: String,
    item_id: String,
}

impl MyActionItem {
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn item_id(&self) -> &str {
        &self.item_id
    }
}

/// One of the action items shared with the signed-in client; unshared ones do not exist for them.
pub async fn my_action_item(
    db: &Db,
    me: &ClientSelf,
    item_id: &str,
) -> Result<MyActionItem, AppError> {
    let sql = "SELECT client_id FROM action_items WHERE id = $1 AND client_id = $2 AND shared = 1";
    let client_id = owning_client(db, sql, item_id, me.client_id()).await?;
    Ok(MyActionItem {
        client_id,
        item_id: item_id.to_owned(),
    })
}

/// Proof that AI may read this client's data for this coach: the caller's proof named the
/// client, and the coach has not turned AI off for them. Every AI call takes one, so data of a
/// client with AI off cannot reach a prompt. Carries the names a prompt must hide.
#[derive(Debug, Clone)]
pub struct AiSubject {
    coach_id: String,
    client_id: String,
    client_name: String,
    coach_name: String,
}

impl AiSubject {
    pub fn coach_id(&self) -> &str {
        &self.coach_id
    }
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    pub fn client_name(&self) -> &str {
        &self.client_name
    }
    pub fn coach_name(&self) -> &str {
        &self.coach_name
    }
}

/// AI access to a client the caller already holds a proof for; a clear refusal when the coach
/// turned AI off for them.
pub async fn ai_subject(db: &Db, client: &impl ClientScope) -> Result<AiSubject, AppError> {
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT c.name, c.ai_enabled, u.name FROM clients c JOIN users u ON u.id = c.coach_id \
         WHERE c.id = $1 AND c.coach_id = $2",
    )
    .bind(client.client_id())
    .bind(client.coach_id())
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    let (client_name, ai_enabled, coach_name) = row.ok_or(AppError::NotFound)?;
    if ai_enabled != 1 {
        return Err(AppError::Conflict(
            "AI is turned off for this client. Turn it on from their page to use it.".into(),
        ));
    }
    Ok(AiSubject {
        coach_id: client.coach_id().to_owned(),
        client_id: client.client_id().to_owned(),
        client_name,
        coach_name,
    })
}

/// The session an insights job belongs to, for the background worker (which acts for the
/// coach who queued it): the job row itself names the coach.
pub async fn queued_session(
    db: &Db,
    session_id: &str,
    coach_id: &str,
) -> Result<(OwnedSession, OwnedClient), AppError> {
    let sql = "SELECT client_id FROM coaching_sessions WHERE id = $1 AND coach_id = $2";
    let client_id = owning_client(db, sql, session_id, coach_id).await?;
    Ok((
        OwnedItem {
            coach_id: coach_id.to_owned(),
            item_id: session_id.to_owned(),
            kind: PhantomData,
        },
        OwnedClient {
            coach_id: coach_id.to_owned(),
            client_id,
        },
    ))
}

/// The client a session the coach owns is with.
pub async fn session_client(db: &Db, session: &OwnedSession) -> Result<OwnedClient, AppError> {
    let sql = "SELECT client_id FROM coaching_sessions WHERE id = $1 AND coach_id = $2";
    let client_id = owning_client(db, sql, session.item_id(), session.coach_id()).await?;
    Ok(OwnedClient {
        coach_id: session.coach_id().to_owned(),
        client_id,
    })
}
