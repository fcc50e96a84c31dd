//! The coach's "Today": what needs them now, across the workspace, and when a client is overdue
//! for their weekly check-in.

use super::{Clock, Weekday};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How many of each kind "Today" lists (each comes with its total).
pub const TODAY_LIST_LIMIT: usize = 10;

const DAY_MS: i64 = 86_400_000;

/// Everything on the coach's "Today", each list at most [`TODAY_LIST_LIMIT`] long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Today {
    /// Check-ins waiting for review, oldest first.
    pub waiting: Vec<WaitingCheckin>,
    pub waiting_total: i64,
    /// Clients whose check-in day passed with no check-in, longest overdue first.
    pub overdue: Vec<OverdueClient>,
    pub overdue_total: i64,
    /// Open to-dos due today or earlier, earliest first.
    pub todos_due: Vec<DueTodo>,
    pub todos_due_total: i64,
    /// Active goals whose target date is within [`GOAL_DATE_HORIZON_DAYS`] or has passed,
    /// soonest (or longest passed) first.
    pub goals_near: Vec<GoalNearDate>,
    pub goals_near_total: i64,
    /// Invitations not yet accepted: open ones, and expired ones with no newer link.
    pub invitations: Vec<OpenInvitation>,
    pub invitations_total: i64,
    /// Open deletion requests (the dashboard lists them in their own card).
    pub deletion_requests: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WaitingCheckin {
    pub checkin_id: String,
    pub client_id: String,
    pub client_name: String,
    pub submitted_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OverdueClient {
    pub client_id: String,
    pub client_name: String,
    pub checkin_day: Weekday,
    /// The check-in day they missed (epoch ms of its local midnight).
    pub missed_day: i64,
    pub last_checkin_at: Option<i64>,
}

/// How far ahead "Today" looks for goals' target dates.
pub const GOAL_DATE_HORIZON_DAYS: i64 = 7;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GoalNearDate {
    pub goal_id: String,
    pub client_id: String,
    pub client_name: String,
    pub title: String,
    /// `YYYY-MM-DD`.
    pub target_date: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DueTodo {
    pub todo_id: String,
    pub title: String,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    pub client_id: Option<String>,
    pub client_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OpenInvitation {
    pub client_id: String,
    pub client_name: String,
    pub expires_at: i64,
    pub expired: bool,
}

/// The counts the coach's navigation shows beside its links.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NavCounts {
    /// Check-ins waiting for review.
    pub waiting: i64,
}

/// What the client's portal home puts first: their check-in when it is due, forms waiting for
/// answers, and a reply from their coach they may not have read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NextSteps {
    pub checkin: Option<CheckinDue>,
    /// Forms assigned and not answered, oldest first (at most [`TODAY_LIST_LIMIT`]).
    pub forms_waiting: Vec<WaitingForm>,
    /// The coach's latest reply, when it came in the last [`RECENT_REPLY_DAYS`] days.
    pub recent_reply: Option<RecentReply>,
}

/// How long a coach's reply counts as new on the client's home.
pub const RECENT_REPLY_DAYS: i64 = 7;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CheckinDue {
    pub checkin_day: Weekday,
    /// The local midnight (epoch ms) of the day it is due: today, or the day it was missed.
    pub due_day: i64,
    /// `false`: due today; `true`: the day passed with no check-in.
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WaitingForm {
    pub assignment_id: String,
    pub name: String,
    pub assigned_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RecentReply {
    pub checkin_id: String,
    /// When the check-in replied to was sent.
    pub submitted_at: i64,
    pub replied_at: i64,
}

/// The client's check-in, when it is due: today is their check-in day and nothing came in from
/// the day before on (a check-in a day early counts), or the latest such day passed without one
/// ([`missed_checkin_day`]).
pub fn checkin_due(
    day: Weekday,
    last_checkin_at: Option<i64>,
    joined_at: i64,
    clock: &Clock,
) -> Option<CheckinDue> {
    let today = clock.civil(clock.now);
    let wanted = Weekday::ALL.iter().position(|d| *d == day).unwrap_or(0) as i64;
    if today.weekday as i64 == wanted {
        let window_opens = local_midnight(clock, today.days - 1);
        let sent = last_checkin_at.is_some_and(|at| at >= window_opens);
        return (!sent).then(|| CheckinDue {
            checkin_day: day,
            due_day: local_midnight(clock, today.days),
            overdue: false,
        });
    }
    missed_checkin_day(day, last_checkin_at, joined_at, clock).map(|due_day| CheckinDue {
        checkin_day: day,
        due_day,
        overdue: true,
    })
}

/// The check-in day a client has most recently missed, if they have: the latest `day` before
/// today on the client's own calendar, when nothing came in from the day before it on (a
/// check-in a day early counts) and they were already a client by then. Returns the local
/// midnight of that day.
pub fn missed_checkin_day(
    day: Weekday,
    last_checkin_at: Option<i64>,
    joined_at: i64,
    clock: &Clock,
) -> Option<i64> {
    let today = clock.civil(clock.now);
    let wanted = Weekday::ALL.iter().position(|d| *d == day).unwrap_or(0) as i64;
    let back = match (today.weekday as i64 - wanted).rem_euclid(7) {
        0 => 7,
        n => n,
    };
    let due = local_midnight(clock, today.days - back);
    let window_opens = local_midnight(clock, today.days - back - 1);
    let missed = joined_at < due && last_checkin_at.is_none_or(|at| at < window_opens);
    missed.then_some(due)
}

/// The instant local midnight starts day number `days` (since 1970-01-01) on `clock`.
fn local_midnight(clock: &Clock, days: i64) -> i64 {
    let local = days * DAY_MS;
    // The offset at the guess, then at the corrected instant: right on either side of a
    // daylight-saving change. Where a change happens at midnight itself (Chile, Cuba, Paraguay,
    // Lebanon) the day may start an hour off, which moves the overdue window by that hour.
    let guess = local - clock.offset_ms(local);
    local - clock.offset_ms(guess)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wednesday 2 December 2026, 12:00 UTC.
    const WEDNESDAY_NOON: i64 = 1_796_212_800_000;

    fn utc() -> Clock {
        Clock::utc(WEDNESDAY_NOON)
    }

    const LONG_AGO: i64 = 0;

    #[test]
    fn a_client_is_overdue_once_their_day_has_passed_without_a_check_in() {
        // Monday was 30 November: nothing since Sunday the 29th means they missed it.
        let monday = WEDNESDAY_NOON - 2 * DAY_MS - 12 * 3_600_000;
        let sunday_morning = monday - DAY_MS + 9 * 3_600_000;
        assert_eq!(
            missed_checkin_day(
                Weekday::Monday,
                Some(sunday_morning - DAY_MS),
                LONG_AGO,
                &utc()
            ),
            Some(monday)
        );
        assert_eq!(
            missed_checkin_day(Weekday::Monday, None, LONG_AGO, &utc()),
            Some(monday)
        );
        // A day early counts; so does the day itself.
        assert_eq!(
            missed_checkin_day(Weekday::Monday, Some(sunday_morning), LONG_AGO, &utc()),
            None
        );
        assert_eq!(
            missed_checkin_day(Weekday::Monday, Some(monday + 3_600_000), LONG_AGO, &utc()),
            None
        );
        // Today is their day: last week's is the one that counts, and a check-in then is enough.
        let last_wednesday = WEDNESDAY_NOON - 7 * DAY_MS;
        assert_eq!(
            missed_checkin_day(Weekday::Wednesday, Some(last_wednesday), LONG_AGO, &utc()),
            None
        );
        // A client who joined after their day is not behind yet.
        assert_eq!(
            missed_checkin_day(Weekday::Monday, None, monday + DAY_MS, &utc()),
            None
        );
    }

    #[test]
    fn a_check_in_is_due_on_its_day_until_it_is_sent_and_overdue_after() {
        let wednesday = WEDNESDAY_NOON - 12 * 3_600_000;
        let due_today = checkin_due(Weekday::Wednesday, None, LONG_AGO, &utc()).unwrap();
        assert_eq!((due_today.due_day, due_today.overdue), (wednesday, false));
        // Sent today, or yesterday: nothing due.
        for sent in [wednesday + 3_600_000, wednesday - DAY_MS + 60_000] {
            assert_eq!(
                checkin_due(Weekday::Wednesday, Some(sent), LONG_AGO, &utc()),
                None
            );
        }
        // Sent the day before yesterday: today's is still due.
        assert!(checkin_due(
            Weekday::Wednesday,
            Some(wednesday - 2 * DAY_MS),
            LONG_AGO,
            &utc()
        )
        .is_some());
        // Monday passed without one: overdue since Monday.
        let missed = checkin_due(Weekday::Monday, None, LONG_AGO, &utc()).unwrap();
        assert_eq!(
            (missed.due_day, missed.overdue),
            (wednesday - 2 * DAY_MS, true)
        );
        // Thursday is tomorrow, and last Thursday's came in: nothing yet.
        assert_eq!(
            checkin_due(
                Weekday::Thursday,
                Some(wednesday - 6 * DAY_MS),
                LONG_AGO,
                &utc()
            ),
            None
        );
    }

    #[test]
    fn the_day_is_the_clients_own() {
        // Wednesday 12:00 UTC is already Thursday 01:00 in Auckland (UTC+13): their Wednesday
        // check-in day has just passed there, while in UTC it is still today.
        let auckland = Clock {
            zone: "Pacific/Auckland".into(),
            now: WEDNESDAY_NOON,
            offsets: vec![(0, 13 * 3600)],
        };
        let last_week = WEDNESDAY_NOON - 7 * DAY_MS;
        assert!(
            missed_checkin_day(Weekday::Wednesday, Some(last_week), LONG_AGO, &auckland).is_some()
        );
        assert_eq!(
            missed_checkin_day(Weekday::Wednesday, Some(last_week), LONG_AGO, &utc()),
            None
        );
        // Their Wednesday began at 11:00 UTC on Tuesday.
        let missed = missed_checkin_day(Weekday::Wednesday, None, LONG_AGO, &auckland);
        assert_eq!(missed, Some(WEDNESDAY_NOON - DAY_MS - 3_600_000));
    }
}
