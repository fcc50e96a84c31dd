//! Parsed domain types. Raw input becomes one of these at the edge, or a clear [`AppError::Invalid`].

use crate::AppError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

mod access;
mod ai;
mod checkin;
mod client;
mod deletion;
mod form;
mod goal;
mod import;
mod legal;
mod mcp;
mod measure;
mod operator;
mod plan;
mod session;
mod support;
mod time;
mod today;
mod transcript;
pub use access::*;
pub use ai::*;
pub use checkin::*;
pub use client::*;
pub use deletion::*;
pub use form::*;
pub use goal::*;
pub use import::*;
pub use legal::*;
pub use mcp::*;
pub use operator::*;
pub use plan::*;
pub use session::*;
pub use support::*;
pub use time::*;
pub use today::*;
pub use transcript::*;

/// The id of a stored object (client, check-in, plan, ...): 32 lower-case hex digits, 128 random
/// bits. Anything else cannot name an object, so it is refused before it reaches SQL, with the
/// same not-found a missing or foreign id gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectId(String);

impl ObjectId {
    pub const LEN: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let well_formed =
            raw.len() == Self::LEN && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if well_formed {
            Ok(Self(raw.to_owned()))
        } else {
            Err(AppError::NotFound)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The secret in an emailed link (invitation, sign-up, login-email change). Links made here are
/// 64 hex digits; anything that is not 1 to 128 letters and digits cannot be one, so it is
/// refused before it is hashed or looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkToken(String);

impl LinkToken {
    pub const MAX_LEN: usize = 128;

    pub fn parse(raw: &str) -> Option<Self> {
        let plausible = !raw.is_empty()
            && raw.len() <= Self::MAX_LEN
            && raw.bytes().all(|b| b.is_ascii_alphanumeric());
        plausible.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A trimmed, lower-cased, plausibly deliverable email address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(AppError::invalid("Email is required."));
        }
        if email.len() > Self::MAX_LEN {
            return Err(AppError::invalid(
                "Email is too long (254 characters at most).",
            ));
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(AppError::invalid("Email must look like name@example.com."));
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty()
            || !domain_ok
            || email.chars().any(|c| c.is_whitespace() || c.is_control())
            || domain.contains('@')
        {
            return Err(AppError::invalid("Email must look like name@example.com."));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = AppError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password the user chose: long enough to matter, short enough not to be a hashing DoS.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(AppError::invalid(format!(
                "Password must be at least {} characters.",
                Self::MIN_CHARS
            )));
        }
        if chars > Self::MAX_CHARS {
            return Err(AppError::invalid(format!(
                "Password must be at most {} characters.",
                Self::MAX_CHARS
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// Trims and bounds a free-text single-line field, naming it in the error.
pub fn bounded_text(
    raw: &str,
    field: &str,
    required: bool,
    max_chars: usize,
) -> Result<String, AppError> {
    let text = raw.trim();
    if required && text.is_empty() {
        return Err(AppError::invalid(format!("{field} is required.")));
    }
    if text.chars().count() > max_chars {
        return Err(AppError::invalid(format!(
            "{field} is too long ({max_chars} characters at most)."
        )));
    }
    if text.chars().any(|c| c.is_control()) {
        return Err(AppError::invalid(format!(
            "{field} must be a single line of text."
        )));
    }
    Ok(text.to_owned())
}

/// A person's display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        bounded_text(raw, "Name", true, Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The coach's business name shown to clients; may be empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BrandName(String);

impl BrandName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        bounded_text(raw, "Brand name", false, Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The units a coach works in. Everything is stored in SI and converted for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Units {
    #[default]
    Metric,
    Imperial,
}

impl Units {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw.trim() {
            "metric" => Ok(Self::Metric),
            "imperial" => Ok(Self::Imperial),
            _ => Err(AppError::invalid(
                "Units must be \"metric\" or \"imperial\".",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Metric => "metric",
            Self::Imperial => "imperial",
        }
    }
}

/// An IANA time zone name such as `Europe/London`, or `UTC`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Timezone(String);

impl Timezone {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let tz = raw.trim();
        let well_formed = !tz.is_empty()
            && tz.len() <= 64
            && tz.split('/').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
            });
        let known_area = tz == "UTC"
            || [
                "Africa/",
                "America/",
                "Antarctica/",
                "Arctic/",
                "Asia/",
                "Atlantic/",
                "Australia/",
                "Europe/",
                "Indian/",
                "Pacific/",
                "Etc/",
            ]
            .iter()
            .any(|area| tz.starts_with(area));
        if well_formed && known_area {
            Ok(Self(tz.to_owned()))
        } else {
            Err(AppError::invalid(
                "Time zone must be an IANA name such as Europe/London or UTC.",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What kind of account a user has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Coach,
    Client,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Coach => "coach",
            Self::Client => "client",
            Self::Admin => "admin",
        }
    }

    /// Where this kind of user lands after signing in.
    pub fn home_path(self) -> &'static str {
        match self {
            Self::Coach => "/coach",
            Self::Client => "/portal",
            Self::Admin => "/operator",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "coach" => Some(Self::Coach),
            "client" => Some(Self::Client),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// The signed-in user, as the UI needs to know them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Me {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Set while an operator views a coach's workspace under the coach's grant: then this is
    /// the coach's account as the pages need it, read-only until this time.
    #[serde(default)]
    pub support_until: Option<i64>,
    /// Their time zone, in which every page shows dates and reads typed times: a coach's
    /// workspace zone; a client's own, or their coach's until they choose one; UTC for operators.
    #[serde(default)]
    pub clock: Clock,
    /// For a coach: check-ins waiting for review, the count beside their navigation's
    /// "Check-ins" (it comes with the user, so the header needs no request of its own). 0 for
    /// everyone else.
    #[serde(default)]
    pub inbox_waiting: i64,
}

impl Me {
    /// Where to go after signing in: a same-site `next` path, else the user's home. The app
    /// navigates there, and a form posted before the app loaded is redirected there.
    pub fn landing_path(&self, next: Option<String>) -> String {
        match next {
            Some(path) if is_same_origin_path(&path) => path,
            _ => self.role.home_path().into(),
        }
    }
}

/// A `next` target that can only be a path on this site. Browsers drop tabs and newlines
/// inside URLs and read `\` as `/`, so `/%09/evil.example` (a tab) or `/\evil.example` become
/// `//evil.example`, another site: anything with a control character, white space or a
/// backslash is refused, as is a leading `//`.
fn is_same_origin_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
}

/// What a sign-up led to. With email set up on the server, every sign-up answers `CheckEmail`,
/// whether or not the address already has an account: only the address's owner learns which,
/// from the email. Without email, the account is created at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SignupOutcome {
    SignedIn { me: Me },
    CheckEmail { email: String },
}

/// Why a login email cannot be changed on a server without outgoing email.
pub const EMAIL_CHANGE_NEEDS_SMTP: &str = "Changing a login email needs a confirmation email, \
     and this server has no outgoing email set up. Ask the server's operator to set up SMTP.";

/// A colour scheme chosen on the Account page instead of the device's. Kept in a cookie (not the
/// account), so that the server renders the first paint in it, before anyone is signed in too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    /// The cookie that remembers the choice on this device.
    pub const COOKIE: &'static str = "coachroom_theme";

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "light" => Some(Self::Light),
            "dark" => Some(Self::Dark),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }

    /// The choice in a `Cookie` request header, if any.
    pub fn from_cookie_header(header: &str) -> Option<Self> {
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == Self::COOKIE)
            .and_then(|(_, value)| Self::parse(value))
    }
}

/// Why "Forgot password" cannot email a link on a server without outgoing email, and who can
/// make one instead.
pub const PASSWORD_RESET_NEEDS_SMTP: &str = "This Coachroom cannot email a reset link. If you \
     are a client, ask your coach for a new link to choose a password. If you are a coach, ask \
     whoever runs your Coachroom.";

/// A coach's own profile and workspace settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CoachProfile {
    pub name: String,
    pub email: String,
    pub brand_name: String,
    pub units: Units,
    pub timezone: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_paths_stay_on_site() {
        let me = Me {
            user_id: "u".into(),
            email: "e@x.io".into(),
            name: "n".into(),
            role: Role::Coach,
            support_until: None,
            clock: Default::default(),
            inbox_waiting: 0,
        };
        assert_eq!(
            me.landing_path(Some("/coach/settings".into())),
            "/coach/settings"
        );
        assert_eq!(me.landing_path(Some("//evil.example".into())), "/coach");
        assert_eq!(
            me.landing_path(Some("https://evil.example".into())),
            "/coach"
        );
        assert_eq!(me.landing_path(None), "/coach");
        for trick in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "\\\\evil.example",
            "//evil.example/",
            "/ /evil.example",
            "/\u{a0}/evil.example",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(me.landing_path(Some(trick.into())), "/coach", "{trick:?}");
        }
    }

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "ann@example..com",
            "a@b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn password_bounds() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("long enough pw").is_ok());
        assert!(NewPassword::parse(&"x".repeat(257)).is_err());
        assert_eq!(
            format!("{:?}", NewPassword::parse("long enough pw").unwrap()),
            "NewPassword(***)"
        );
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("  Ann Lee ").unwrap().as_str(), "Ann Lee");
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"a".repeat(101)).is_err());
        assert!(PersonName::parse("Ann\nLee").is_err());
        assert_eq!(BrandName::parse("").unwrap().as_str(), "");
    }

    #[test]
    fn units_and_timezones() {
        assert_eq!(Units::parse("imperial").unwrap(), Units::Imperial);
        assert!(Units::parse("furlongs").is_err());
        assert!(Timezone::parse("Europe/London").is_ok());
        assert!(Timezone::parse("America/Argentina/Buenos_Aires").is_ok());
        assert!(Timezone::parse("UTC").is_ok());
        for bad in ["", "Mars/Olympus", "Europe/../etc", "Europe/Lon don"] {
            assert!(Timezone::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
