//! The access log: one append-only hash chain for the deployment (migration 0012).
//!
//! An entry is appended inside the transaction of what it records, or before an access that
//! has no transaction (a sign-in, an export, an AI call), so an access is never done unlogged:
//! if the entry cannot be written, the access fails. Entries hold ids and kinds of action,
//! never content.
//!
//! Each entry's hash covers its fields and the previous entry's hash, and the head row holds the
//! newest entry's number and hash. [`verify`] recomputes the chain, so an entry edited, removed
//! or moved, or the newest ones cut off, is found. The hash is not keyed: whoever can write the
//! database could rebuild the whole chain after editing it; what the chain stops is a quiet edit
//! of one entry (ARCHITECTURE.md says so).

use crate::domain::{is_notable, AccessAction, AccessLogEntry, AccessLogPage, ActorKind, ObjectId};
use crate::server::authz::{ClientSelf, OwnedWorkspace};
use crate::server::db::Db;
use crate::server::{internal, now_millis};
use crate::AppError;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

/// Entries per page of the coach's and the client's views.
pub const PAGE: i64 = 100;

/// What an entry names, as its object or as the basis of an access: written `<kind>:<id>`, and
/// spelled here only, so a thing has one name in the log wherever it was accessed from.
#[derive(Debug, Clone, Copy)]
pub enum Logged<'a> {
    /// A coach's account (a platform event about them, not their data).
    Coach(&'a str),
    /// An operator's account.
    Operator(&'a str),
    /// A coach's whole workspace (an export, an import, legal access to all of it).
    Workspace(&'a str),
    Client(&'a str),
    /// A record of a workspace table (`checkins`, `goals`, ...), named by the table's singular.
    Record {
        table: &'a str,
        id: &'a str,
    },
    DeletionRequest(&'a str),
    SupportGrant(&'a str),
    LegalRequest(&'a str),
    /// A page an operator opened under a support grant, by its path.
    Page(&'a str),
    /// A server fn called under a support grant, by its endpoint (`clients/list`).
    Endpoint(&'a str),
    /// A connected AI tool (a personal access token or an OAuth connection).
    McpConnection(&'a str),
    /// An MCP tool called by a connected AI tool, by its name (`find_clients`).
    Tool(&'a str),
}

impl std::fmt::Display for Logged<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, id) = match *self {
            Self::Coach(id) => ("coach", id),
            Self::Operator(id) => ("operator", id),
            Self::Workspace(id) => ("workspace", id),
            Self::Client(id) => ("client", id),
            Self::Record { table, id } => (table.trim_end_matches('s'), id),
            Self::DeletionRequest(id) => ("deletion_request", id),
            Self::SupportGrant(id) => ("support_grant", id),
            Self::LegalRequest(id) => ("legal_request", id),
            Self::Page(path) => ("page", path),
            Self::Endpoint(endpoint) => ("api", endpoint),
            Self::McpConnection(id) => ("mcp_connection", id),
            Self::Tool(name) => ("tool", name),
        };
        write!(f, "{kind}:{id}")
    }
}

/// One access to record.
#[derive(Debug, Clone)]
pub struct Access<'a> {
    pub actor: ActorKind,
    /// The acting user, if a user acted (not for AI).
    pub actor_id: Option<&'a str>,
    pub action: AccessAction,
    /// The workspace whose data it was (`None` for platform events).
    pub coach_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
    /// What was touched ([`Logged`]).
    pub object: Option<String>,
    pub basis: Option<&'a str>,
    pub detail: Option<&'a str>,
}

impl<'a> Access<'a> {
    /// An access by `actor` that touched no one's data in particular: fill in the workspace,
    /// client, object, basis and detail that apply with struct update syntax.
    pub fn new(actor: ActorKind, actor_id: Option<&'a str>, action: AccessAction) -> Self {
        Self {
            actor,
            actor_id,
            action,
            coach_id: None,
            client_id: None,
            object: None,
            basis: None,
            detail: None,
        }
    }
}

/// The fields a hash covers, in their stored form.
struct Sealed<'a> {
    seq: i64,
    at: i64,
    coach_id: Option<&'a str>,
    client_id: Option<&'a str>,
    actor_kind: &'a str,
    actor_id: Option<&'a str>,
    action: &'a str,
    object: Option<&'a str>,
    basis: Option<&'a str>,
    detail: Option<&'a str>,
    notable: i64,
    prev_hash: &'a str,
}

impl Sealed<'_> {
    /// SHA-256 over the fields as one JSON array: unambiguous whatever the fields hold.
    fn hash(&self) -> String {
        let canonical = serde_json::json!([
            self.seq,
            self.at,
            self.coach_id,
            self.client_id,
            self.actor_kind,
            self.actor_id,
            self.action,
            self.object,
            self.basis,
            self.detail,
            self.notable,
            self.prev_hash,
        ]);
        Sha256::digest(canonical.to_string().as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Appends one entry inside the caller's transaction. Taking the head row's lock queues every
/// other appender (on any app server) until this transaction ends. Call it after the
/// transaction's other writes: when the head is every transaction's last lock, no two of them
/// can wait on each other through it (PostgreSQL would abort one as a deadlock).
pub async fn append(
    tx: &mut Transaction<'static, Any>,
    access: &Access<'_>,
) -> Result<(), AppError> {
    append_all(tx, std::slice::from_ref(access)).await
}

/// An access as the entry that records it: `seq` in the chain, after `prev_hash`.
fn sealed<'a>(seq: i64, at: i64, access: &'a Access<'a>, prev_hash: &'a str) -> Sealed<'a> {
    Sealed {
        seq,
        at,
        coach_id: access.coach_id,
        client_id: access.client_id,
        actor_kind: access.actor.as_str(),
        actor_id: access.actor_id,
        action: access.action.as_str(),
        object: access.object.as_deref(),
        basis: access.basis,
        detail: access.detail,
        notable: i64::from(is_notable(access.actor, access.action)),
        prev_hash,
    }
}

/// The columns of an entry, in the order [`append_all`] binds them.
const INSERT_COLUMNS: &str = "seq, at, coach_id, client_id, actor_kind, actor_id, action, \
     object, basis, detail, notable, prev_hash, hash";
/// The most entries one INSERT statement takes: well inside either database's limit on a
/// statement's parameters (13 a row).
const ROWS_PER_INSERT: usize = 100;

/// Appends entries in order inside the caller's transaction, as [`append`] does one: the head
/// is moved past all of them at once and they go in [`ROWS_PER_INSERT`] to a statement, so a
/// few entries cost what one does (a support page logs the page and its client together).
pub async fn append_all(
    tx: &mut Transaction<'static, Any>,
    accesses: &[Access<'_>],
) -> Result<(), AppError> {
    if accesses.is_empty() {
        return Ok(());
    }
    let columns = INSERT_COLUMNS.split(',').count();
    let count = i64::try_from(accesses.len()).map_err(internal)?;
    let (last_seq, mut prev_hash): (i64, String) = sqlx::query_as(
        "UPDATE access_log_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash",
    )
    .bind(count)
    .fetch_one(&mut **tx)
    .await
    .map_err(internal)?;
    let at = now_millis();
    // Each entry's seq, the hash it follows, and its own hash.
    let mut chain: Vec<(i64, String, String)> = Vec::with_capacity(accesses.len());
    for (seq, access) in (last_seq - count + 1..).zip(accesses) {
        let hash = sealed(seq, at, access, &prev_hash).hash();
        let prev = std::mem::replace(&mut prev_hash, hash.clone());
        chain.push((seq, prev, hash));
    }
    sqlx::query("UPDATE access_log_head SET hash = $1 WHERE id = 1")
        .bind(&prev_hash)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    for (links, accesses) in chain
        .chunks(ROWS_PER_INSERT)
        .zip(accesses.chunks(ROWS_PER_INSERT))
    {
        let placeholders: Vec<String> = (0..links.len())
            .map(|row| {
                let first = row * columns + 1;
                let params: Vec<String> =
                    (first..first + columns).map(|n| format!("${n}")).collect();
                format!("({})", params.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO access_log ({INSERT_COLUMNS}) VALUES {}",
            placeholders.join(", ")
        );
        let mut insert = sqlx::query(&sql);
        for ((seq, prev, hash), access) in links.iter().zip(accesses) {
            let entry = sealed(*seq, at, access, prev);
            insert = insert
                .bind(entry.seq)
                .bind(entry.at)
                .bind(entry.coach_id)
                .bind(entry.client_id)
                .bind(entry.actor_kind)
                .bind(entry.actor_id)
                .bind(entry.action)
                .bind(entry.object)
                .bind(entry.basis)
                .bind(entry.detail)
                .bind(entry.notable)
                .bind(entry.prev_hash)
                .bind(hash.as_str());
        }
        insert.execute(&mut **tx).await.map_err(internal)?;
    }
    Ok(())
}

/// Appends one entry in a transaction of its own, before the access it records.
pub async fn record(db: &Db, access: &Access<'_>) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    append(&mut tx, access).await?;
    tx.commit().await.map_err(internal)
}

/// Records reads by one actor on one basis before they happen, in one transaction: each
/// `(client_id, object)` an entry like `template` but for that client and object (support under
/// a grant, a connected AI tool).
pub async fn record_reads<'a>(
    db: &Db,
    template: &Access<'a>,
    reads: &'a [(Option<&'a str>, String)],
) -> Result<(), AppError> {
    let accesses: Vec<Access<'a>> = reads
        .iter()
        .map(|(client_id, object)| Access {
            client_id: *client_id,
            object: Some(object.clone()),
            ..template.clone()
        })
        .collect();
    let mut tx = db.begin().await?;
    append_all(&mut tx, &accesses).await?;
    tx.commit().await.map_err(internal)
}

/// Whose account a user is, for logging what they do to it: their role's actor kind, and the
/// workspace and client the account belongs to.
pub struct AccountOwner {
    pub actor: ActorKind,
    pub coach_id: Option<String>,
    pub client_id: Option<String>,
}

/// The owner of `user_id`'s account, read inside the caller's transaction.
pub async fn account_owner(
    tx: &mut Transaction<'static, Any>,
    user_id: &str,
) -> Result<AccountOwner, AppError> {
    let row: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT u.role, c.id, c.coach_id FROM users u LEFT JOIN clients c ON c.user_id = u.id \
         WHERE u.id = $1",
    )
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(internal)?;
    let (role, client_id, client_coach) = row.ok_or(AppError::NotFound)?;
    Ok(match role.as_str() {
        "coach" => AccountOwner {
            actor: ActorKind::Coach,
            coach_id: Some(user_id.to_owned()),
            client_id: None,
        },
        "client" => AccountOwner {
            actor: ActorKind::Client,
            coach_id: client_coach,
            client_id,
        },
        _ => AccountOwner {
            actor: ActorKind::Operator,
            coach_id: None,
            client_id: None,
        },
    })
}

/// Records an account event (a sign-in, a password or email change) of `user_id`, inside the
/// caller's transaction.
pub async fn append_account_event(
    tx: &mut Transaction<'static, Any>,
    user_id: &str,
    action: AccessAction,
) -> Result<(), AppError> {
    let owner = account_owner(tx, user_id).await?;
    append(
        tx,
        &Access {
            coach_id: owner.coach_id.as_deref(),
            client_id: owner.client_id.as_deref(),
            ..Access::new(owner.actor, Some(user_id), action)
        },
    )
    .await
}

const ENTRY_COLUMNS: &str = "l.seq, l.at, l.actor_kind, l.action, l.client_id, \
     c.name AS client_name, l.object, l.basis, l.detail";

fn entry(row: &AnyRow) -> Result<AccessLogEntry, AppError> {
    let actor: String = row.try_get("actor_kind").map_err(internal)?;
    let action: String = row.try_get("action").map_err(internal)?;
    Ok(AccessLogEntry {
        seq: row.try_get("seq").map_err(internal)?,
        at: row.try_get("at").map_err(internal)?,
        actor: ActorKind::parse(&actor).ok_or_else(|| internal(actor))?,
        action: AccessAction::parse(&action).ok_or_else(|| internal(action))?,
        client_id: row.try_get("client_id").map_err(internal)?,
        client_name: row.try_get("client_name").map_err(internal)?,
        object: row.try_get("object").map_err(internal)?,
        basis: row.try_get("basis").map_err(internal)?,
        detail: row.try_get("detail").map_err(internal)?,
    })
}

/// Which entries of a workspace's log to show.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub client_id: Option<ObjectId>,
    pub actor: Option<ActorKind>,
    /// Only entries older than this one (the previous page's `next_before`).
    pub before: Option<i64>,
}

/// Runs a page query: `conditions` use `$1..` in the order of `binds`; the limit comes last.
async fn page(
    db: &Db,
    conditions: &[String],
    mut binds: Vec<Bind>,
) -> Result<AccessLogPage, AppError> {
    // Everything done under a legal request stays out of coach's and client's sight until the
    // coach may be told of the request (its `notify_at`; never before its approval).
    binds.push(Bind::Int(now_millis()));
    let hidden_legal = format!(
        "(l.basis IS NULL OR substr(l.basis, 1, 14) <> 'legal_request:' OR l.basis IN \
         (SELECT 'legal_request:' || r.id FROM legal_requests r WHERE r.notify_at <= ${}))",
        binds.len()
    );
    let conditions = [conditions, &[hidden_legal]].concat();
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM access_log l \
         LEFT JOIN clients c ON c.id = l.client_id AND c.coach_id = l.coach_id \
         WHERE {} ORDER BY l.seq DESC LIMIT ${}",
        conditions.join(" AND "),
        binds.len() + 1
    );
    let mut query = sqlx::query(&sql);
    for bind in binds {
        query = match bind {
            Bind::Text(text) => query.bind(text),
            Bind::Int(n) => query.bind(n),
        };
    }
    let rows = query
        .bind(PAGE + 1)
        .fetch_all(db.reader())
        .await
        .map_err(internal)?;
    let more = rows.len() as i64 > PAGE;
    let rows = &rows[..rows.len().min(PAGE as usize)];
    let next_before = match rows.last() {
        Some(last) if more => Some(last.try_get::<i64, _>("seq").map_err(internal)?),
        _ => None,
    };
    // An entry of a kind this version does not know (written by a newer one, before a
    // rollback) is left out of the page, not allowed to break it.
    let entries = rows.iter().filter_map(|row| entry(row).ok()).collect();
    Ok(AccessLogPage {
        entries,
        next_before,
    })
}

enum Bind {
    Text(String),
    Int(i64),
}

/// The workspace's log, newest first: everything recorded about it, by anyone.
pub async fn workspace_page(
    db: &Db,
    workspace: &OwnedWorkspace,
    filter: &LogFilter,
) -> Result<AccessLogPage, AppError> {
    let mut conditions = vec!["l.coach_id = $1".to_owned()];
    let mut binds = vec![Bind::Text(workspace.coach_id().to_owned())];
    if let Some(client) = &filter.client_id {
        binds.push(Bind::Text(client.as_str().to_owned()));
        conditions.push(format!("l.client_id = ${}", binds.len()));
    }
    if let Some(actor) = filter.actor {
        binds.push(Bind::Text(actor.as_str().to_owned()));
        conditions.push(format!("l.actor_kind = ${}", binds.len()));
    }
    if let Some(before) = filter.before {
        binds.push(Bind::Int(before));
        conditions.push(format!("l.seq < ${}", binds.len()));
    }
    page(db, &conditions, binds).await
}

/// The client's own log, newest first: every access to their data that was not their coach or
/// themself at work (support, operators, legal, AI, connected tools), and every export.
pub async fn client_page(
    db: &Db,
    me: &ClientSelf,
    before: Option<i64>,
) -> Result<AccessLogPage, AppError> {
    let mut conditions = vec![
        "l.client_id = $1".to_owned(),
        "l.coach_id = $2".to_owned(),
        "l.notable = 1".to_owned(),
    ];
    let mut binds = vec![
        Bind::Text(me.client_id().to_owned()),
        Bind::Text(me.coach_id().to_owned()),
    ];
    if let Some(before) = before {
        binds.push(Bind::Int(before));
        conditions.push(format!("l.seq < ${}", binds.len()));
    }
    page(db, &conditions, binds).await
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Entries checked.
    pub entries: i64,
    /// The first break, in words; `None` when the chain is whole.
    pub problem: Option<String>,
}

/// Entries read per query while verifying: bounds memory at any log size.
const VERIFY_BATCH: i64 = 2000;

/// Recomputes the whole chain from the first entry, and checks the head against the last.
pub async fn verify(db: &Db) -> Result<ChainReport, String> {
    type Row = (
        i64,
        i64,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
        String,
        String,
    );
    // One snapshot: entries appended while this runs are neither half-seen nor counted against
    // an older head.
    let mut tx = db.read_snapshot().await?;
    let (head_seq, head_hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM access_log_head WHERE id = 1")
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| format!("cannot read the access log's head: {e}"))?;
    let (rows_stored,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM access_log")
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| format!("cannot count the access log: {e}"))?;
    let mut expected_seq = 1;
    let mut prev_hash = "0".repeat(64);
    let broken = |entries: i64, problem: String| ChainReport {
        entries,
        problem: Some(problem),
    };
    loop {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT seq, at, coach_id, client_id, actor_kind, actor_id, action, object, basis, \
             detail, notable, prev_hash, hash FROM access_log WHERE seq >= $1 ORDER BY seq \
             LIMIT $2",
        )
        .bind(expected_seq)
        .bind(VERIFY_BATCH)
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| format!("cannot read the access log: {e}"))?;
        let last_batch = (rows.len() as i64) < VERIFY_BATCH;
        for row in &rows {
            let checked = expected_seq - 1;
            let sealed = Sealed {
                seq: row.0,
                at: row.1,
                coach_id: row.2.as_deref(),
                client_id: row.3.as_deref(),
                actor_kind: &row.4,
                actor_id: row.5.as_deref(),
                action: &row.6,
                object: row.7.as_deref(),
                basis: row.8.as_deref(),
                detail: row.9.as_deref(),
                notable: row.10,
                prev_hash: &row.11,
            };
            if sealed.seq != expected_seq {
                return Ok(broken(
                    checked,
                    format!(
                        "entry {expected_seq} is missing (the next entry is {}): entries were \
                         removed or renumbered",
                        sealed.seq
                    ),
                ));
            }
            if sealed.prev_hash != prev_hash {
                let problem = if checked == 0 {
                    "entry 1 does not start the chain: an entry was replaced or moved".to_owned()
                } else {
                    format!(
                        "entry {expected_seq} does not follow entry {checked}: an entry was \
                         removed, replaced or moved"
                    )
                };
                return Ok(broken(checked, problem));
            }
            let hash = sealed.hash();
            if hash != row.12 {
                return Ok(broken(
                    checked,
                    format!("entry {expected_seq} was altered: its hash does not match it"),
                ));
            }
            prev_hash = hash;
            expected_seq += 1;
        }
        if last_batch {
            break;
        }
    }
    let entries = expected_seq - 1;
    if rows_stored != entries {
        return Ok(broken(
            entries,
            format!(
                "{} rows are outside the chain (numbered below 1): entries were added by hand",
                rows_stored - entries
            ),
        ));
    }
    let problem = if entries < head_seq {
        Some(format!(
            "the log ends at entry {entries} but its head says {head_seq}: the newest entries \
             were removed"
        ))
    } else if entries > head_seq {
        Some(format!(
            "the log runs to entry {entries} but its head says {head_seq}: entries were added \
             after the head"
        ))
    } else if head_hash != prev_hash {
        Some(format!(
            "the head's hash does not match entry {entries}: the head was altered"
        ))
    } else {
        None
    };
    if let Some(problem) = problem {
        return Ok(broken(entries, problem));
    }
    Ok(ChainReport {
        entries,
        problem: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(prev: &str) -> Sealed<'_> {
        Sealed {
            seq: 7,
            at: 1_700_000_000_000,
            coach_id: Some("c"),
            client_id: None,
            actor_kind: "ai",
            actor_id: None,
            action: "ai_reply_draft",
            object: None,
            basis: None,
            detail: Some("model"),
            notable: 1,
            prev_hash: prev,
        }
    }

    #[test]
    fn every_field_is_covered() {
        let base = sample("00").hash();
        assert_eq!(base.len(), 64);
        assert_ne!(sample("01").hash(), base);
        let mut moved = sample("00");
        moved.seq = 8;
        assert_ne!(moved.hash(), base);
        // A value moved from one field to the next is another entry.
        let mut shifted = sample("00");
        shifted.client_id = Some("c");
        shifted.coach_id = None;
        assert_ne!(shifted.hash(), base);
    }
}
