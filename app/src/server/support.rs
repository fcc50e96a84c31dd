//! Support access by the coach's grant, enforced in one place. An operator who entered a
//! workspace (`operator/support/enter`) carries the grant id in their session. On every request,
//! [`guard`] asks whether that grant is still open: if not, everything but the operator's own
//! calls is refused (403), so a revoke or an expiry takes effect on the very next request. While
//! it is open, only the server fns in [`READS`] pass; every write is refused, whatever the UI
//! shows. Each request that passes is logged, naming the grant; the proofs of one client
//! (`authz::client`, `authz::checkin`) log that client too, so the client sees it.
//!
//! The grant is checked once per request: the guard puts a [`SupportVisit`] in the request's
//! extensions, and every principal made while the request runs (a page's panels call several
//! server fns in-process) takes it from there instead of asking the database again. The visit
//! also remembers what the request has logged, so a page whose panels prove the same client five
//! times writes one entry for it, not five.
//!
//! The request's own entry (the page, and with a client's page that client, in one transaction;
//! or the endpoint) is written while the request runs, not before: the request only reads, and
//! its answer is held until the entry commits ([`PendingEntry::hold`]), so nothing it read
//! leaves the server unlogged, and a failed entry fails the request. Overlapping the write with
//! the rendering is what keeps a support page load close to the coach's own (README, "Data
//! export and support views").

use super::db::Db;
use super::http::error_response;
use super::state::AppState;
use super::store;
use super::store::access_log::Logged;
use super::store::support::OpenGrant;
use crate::domain::AccessAction;
use crate::AppError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use tower_sessions::Session;

/// The session key holding the grant an operator entered under.
pub const SUPPORT_GRANT_KEY: &str = "support_grant";

/// What support may call inside a workspace: the coach's reads. Anything else is a write (or an
/// export, or an AI call) and is refused.
pub const READS: &[&str] = &[
    "coach/profile/get",
    "clients/list",
    "clients/get",
    "clients/ai",
    "clients/deletion_request",
    "notes/list",
    "todos/list",
    "checkins/inbox",
    "checkins/list",
    "checkins/get",
    "checkins/progress",
    "goals/list",
    "meal_plans/list",
    "meal_plans/get",
    "workout_plans/list",
    "workout_plans/get",
    "forms/list",
    "forms/get",
    "forms/responses",
    "forms/checkin_form",
    "sessions/list",
    "sessions/get",
    "sessions/insights",
    "ai/status",
    "ai/calls",
    "access_log/list",
    "deletion_requests/list",
    "support/status",
    "legal/notices",
    "mcp/connections/list",
];

/// Calls about the operator themself, which pass whether or not the grant is open.
fn is_own_call(endpoint: &str) -> bool {
    matches!(endpoint, "auth/me" | "auth/logout") || endpoint.starts_with("operator/")
}

/// The open grant this session entered under, if any, and `about_client` if they are in its
/// workspace (see `store::support::open_by_id`). A grant that ended is forgotten here, so the
/// session is an operator's again.
pub async fn session_grant(
    state: &AppState,
    session: &Session,
    about_client: Option<&str>,
) -> Result<Option<(OpenGrant, Option<String>)>, AppError> {
    let grant_id: Option<String> = session
        .get(SUPPORT_GRANT_KEY)
        .await
        .map_err(super::internal)?;
    let Some(grant_id) = grant_id else {
        return Ok(None);
    };
    match store::support::open_by_id(&state.db, &grant_id, about_client).await? {
        Some(open) => Ok(Some(open)),
        None => {
            session
                .remove::<String>(SUPPORT_GRANT_KEY)
                .await
                .map_err(super::internal)?;
            Ok(None)
        }
    }
}

/// One request made by an operator under an open grant: who, under which grant, in whose
/// workspace, and what this request has logged so far.
#[derive(Debug)]
pub struct SupportVisit {
    pub operator_id: String,
    pub grant_id: String,
    pub coach_id: String,
    /// When the grant ends (as it stood when this request was admitted).
    pub until: i64,
    /// The objects (`kind:id`) this request has logged, or is logging under a [`PendingEntry`]
    /// its answer waits for. An object names its client, so the object alone says whether a
    /// read is already logged.
    logged: Mutex<HashSet<String>>,
}

impl SupportVisit {
    pub fn new(operator_id: String, grant: OpenGrant) -> Arc<Self> {
        Arc::new(Self {
            operator_id,
            grant_id: grant.id,
            coach_id: grant.coach_id,
            until: grant.until,
            logged: Mutex::default(),
        })
    }

