//! Goals: a measurement with a target value and date (its current value comes from check-ins),
//! or a habit with a weekly target (the client enters how often they managed it).

use super::{bounded_text, CalendarDate, Metric, Units};
use crate::AppError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GoalStatus {
    Active,
    Completed,
    Abandoned,
}

impl GoalStatus {
    pub const ALL: [GoalStatus; 3] = [Self::Active, Self::Completed, Self::Abandoned];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Completed => "completed",
            Self::Abandoned => "abandoned",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Completed => "Completed",
            Self::Abandoned => "Abandoned",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| {
                AppError::invalid("Status must be \"active\", \"completed\" or \"abandoned\".")
            })
    }
}

/// What a goal measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GoalTarget {
    /// Reach `target` (SI) of a check-in metric, optionally by a date.
    Measurement {
        metric: Metric,
        target: f64,
        target_date: Option<String>,
    },
    /// Do something `per_week` times a week.
    Habit { per_week: u32 },
}

/// A new goal, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalInput {
    pub title: String,
    pub target: GoalTarget,
}

impl GoalInput {
    pub const MAX_TITLE_CHARS: usize = 120;
    pub const MAX_PER_WEEK: u32 = 50;

    /// `kind` is `measurement` (with `metric`, `target` in the coach's units and an optional
    /// `target_date`) or `habit` (with `per_week`).
    pub fn parse(
        title: &str,
        kind: &str,
        metric: &str,
        target: &str,
        target_date: &str,
        per_week: &str,
        units: Units,
    ) -> Result<Self, AppError> {
        let title = bounded_text(title, "Goal", true, Self::MAX_TITLE_CHARS)?;
        let target = match kind.trim() {
            "measurement" => {
                let metric = Metric::from_key(metric.trim()).ok_or_else(|| {
                    AppError::invalid("Choose which measurement the goal is for.")
                })?;
                let value = metric.parse(target, units)?.ok_or_else(|| {
                    AppError::invalid(format!(
                        "Target {} is required.",
                        metric.label().to_lowercase()
                    ))
                })?;
                let target_date = CalendarDate::optional(target_date, "Target date")?
                    .map(|d| d.as_str().to_owned());
                GoalTarget::Measurement {
                    metric,
                    target: value,
                    target_date,
                }
            }
            "habit" => {
                let per_week: u32 = per_week.trim().parse().map_err(|_| {
                    AppError::invalid("Times a week must be a whole number from 1 to 50.")
                })?;
                if !(1..=Self::MAX_PER_WEEK).contains(&per_week) {
                    return Err(AppError::invalid(
                        "Times a week must be a whole number from 1 to 50.",
                    ));
                }
                GoalTarget::Habit { per_week }
            }
            _ => {
                return Err(AppError::invalid(
                    "Goal type must be \"measurement\" or \"habit\".",
                ))
            }
        };
        Ok(Self { title, target })
    }
}

/// A goal as the coach and the client see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Goal {
    pub id: String,
    pub client_id: String,
    pub title: String,
    pub target: GoalTarget,
    pub status: GoalStatus,
    /// Measurement goals: the value when the goal was set (or the first check-in after), SI.
    pub start_value: Option<f64>,
    /// Measurement goals: the latest check-in value, SI. Habit goals: times this week.
    pub current_value: Option<f64>,
    /// 0-100, when there is enough to say.
    pub progress_percent: Option<u8>,
    pub units: Units,
}

/// How far from `start` to `target` the `current` value has come, 0-100. Works both ways
/// (losing and gaining); overshooting counts as done, going backwards as 0.
pub fn measurement_progress(start: f64, current: f64, target: f64) -> u8 {
    let span = target - start;
    if span.abs() < 1e-9 {
        return if (current - target).abs() < 1e-9 {
            100
        } else {
            0
        };
    }
    (((current - start) / span) * 100.0)
        .clamp(0.0, 100.0)
        .round() as u8
}

/// This week's count against the weekly target, 0-100.
pub fn habit_progress(done: u32, per_week: u32) -> u8 {
    if per_week == 0 {
        return 0;
    }
    ((f64::from(done) / f64::from(per_week)) * 100.0)
        .clamp(0.0, 100.0)
        .round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(
        kind: &str,
        metric: &str,
        target: &str,
        per_week: &str,
    ) -> Result<GoalInput, AppError> {
        GoalInput::parse(
            "Lose 5 kg",
            kind,
            metric,
            target,
            "",
            per_week,
            Units::Metric,
        )
    }

    #[test]
    fn goals_parse_with_clear_errors() {
        let goal = parse("measurement", "weight", "75", "").unwrap();
        assert_eq!(
            goal.target,
            GoalTarget::Measurement {
                metric: Metric::Weight,
                target: 75.0,
                target_date: None
            }
        );
        assert_eq!(
            parse("habit", "", "", "4").unwrap().target,
            GoalTarget::Habit { per_week: 4 }
        );
        let err = |r: Result<GoalInput, AppError>| r.unwrap_err().to_string();
        assert_eq!(
            err(parse("measurement", "weight", "5000", "")),
            "Weight must be between 20 kg and 400 kg."
        );
        assert_eq!(
            err(parse("measurement", "weight", "", "")),
            "Target weight is required."
        );
        assert_eq!(
            err(parse("measurement", "iq", "100", "")),
            "Choose which measurement the goal is for."
        );
        assert_eq!(
            err(parse("habit", "", "", "0")),
            "Times a week must be a whole number from 1 to 50."
        );
        assert_eq!(
            err(parse("dream", "", "", "")),
            "Goal type must be \"measurement\" or \"habit\"."
        );
        assert!(GoalInput::parse(" ", "habit", "", "", "", "3", Units::Metric).is_err());
        let imperial = GoalInput::parse(
            "Gain",
            "measurement",
            "weight",
            "176.4",
            "2027-01-31",
            "",
            Units::Imperial,
        )
        .unwrap();
        match imperial.target {
            GoalTarget::Measurement {
                target,
                target_date,
                ..
            } => {
                assert!((target - 80.0).abs() < 0.02);
                assert_eq!(target_date.as_deref(), Some("2027-01-31"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn progress_runs_both_ways_and_is_bounded() {
        assert_eq!(measurement_progress(80.0, 78.5, 75.0), 30);
        assert_eq!(measurement_progress(60.0, 63.0, 66.0), 50);
        assert_eq!(measurement_progress(80.0, 81.0, 75.0), 0);
        assert_eq!(measurement_progress(80.0, 74.0, 75.0), 100);
        assert_eq!(measurement_progress(75.0, 75.0, 75.0), 100);
        assert_eq!(habit_progress(2, 4), 50);
        assert_eq!(habit_progress(6, 4), 100);
    }
}
