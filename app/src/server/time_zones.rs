//! Time zones on the server, from the IANA database bundled by jiff: which names exist, the
//! [`Clock`] a page gets for its viewer, wall-clock times typed into forms turned into instants,
//! and the local week a habit goal counts in.

use crate::domain::{civil_from_days, Clock, LocalDateTime, Timezone};
use crate::AppError;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::sync::OnceLock;

/// How far back and ahead of now a [`Clock`] carries its zone's offsets. Older dates (an
/// imported history) use the oldest offset: at worst an hour off in a past summer.
const CLOCK_YEARS_BACK: i64 = 10;
const CLOCK_YEARS_AHEAD: i64 = 2;
const YEAR_MS: i64 = 365 * 86_400_000;

fn unknown_zone() -> AppError {
    AppError::invalid("Time zone: choose one from the list, such as Europe/London.")
}

/// A zone name as typed, checked against the database.
pub fn known(raw: &str) -> Result<Timezone, AppError> {
    let zone = Timezone::parse(raw).map_err(|_| unknown_zone())?;
    TimeZone::get(zone.as_str()).map_err(|_| unknown_zone())?;
    Ok(zone)
}

/// The zone a browser said it is in (a hidden form field, empty without JavaScript), if the
/// database knows it. A name it does not know is ignored rather than refused: nobody should
/// fail to sign up over a hint they never saw.
pub fn device_zone(raw: Option<&str>) -> Option<Timezone> {
    raw.map(str::trim)
        .filter(|raw| !raw.is_empty())
        .and_then(|raw| known(raw).ok())
}

/// The zone of a stored name; a name the database no longer has reads as UTC.
fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap_or(TimeZone::UTC)
}

fn timestamp(millis: i64) -> Timestamp {
    Timestamp::from_millisecond(millis).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Every zone a user can choose, sorted: the database's names that [`Timezone::parse`] takes
/// (areas and cities, not the old `US/Pacific` aliases or `EST5EDT` rules).
pub fn names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|name| name.to_string())
            .filter(|name| Timezone::parse(name).is_ok())
            .collect();
        names.sort();
        names.dedup();
        names
    })
}

/// The clock of someone in zone `name`, as of `now`.
pub fn clock(name: &str, now: i64) -> Clock {
    let tz = zone(name);
    let from = now.saturating_sub(CLOCK_YEARS_BACK * YEAR_MS);
    let until = now.saturating_add(CLOCK_YEARS_AHEAD * YEAR_MS);
    let mut offsets = vec![(from, tz.to_offset(timestamp(from)).seconds())];
    for transition in tz.following(timestamp(from)) {
        let at = transition.timestamp().as_millisecond();
        if at > until {
            break;
        }
        offsets.push((at, transition.offset().seconds()));
    }
    // Transitions that change only the abbreviation or the DST flag leave the offset as it was.
    offsets.dedup_by_key(|(_, seconds)| *seconds);
    Clock {
        zone: tz.iana_name().unwrap_or("UTC").to_owned(),
        now,
        offsets,
    }
}

/// Clocks for many people at one moment, each zone's made once: a page of clients shares a
/// handful of zones, and a clock holds years of offsets.
pub struct Clocks {
    now: i64,
    by_zone: std::collections::HashMap<String, Clock>,
}

impl Clocks {
    pub fn at(now: i64) -> Self {
        Self {
            now,
            by_zone: std::collections::HashMap::new(),
        }
    }

    pub fn get(&mut self, zone: String) -> &Clock {
        let now = self.now;
        self.by_zone
            .entry(zone)
            .or_insert_with_key(|zone| clock(zone, now))
    }
}

/// When a wall-clock time in zone `name` happens. A time skipped by a spring-forward change
/// reads as the same time after it; one that happens twice in autumn, as the first.
pub fn instant(name: &str, local: LocalDateTime) -> i64 {
    let (year, month, day, hour, minute) = local.parts();
    let civil = i16::try_from(year).ok().and_then(|year| {
        jiff::civil::DateTime::new(year, month as i8, day as i8, hour as i8, minute as i8, 0, 0)
            .ok()
    });
    civil
        .and_then(|civil| civil.to_zoned(zone(name)).ok())
        .map_or_else(
            || local.as_utc(),
            |zoned| zoned.timestamp().as_millisecond(),
        )
}

