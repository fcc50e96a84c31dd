//! Wall-clock time as the viewer reads it: dates and times in their own time zone, in words
//! ("Mon 1 Dec", "2 days ago"), and local times typed into forms.
//!
//! The browser carries no time-zone database (it would add its size to every page's WASM). The
//! server sends, with the signed-in user, a [`Clock`]: their zone's UTC offsets over the years
//! the pages show, and the time the page was made. Everything here is then pure arithmetic, so
//! the server-rendered page and the hydrated one read the same, and "2 days ago" cannot change
//! between them.

use crate::AppError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

const DAY_MS: i64 = 86_400_000;
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The viewer's time zone as the pages need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Clock {
    /// The IANA name, such as `Europe/London`.
    pub zone: String,
    /// When the server made this clock (milliseconds since the epoch): "today" and "2 days ago"
    /// are counted from here.
    pub now: i64,
    /// `(from, offset)`: from this time (milliseconds since the epoch) the zone is `offset`
    /// seconds ahead of UTC. Sorted by `from`; the first entry also holds before its `from`, and
    /// none means UTC.
    pub offsets: Vec<(i64, i32)>,
}

impl Default for Clock {
    fn default() -> Self {
        Self::utc(0)
    }
}

/// A local date and time, broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Days since 1970-01-01 of the local date.
    pub days: i64,
    pub year: i64,
    /// 1–12.
    pub month: u32,
    /// 1–31.
    pub day: u32,
    /// 0 is Monday.
    pub weekday: usize,
    pub hour: u32,
    pub minute: u32,
}

impl Civil {
    fn from_local_millis(local: i64) -> Self {
        let days = local.div_euclid(DAY_MS);
        let (year, month, day) = civil_from_days(days);
        let minutes = (local.rem_euclid(DAY_MS) / 60_000) as u32;
        Self {
            days,
            year,
            month,
            day,
            // 1970-01-01 was a Thursday.
            weekday: (days + 3).rem_euclid(7) as usize,
            hour: minutes / 60,
            minute: minutes % 60,
        }
    }

    fn short_date(&self) -> String {
        format!(
            "{} {} {}",
            &WEEKDAYS[self.weekday][..3],
            self.day,
            &MONTHS[self.month as usize - 1][..3]
        )
    }
}

impl Clock {
    /// UTC, as the clock of someone with no zone (operators, signed-out pages).
    pub fn utc(now: i64) -> Self {
        Self {
            zone: "UTC".into(),
            now,
            offsets: Vec::new(),
        }
    }

    /// How far ahead of UTC the zone is at `at`, in milliseconds.
    pub fn offset_ms(&self, at: i64) -> i64 {
        let index = self
            .offsets
            .partition_point(|(from, _)| *from <= at)
            .saturating_sub(1);
        self.offsets
            .get(index)
            .map_or(0, |(_, seconds)| i64::from(*seconds) * 1000)
    }

    pub fn civil(&self, at: i64) -> Civil {
        Civil::from_local_millis(at.saturating_add(self.offset_ms(at)))
    }

    /// "Mon 1 Dec", with the year when it is not this year's: "Sun 30 Nov 2025".
    pub fn day(&self, at: i64) -> String {
        let local = self.civil(at);
        if local.year == self.civil(self.now).year {
            local.short_date()
        } else {
            format!("{} {}", local.short_date(), local.year)
        }
    }

    /// A calendar date with no time (a due date, a target date), `YYYY-MM-DD`, as [`Self::day`]
    /// reads: "Fri 5 Dec". Anything else is shown as it is.
    pub fn calendar_day(&self, ymd: &str) -> String {
        let Ok(date) = super::CalendarDate::parse(ymd, "date") else {
            return ymd.to_owned();
        };
        let local = Civil::from_local_millis(date.days_since_epoch() * DAY_MS);
        if local.year == self.civil(self.now).year {
            local.short_date()
        } else {
            format!("{} {}", local.short_date(), local.year)
        }
    }

    /// "Mon 1 Dec, 17:30".
    pub fn day_time(&self, at: i64) -> String {
        let local = self.civil(at);
        format!("{}, {:02}:{:02}", self.day(at), local.hour, local.minute)
    }

