//! Bounds uploads in flight, overall and per user, before their bodies are read. A request past
//! either bound is refused at once (429), so waiting uploads never sit in memory; an anonymous
//! upload is refused (401) before a byte of its body is read.

use super::http::{error_response, UPLOAD_PATHS};
use super::session_store::USER_ID_KEY;
use crate::AppError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tower_sessions::Session;

/// How many uploads may run at once.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    pub max_in_flight: usize,
    pub max_per_user: usize,
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self {
            max_in_flight: 8,
            max_per_user: 2,
        }
    }
}

/// Counts uploads in flight, overall and per user.
#[derive(Debug)]
pub struct UploadGate {
    limits: UploadLimits,
    in_flight: Mutex<(usize, HashMap<String, usize>)>,
}

/// One upload's place in the gate, given back when the request is answered.
struct Admitted {
    gate: Arc<UploadGate>,
    user_id: String,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut guard = self
            .gate
            .in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (total, per_user) = &mut *guard;
        *total = total.saturating_sub(1);
        if let Some(count) = per_user.get_mut(&self.user_id) {
            *count -= 1;
            if *count == 0 {
                per_user.remove(&self.user_id);
            }
        }
    }
}

impl UploadGate {
    pub fn new(limits: UploadLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            in_flight: Mutex::new((0, HashMap::new())),
        })
    }

    fn admit(self: &Arc<Self>, user_id: &str) -> Option<Admitted> {
        let mut guard = self
            .in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (total, per_user) = &mut *guard;
        let mine = per_user.get(user_id).copied().unwrap_or(0);
        if *total >= self.limits.max_in_flight || mine >= self.limits.max_per_user {
            return None;
        }
        *total += 1;
        per_user.insert(user_id.to_owned(), mine + 1);
        Some(Admitted {
            gate: self.clone(),
            user_id: user_id.to_owned(),
        })
    }
}

/// The middleware: only upload paths pass through the gate.
pub async fn limit_uploads(
    State(gate): State<Arc<UploadGate>>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    if !UPLOAD_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let user_id: Option<String> = match session.get(USER_ID_KEY).await {
        Ok(user_id) => user_id,
        Err(err) => return error_response(&super::internal(err)),
    };
    let Some(user_id) = user_id else {
        return error_response(&AppError::Unauthenticated);
    };
    let Some(_admitted) = gate.admit(&user_id) else {
        return error_response(&AppError::TooManyRequests {
            retry_after_secs: 2,
        });
    };
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_the_limits_and_frees_places_on_drop() {
        let gate = UploadGate::new(UploadLimits {
            max_in_flight: 3,
            max_per_user: 2,
        });
        let a1 = gate.admit("a").unwrap();
        let _a2 = gate.admit("a").unwrap();
        assert!(gate.admit("a").is_none(), "third for one user");
        let _b1 = gate.admit("b").unwrap();
        assert!(gate.admit("c").is_none(), "over the total");
        drop(a1);
        assert!(gate.admit("c").is_some(), "a place came back");
    }
}