/// The Monday of the local week containing `at` in zone `name`, `YYYY-MM-DD`: habit goals count
/// their weekly times in the client's own week.
pub fn week_start(name: &str, at: i64) -> String {
    let offset = zone(name).to_offset(timestamp(at)).seconds();
    let local = Clock {
        zone: name.to_owned(),
        now: at,
        offsets: vec![(at, offset)],
    }
    .civil(at);
    let (y, m, d) = civil_from_days(local.days - local.weekday as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-02T01:30Z: still 1 December in Los Angeles, already the afternoon of the 2nd in
    /// Auckland.
    const AT: i64 = 1_796_175_000_000;

    #[test]
    fn known_zones_are_the_databases() {
        assert_eq!(known(" Europe/London ").unwrap().as_str(), "Europe/London");
        for bad in ["Europe/Atlantis", "Mars/Olympus", "", "US/Pacific"] {
            assert_eq!(
                known(bad).unwrap_err().to_string(),
                "Time zone: choose one from the list, such as Europe/London."
            );
        }
        assert_eq!(device_zone(Some("  ")), None);
        assert_eq!(device_zone(Some("Atlantis/Capital")), None);
        assert_eq!(
            device_zone(Some("Asia/Tokyo")).map(|z| z.as_str().to_owned()),
            Some("Asia/Tokyo".to_owned())
        );
        assert!(names().iter().any(|name| name == "America/Los_Angeles"));
        assert!(names().iter().any(|name| name == "UTC"));
        assert!(!names().iter().any(|name| name == "US/Pacific"));
        assert!(names().len() > 300, "{}", names().len());
    }

    #[test]
    fn clocks_read_the_zones_offsets_either_side_of_utc() {
        let la = clock("America/Los_Angeles", AT);
        assert_eq!(la.day_time(AT), "Tue 1 Dec, 17:30");
        // Summer time: 1 July 2026 12:00Z is 05:00 in Los Angeles.
        assert_eq!(la.time_of_day(1_782_907_200_000), "05:00");
        let auckland = clock("Pacific/Auckland", AT);
        assert_eq!(auckland.day_time(AT), "Wed 2 Dec, 14:30");
        assert_eq!(auckland.time_of_day(1_782_907_200_000), "00:00");
        // Ten years of two changes a year, not one entry per abbreviation change.
        assert!(la.offsets.len() <= 2 * 13, "{}", la.offsets.len());
        assert_eq!(clock("Asia/Kolkata", AT).offsets.len(), 1);
        assert_eq!(clock("Nowhere/Gone", AT).zone, "UTC");
    }

    #[test]
    fn typed_times_are_read_on_the_zones_wall_clock() {
        let evening = LocalDateTime::parse("2026-12-01T17:30", "t").unwrap();
        assert_eq!(instant("America/Los_Angeles", evening), AT);
        let afternoon = LocalDateTime::parse("2026-12-02T14:30", "t").unwrap();
        assert_eq!(instant("Pacific/Auckland", afternoon), AT);
        assert_eq!(instant("UTC", evening), evening.as_utc());
        // 02:30 on 8 March 2026 does not exist in Los Angeles: it reads as 03:30 PDT (10:30Z).
        let skipped = LocalDateTime::parse("2026-03-08T02:30", "t").unwrap();
        assert_eq!(instant("America/Los_Angeles", skipped), 1_772_965_800_000);
    }

    #[test]
    fn habit_weeks_start_on_the_clients_monday() {
        // Monday 30 November 2026 00:30 in Auckland is still Sunday 29 November (11:30Z) in
        // UTC, whose week began on the 23rd.
        let monday_morning = 1_795_951_800_000;
        assert_eq!(week_start("Pacific/Auckland", monday_morning), "2026-11-30");
        assert_eq!(week_start("UTC", monday_morning), "2026-11-23");
        // Sunday 29 November 22:00 in Los Angeles is already Monday (06:00Z) in UTC.
        let sunday_night = 1_796_018_400_000;
        assert_eq!(
            week_start("America/Los_Angeles", sunday_night),
            "2026-11-23"
        );
        assert_eq!(week_start("UTC", sunday_night), "2026-11-30");
    }
}