    /// The visit the guard admitted the current request under, if any.
    pub fn of_request() -> Option<Arc<Self>> {
        leptos::prelude::use_context::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Arc<Self>>().cloned())
    }

    fn logged(&self) -> Result<std::sync::MutexGuard<'_, HashSet<String>>, AppError> {
        self.logged
            .lock()
            .map_err(|_| super::internal("support visit lock poisoned"))
    }

    /// Whether this request has already logged a read of `object`.
    pub fn has_logged(&self, object: &str) -> Result<bool, AppError> {
        Ok(self.logged()?.contains(object))
    }

    /// Logs a read of `object` (of `client_id`'s data, if one) under the grant, before it is
    /// used; the same read again in this request is already logged. A read is marked only once
    /// its entry is written, so panels proving the same record at once may both write one (a
    /// duplicate entry), but none reads before an entry for it exists.
    pub async fn log_read(
        &self,
        db: &Db,
        client_id: Option<&str>,
        object: String,
    ) -> Result<(), AppError> {
        if self.has_logged(&object)? {
            return Ok(());
        }
        let reads = [(client_id, object)];
        self.record(db, &reads).await?;
        let [(_, object)] = reads;
        self.logged()?.insert(object);
        Ok(())
    }

    /// Logs a list read at `endpoint` under each client in `client_ids` it has not yet been
    /// logged under in this request, all in one transaction.
    pub async fn log_list_read<'a>(
        &self,
        db: &Db,
        endpoint: &str,
        client_ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), AppError> {
        let object = Logged::Endpoint(endpoint).to_string();
        // The set holds objects; a list read under one client is its own entry.
        let key = |client_id: &str| format!("{object} for {}", Logged::Client(client_id));
        let fresh: Vec<&str> = {
            let logged = self.logged()?;
            let mut seen = HashSet::new();
            client_ids
                .into_iter()
                .filter(|id| seen.insert(*id) && !logged.contains(&key(id)))
                .collect()
        };
        if fresh.is_empty() {
            return Ok(());
        }
        let reads: Vec<(Option<&str>, String)> =
            fresh.iter().map(|id| (Some(*id), object.clone())).collect();
        self.record(db, &reads).await?;
        self.logged()?.extend(fresh.into_iter().map(key));
        Ok(())
    }

    /// Writes the entries of reads (`(client_id, object)`) under the grant, in one
    /// transaction.
    async fn record(&self, db: &Db, reads: &[(Option<&str>, String)]) -> Result<(), AppError> {
        let (operator, grant) = (&self.operator_id, &self.grant_id);
        let read = AccessAction::SupportRead;
        store::support::record(db, operator, grant, &self.coach_id, read, reads).await
    }

    /// Marks the reads' objects logged for this request and starts writing their entries: the
    /// request may read them at once, and [`PendingEntry::hold`] keeps its answer until the
    /// write commits.
    fn start_log(
        self: &Arc<Self>,
        db: &Db,
        reads: Vec<(Option<String>, String)>,
    ) -> Result<PendingEntry, AppError> {
        self.logged()?
            .extend(reads.iter().map(|(_, object)| object.clone()));
        let (visit, db) = (Arc::clone(self), db.clone());
        Ok(PendingEntry(tokio::spawn(async move {
            let reads: Vec<(Option<&str>, String)> = reads
                .iter()
                .map(|(client, object)| (client.as_deref(), object.clone()))
                .collect();
            visit.record(&db, &reads).await
        })))
    }

    /// Starts logging a call to a read endpoint (`api:<endpoint>`), to be held by its answer.
    fn start_call_log(self: &Arc<Self>, db: &Db, endpoint: &str) -> Result<PendingEntry, AppError> {
        self.start_log(db, vec![(None, Logged::Endpoint(endpoint).to_string())])
    }

    /// Starts logging a coach page, and with a client's page (`/coach/clients/<id>`, or one of
    /// its tabs) that client, in one transaction, to be held by the rendered page. `named_client` is the
    /// page's client as found in the workspace with the grant, before anything renders: only
    /// then is the client marked logged (so the page's panels do not log it again), and the
    /// entry names them whatever happens to them while the page renders (deleted meanwhile,
    /// they were still read).
    fn start_page_log(
        self: &Arc<Self>,
        db: &Db,
        path: &str,
        named_client: Option<String>,
    ) -> Result<PendingEntry, AppError> {
        let mut reads = vec![(None, Logged::Page(path).to_string())];
        if let Some(id) = named_client {
            let object = Logged::Client(&id).to_string();
            reads.push((Some(id), object));
        }
        self.start_log(db, reads)
    }
}