    /// The time of day alone, "17:30".
    pub fn time_of_day(&self, at: i64) -> String {
        let local = self.civil(at);
        format!("{:02}:{:02}", local.hour, local.minute)
    }

    /// How long ago (or ahead) `at`'s local date is from today's: "today", "yesterday",
    /// "2 days ago", "3 weeks ago", "in 4 days".
    pub fn ago(&self, at: i64) -> String {
        let days = self.civil(self.now).days - self.civil(at).days;
        let (count, unit) = match days.unsigned_abs() {
            0 => return "today".into(),
            1 if days > 0 => return "yesterday".into(),
            1 => return "tomorrow".into(),
            n @ 2..=13 => (n, "day"),
            n @ 14..=59 => (n / 7, "week"),
            n @ 60..=729 => (n / 30, "month"),
            n => (n / 365, "year"),
        };
        let plural = if count == 1 { "" } else { "s" };
        if days > 0 {
            format!("{count} {unit}{plural} ago")
        } else {
            format!("in {count} {unit}{plural}")
        }
    }

    /// The whole date and time with the zone, for a tooltip: "Monday 1 December 2026, 17:30
    /// (America/Los_Angeles)".
    pub fn full(&self, at: i64) -> String {
        let local = self.civil(at);
        format!(
            "{} {} {} {}, {:02}:{:02} ({})",
            WEEKDAYS[local.weekday],
            local.day,
            MONTHS[local.month as usize - 1],
            local.year,
            local.hour,
            local.minute,
            self.zone
        )
    }

    /// The local date as `YYYY-MM-DD`.
    pub fn date_value(&self, at: i64) -> String {
        let local = self.civil(at);
        format!("{:04}-{:02}-{:02}", local.year, local.month, local.day)
    }

    /// The local date and time as a `datetime-local` input holds it: `2026-12-01T17:30`.
    pub fn input_value(&self, at: i64) -> String {
        let local = self.civil(at);
        format!(
            "{}T{:02}:{:02}",
            self.date_value(at),
            local.hour,
            local.minute
        )
    }

    /// RFC 3339 with the local offset, for a `<time datetime>`: `2026-12-01T17:30-08:00`.
    pub fn machine(&self, at: i64) -> String {
        let offset_minutes = self.offset_ms(at) / 60_000;
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let offset_minutes = offset_minutes.abs();
        format!(
            "{}{sign}{:02}:{:02}",
            self.input_value(at),
            offset_minutes / 60,
            offset_minutes % 60
        )
    }
}

/// A date and time on a wall clock, with no zone yet: what a `datetime-local` input sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalDateTime {
    /// Days since 1970-01-01.
    pub days: i64,
    /// Minutes since midnight, 0–1439.
    pub minute_of_day: u32,
}

impl LocalDateTime {
    /// `YYYY-MM-DDTHH:MM` (seconds, if a browser adds them, are ignored).
    pub fn parse(raw: &str, field: &str) -> Result<Self, AppError> {
        let bad = || AppError::invalid(format!("{field} must look like 2026-11-20T14:30."));
        let (date, time) = raw.trim().split_once('T').ok_or_else(bad)?;
        let date = super::CalendarDate::parse(date, field).map_err(|_| bad())?;
        let (hh, mm) = time
            .get(..5)
            .and_then(|t| t.split_once(':'))
            .ok_or_else(bad)?;
        let (hh, mm): (u32, u32) = (
            hh.parse().map_err(|_| bad())?,
            mm.parse().map_err(|_| bad())?,
        );
        if hh >= 24 || mm >= 60 {
            return Err(bad());
        }
        Ok(Self {
            days: date.days_since_epoch(),
            minute_of_day: hh * 60 + mm,
        })
    }

    /// `(year, month, day, hour, minute)`.
    pub fn parts(&self) -> (i64, u32, u32, u32, u32) {
        let (y, m, d) = civil_from_days(self.days);
        (y, m, d, self.minute_of_day / 60, self.minute_of_day % 60)
    }

    /// The instant this wall-clock time is in UTC.
    pub fn as_utc(&self) -> i64 {
        self.days * DAY_MS + i64::from(self.minute_of_day) * 60_000
    }
}

