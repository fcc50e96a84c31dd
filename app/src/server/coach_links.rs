//! Links a coach makes for one of their clients (an invitation, a new password): counted against
//! the client's email allowance when this server sends email, then emailed to the client, or
//! handed to the coach to copy when it does not (or when the email fails).

use super::mail::{self, MailSettings};
use super::state::AppState;
use super::throttle;
use crate::domain::InviteLink;
use crate::AppError;
use std::future::Future;

/// Makes a link with `make` inside the client's email allowance (only when the server sends
/// email): the attempt is counted before the link exists, so a refusal loses no earlier link,
/// and given back when no link is made.
pub async fn within_allowance<T>(
    state: &AppState,
    client_id: &str,
    make: impl Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    let attempt = match state.settings.mail {
        Some(_) => Some(throttle::invitation_email(state, client_id).await?),
        None => None,
    };
    match make.await {
        Ok(made) => {
            if let Some(attempt) = attempt {
                attempt.keep_counted();
            }
            Ok(made)
        }
        Err(err) => {
            if let Some(attempt) = attempt {
                attempt.succeeded(&state.db).await?;
            }
            Err(err)
        }
    }
}

/// The link for the coach to copy.
pub fn to_copy(url: String, expires_at_ms: i64) -> InviteLink {
    InviteLink {
        url: Some(url),
        expires_at_ms,
        emailed: false,
    }
}

/// Emails the link to the client; when the email fails the coach gets it to copy instead, so a
/// mail outage never loses a link.
pub async fn email_or_copy(
    settings: &MailSettings,
    to: &str,
    subject: &str,
    body: String,
    url: String,
    expires_at_ms: i64,
) -> InviteLink {
    match mail::send(settings, to, subject, body).await {
        Ok(()) => InviteLink {
            url: None,
            expires_at_ms,
            emailed: true,
        },
        Err(err) => {
            tracing::warn!(%err, subject, "a link's email was not sent; the coach can copy it");
            to_copy(url, expires_at_ms)
        }
    }
}
