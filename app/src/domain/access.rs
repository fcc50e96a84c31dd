//! The access log as the coach and the client see it.

use super::AiPurpose;
use crate::AppError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Who acted. Coach and client acting on their own workspace is routine; everyone else is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Coach,
    Client,
    /// Coachroom support, in a workspace under the coach's grant.
    Support,
    /// A platform operator.
    Operator,
    /// Access under an approved legal request.
    Legal,
    /// The AI server, sent (redacted) data on the coach's behalf.
    Ai,
    /// An external AI tool connected over MCP.
    Mcp,
}

impl ActorKind {
    pub const ALL: [Self; 7] = [
        Self::Coach,
        Self::Client,
        Self::Support,
        Self::Operator,
        Self::Legal,
        Self::Ai,
        Self::Mcp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Coach => "coach",
            Self::Client => "client",
            Self::Support => "support",
            Self::Operator => "operator",
            Self::Legal => "legal",
            Self::Ai => "ai",
            Self::Mcp => "mcp",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }

    /// The `actor` filter of a log request: empty means every actor.
    pub fn parse_filter(raw: &str) -> Result<Option<Self>, AppError> {
        match raw.trim() {
            "" => Ok(None),
            raw => Self::parse(raw).map(Some).ok_or_else(|| {
                AppError::invalid(
                    "Actor must be one of coach, client, support, operator, legal, ai, mcp \
                     (or empty for all).",
                )
            }),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Coach => "Coach",
            Self::Client => "Client",
            Self::Support => "Coachroom support",
            Self::Operator => "Coachroom operator",
            Self::Legal => "Legal request",
            Self::Ai => "AI",
            Self::Mcp => "Connected AI tool",
        }
    }

    /// Whether a client's own log shows what this actor did: everyone but the coach and the
    /// client themself. (Exports show whoever made them; see [`AccessAction::is_export`].)
    pub fn is_routine(self) -> bool {
        matches!(self, Self::Coach | Self::Client)
    }
}

/// What was done. Stored as its snake-case name; new kinds are added at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccessAction {
    SignIn,
    PasswordChanged,
    EmailChanged,
    CheckinPdfExported,
    PlanPdfExported,
    AiSessionInsights,
    AiReplyDraft,
    AiTranscription,
    DeletionRequested,
    DeletionWithdrawn,
    DeletionDeclined,
    ClientDeleted,
    CoachSuspended,
    CoachReinstated,
    SupportGranted,
    SupportRevoked,
    SupportEntered,
    SupportRead,
    ClientDataExported,
    LegalRequested,
    LegalApproved,
    LegalExported,
    WorkspaceExported,
    WorkspaceImported,
    OperatorEnrolled,
    OperatorRead,
    McpConnected,
    McpDisconnected,
    McpRead,
    /// A link to choose a new password was made for the account by someone else: the coach
    /// (for a client) or an operator on the command line (for a coach).
    PasswordResetLink,
}