/// `(year, month, day)` of a day number counted from 1970-01-01 (Howard Hinnant's
/// civil-from-days).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-02T01:30Z.
    const AT: i64 = 1_796_175_000_000;

    /// Los Angeles around the 2026 autumn change: -07:00, then -08:00 from 1 November.
    fn los_angeles(now: i64) -> Clock {
        Clock {
            zone: "America/Los_Angeles".into(),
            now,
            offsets: vec![
                (1_772_964_000_000, -7 * 3600),
                (1_793_523_600_000, -8 * 3600),
            ],
        }
    }

    fn auckland(now: i64) -> Clock {
        Clock {
            zone: "Pacific/Auckland".into(),
            now,
            offsets: vec![(1_790_431_200_000, 13 * 3600)],
        }
    }

    #[test]
    fn the_same_instant_is_a_different_day_either_side_of_utc() {
        assert_eq!(Clock::utc(AT).day_time(AT), "Wed 2 Dec, 01:30");
        // Behind UTC: still the evening before.
        assert_eq!(los_angeles(AT).day_time(AT), "Tue 1 Dec, 17:30");
        assert_eq!(los_angeles(AT).date_value(AT), "2026-12-01");
        // Ahead of UTC: the afternoon of the same day.
        assert_eq!(auckland(AT).day_time(AT), "Wed 2 Dec, 14:30");
        assert_eq!(auckland(AT).machine(AT), "2026-12-02T14:30+13:00");
        assert_eq!(los_angeles(AT).machine(AT), "2026-12-01T17:30-08:00");
        assert_eq!(
            los_angeles(AT).full(AT),
            "Tuesday 1 December 2026, 17:30 (America/Los_Angeles)"
        );
    }

    #[test]
    fn offsets_change_at_their_instant_and_the_first_holds_before_it() {
        let la = los_angeles(AT);
        let change = 1_793_523_600_000;
        assert_eq!(la.offset_ms(change - 1), -7 * 3_600_000);
        assert_eq!(la.offset_ms(change), -8 * 3_600_000);
        assert_eq!(la.offset_ms(0), -7 * 3_600_000);
        assert_eq!(Clock::utc(0).offset_ms(AT), 0);
    }

    #[test]
    fn days_ago_count_local_dates() {
        let la = los_angeles(AT);
        assert_eq!(la.ago(AT), "today");
        // 23:59 the evening before in Los Angeles: yesterday there, though under a day ago.
        let before = AT - (17 * 60 + 31) * 60_000;
        assert_eq!(la.ago(before), "yesterday");
        assert_eq!(la.ago(AT - 2 * DAY_MS), "2 days ago");
        assert_eq!(la.ago(AT - 21 * DAY_MS), "3 weeks ago");
        assert_eq!(la.ago(AT - 95 * DAY_MS), "3 months ago");
        assert_eq!(la.ago(AT + 3 * DAY_MS), "in 3 days");
        assert_eq!(la.ago(AT + DAY_MS), "tomorrow");
    }

    #[test]
    fn other_years_show_their_year() {
        let la = los_angeles(AT);
        assert_eq!(la.calendar_day("2026-12-05"), "Sat 5 Dec");
        assert_eq!(la.calendar_day("2027-01-04"), "Mon 4 Jan 2027");
        assert_eq!(la.calendar_day("someday"), "someday");
        assert_eq!(la.day(AT - 400 * DAY_MS), "Mon 27 Oct 2025");
        assert_eq!(la.day(AT), "Tue 1 Dec");
    }

    #[test]
    fn local_date_times_parse_with_their_field_named() {
        let local = LocalDateTime::parse("2026-12-01T17:30", "Date and time").unwrap();
        assert_eq!(local.parts(), (2026, 12, 1, 17, 30));
        assert_eq!(local.as_utc(), AT - DAY_MS + 16 * 3_600_000);
        assert!(LocalDateTime::parse("2026-12-01T17:30:45", "x").is_ok());
        for bad in [
            "",
            "2026-12-01",
            "2026-13-01T10:00",
            "2026-12-01T24:00",
            "soon",
        ] {
            let err = LocalDateTime::parse(bad, "Date and time").unwrap_err();
            assert!(err.to_string().starts_with("Date and time"), "{bad}: {err}");
        }
    }
}
