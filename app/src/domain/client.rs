//! Client profiles: the raw form, its parsed form, and what the coach and the client see.

use super::{bounded_text, Email, PersonName, Units};
use crate::AppError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Multi-line free text (goals, conditions, notes), trimmed and bounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, JsonSchema)]
pub struct LongText(String);

impl LongText {
    pub const MAX_CHARS: usize = 4000;

    pub fn parse(raw: &str, field: &str) -> Result<Self, AppError> {
        let text = raw.trim();
        if text.chars().count() > Self::MAX_CHARS {
            return Err(AppError::invalid(format!(
                "{field} is too long ({} characters at most).",
                Self::MAX_CHARS
            )));
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(AppError::invalid(format!(
                "{field} contains invalid characters."
            )));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn required(raw: &str, field: &str) -> Result<Self, AppError> {
        let text = Self::parse(raw, field)?;
        if text.0.is_empty() {
            return Err(AppError::invalid(format!("{field} is required.")));
        }
        Ok(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A calendar date, `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CalendarDate(String);

impl CalendarDate {
    pub fn parse(raw: &str, field: &str) -> Result<Self, AppError> {
        let text = raw.trim();
        let bad = || AppError::invalid(format!("{field} must be a date like 1990-04-25."));
        let parts: Vec<&str> = text.split('-').collect();
        let [y, m, d] = parts.as_slice() else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let (y, m, d): (u32, u32, u32) = (
            y.parse().map_err(|_| bad())?,
            m.parse().map_err(|_| bad())?,
            d.parse().map_err(|_| bad())?,
        );
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let days = match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(bad()),
        };
        if !(1900..=2100).contains(&y) || d == 0 || d > days {
            return Err(bad());
        }
        Ok(Self(text.to_owned()))
    }

    /// Days from 1970-01-01 to this date (Howard Hinnant's days-from-civil).
    pub fn days_since_epoch(&self) -> i64 {
        let mut parts = self.0.split('-').map(|p| p.parse::<i64>().unwrap_or(1));
        let (y, m, d) = (
            parts.next().unwrap_or(1970),
            parts.next().unwrap_or(1),
            parts.next().unwrap_or(1),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn optional(raw: &str, field: &str) -> Result<Option<Self>, AppError> {
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(raw, field).map(Some)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Self::Monday,
        Self::Tuesday,
        Self::Wednesday,
        Self::Thursday,
        Self::Friday,
        Self::Saturday,
        Self::Sunday,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Monday => "monday",
            Self::Tuesday => "tuesday",
            Self::Wednesday => "wednesday",
            Self::Thursday => "thursday",
            Self::Friday => "friday",
            Self::Saturday => "saturday",
            Self::Sunday => "sunday",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Monday => "Monday",
            Self::Tuesday => "Tuesday",
            Self::Wednesday => "Wednesday",
            Self::Thursday => "Thursday",
            Self::Friday => "Friday",
            Self::Saturday => "Saturday",
            Self::Sunday => "Sunday",
        }
    }

    pub fn parse(raw: &str) -> Result<Option<Self>, AppError> {
        let text = raw.trim().to_ascii_lowercase();
        if text.is_empty() {
            return Ok(None);
        }
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == text)
            .map(Some)
            .ok_or_else(|| AppError::invalid("Check-in day must be a day of the week."))
    }
}

/// A client profile as typed into the form: every field is text, in the coach's units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, JsonSchema)]
pub struct ClientForm {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub date_of_birth: String,
    pub age: String,
    pub gender: String,
    pub height: String,
    pub weight: String,
    pub goals: String,
    pub medical_conditions: String,
    pub dietary_restrictions: String,
    pub injuries: String,
    pub medications: String,
    pub checkin_day: String,
}

/// A client profile, parsed: SI units, bounded text, real dates.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientInput {
    pub name: PersonName,
    pub email: Email,
    pub phone: String,
    pub date_of_birth: Option<CalendarDate>,
    pub age_years: Option<i64>,
    pub gender: String,
    pub height_cm: Option<f64>,
    pub weight_kg: Option<f64>,
    pub goals: LongText,
    pub medical_conditions: LongText,
    pub dietary_restrictions: LongText,
    pub injuries: LongText,
    pub medications: LongText,
    pub checkin_day: Option<Weekday>,
}

/// A phone number: digits, spaces and `+()-.`, or empty.
pub fn parse_phone(raw: &str) -> Result<String, AppError> {
    let phone = bounded_text(raw, "Phone", false, 32)?;
    if phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +()-.".contains(c))
    {
        Ok(phone)
    } else {
        Err(AppError::invalid(
            "Phone may contain only digits, spaces and + ( ) - .",
        ))
    }
}

impl ClientInput {
    pub fn parse(form: &ClientForm, units: Units) -> Result<Self, AppError> {
        let age_years = match form.age.trim() {
            "" => None,
            raw => match raw.parse::<i64>() {
                Ok(age) if (1..=120).contains(&age) => Some(age),
                _ => {
                    return Err(AppError::invalid(
                        "Age must be a whole number from 1 to 120.",
                    ))
                }
            },
        };
        let date_of_birth = CalendarDate::optional(&form.date_of_birth, "Date of birth")?;
        if date_of_birth.is_some() && age_years.is_some() {
            return Err(AppError::invalid(
                "Give a date of birth or an age, not both.",
            ));
        }
        Ok(Self {
            name: PersonName::parse(&form.name)?,
            email: Email::parse(&form.email)?,
            phone: parse_phone(&form.phone)?,
            date_of_birth,
            age_years,
            gender: bounded_text(&form.gender, "Gender", false, 40)?,
            height_cm: units.parse_height(&form.height)?,
            weight_kg: units.parse_weight(&form.weight)?,
            goals: LongText::parse(&form.goals, "Goals")?,
            medical_conditions: LongText::parse(&form.medical_conditions, "Medical conditions")?,
            dietary_restrictions: LongText::parse(
                &form.dietary_restrictions,
                "Dietary restrictions",
            )?,
            injuries: LongText::parse(&form.injuries, "Injuries")?,
            medications: LongText::parse(&form.medications, "Medications")?,
            checkin_day: Weekday::parse(&form.checkin_day)?,
        })
    }
}

/// A client profile as the coach sees it (and, minus nothing private, as the client sees it:
/// the profile holds no coach notes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClientProfile {
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub date_of_birth: Option<String>,
    pub age_years: Option<i64>,
    pub gender: String,
    pub height_cm: Option<f64>,
    pub weight_kg: Option<f64>,
    pub goals: String,
    pub medical_conditions: String,
    pub dietary_restrictions: String,
    pub injuries: String,
    pub medications: String,
    pub checkin_day: Option<Weekday>,
    pub archived: bool,
    pub has_login: bool,
    /// When the latest invitation link not used or withdrawn expires (or expired), if there is
    /// one.
    #[serde(default)]
    pub invite_expires_at: Option<i64>,
    /// The units the measurements should be shown in (the coach's).
    pub units: Units,
    /// True when this client was deleted after the backup this workspace was restored from:
    /// their data key is destroyed, so every sealed field reads "(erased)" and photos are gone.
    #[serde(default)]
    pub erased: bool,
}

impl ClientProfile {
    /// The profile as form text, for editing, in its units.
    pub fn to_form(&self) -> ClientForm {
        ClientForm {
            name: self.name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            date_of_birth: self.date_of_birth.clone().unwrap_or_default(),
            age: self.age_years.map(|a| a.to_string()).unwrap_or_default(),
            gender: self.gender.clone(),
            height: self
                .height_cm
                .map(|cm| self.units.height_input(cm))
                .unwrap_or_default(),
            weight: self
                .weight_kg
                .map(|kg| self.units.weight_input(kg))
                .unwrap_or_default(),
            goals: self.goals.clone(),
            medical_conditions: self.medical_conditions.clone(),
            dietary_restrictions: self.dietary_restrictions.clone(),
            injuries: self.injuries.clone(),
            medications: self.medications.clone(),
            checkin_day: self
                .checkin_day
                .map(|d| d.as_str().to_owned())
                .unwrap_or_default(),
        }
    }
}

/// One row of the coach's roster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClientSummary {
    pub id: String,
    pub name: String,
    pub email: String,
    pub archived: bool,
    pub has_login: bool,
    pub invite_pending: bool,
    pub checkin_day: Option<Weekday>,
    /// Their newest check-in (epoch ms), if any.
    pub last_checkin_at: Option<i64>,
    /// Of the last 4 weeks (28 days back from now, in 7-day steps), how many had a check-in.
    pub weeks_checked_in: i64,
    /// They missed their latest check-in day ([`super::missed_checkin_day`]).
    pub overdue: bool,
}

impl ClientSummary {
    /// Weeks with a check-in of the last 4, against the 4 a weekly check-in day asks for, 0–100;
    /// `None` without a check-in day.
    pub fn compliance_percent(&self) -> Option<i64> {
        self.checkin_day
            .map(|_| self.weeks_checked_in.clamp(0, 4) * 25)
    }
}

/// The roster's order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RosterSort {
    /// By name (the default).
    #[default]
    Name,
    /// The longest without a check-in first (never first of all).
    LastCheckin,
    /// The fewest of the last 4 weeks with a check-in first.
    Compliance,
}

impl RosterSort {
    pub const ALL: [RosterSort; 3] = [Self::Name, Self::LastCheckin, Self::Compliance];

    /// `name` (or empty), `last_checkin` or `compliance`.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw.trim() {
            "" | "name" => Ok(Self::Name),
            "last_checkin" => Ok(Self::LastCheckin),
            "compliance" => Ok(Self::Compliance),
            _ => Err(AppError::invalid(
                "Sort must be name, last_checkin or compliance.",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::LastCheckin => "last_checkin",
            Self::Compliance => "compliance",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "Name",
            Self::LastCheckin => "Last check-in (oldest first)",
            Self::Compliance => "Compliance (lowest first)",
        }
    }
}

/// A page of the roster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClientPage {
    pub clients: Vec<ClientSummary>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// An invitation link for the coach to copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InviteLink {
    /// The link to copy, or `None` when it was emailed: then only the client, who reads that
    /// inbox, has it (a coach holding links could test whether any address has an account).
    pub url: Option<String>,
    pub expires_at_ms: i64,
    pub emailed: bool,
}

/// What an invitation link shows before it is accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum InviteStatus {
    Valid {
        client_name: String,
        email: String,
        coach_name: String,
        brand_name: String,
    },
    Expired,
    Revoked,
    Used,
    Unknown,
}

/// The client's portal home.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PortalHome {
    pub profile: ClientProfile,
    pub coach_name: String,
    pub brand_name: String,
    /// The weight of the client's latest check-in that had one (in kg), and when: the profile's
    /// own weight is where they started.
    #[serde(default)]
    pub latest_weight: Option<crate::domain::Point>,
}

impl PortalHome {
    /// Who coaches the client, as the portal names them: the brand, or the coach's name.
    pub fn coach_label(&self) -> String {
        if self.brand_name.is_empty() {
            self.coach_name.clone()
        } else {
            self.brand_name.clone()
        }
    }
}

/// A private note of the coach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Note {
    pub id: String,
    pub client_id: Option<String>,
    pub body: String,
    pub created_at_ms: i64,
}

/// A private to-do of the coach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Todo {
    pub id: String,
    pub client_id: Option<String>,
    pub title: String,
    pub due_date: Option<String>,
    pub done: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ClientForm {
        ClientForm {
            name: "Ann".into(),
            email: "ann@example.com".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_minimal_profile_parses() {
        let input = ClientInput::parse(&form(), Units::Metric).unwrap();
        assert_eq!(input.name.as_str(), "Ann");
        assert_eq!(input.height_cm, None);
        assert_eq!(input.checkin_day, None);
    }

    #[test]
    fn bad_fields_get_clear_messages() {
        let cases = [
            (
                ClientForm {
                    age: "200".into(),
                    ..form()
                },
                "Age must be",
            ),
            (
                ClientForm {
                    date_of_birth: "1990-02-30".into(),
                    ..form()
                },
                "Date of birth must be",
            ),
            (
                ClientForm {
                    date_of_birth: "1990-02-03".into(),
                    age: "30".into(),
                    ..form()
                },
                "Give a date of birth or an age",
            ),
            (
                ClientForm {
                    weight: "5000".into(),
                    ..form()
                },
                "Weight must be between",
            ),
            (
                ClientForm {
                    checkin_day: "someday".into(),
                    ..form()
                },
                "Check-in day must be",
            ),
            (
                ClientForm {
                    goals: "x".repeat(4001),
                    ..form()
                },
                "Goals is too long",
            ),
            (
                ClientForm {
                    phone: "call me".into(),
                    ..form()
                },
                "Phone may contain",
            ),
        ];
        for (form, message) in cases {
            let err = ClientInput::parse(&form, Units::Metric)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(message), "{err}");
        }
    }

    #[test]
    fn dates_are_real_dates() {
        assert!(CalendarDate::parse("2024-02-29", "D").is_ok());
        assert!(CalendarDate::parse("2023-02-29", "D").is_err());
        assert!(CalendarDate::parse("24-02-01", "D").is_err());
    }
}
