//! Who is asking. Every server fn starts by resolving a [`Principal`] from the session.

use super::mcp::McpVisit;
use super::session_store::USER_ID_KEY;
use super::state::AppState;
use super::store;
use super::support::SupportVisit;
use crate::domain::{Me, Role};
use crate::AppError;
use std::sync::Arc;
use tower_sessions::Session;

/// A signed-in coach. The id is private so only this module (from a real session) makes one.
/// An operator viewing the workspace under the coach's grant is one too, with `support` set:
/// the read-only guard (`server::support`) lets only reads through, and the proofs log them.
#[derive(Debug, Clone)]
pub struct CoachPrincipal {
    user_id: String,
    support: Option<Arc<SupportVisit>>,
    /// Set when a connected AI tool reads on the coach's behalf (`server::mcp`): only read
    /// tools exist for it, and the proofs log each read and hide clients with AI off.
    mcp: Option<Arc<McpVisit>>,
}

/// An operator inside a coach's workspace under the coach's open grant.
#[derive(Debug, Clone)]
pub struct SupportPrincipal {
    visit: Arc<SupportVisit>,
}

/// A signed-in client of some coach.
#[derive(Debug, Clone)]
pub struct ClientPrincipal {
    user_id: String,
}

/// A platform operator (role `admin`): signed in with a password and a TOTP code, and with no
/// routine access to content: every content server fn refuses them.
#[derive(Debug, Clone)]
pub struct OperatorPrincipal {
    user_id: String,
}

#[derive(Debug, Clone)]
pub enum Principal {
    Coach(CoachPrincipal),
    Client(ClientPrincipal),
    Operator(OperatorPrincipal),
    Support(SupportPrincipal),
}

impl CoachPrincipal {
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// Set when an operator is viewing under the coach's grant, not the coach.
    pub fn support(&self) -> Option<&SupportVisit> {
        self.support.as_deref()
    }

    /// Set when a connected AI tool is reading, not the coach.
    pub fn mcp(&self) -> Option<&McpVisit> {
        self.mcp.as_deref()
    }

    /// The coach a connected AI tool's token acts for, for one tool call.
    pub fn of_mcp_visit(visit: Arc<McpVisit>) -> Self {
        Self {
            user_id: visit.holder.coach_id.clone(),
            support: None,
            mcp: Some(visit),
        }
    }
}

impl ClientPrincipal {
    pub fn user_id(&self) -> &str {
        &self.user_id
    }
}

impl OperatorPrincipal {
    pub fn user_id(&self) -> &str {
        &self.user_id
    }
}

impl Principal {
    pub fn user_id(&self) -> &str {
        match self {
            Self::Coach(p) => p.user_id(),
            Self::Client(p) => p.user_id(),
            Self::Operator(p) => p.user_id(),
            Self::Support(p) => &p.visit.operator_id,
        }
    }
}

/// The request's session (the session layer is always installed in front of server fns).
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| super::internal(format!("session layer missing: {e}")))
}

/// The signed-in user, if any, checked against the store (a deleted user is signed out).
pub async fn current_user(state: &AppState, session: &Session) -> Result<Option<Me>, AppError> {
    let user_id: Option<String> = session.get(USER_ID_KEY).await.map_err(super::internal)?;
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    store::users::me(&state.db, &user_id).await
}

/// The signed-in user as the pages see them, and the coach principal behind them when there is
/// one, from one read of the session and the account: the signed-in coach, or the workspace an
/// operator is inside under its grant (the pages are then the coach's, read-only).
pub async fn signed_in(
    state: &AppState,
    session: &Session,
) -> Result<Option<(Me, Option<CoachPrincipal>)>, AppError> {
    let Some(me) = current_user(state, session).await? else {
        return Ok(None);
    };
    Ok(match me.role {
        Role::Coach => {
            let coach = CoachPrincipal {
                user_id: me.user_id.clone(),
                support: None,
                mcp: None,
            };
            Some((me, Some(coach)))
        }
        // On a page, the visit its guard admitted: the grant is not asked about twice.
        Role::Admin => match super::support::current_visit(state, session, &me.user_id).await? {
            Some(visit) => store::users::me(&state.db, &visit.coach_id)
                .await?
                .map(|coach_me| {
                    let me = Me {
                        support_until: Some(visit.until),
                        ..coach_me
                    };
                    let coach = CoachPrincipal {
                        user_id: visit.coach_id.clone(),
                        support: Some(visit),
                        mcp: None,
                    };
                    (me, Some(coach))
                }),
            None => Some((me, None)),
        },
        Role::Client => Some((me, None)),
    })
}

