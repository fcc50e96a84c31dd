//! The coach's "Today": check-ins waiting, clients overdue for their check-in, goals near their
//! date, to-dos due, invitations not yet accepted, and open deletion requests, each list short
//! and counted. And the client's own: what their portal home puts first ([`next_steps`]).

use crate::domain::{
    checkin_due, missed_checkin_day, DueTodo, GoalNearDate, NavCounts, NextSteps, OpenInvitation,
    OverdueClient, RecentReply, Today, WaitingCheckin, WaitingForm, Weekday,
    GOAL_DATE_HORIZON_DAYS, RECENT_REPLY_DAYS, TODAY_LIST_LIMIT,
};
use crate::server::authz::{ClientSelf, OwnedWorkspace};
use crate::server::db::Db;
use crate::server::store::{checkins, goals, keys, notes};
use crate::server::{internal, now_millis, time_zones};
use crate::AppError;

const LIMIT: i64 = TODAY_LIST_LIMIT as i64;

pub async fn today(db: &Db, workspace: &OwnedWorkspace) -> Result<Today, AppError> {
    let now = now_millis();
    let (waiting, waiting_total) = waiting(db, workspace).await?;
    let (overdue, overdue_total) = overdue(db, workspace, now).await?;
    let (todos_due, todos_due_total) = todos_due(db, workspace, now).await?;
    let (goals_near, goals_near_total) = goals_near(db, workspace, now).await?;
    let (invitations, invitations_total) = invitations(db, workspace, now).await?;
    let (deletion_requests,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM deletion_requests WHERE coach_id = $1 AND status = 'pending'",
    )
    .bind(workspace.coach_id())
    .fetch_one(db.reader())
    .await
    .map_err(internal)?;
    Ok(Today {
        waiting,
        waiting_total,
        overdue,
        overdue_total,
        todos_due,
        todos_due_total,
        goals_near,
        goals_near_total,
        invitations,
        invitations_total,
        deletion_requests,
    })
}

/// What the navigation counts: the check-ins waiting (one indexed count, cheap enough for
/// every page).
pub async fn nav_counts(db: &Db, workspace: &OwnedWorkspace) -> Result<NavCounts, AppError> {
    Ok(NavCounts {
        waiting: checkins::waiting_count(db, workspace).await?,
    })
}

/// The oldest waiting check-ins first: the ones a client has waited longest on.
async fn waiting(
    db: &Db,
    workspace: &OwnedWorkspace,
) -> Result<(Vec<WaitingCheckin>, i64), AppError> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT k.id, k.client_id, c.name, k.submitted_at FROM checkins k \
         JOIN clients c ON c.id = k.client_id \
         WHERE k.coach_id = $1 AND k.reviewed_at IS NULL \
         ORDER BY k.submitted_at, k.id LIMIT $2",
    )
    .bind(workspace.coach_id())
    .bind(LIMIT)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let list = rows
        .into_iter()
        .map(
            |(checkin_id, client_id, client_name, submitted_at)| WaitingCheckin {
                checkin_id,
                client_id,
                client_name,
                submitted_at,
            },
        )
        .collect();
    Ok((list, checkins::waiting_count(db, workspace).await?))
}

/// Active clients with a login and a check-in day who missed their latest one, on their own
/// calendar. Reads one row per such client (the workspace's own size bounds it).
async fn overdue(
    db: &Db,
    workspace: &OwnedWorkspace,
    now: i64,
) -> Result<(Vec<OverdueClient>, i64), AppError> {
    type Row = (String, String, String, i64, String, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.id, c.name, c.checkin_day, u.created_at, COALESCE(c.timezone, co.timezone), \
                (SELECT MAX(k.submitted_at) FROM checkins k WHERE k.client_id = c.id) \
         FROM clients c JOIN users u ON u.id = c.user_id \
         JOIN coaches co ON co.user_id = c.coach_id \
         WHERE c.coach_id = $1 AND c.archived = 0 AND c.checkin_day IS NOT NULL",
    )
    .bind(workspace.coach_id())
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let mut clocks = time_zones::Clocks::at(now);
    let mut overdue: Vec<OverdueClient> = Vec::new();
    for (client_id, client_name, day, joined_at, zone, last_checkin_at) in rows {
        let Some(checkin_day) = Weekday::parse(&day).ok().flatten() else {
            continue;
        };
        if let Some(missed_day) =
            missed_checkin_day(checkin_day, last_checkin_at, joined_at, clocks.get(zone))
        {
            overdue.push(OverdueClient {
                client_id,
                client_name,
                checkin_day,
                missed_day,
                last_checkin_at,
            });
        }
    }
    // Longest without a check-in first.
    overdue.sort_by(|a, b| {
        (a.last_checkin_at, &a.client_name).cmp(&(b.last_checkin_at, &b.client_name))
    });
    let total = overdue.len() as i64;
    overdue.truncate(TODAY_LIST_LIMIT);
    Ok((overdue, total))
}

