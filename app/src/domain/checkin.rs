//! Check-ins: what a client reports each week, parsed from the coach's units into SI, and what
//! the coach and the client see back.

use super::{LongText, Units};
use crate::AppError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const CM_PER_INCH: f64 = 2.54;
const KG_PER_LB: f64 = 0.453_592_37;

/// How a metric is measured, which decides its unit, conversion and rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Body weight: kg or lb.
    Weight,
    /// A circumference: cm or in.
    Length,
    /// A percentage.
    Percent,
    /// A whole number (sessions, steps).
    Count,
    /// Hours (of sleep).
    Hours,
    /// A 1-10 rating.
    Rating,
}

/// Every number a check-in can carry. Values are stored in SI (kg, cm) and shown in the coach's
/// units.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Weight,
    BodyFat,
    Waist,
    Hips,
    Chest,
    Arm,
    Thigh,
    Sessions,
    Adherence,
    Steps,
    Sleep,
    Energy,
    Stress,
    Hunger,
    Mood,
}

impl Metric {
    pub const ALL: [Metric; 15] = [
        Metric::Weight,
        Metric::BodyFat,
        Metric::Waist,
        Metric::Hips,
        Metric::Chest,
        Metric::Arm,
        Metric::Thigh,
        Metric::Sessions,
        Metric::Adherence,
        Metric::Steps,
        Metric::Sleep,
        Metric::Energy,
        Metric::Stress,
        Metric::Hunger,
        Metric::Mood,
    ];

