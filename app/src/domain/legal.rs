//! Access for legal reasons: an operator records a request (reason, reference, scope), a second
//! operator approves it, and only then may the data in scope be exported, for a limited time.
//! The coach is told in the app, and by email when SMTP is set, at once or from the request's
//! "notify after" date.

use super::{bounded_text, CalendarDate, LongText};
use crate::AppError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How long an approved request allows its export.
pub const LEGAL_ACCESS_DAYS: i64 = 7;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// The longest a coach's notification may be put off.
pub const NOTIFY_AFTER_MAX_DAYS: i64 = 365;
/// A request's reference (the court order's or the authority's number) at most.
pub const REFERENCE_MAX_CHARS: usize = 200;

/// What a request covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegalScope {
    /// One client's data.
    Client,
    /// Every client of the workspace.
    Workspace,
}

impl LegalScope {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw.trim() {
            "client" => Ok(Self::Client),
            "workspace" => Ok(Self::Workspace),
            _ => Err(AppError::invalid("Scope must be client or workspace.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Workspace => "workspace",
        }
    }
}

/// A request as the operator typed it, parsed.
#[derive(Debug, Clone)]
pub struct LegalRequestInput {
    pub reason: String,
    pub reference: String,
    pub scope: LegalScope,
    /// Empty unless the scope is one client: their email in the coach's workspace.
    pub client_email: Option<super::Email>,
    /// When the coach may be told (start of that day, UTC); `None`: as soon as approved.
    pub notify_after: Option<i64>,
}

impl LegalRequestInput {
    pub fn parse(
        reason: &str,
        reference: &str,
        scope: &str,
        client_email: &str,
        notify_after: &str,
        now: i64,
    ) -> Result<Self, AppError> {
        let reason = LongText::parse(reason, "Reason")?;
        if reason.as_str().is_empty() {
            return Err(AppError::invalid("Reason is required."));
        }
        let reference = bounded_text(reference, "Reference", true, REFERENCE_MAX_CHARS)?;
        let scope = LegalScope::parse(scope)?;
        let client_email = match scope {
            LegalScope::Client => Some(super::Email::parse(client_email).map_err(|_| {
                AppError::invalid("Client email must be the client's email address.")
            })?),
            LegalScope::Workspace if client_email.trim().is_empty() => None,
            LegalScope::Workspace => {
                return Err(AppError::invalid(
                    "Client email is only for a request about one client.",
                ))
            }
        };
        let notify_after = match CalendarDate::optional(notify_after, "Notify after")? {
            None => None,
            Some(date) => {
                let at = start_of_day(&date);
                if at > now + NOTIFY_AFTER_MAX_DAYS * DAY_MS {
                    return Err(AppError::invalid(format!(
                        "Notify after must be within {NOTIFY_AFTER_MAX_DAYS} days."
                    )));
                }
                Some(at)
            }
        };
        Ok(Self {
            reason: reason.as_str().to_owned(),
            reference,
            scope,
            client_email,
            notify_after,
        })
    }
}

/// Midnight UTC at the start of `date`, in milliseconds since the epoch.
pub fn start_of_day(date: &CalendarDate) -> i64 {
    date.days_since_epoch() * DAY_MS
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegalStatus {
    /// Waiting for a second operator.
    AwaitingApproval,
    /// Approved: its export may be downloaded until `access_until`.
    Approved,
    /// Its access window has passed, or it lapsed unapproved (30 days).
    Expired,
}

/// A request as operators see it. No client name: a one-client request shows only that it is
/// one client (the operator who recorded it typed the email).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LegalRequestView {
    pub id: String,
    pub coach_name: String,
    pub coach_email: String,
    pub scope: LegalScope,
    pub reason: String,
    pub reference: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub approved_by: Option<String>,
    pub approved_at: Option<i64>,
    /// When the coach is (or was) told; `None` until approved.
    pub notify_at: Option<i64>,
    pub access_until: Option<i64>,
    pub status: LegalStatus,
    /// True for the operator asking when they recorded it: they cannot approve it themself.
    pub mine: bool,
}

/// An approved request, as the coach reads it once they may be told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LegalNotice {
    pub id: String,
    pub scope: LegalScope,
    /// The client concerned, for a one-client request (`None` once deleted, or for the
    /// workspace).
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    pub reason: String,
    pub reference: String,
    pub approved_at: i64,
    pub access_until: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_768_000_000; // 2025-12-03T13:20Z

    #[test]
    fn days_start_at_midnight_utc() {
        let date = CalendarDate::parse("2025-12-03", "d").unwrap();
        assert_eq!(start_of_day(&date), 1_764_720_000_000);
        let date = CalendarDate::parse("1970-01-01", "d").unwrap();
        assert_eq!(start_of_day(&date), 0);
        let date = CalendarDate::parse("2024-03-01", "d").unwrap();
        assert_eq!(start_of_day(&date), 1_709_251_200_000);
    }

    #[test]
    fn requests_are_parsed_with_named_fields() {
        let ok = LegalRequestInput::parse(
            "Court order",
            "AB-1",
            "client",
            "a@example.com",
            "2026-01-05",
            NOW,
        )
        .unwrap();
        assert_eq!(ok.scope, LegalScope::Client);
        assert!(ok.notify_after.is_some());
        let whole = LegalRequestInput::parse("Order", "X", "workspace", "", "", NOW).unwrap();
        assert_eq!(whole.client_email, None);
        assert_eq!(whole.notify_after, None);
        for (args, says) in [
            (("", "X", "workspace", "", ""), "Reason"),
            (("Why", "", "workspace", "", ""), "Reference"),
            (("Why", "X", "everything", "", ""), "Scope"),
            (("Why", "X", "client", "nobody", ""), "Client email"),
            (
                ("Why", "X", "workspace", "a@example.com", ""),
                "Client email",
            ),
            (("Why", "X", "workspace", "", "2025-13-01"), "Notify after"),
            (("Why", "X", "workspace", "", "2099-01-01"), "Notify after"),
        ] {
            let err = LegalRequestInput::parse(args.0, args.1, args.2, args.3, args.4, NOW)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(says), "{args:?}: {err}");
        }
    }
}
