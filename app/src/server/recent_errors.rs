//! The server errors this app server answered, for the operator console: a count since start and
//! the latest few, each only a time, a method, a path and a status (never a body or a query,
//! which could carry content). Kept in memory: an error storm must not turn into a write storm,
//! and each app server reports its own.

use crate::domain::ServerErrorEntry;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How many of the latest errors are kept.
const KEEP: usize = 20;
/// A path longer than this is cut (bounded memory whatever a caller sends).
const MAX_PATH: usize = 200;

#[derive(Default)]
pub struct RecentErrors {
    total: AtomicU64,
    latest: Mutex<VecDeque<ServerErrorEntry>>,
}

/// The path with every segment that could be a secret or an id (16 or more letters, digits,
/// `-` or `_`: invitation and setup tokens, signed file names, object ids) shown as `*`. An
/// operator reading the console must not learn a live one-time link.
fn redact(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let token_like = segment.len() >= 16
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if token_like {
                "*"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

impl RecentErrors {
    pub fn note(&self, method: &str, path: &str, status: u16) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let mut path = redact(path);
        if path.len() > MAX_PATH {
            let mut cut = MAX_PATH;
            while !path.is_char_boundary(cut) {
                cut -= 1;
            }
            path.truncate(cut);
        }
        let entry = ServerErrorEntry {
            at: super::now_millis(),
            method: method.to_owned(),
            path,
            status,
        };
        if let Ok(mut latest) = self.latest.lock() {
            if latest.len() == KEEP {
                latest.pop_front();
            }
            latest.push_back(entry);
        }
    }

    /// The count since start, and the latest errors, newest first.
    pub fn snapshot(&self) -> (u64, Vec<ServerErrorEntry>) {
        let latest = self
            .latest
            .lock()
            .map(|latest| latest.iter().rev().cloned().collect())
            .unwrap_or_default();
        (self.total.load(Ordering::Relaxed), latest)
    }
}

/// Notes every 5xx answer.
pub async fn note_server_errors(
    State(errors): State<Arc<RecentErrors>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if response.status().is_server_error() {
        errors.note(&method, &path, response.status().as_u16());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_latest_and_counts_all() {
        let errors = RecentErrors::default();
        for i in 0..30 {
            errors.note("POST", &format!("/api/x{i}"), 500);
        }
        errors.note("GET", &"/a".repeat(500), 503);
        errors.note("GET", "/invite/0123456789abcdef0123456789abcdef", 503);
        let (total, latest) = errors.snapshot();
        assert_eq!(total, 32);
        assert_eq!(latest.len(), KEEP);
        assert_eq!(latest[0].path, "/invite/*");
        assert_eq!(latest[1].status, 503);
        assert_eq!(latest[1].path.len(), MAX_PATH);
        assert_eq!(latest[2].path, "/api/x29");
    }
}