    /// The form field and database column name.
    pub fn key(self) -> &'static str {
        match self {
            Self::Weight => "weight",
            Self::BodyFat => "body_fat",
            Self::Waist => "waist",
            Self::Hips => "hips",
            Self::Chest => "chest",
            Self::Arm => "arm",
            Self::Thigh => "thigh",
            Self::Sessions => "sessions",
            Self::Adherence => "adherence",
            Self::Steps => "steps",
            Self::Sleep => "sleep",
            Self::Energy => "energy",
            Self::Stress => "stress",
            Self::Hunger => "hunger",
            Self::Mood => "mood",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Weight => "Weight",
            Self::BodyFat => "Body fat",
            Self::Waist => "Waist",
            Self::Hips => "Hips",
            Self::Chest => "Chest",
            Self::Arm => "Arm",
            Self::Thigh => "Thigh",
            Self::Sessions => "Sessions completed",
            Self::Adherence => "Adherence",
            Self::Steps => "Steps (daily average)",
            Self::Sleep => "Sleep (hours a night)",
            Self::Energy => "Energy",
            Self::Stress => "Stress",
            Self::Hunger => "Hunger",
            Self::Mood => "Mood",
        }
    }

    pub fn kind(self) -> MetricKind {
        match self {
            Self::Weight => MetricKind::Weight,
            Self::Waist | Self::Hips | Self::Chest | Self::Arm | Self::Thigh => MetricKind::Length,
            Self::BodyFat | Self::Adherence => MetricKind::Percent,
            Self::Sessions | Self::Steps => MetricKind::Count,
            Self::Sleep => MetricKind::Hours,
            Self::Energy | Self::Stress | Self::Hunger | Self::Mood => MetricKind::Rating,
        }
    }

    /// True for body measurements, false for training metrics and ratings.
    pub fn is_body(self) -> bool {
        matches!(self.kind(), MetricKind::Weight | MetricKind::Length) || self == Self::BodyFat
    }

    /// The plausible range, in SI.
    fn range_si(self) -> (f64, f64) {
        match self {
            Self::Weight => (20.0, 400.0),
            Self::BodyFat => (2.0, 75.0),
            Self::Waist | Self::Hips | Self::Chest => (30.0, 300.0),
            Self::Arm => (10.0, 100.0),
            Self::Thigh => (20.0, 150.0),
            Self::Sessions => (0.0, 50.0),
            Self::Adherence => (0.0, 100.0),
            Self::Steps => (0.0, 150_000.0),
            Self::Sleep => (0.0, 24.0),
            Self::Energy | Self::Stress | Self::Hunger | Self::Mood => (1.0, 10.0),
        }
    }

    /// The unit shown to the user, in `units`.
    pub fn unit(self, units: Units) -> &'static str {
        match (self.kind(), units) {
            (MetricKind::Weight, Units::Metric) => "kg",
            (MetricKind::Weight, Units::Imperial) => "lb",
            (MetricKind::Length, Units::Metric) => "cm",
            (MetricKind::Length, Units::Imperial) => "in",
            (MetricKind::Percent, _) => "%",
            (MetricKind::Hours, _) => "h",
            (MetricKind::Rating, _) => "/10",
            (MetricKind::Count, _) => "",
        }
    }

    /// SI value to the user's units.
    pub fn to_display(self, si: f64, units: Units) -> f64 {
        match (self.kind(), units) {
            (MetricKind::Weight, Units::Imperial) => si / KG_PER_LB,
            (MetricKind::Length, Units::Imperial) => si / CM_PER_INCH,
            _ => si,
        }
    }

    /// A value typed in the user's units to SI.
    pub fn from_display(self, value: f64, units: Units) -> f64 {
        match (self.kind(), units) {
            (MetricKind::Weight, Units::Imperial) => value * KG_PER_LB,
            (MetricKind::Length, Units::Imperial) => value * CM_PER_INCH,
            _ => value,
        }
    }

    /// The number to prefill an input with, in the user's units.
    pub fn input_value(self, si: f64, units: Units) -> String {
        let v = self.to_display(si, units);
        match self.kind() {
            MetricKind::Count | MetricKind::Rating => format!("{}", v.round()),
            _ => format!("{}", round1(v)),
        }
    }

    /// A value for reading: `80.5 kg`, `12 %`, `7/10`, `8,500`.
    pub fn format(self, si: f64, units: Units) -> String {
        let number = self.input_value(si, units);
        match self.kind() {
            MetricKind::Rating => format!("{number}/10"),
            MetricKind::Percent => format!("{number}%"),
            MetricKind::Count => number,
            _ => format!("{number} {}", self.unit(units)),
        }
    }

    /// The change between two values in the user's units, rounded as values are shown:
    /// `+1.5 kg`, `−2`, `+1 pts` (percentages change by points). `None` when it rounds to zero.
    pub fn format_change(self, from_si: f64, to_si: f64, units: Units) -> Option<String> {
        let delta = self.to_display(to_si, units) - self.to_display(from_si, units);
        let size = match self.kind() {
            MetricKind::Count | MetricKind::Rating => delta.abs().round(),
            _ => round1(delta.abs()),
        };
        if size == 0.0 || !size.is_finite() {
            return None;
        }
        let sign = if delta < 0.0 { '\u{2212}' } else { '+' };
        let unit = match self.kind() {
            MetricKind::Percent => " pts".to_owned(),
            MetricKind::Count | MetricKind::Rating => String::new(),
            _ => format!(" {}", self.unit(units)),
        };
        Some(format!("{sign}{size}{unit}"))
    }

    /// Parses what the user typed (in `units`) into SI. Empty means "not reported".
    pub fn parse(self, raw: &str, units: Units) -> Result<Option<f64>, AppError> {
        let text = number_text(raw);
        if text.is_empty() {
            return Ok(None);
        }
        let not_number = || AppError::invalid(format!("{} must be a number.", self.label()));
        let value: f64 = text.parse().map_err(|_| not_number())?;
        if !value.is_finite() {
            return Err(not_number());
        }
        if matches!(self.kind(), MetricKind::Count | MetricKind::Rating) && value.fract() != 0.0 {
            return Err(AppError::invalid(format!(
                "{} must be a whole number.",
                self.label()
            )));
        }
        let si = self.from_display(value, units);
        let (lo, hi) = self.range_si();
        // A small tolerance so the displayed bounds themselves are accepted after conversion.
        if si < lo - 1e-6 || si > hi + 1e-6 {
            let unit = self.unit(units);
            let show = |v: f64| {
                let shown = self.to_display(v, units);
                match self.kind() {
                    MetricKind::Count | MetricKind::Rating => format!("{}", shown.round()),
                    _ => format!("{}", round1(shown)),
                }
            };
            let unit = if unit.is_empty() || unit == "/10" {
                String::new()
            } else if unit == "%" {
                "%".into()
            } else {
                format!(" {unit}")
            };
            return Err(AppError::invalid(format!(
                "{} must be between {}{unit} and {}{unit}.",
                self.label(),
                show(lo),
                show(hi)
            )));
        }
        Ok(Some(si))
    }
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// The four progress photo positions; a check-in has at most one photo in each.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PhotoSlot {
    Front,
    Side,
    Back,
    Other,
}