struct UserAndRole {
    user_id: String,
    role: Role,
}

/// The principal for this request, or 401.
pub async fn require_principal(state: &AppState) -> Result<Principal, AppError> {
    principal_of(state, &session().await?).await
}

/// The principal of a session, or 401; for plain axum handlers (downloads) that are not server
/// fns.
pub async fn principal_of(state: &AppState, session: &Session) -> Result<Principal, AppError> {
    let user_id: Option<String> = session.get(USER_ID_KEY).await.map_err(super::internal)?;
    let user_id = user_id.ok_or(AppError::Unauthenticated)?;
    // The role alone: a principal needs no name or clock (`current_user` has them).
    let role = store::users::active_role(&state.db, &user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let me = UserAndRole { user_id, role };
    Ok(match me.role {
        Role::Coach => Principal::Coach(CoachPrincipal {
            user_id: me.user_id,
            support: None,
            mcp: None,
        }),
        Role::Admin => match super::support::current_visit(state, session, &me.user_id).await? {
            Some(visit) => Principal::Support(SupportPrincipal { visit }),
            None => Principal::Operator(OperatorPrincipal {
                user_id: me.user_id,
            }),
        },
        Role::Client => Principal::Client(ClientPrincipal {
            user_id: me.user_id,
        }),
    })
}

/// A coach, or 401 (anonymous) / 403 (another kind of account). An operator under the coach's
/// open support grant gets the coach's principal, marked as support.
pub async fn require_coach(state: &AppState) -> Result<CoachPrincipal, AppError> {
    match require_principal(state).await? {
        Principal::Coach(coach) => Ok(coach),
        Principal::Support(support) => Ok(CoachPrincipal {
            user_id: support.visit.coach_id.clone(),
            support: Some(support.visit),
            mcp: None,
        }),
        _ => Err(AppError::Forbidden),
    }
}

/// Starts a signed-in session under a fresh id (so a planted session id is worthless), after
/// logging the sign-in: a sign-in that cannot be logged does not happen.
pub async fn sign_in(state: &AppState, session: &Session, user_id: &str) -> Result<(), AppError> {
    let mut tx = state.db.begin().await?;
    store::access_log::append_account_event(&mut tx, user_id, crate::domain::AccessAction::SignIn)
        .await?;
    tx.commit().await.map_err(super::internal)?;
    session.cycle_id().await.map_err(super::internal)?;
    // A workspace entered under a support grant is not carried into another sign-in.
    session
        .remove::<String>(super::support::SUPPORT_GRANT_KEY)
        .await
        .map_err(super::internal)?;
    session
        .insert(USER_ID_KEY, user_id)
        .await
        .map_err(super::internal)
}

/// Signs in as `user_id` (just created or just proven) and answers with who that is.
pub async fn sign_in_as(
    state: &AppState,
    session: &Session,
    user_id: &str,
) -> Result<Me, AppError> {
    sign_in(state, session, user_id).await?;
    let me = store::users::me(&state.db, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // A sign-in form posted before the app loaded lands where the app would go.
    super::http::land_plain_form(&me.landing_path(super::http::referer_next()));
    Ok(me)
}

/// Ends the session on the server (the old cookie is worthless afterwards), and tells the browser
/// to forget what it keeps of this person: the portal's pages kept for offline use, its queue of
/// unsent check-ins, drafts (`Clear-Site-Data`).
pub async fn sign_out(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(super::internal)?;
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            axum::http::HeaderName::from_static("clear-site-data"),
            axum::http::HeaderValue::from_static("\"storage\""),
        );
    }
    Ok(())
}

/// An operator, or 401 (anonymous) / 403 (another kind of account).
pub async fn require_operator(state: &AppState) -> Result<OperatorPrincipal, AppError> {
    match require_principal(state).await? {
        Principal::Operator(operator) => Ok(operator),
        Principal::Support(support) => Ok(OperatorPrincipal {
            user_id: support.visit.operator_id.clone(),
        }),
        _ => Err(AppError::Forbidden),
    }
}

/// A client, or 401 (anonymous) / 403 (another kind of account).
pub async fn require_client(state: &AppState) -> Result<ClientPrincipal, AppError> {
    match require_principal(state).await? {
        Principal::Client(client) => Ok(client),
        _ => Err(AppError::Forbidden),
    }
}