/// Open to-dos due today or earlier, today being the coach's.
async fn todos_due(
    db: &Db,
    workspace: &OwnedWorkspace,
    now: i64,
) -> Result<(Vec<DueTodo>, i64), AppError> {
    let zone = super::coaches::timezone(db, workspace).await?;
    let today = time_zones::clock(&zone, now).date_value(now);
    const FROM: &str = "FROM todos t LEFT JOIN clients c ON c.id = t.client_id \
         WHERE t.coach_id = $1 AND t.done = 0 AND t.due_date IS NOT NULL AND t.due_date <= $2";
    let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) {FROM}"))
        .bind(workspace.coach_id())
        .bind(&today)
        .fetch_one(db.reader())
        .await
        .map_err(internal)?;
    // id, client id, sealed title, due date, client name.
    type Row = (String, Option<String>, String, String, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT t.id, t.client_id, t.title, t.due_date, c.name {FROM} \
         ORDER BY t.due_date, t.created_at, t.id LIMIT $3"
    ))
    .bind(workspace.coach_id())
    .bind(&today)
    .bind(LIMIT)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let mut due = Vec::with_capacity(rows.len());
    for (todo_id, client_id, sealed_title, due_date, client_name) in rows {
        let key = keys::client_or_workspace(db, workspace.coach_id(), client_id.as_deref()).await?;
        due.push(DueTodo {
            title: key
                .open(notes::TODO_TITLE, &todo_id, &sealed_title)
                .map_err(internal)?,
            todo_id,
            due_date,
            client_id,
            client_name,
        });
    }
    Ok((due, total))
}

/// Active goals of active clients whose target date is at most [`GOAL_DATE_HORIZON_DAYS`] away
/// in the coach's time zone, or has passed, soonest first.
async fn goals_near(
    db: &Db,
    workspace: &OwnedWorkspace,
    now: i64,
) -> Result<(Vec<GoalNearDate>, i64), AppError> {
    let zone = super::coaches::timezone(db, workspace).await?;
    let horizon_at = now + GOAL_DATE_HORIZON_DAYS * 86_400_000;
    let horizon = time_zones::clock(&zone, horizon_at).date_value(horizon_at);
    const FROM: &str = "FROM goals g JOIN clients c ON c.id = g.client_id \
         WHERE g.coach_id = $1 AND g.status = 'active' AND c.archived = 0 \
         AND g.target_date IS NOT NULL AND g.target_date <= $2";
    let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) {FROM}"))
        .bind(workspace.coach_id())
        .bind(&horizon)
        .fetch_one(db.reader())
        .await
        .map_err(internal)?;
    // id, client id, client name, sealed title, target date.
    type Row = (String, String, String, String, String);
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT g.id, g.client_id, c.name, g.title, g.target_date {FROM} \
         ORDER BY g.target_date, g.created_at, g.id LIMIT $3"
    ))
    .bind(workspace.coach_id())
    .bind(&horizon)
    .bind(LIMIT)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let mut near = Vec::with_capacity(rows.len());
    for (goal_id, client_id, client_name, sealed_title, target_date) in rows {
        let key = keys::client(db, &client_id).await?;
        near.push(GoalNearDate {
            title: key
                .open(goals::TITLE, &goal_id, &sealed_title)
                .map_err(internal)?,
            goal_id,
            client_id,
            client_name,
            target_date,
        });
    }
    Ok((near, total))
}