impl PhotoSlot {
    pub const ALL: [PhotoSlot; 4] = [
        PhotoSlot::Front,
        PhotoSlot::Side,
        PhotoSlot::Back,
        PhotoSlot::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Front => "front",
            Self::Side => "side",
            Self::Back => "back",
            Self::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Front => "Front",
            Self::Side => "Side",
            Self::Back => "Back",
            Self::Other => "Other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The multipart field a photo for this slot is uploaded in.
    pub fn field_name(self) -> &'static str {
        match self {
            Self::Front => "photo_front",
            Self::Side => "photo_side",
            Self::Back => "photo_back",
            Self::Other => "photo_other",
        }
    }

    pub fn from_field_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.field_name() == name)
    }
}

/// A check-in's answers to the coach's form are its fields `form.<field id>` (repeated for a
/// multiple choice).
pub const FORM_FIELD_PREFIX: &str = "form.";

/// The numbers of one check-in, in SI, keyed by metric. Missing means "not reported".
pub type MetricValues = BTreeMap<Metric, f64>;

/// The key a browser gives a check-in before its first attempt to send it, so that sending it
/// again (an offline queue retrying, a connection lost before the answer) cannot record it twice.
/// The portal makes 32 hex digits; 16 to 64 letters, digits, `-` and `_` are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The form field that carries it.
    pub const FIELD: &'static str = "idempotency_key";

    /// `None` for an empty or absent field (a form posted without the app has none).
    pub fn parse_optional(raw: Option<&str>) -> Result<Option<Self>, AppError> {
        let raw = raw.unwrap_or("").trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let plausible = (16..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !plausible {
            return Err(AppError::invalid(
                "idempotency_key must be 16 to 64 letters, digits, - or _.",
            ));
        }
        Ok(Some(Self(raw.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A submitted check-in's text fields, parsed. Photos travel separately.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckinInput {
    pub values: MetricValues,
    pub feedback: LongText,
    /// Answers to the client's check-in form, when their coach set one.
    pub form: Option<super::FilledForm>,
}

impl CheckinInput {
    /// Parses the raw form fields (`metric key -> text`, plus `feedback`) in the coach's units.
    /// `has_photos` lets a check-in consist of photos alone, `form` of form answers alone.
    pub fn parse(
        fields: &BTreeMap<String, String>,
        units: Units,
        has_photos: bool,
        form: Option<super::FilledForm>,
    ) -> Result<Self, AppError> {
        let mut values = MetricValues::new();
        for metric in Metric::ALL {
            if let Some(raw) = fields.get(metric.key()) {
                if let Some(si) = metric.parse(raw, units)? {
                    values.insert(metric, si);
                }
            }
        }
        let feedback = LongText::parse(
            fields.get("feedback").map(String::as_str).unwrap_or(""),
            "Feedback",
        )?;
        let answered = form.as_ref().is_some_and(|f| !f.answers.is_empty());
        if values.is_empty() && feedback.as_str().is_empty() && !has_photos && !answered {
            return Err(AppError::invalid(
                "Your check-in is empty. Add at least one measurement, a note or a photo.",
            ));
        }
        Ok(Self {
            values,
            feedback,
            form,
        })
    }
}

/// A photo as the viewer receives it: a short-lived URL, never a storage key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PhotoView {
    pub slot: PhotoSlot,
    pub url: String,
    pub width: u32,
    pub height: u32,
}

/// One check-in in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CheckinSummary {
    pub id: String,
    /// Milliseconds since the Unix epoch.
    pub submitted_at: i64,
    pub reviewed: bool,
    pub has_reply: bool,
    pub photo_count: u32,
}

/// One check-in in full, for its coach or its client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CheckinDetail {
    pub id: String,
    pub submitted_at: i64,
    pub values: MetricValues,
    pub feedback: String,
    /// The coach's reply, once written.
    pub reply: Option<String>,
    pub replied_at: Option<i64>,
    pub reviewed_at: Option<i64>,
    pub photos: Vec<PhotoView>,
    /// The coach's units, for display.
    pub units: Units,
    /// Answers to the client's check-in form, if they had one.
    pub form: Option<super::FilledForm>,
}

/// What the coach reviews: a check-in beside the client's previous one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CheckinReview {
    pub client_id: String,
    pub client_name: String,
    pub current: CheckinDetail,
    pub previous: Option<CheckinDetail>,
}

