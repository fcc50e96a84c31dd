//! Telling coaches of legal requests by email. A request's coach may be told from its
//! `notify_at` (the approval, or the request's "notify after" date if later); the dashboard shows
//! it from then on by itself (`store::legal::notices`). The email goes out once, from whichever
//! app server claims it first: right after the approval when it is due at once, else from the
//! sweeper here; an email that fails is given back and tried again at the next sweep. Without SMTP the claim is still made, so nothing piles up. The email names no
//! reason or reference (those are sealed, and shown in the app): it says to look.

use super::state::AppState;
use super::store;
use std::time::Duration;

/// How often the sweeper looks for notifications that came due.
pub const NOTIFY_EVERY: Duration = Duration::from_secs(10);

/// Sends every notification that is due and not yet sent.
pub async fn notify_due(state: &AppState) {
    let due = match store::legal::due_notifications(&state.db).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!("legal notifications not checked: {e}");
            return;
        }
    };
    for notification in due {
        match store::legal::claim_notification(&state.db, &notification.request_id).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!("legal notification not claimed: {e}");
                continue;
            }
        }
        let Some(mail) = &state.settings.mail else {
            continue;
        };
        let body = format!(
            "Hello {},\n\nCoachroom received a legal request concerning your workspace. It was \
             recorded with a reason and a reference and approved by two Coachroom operators, as \
             our policy requires, and data in its scope may be disclosed.\n\nThe details (reason, \
             reference, which client, until when) are on your dashboard: {}/coach\n\nEvery \
             access under the request is in your access log.\n",
            notification.coach_name, state.settings.base_url
        );
        if let Err(e) = super::mail::send(
            mail,
            &notification.coach_email,
            "Coachroom: a legal request concerning your workspace",
            body,
        )
        .await
        {
            // Given back, so the next sweep tries again.
            tracing::warn!("legal notification email not sent (will retry): {e}");
            if let Err(e) =
                store::legal::release_notification(&state.db, &notification.request_id).await
            {
                tracing::warn!("legal notification not given back: {e}");
            }
        }
    }
}

/// Checks for due notifications every [`NOTIFY_EVERY`].
pub fn spawn_notifier(state: AppState) {
    super::periodic::run_every(NOTIFY_EVERY, move || {
        let state = state.clone();
        async move { notify_due(&state).await }
    });
}