impl AccessAction {
    pub const ALL: [Self; 30] = [
        Self::SignIn,
        Self::PasswordChanged,
        Self::EmailChanged,
        Self::CheckinPdfExported,
        Self::PlanPdfExported,
        Self::AiSessionInsights,
        Self::AiReplyDraft,
        Self::AiTranscription,
        Self::DeletionRequested,
        Self::DeletionWithdrawn,
        Self::DeletionDeclined,
        Self::ClientDeleted,
        Self::CoachSuspended,
        Self::CoachReinstated,
        Self::SupportGranted,
        Self::SupportRevoked,
        Self::SupportEntered,
        Self::SupportRead,
        Self::ClientDataExported,
        Self::LegalRequested,
        Self::LegalApproved,
        Self::LegalExported,
        Self::WorkspaceExported,
        Self::WorkspaceImported,
        Self::OperatorEnrolled,
        Self::OperatorRead,
        Self::McpConnected,
        Self::McpDisconnected,
        Self::McpRead,
        Self::PasswordResetLink,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::PasswordChanged => "password_changed",
            Self::EmailChanged => "email_changed",
            Self::CheckinPdfExported => "checkin_pdf_exported",
            Self::PlanPdfExported => "plan_pdf_exported",
            Self::AiSessionInsights => "ai_session_insights",
            Self::AiReplyDraft => "ai_reply_draft",
            Self::AiTranscription => "ai_transcription",
            Self::DeletionRequested => "deletion_requested",
            Self::DeletionWithdrawn => "deletion_withdrawn",
            Self::DeletionDeclined => "deletion_declined",
            Self::ClientDeleted => "client_deleted",
            Self::CoachSuspended => "coach_suspended",
            Self::CoachReinstated => "coach_reinstated",
            Self::SupportGranted => "support_granted",
            Self::SupportRevoked => "support_revoked",
            Self::SupportEntered => "support_entered",
            Self::SupportRead => "support_read",
            Self::ClientDataExported => "client_data_exported",
            Self::LegalRequested => "legal_requested",
            Self::LegalApproved => "legal_approved",
            Self::LegalExported => "legal_exported",
            Self::WorkspaceExported => "workspace_exported",
            Self::WorkspaceImported => "workspace_imported",
            Self::OperatorEnrolled => "operator_enrolled",
            Self::OperatorRead => "operator_read",
            Self::McpConnected => "mcp_connected",
            Self::McpDisconnected => "mcp_disconnected",
            Self::McpRead => "mcp_read",
            Self::PasswordResetLink => "password_reset_link",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::SignIn => "Signed in",
            Self::PasswordChanged => "Changed the password",
            Self::EmailChanged => "Changed the login email",
            Self::CheckinPdfExported => "Exported a check-in as PDF",
            Self::PlanPdfExported => "Exported a plan as PDF",
            Self::AiSessionInsights => "Read a session transcript for insights",
            Self::AiReplyDraft => "Read a check-in to draft a reply",
            Self::AiTranscription => "Transcribed a session recording",
            Self::DeletionRequested => "Asked for their data to be deleted",
            Self::DeletionWithdrawn => "Withdrew the deletion request",
            Self::DeletionDeclined => "Declined the deletion request",
            Self::ClientDeleted => "Deleted the client and their data",
            Self::CoachSuspended => "Suspended the coach account",
            Self::CoachReinstated => "Reinstated the coach account",
            Self::SupportGranted => "Granted support access",
            Self::SupportRevoked => "Ended support access",
            Self::SupportEntered => "Opened the workspace (read-only)",
            Self::SupportRead => "Viewed (read-only)",
            Self::ClientDataExported => "Downloaded all of the client's data",
            Self::LegalRequested => "Recorded a legal request",
            Self::LegalApproved => "Approved a legal request (second operator)",
            Self::LegalExported => "Exported data under a legal request",
            Self::WorkspaceExported => "Exported the whole workspace",
            Self::WorkspaceImported => "Imported clients from another platform",
            Self::OperatorEnrolled => "Made or reset an operator account (command line)",
            Self::OperatorRead => "Viewed the operator console",
            Self::McpConnected => "Connected an AI tool (read-only)",
            Self::McpDisconnected => "Disconnected an AI tool",
            Self::McpRead => "Read by a connected AI tool",
            Self::PasswordResetLink => "Made a link to choose a new password",
        }
    }

    pub fn is_export(self) -> bool {
        matches!(
            self,
            Self::CheckinPdfExported
                | Self::PlanPdfExported
                | Self::ClientDataExported
                | Self::LegalExported
                | Self::WorkspaceExported
        )
    }

    /// A step of a deletion request, or the deletion itself.
    pub fn is_deletion(self) -> bool {
        matches!(
            self,
            Self::DeletionRequested
                | Self::DeletionWithdrawn
                | Self::DeletionDeclined
                | Self::ClientDeleted
        )
    }

    /// The AI call of this purpose.
    pub fn of_ai(purpose: AiPurpose) -> Self {
        match purpose {
            AiPurpose::SessionInsights => Self::AiSessionInsights,
            AiPurpose::ReplyDraft => Self::AiReplyDraft,
            AiPurpose::Transcription => Self::AiTranscription,
        }
    }
}

/// Whether an entry shows in the client's own log: every access that is not the coach or the
/// client going about their work, every export, and each step of a deletion request.
pub fn is_notable(actor: ActorKind, action: AccessAction) -> bool {
    // A reset link can open the account: its owner hears of it, whoever made it.
    !actor.is_routine()
        || action.is_export()
        || action.is_deletion()
        || action == AccessAction::PasswordResetLink
}

/// One entry, newest first in a [`AccessLogPage`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AccessLogEntry {
    /// The entry's place in the deployment's chain: 1, 2, 3...
    pub seq: i64,
    pub at: i64,
    pub actor: ActorKind,
    pub action: AccessAction,
    /// The client whose data it was, when one client's was; the name is `None` once that
    /// client is deleted.
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    /// What was touched, as `kind:id` (e.g. `checkin:3f...`).
    pub object: Option<String>,
    /// The grant or legal request it happened under.
    pub basis: Option<String>,
    /// A short detail without content (e.g. the AI model).
    pub detail: Option<String>,
}

/// A page of the log, newest first. Pass `next_before` as `before` for the next page; `None`
/// means this is the last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AccessLogPage {
    pub entries: Vec<AccessLogEntry>,
    pub next_before: Option<i64>,
}

/// The `before` cursor of a log request: 0 for the newest entries, else an entry number.
pub fn log_cursor(before: i64) -> Result<Option<i64>, AppError> {
    match before {
        0 => Ok(None),
        n if n > 0 => Ok(Some(n)),
        _ => Err(AppError::invalid(
            "Before must be an entry number, or 0 for the newest entries.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in ActorKind::ALL {
            assert_eq!(ActorKind::parse(kind.as_str()), Some(kind));
        }
        for action in AccessAction::ALL {
            assert_eq!(AccessAction::parse(action.as_str()), Some(action));
        }
    }

    #[test]
    fn what_the_client_sees() {
        assert!(!is_notable(ActorKind::Coach, AccessAction::SignIn));
        assert!(!is_notable(
            ActorKind::Client,
            AccessAction::PasswordChanged
        ));
        assert!(is_notable(
            ActorKind::Coach,
            AccessAction::CheckinPdfExported
        ));
        assert!(is_notable(ActorKind::Ai, AccessAction::AiReplyDraft));
        assert!(is_notable(ActorKind::Support, AccessAction::SignIn));
        assert!(is_notable(ActorKind::Coach, AccessAction::DeletionDeclined));
    }

    #[test]
    fn actor_filter() {
        assert_eq!(ActorKind::parse_filter(" ").unwrap(), None);
        assert_eq!(ActorKind::parse_filter("ai").unwrap(), Some(ActorKind::Ai));
        let err = ActorKind::parse_filter("robot").unwrap_err();
        assert!(err.to_string().starts_with("Actor"));
    }
}