/// One row of the coach's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InboxItem {
    pub checkin_id: String,
    pub client_id: String,
    pub client_name: String,
    pub submitted_at: i64,
    pub photo_count: u32,
    /// The start of the client's feedback, for the list.
    pub feedback_preview: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// One point of a chart: when, and the value in SI.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Point {
    pub at: i64,
    pub value: f64,
}

/// One metric over time, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Series {
    pub metric: Metric,
    pub points: Vec<Point>,
}

/// A check-in that has photos, for choosing comparison dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PhotoCheckin {
    pub checkin_id: String,
    pub submitted_at: i64,
    pub slots: Vec<PhotoSlot>,
}

/// Everything the progress view needs for one client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Progress {
    pub units: Units,
    /// Only metrics with at least one value, in [`Metric::ALL`] order.
    pub series: Vec<Series>,
    /// Oldest first.
    pub photo_checkins: Vec<PhotoCheckin>,
}

/// `YYYY-MM-DD` (UTC) for a time in milliseconds since the epoch: for file names, which carry
/// no zone, and the check-in PDF (read by coach and client, each in their own zone). Pages show
/// dates through the viewer's [`super::Clock`].
pub fn date_label(millis: i64) -> String {
    let (y, m, d) = super::civil_from_days(millis.div_euclid(86_400_000));
    format!("{y:04}-{m:02}-{d:02}")
}

