//! Authorization: the only place that turns a principal plus an id into proof of ownership.
//!
//! Store functions that touch a workspace take these proof types, never bare ids. Their fields
//! are private and they have no public constructor, so a store call cannot skip this module.
//! Anything the principal does not own is reported exactly like something that does not exist.

use super::principal::CoachPrincipal;
use crate::AppError;

/// Proof that the caller is the coach who owns this workspace.
#[derive(Debug, Clone)]
pub struct OwnedWorkspace {
    coach_id: String,
}

impl OwnedWorkspace {
    pub fn coach_id(&self) -> &str {
        &self.coach_id
    }
}

/// The coach's own workspace; a coach's workspace id is their user id.
pub fn own_workspace(coach: &CoachPrincipal) -> OwnedWorkspace {
    OwnedWorkspace {
        coach_id: coach.user_id().to_owned(),
    }
}

/// A workspace named by id: granted only to its coach. Anyone else gets the same not-found as
/// for an id that does not exist.
pub fn workspace(coach: &CoachPrincipal, workspace_id: &str) -> Result<OwnedWorkspace, AppError> {
    if workspace_id == coach.user_id() {
        Ok(own_workspace(coach))
    } else {
        Err(AppError::NotFound)
    }
}
