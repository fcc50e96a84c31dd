//! The one error type. It carries an HTTP status; the user sees a short message, the cause is logged.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum AppError {
    /// 400: the input could not be parsed; the message names the field.
    Invalid(String),
    /// 401: no valid session.
    Unauthenticated,
    /// 401: login failed. Same answer for unknown email and wrong password.
    BadCredentials,
    /// 403: signed in, but this kind of account cannot do this.
    Forbidden,
    /// 403: the account was suspended by an operator (sign-in refused).
    Suspended,
    /// 403: a cross-site request to a state-changing endpoint.
    CrossSite,
    /// 404: missing, or owned by someone else: the two are indistinguishable.
    NotFound,
    /// 410: a signed link (e.g. a photo URL) whose time is up.
    LinkExpired,
    /// 409: e.g. the email is taken.
    Conflict(String),
    /// 413: the body is over the limit.
    TooLarge,
    /// 429: slow down; retry after this many seconds.
    TooManyRequests { retry_after_secs: u64 },
    /// 429: an allowance is used up (e.g. the workspace's daily AI calls); the message says which.
    QuotaExceeded(String),
    /// 500: something broke on our side; details are in the server log only.
    Internal,
    /// 502: a service we call (the AI server) failed; the message says how, for the user.
    Upstream(String),
    /// 503: a feature this server has not been set up for (e.g. AI); the message says how.
    Unavailable(String),
    /// 503: the server is at capacity for this kind of work (e.g. password hashing); retry soon.
    Busy,
    /// 405: this path exists but not for this HTTP method.
    MethodNotAllowed,
}

impl AppError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::Invalid(msg.into())
    }

    /// Seconds a client should wait before retrying, sent as `Retry-After`.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            Self::Busy => Some(1),
            _ => None,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::Invalid(_) => 400,
            Self::Unauthenticated | Self::BadCredentials => 401,
            Self::Forbidden | Self::Suspended | Self::CrossSite => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict(_) => 409,
            Self::LinkExpired => 410,
            Self::TooLarge => 413,
            Self::TooManyRequests { .. } | Self::QuotaExceeded(_) => 429,
            Self::Internal => 500,
            Self::Upstream(_) => 502,
            Self::Unavailable(_) | Self::Busy => 503,
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(msg) => write!(f, "{msg}"),
            Self::Unauthenticated => write!(f, "Please sign in."),
            Self::BadCredentials => write!(f, "Email or password is incorrect."),
            Self::Forbidden => write!(f, "Your account cannot do that."),
            Self::Suspended => write!(f, "This account is suspended. Contact Coachroom support."),
            Self::CrossSite => write!(f, "Cross-site request refused."),
            Self::NotFound => write!(f, "Not found."),
            Self::MethodNotAllowed => write!(f, "This path does not take that HTTP method."),
            Self::Busy => write!(f, "The server is busy. Try again in a moment."),
            Self::Conflict(msg) => write!(f, "{msg}"),
            Self::LinkExpired => write!(
                f,
                "This link has expired. Reload the page to get a new one."
            ),
            Self::TooLarge => write!(f, "The request is too large."),
            Self::TooManyRequests { retry_after_secs } => {
                write!(
                    f,
                    "Too many attempts. Try again in {retry_after_secs} seconds."
                )
            }
            Self::Internal => write!(f, "Something went wrong on our side. Please try again."),
            Self::Upstream(msg) | Self::Unavailable(msg) | Self::QuotaExceeded(msg) => {
                write!(f, "{msg}")
            }
        }
    }
}

impl std::error::Error for AppError {}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // A body cut off by the size limit surfaces as whatever step was reading it (the
        // request, the arguments' decoding): it is a 413 whichever.
        if value
            .to_string()
            .to_ascii_lowercase()
            .contains("length limit")
        {
            return Self::TooLarge;
        }
        match value {
            // Arguments that fail to deserialize are the caller's fault.
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::Deserialization(msg) => {
                Self::Invalid(format!("Malformed request: {}", first_line(&msg)))
            }
            ServerFnErrorErr::MissingArg(msg) => Self::Invalid(format!("Missing field: {msg}")),
            ServerFnErrorErr::UnsupportedRequestMethod(msg) => Self::Invalid(msg),
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => {
                // On the client this is a network failure; keep it generic.
                Self::Internal
            }
            ServerFnErrorErr::Registration(_) => Self::NotFound,
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server fn failure");
                let _ = other;
                Self::Internal
            }
        }
    }

    fn ser(&self) -> server_fn::Bytes {
        // Runs inside the request: set the HTTP status (and Retry-After) to match.
        #[cfg(feature = "ssr")]
        crate::server::http::apply_error_to_response(self);
        server_fn::Bytes::from(serde_json::to_vec(self).unwrap_or_default())
    }

    fn de(data: server_fn::Bytes) -> Self {
        serde_json::from_slice(&data).unwrap_or(Self::Internal)
    }
}

fn first_line(msg: &str) -> String {
    msg.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_round_trip_as_tagged_json() {
        let err = AppError::TooManyRequests {
            retry_after_secs: 30,
        };
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"too_many_requests","detail":{"retry_after_secs":30}}"#
        );
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), err);
        assert_eq!(err.status(), 429);
    }

    #[test]
    fn not_found_does_not_say_why() {
        assert_eq!(AppError::NotFound.to_string(), "Not found.");
    }
}