/// A typed number in the form Rust parses: one comma followed by one or two digits, and no
/// point, is a decimal comma (`72,5`); other commas separate thousands (`9,500`, `10,000.5`).
fn number_text(raw: &str) -> String {
    let text = raw.trim();
    let decimal_comma = match text.split_once(',') {
        Some((_, after)) => {
            !text.contains('.')
                && (1..=2).contains(&after.len())
                && after.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    };
    if decimal_comma {
        text.replacen(',', ".", 1)
    } else {
        text.replace(',', "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_decimal_comma_is_read_as_a_point_and_other_commas_as_thousands() {
        let parse = |metric: Metric, raw: &str| metric.parse(raw, Units::Metric).unwrap();
        assert_eq!(parse(Metric::Weight, "72,5"), Some(72.5));
        assert_eq!(parse(Metric::Sleep, " 7,25 "), Some(7.25));
        assert_eq!(parse(Metric::Steps, "9,500"), Some(9500.0));
        assert_eq!(parse(Metric::Steps, "12,000"), Some(12000.0));
        assert_eq!(parse(Metric::Steps, "10,000.0"), Some(10000.0));
        assert!(Metric::Weight.parse("72,5,1", Units::Metric).is_err());
        assert!(Metric::Weight.parse("7,a", Units::Metric).is_err());
    }

    #[test]
    fn absurd_values_get_clear_errors_in_the_users_units() {
        let err = Metric::Weight.parse("5000", Units::Metric).unwrap_err();
        assert_eq!(err.to_string(), "Weight must be between 20 kg and 400 kg.");
        let err = Metric::Sleep.parse("30", Units::Metric).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Sleep (hours a night) must be between 0 h and 24 h."
        );
        let err = Metric::Waist.parse("-3", Units::Imperial).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Waist must be between 11.8 in and 118.1 in."
        );
        let err = Metric::Energy.parse("11", Units::Metric).unwrap_err();
        assert_eq!(err.to_string(), "Energy must be between 1 and 10.");
        let err = Metric::Adherence.parse("120", Units::Metric).unwrap_err();
        assert_eq!(err.to_string(), "Adherence must be between 0% and 100%.");
        assert!(Metric::Steps.parse("12.5", Units::Metric).is_err());
        assert!(Metric::Weight.parse("NaN", Units::Metric).is_err());
        assert!(Metric::Weight.parse("heavy", Units::Metric).is_err());
    }

    #[test]
    fn idempotency_keys_are_plain_and_bounded() {
        let key = |raw: &str| IdempotencyKey::parse_optional(Some(raw));
        assert_eq!(key("").unwrap(), None);
        assert_eq!(IdempotencyKey::parse_optional(None).unwrap(), None);
        let made = "0123456789abcdef0123456789abcdef";
        assert_eq!(key(made).unwrap().unwrap().as_str(), made);
        for bad in [
            "short",
            &"a".repeat(65),
            "0123456789abcdef 0123",
            "0123456789abcdef/../x",
        ] {
            let err = key(bad).unwrap_err();
            assert!(
                err.to_string().starts_with("idempotency_key"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn changes_read_naturally() {
        let change = |m: Metric, a, b, u| m.format_change(a, b, u);
        assert_eq!(
            change(Metric::Weight, 80.0, 78.5, Units::Metric).as_deref(),
            Some("\u{2212}1.5 kg")
        );
        assert_eq!(change(Metric::Weight, 80.0, 80.04, Units::Metric), None);
        assert_eq!(
            change(Metric::Mood, 5.0, 7.0, Units::Metric).as_deref(),
            Some("+2")
        );
        assert_eq!(
            change(Metric::BodyFat, 20.0, 19.0, Units::Metric).as_deref(),
            Some("\u{2212}1 pts")
        );
        assert_eq!(
            change(Metric::Weight, 80.0, 82.0, Units::Imperial).as_deref(),
            Some("+4.4 lb")
        );
    }

    #[test]
    fn imperial_values_are_stored_in_si() {
        let kg = Metric::Weight
            .parse("176.4", Units::Imperial)
            .unwrap()
            .unwrap();
        assert!((kg - 80.0).abs() < 0.02);
        assert_eq!(Metric::Weight.format(kg, Units::Imperial), "176.4 lb");
        let cm = Metric::Waist.parse("32", Units::Imperial).unwrap().unwrap();
        assert!((cm - 81.28).abs() < 0.001);
        assert_eq!(
            Metric::Steps.parse("8,500", Units::Metric).unwrap(),
            Some(8500.0)
        );
        assert_eq!(Metric::Mood.format(7.0, Units::Metric), "7/10");
    }

    #[test]
    fn an_empty_check_in_is_refused_but_photos_alone_are_enough() {
        assert!(
            CheckinInput::parse(&fields(&[("weight", " ")]), Units::Metric, false, None).is_err()
        );
        let only_photos = CheckinInput::parse(&fields(&[]), Units::Metric, true, None).unwrap();
        assert!(only_photos.values.is_empty());
        let input = CheckinInput::parse(
            &fields(&[("weight", "80"), ("mood", "7"), ("feedback", " Good week ")]),
            Units::Metric,
            false,
            None,
        )
        .unwrap();
        assert_eq!(input.values.get(&Metric::Weight), Some(&80.0));
        assert_eq!(input.feedback.as_str(), "Good week");
    }

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(date_label(0), "1970-01-01");
        assert_eq!(date_label(951_782_400_000), "2000-02-29");
        assert_eq!(date_label(1_795_910_400_000), "2026-11-29");
    }

    #[test]
    fn slots_and_metrics_round_trip() {
        for slot in PhotoSlot::ALL {
            assert_eq!(PhotoSlot::parse(slot.as_str()), Some(slot));
            assert_eq!(PhotoSlot::from_field_name(slot.field_name()), Some(slot));
        }
        for metric in Metric::ALL {
            assert_eq!(Metric::from_key(metric.key()), Some(metric));
        }
    }
}