/// An access log entry being written while the request it records runs.
#[must_use = "the request's answer must be held until its entry commits"]
pub struct PendingEntry(tokio::task::JoinHandle<Result<(), AppError>>);

impl PendingEntry {
    /// The request's answer once its entry has committed, or the error if it did not: an
    /// access that cannot be logged fails. Nothing of `response` has been sent yet (a streamed
    /// body is only polled once it is returned), so nothing read leaves the server unlogged.
    pub async fn hold(self, response: Response) -> Response {
        match self.0.await {
            Ok(Ok(())) => response,
            Ok(Err(e)) => error_response(&e),
            Err(e) => error_response(&super::internal(e)),
        }
    }
}

/// The support visit an operator's request runs under: the one the guard admitted this request
/// under (its grant checked once per request), or, outside a guarded request, the session's open
/// grant.
pub async fn current_visit(
    state: &AppState,
    session: &Session,
    operator_id: &str,
) -> Result<Option<Arc<SupportVisit>>, AppError> {
    if let Some(visit) = SupportVisit::of_request().filter(|v| v.operator_id == operator_id) {
        return Ok(Some(visit));
    }
    Ok(session_grant(state, session, None)
        .await?
        .map(|(grant, _)| SupportVisit::new(operator_id.to_owned(), grant)))
}

/// Whether an operator may see a coach page: only inside a workspace under an open grant, and
/// then the page's entry is started, to be held by the rendered page (`http::guard_pages` asks,
/// and puts the visit in the request's extensions).
pub async fn admit_page(
    state: &AppState,
    session: &Session,
    operator_id: &str,
    path: &str,
) -> Result<Option<(Arc<SupportVisit>, PendingEntry)>, AppError> {
    // Anything that is not an id cannot be a client: nothing to ask about. A tab of the page
    // (`/coach/clients/<id>/<tab>`) names the same client.
    let page_client = path
        .strip_prefix("/coach/clients/")
        .and_then(|rest| rest.split('/').next())
        .and_then(|id| crate::domain::ObjectId::parse(id).ok());
    let about = page_client.as_ref().map(|id| id.as_str());
    let Some((grant, named_client)) = session_grant(state, session, about).await? else {
        return Ok(None);
    };
    let visit = SupportVisit::new(operator_id.to_owned(), grant);
    let pending = visit.start_page_log(&state.db, path, named_client)?;
    Ok(Some((visit, pending)))
}

/// The read-only guard for sessions under a grant (see the module docs).
pub async fn guard(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let entered: Option<String> = match session.get(SUPPORT_GRANT_KEY).await {
        Ok(grant_id) => grant_id,
        Err(e) => return error_response(&super::internal(e)),
    };
    if entered.is_none() {
        return next.run(request).await;
    }
    let Some(endpoint) = request.uri().path().strip_prefix("/api/") else {
        // Pages: `http::guard_pages` decides, and logs the page.
        return next.run(request).await;
    };
    if is_own_call(endpoint) {
        return next.run(request).await;
    }
    let operator_id: Option<String> = match session.get(super::session_store::USER_ID_KEY).await {
        Ok(id) => id,
        Err(e) => return error_response(&super::internal(e)),
    };
    // Ended: this request is refused; `session_grant` has made the session the operator's own.
    let open = match session_grant(&state, &session, None).await {
        Ok(open) => open,
        Err(e) => return error_response(&e),
    };
    let (Some(operator_id), Some((grant, _))) = (operator_id, open) else {
        return error_response(&AppError::Forbidden);
    };
    if !READS.contains(&endpoint) {
        return error_response(&AppError::Forbidden);
    }
    let visit = SupportVisit::new(operator_id, grant);
    let pending = match visit.start_call_log(&state.db, endpoint) {
        Ok(pending) => pending,
        Err(e) => return error_response(&e),
    };
    request.extensions_mut().insert(visit);
    pending.hold(next.run(request).await).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_reads() {
        for endpoint in READS {
            let last = endpoint.rsplit('/').next().unwrap_or_default();
            assert!(
                matches!(
                    last,
                    "get"
                        | "list"
                        | "inbox"
                        | "progress"
                        | "responses"
                        | "checkin_form"
                        | "insights"
                        | "status"
                        | "calls"
                        | "ai"
                        | "deletion_request"
                        | "notices"
                ),
                "{endpoint} does not look like a read"
            );
        }
        assert!(!is_own_call("clients/list"));
        assert!(is_own_call("operator/support/leave"));
    }
}