/// Clients without a login whose latest link was neither used nor withdrawn: still open, or
/// expired and waiting for a new one. Soonest to expire (or longest expired) first.
async fn invitations(
    db: &Db,
    workspace: &OwnedWorkspace,
    now: i64,
) -> Result<(Vec<OpenInvitation>, i64), AppError> {
    const FROM: &str = "FROM invites i JOIN clients c ON c.id = i.client_id \
         WHERE i.coach_id = $1 AND i.used_at IS NULL AND i.revoked_at IS NULL \
         AND c.user_id IS NULL AND c.archived = 0";
    let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(DISTINCT c.id) {FROM}"))
        .bind(workspace.coach_id())
        .fetch_one(db.reader())
        .await
        .map_err(internal)?;
    let rows: Vec<(String, String, i64)> = sqlx::query_as(&format!(
        "SELECT c.id, c.name, MAX(i.expires_at) {FROM} GROUP BY c.id, c.name \
         ORDER BY MAX(i.expires_at), c.id LIMIT $2"
    ))
    .bind(workspace.coach_id())
    .bind(LIMIT)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let list = rows
        .into_iter()
        .map(|(client_id, client_name, expires_at)| OpenInvitation {
            client_id,
            client_name,
            expires_at,
            expired: expires_at <= now,
        })
        .collect();
    Ok((list, total))
}

/// The client's next steps: their check-in when due (on their own calendar), forms waiting for
/// answers, and their coach's reply of the last week.
pub async fn next_steps(db: &Db, me: &ClientSelf) -> Result<NextSteps, AppError> {
    let now = now_millis();
    type Row = (Option<String>, String, i64, Option<i64>);
    let (day, zone, joined_at, last_checkin_at): Row = sqlx::query_as(
        "SELECT c.checkin_day, COALESCE(c.timezone, co.timezone), u.created_at, \
                (SELECT MAX(k.submitted_at) FROM checkins k WHERE k.client_id = c.id) \
         FROM clients c JOIN coaches co ON co.user_id = c.coach_id \
         JOIN users u ON u.id = c.user_id WHERE c.id = $1 AND c.coach_id = $2",
    )
    .bind(me.client_id())
    .bind(me.coach_id())
    .fetch_one(db.reader())
    .await
    .map_err(internal)?;
    let checkin = match Weekday::parse(day.as_deref().unwrap_or("")).ok().flatten() {
        Some(day) => checkin_due(
            day,
            last_checkin_at,
            joined_at,
            &time_zones::clock(&zone, now),
        ),
        None => None,
    };
    let forms: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT id, definition, assigned_at FROM form_assignments \
         WHERE client_id = $1 AND coach_id = $2 AND status = 'pending' \
         ORDER BY assigned_at, id LIMIT $3",
    )
    .bind(me.client_id())
    .bind(me.coach_id())
    .bind(LIMIT)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    let mut forms_waiting = Vec::with_capacity(forms.len());
    for (assignment_id, definition, assigned_at) in forms {
        forms_waiting.push(WaitingForm {
            assignment_id,
            name: super::forms::parse_definition(&definition)?.name,
            assigned_at,
        });
    }
    let recent_reply: Option<(String, i64, i64)> = sqlx::query_as(
        "SELECT id, submitted_at, reviewed_at FROM checkins \
         WHERE client_id = $1 AND coach_id = $2 AND reviewed_at > $3 \
         AND reply IS NOT NULL AND reply <> '' \
         ORDER BY reviewed_at DESC, id LIMIT 1",
    )
    .bind(me.client_id())
    .bind(me.coach_id())
    .bind(now - RECENT_REPLY_DAYS * 86_400_000)
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    Ok(NextSteps {
        checkin,
        forms_waiting,
        recent_reply: recent_reply.map(|(checkin_id, submitted_at, replied_at)| RecentReply {
            checkin_id,
            submitted_at,
            replied_at,
        }),
    })
}
