//! The operator's pages: sign-in with a code, setting up an account from its one-time link, and
//! the console (platform health, coach accounts). No client name and no content appears here:
//! the server fns behind these pages have none to give.

use crate::api::operator::{
    list_coach_accounts, operator_setup_info, platform_overview, FinishOperatorSetup,
    OperatorLogin as OperatorLoginFn, SuspendCoach,
};
use crate::domain::{CoachAccount, OperatorOverview, Role};
use crate::testids;
use crate::ui::auth::FormError;
use crate::ui::coach::RequireRole;
use crate::ui::resource;
use crate::ui::{clock, error_text, hard_navigate, loaded};
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The one message for every failed operator sign-in (the server does not say which part).
fn sign_in_error(result: Option<Result<crate::domain::Me, AppError>>) -> Option<String> {
    match result {
        Some(Err(AppError::BadCredentials)) => {
            Some("Email, password or code is incorrect (each code works once).".into())
        }
        other => error_text(other),
    }
}

/// `/operator/login`: email, password and the authenticator's current code.
#[component]
pub fn OperatorLogin() -> impl IntoView {
    let login = ServerAction::<OperatorLoginFn>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = login.value().get() {
            hard_navigate("/operator");
        }
    });
    view! {
        <Title text="Operator sign-in · Coachroom" />
        <section class="card narrow">
            <h1>"Operator sign-in"</h1>
            <ActionForm action=login>
                <label>"Email"
                    <input name="email" type="email" required autocomplete="username" data-testid=testids::OPERATOR_LOGIN_EMAIL />
                </label>
                <label>"Password"
                    <input name="password" type="password" required autocomplete="current-password" data-testid=testids::OPERATOR_LOGIN_PASSWORD />
                </label>
                <label>"Code from your authenticator app"
                    <input name="code" inputmode="numeric" autocomplete="one-time-code" required pattern="[0-9 ]{6,8}" data-testid=testids::OPERATOR_LOGIN_CODE />
                </label>
                <FormError message=Signal::derive(move || sign_in_error(login.value().get())) />
                <button type="submit" disabled=move || login.pending().get() data-testid=testids::OPERATOR_LOGIN_SUBMIT>
                    "Sign in"
                </button>
            </ActionForm>
        </section>
    }
}

/// `/operator/setup/:token`: the one-time link `coachroom admin add` printed.
#[component]
pub fn OperatorSetupPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let info = resource(token, operator_setup_info);
    let finish = ServerAction::<FinishOperatorSetup>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = finish.value().get() {
            hard_navigate("/operator");
        }
    });
    view! {
        <Title text="Set up your operator account · Coachroom" />
        <section class="card narrow" data-testid=testids::OPERATOR_SETUP_PAGE>
            <h1>"Set up your operator account"</h1>
            {loaded(info, move |info| view! {
                <p>"Account: " <strong>{info.email.clone()}</strong></p>
                <p>"Add this key to an authenticator app (type it in, or open the link on the phone that has the app):"</p>
                <p><code data-testid=testids::OPERATOR_SETUP_SECRET>{info.totp_secret.clone()}</code></p>
                <p><a href=info.otpauth_url.clone()>"Open in an authenticator app"</a></p>
                <ActionForm action=finish>
                    <input type="hidden" name="token" value=token() />
                    <label>"Choose a password"
                        <input name="password" type="password" required minlength="10" autocomplete="new-password" data-testid=testids::OPERATOR_SETUP_PASSWORD />
                    </label>
                    <label>"The code the app shows now"
                        <input name="code" inputmode="numeric" autocomplete="one-time-code" required data-testid=testids::OPERATOR_SETUP_CODE />
                    </label>
                    <FormError message=Signal::derive(move || error_text(finish.value().get())) />
                    <button type="submit" disabled=move || finish.pending().get() data-testid=testids::OPERATOR_SETUP_SUBMIT>
                        "Finish setup"
                    </button>
                </ActionForm>
            })}
        </section>
    }
}

fn bytes_label(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes.max(0) as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `/operator`: platform health and coach accounts.
#[component]
pub fn OperatorConsole() -> impl IntoView {
    let after = RwSignal::new(String::new());
    let changed = RwSignal::new(0u32);
    let overview = resource(move || changed.get(), |_| platform_overview());
    let coaches = resource(
        move || (after.get(), changed.get()),
        |(after, _)| list_coach_accounts(after),
    );
    view! {
        <Title text="Operator console · Coachroom" />
        <RequireRole role=Role::Admin />
        <section class="card" data-testid=testids::OPERATOR_CONSOLE>
            <h1>"Operator console"</h1>
            <p class="muted">"Platform health and coach accounts. Operators have no access to coaching content: no client names, check-ins, notes or plans are shown here or reachable from here."</p>
            {loaded(overview, |overview| view! { <Health overview /> })}
        </section>
        <crate::ui::support::OpenGrants />
        <crate::ui::legal::LegalRequestsPanel />
        <section class="card">
            <h2>"Coach accounts"</h2>
            {loaded(coaches, move |page| {
                let next = page.next_after.clone();
                view! {
                    // Five columns do not fit a phone: the table scrolls inside its own region
                    // (focusable, so it scrolls from the keyboard too) rather than widening the page.
                    <div class="table-scroll" role="region" aria-label="Coach accounts" tabindex="0">
                        <table data-testid=testids::OPERATOR_COACHES>
                            <thead><tr><th>"Name"</th><th>"Email"</th><th>"Created (UTC)"</th><th>"Status"</th><th></th></tr></thead>
                            <tbody>
                                {page.coaches.into_iter().map(|coach| view! { <CoachRow coach changed /> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <div class="row">
                        {(!after.get_untracked().is_empty()).then(|| view! {
                            <button type="button" class="secondary" on:click=move |_| after.set(String::new())>"First page"</button>
                        })}
                        {next.map(|next| view! {
                            <button type="button" class="secondary" on:click=move |_| after.set(next.clone())>"Next page"</button>
                        })}
                    </div>
                }
            })}
        </section>
    }
}

#[component]
fn Health(overview: OperatorOverview) -> impl IntoView {
    let backup = match &overview.last_backup {
        Some(b) => format!("{} ({})", clock().day_time(b.at), bytes_label(b.bytes)),
        None => "none recorded".to_owned(),
    };
    let errors = overview
        .recent_errors
        .iter()
        .map(|e| {
            view! {
                <li>{format!("{} {} {} {}", clock().day_time(e.at), e.status, e.method, e.path)}</li>
            }
        })
        .collect_view();
    view! {
        <dl class="facts" data-testid=testids::OPERATOR_HEALTH>
            <dt>"Coaches"</dt><dd data-testid=testids::OPERATOR_COACH_COUNT>{overview.coaches}{format!(" ({} suspended)", overview.suspended_coaches)}</dd>
            <dt>"Clients"</dt><dd data-testid=testids::OPERATOR_CLIENT_COUNT>{overview.clients}</dd>
            <dt>"Photos stored"</dt><dd>{bytes_label(overview.photo_bytes)}</dd>
            <dt>"Database"</dt><dd>{bytes_label(overview.database_bytes)}</dd>
            <dt>"Last backup"</dt><dd>{backup}</dd>
            <dt>"AI queue"</dt><dd>{format!("{} queued, {} running, {} failed in the last day", overview.ai_queue.queued, overview.ai_queue.running, overview.ai_queue.failed_last_day)}</dd>
            <dt>"Server errors (this server, since start)"</dt><dd>{overview.errors_since_start}</dd>
        </dl>
        {(!overview.recent_errors.is_empty()).then(|| view! {
            <h2>"Latest server errors"</h2>
            <ul>{errors}</ul>
        })}
    }
}

#[component]
fn CoachRow(coach: CoachAccount, changed: RwSignal<u32>) -> impl IntoView {
    let suspend = ServerAction::<SuspendCoach>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = suspend.value().get() {
            changed.update(|n| *n += 1);
        }
    });
    let suspended = coach.suspended_at.is_some();
    let status = match coach.suspended_at {
        Some(at) => format!("Suspended {}", clock().day_time(at)),
        None => "Active".to_owned(),
    };
    view! {
        <tr data-testid=testids::OPERATOR_COACH_ROW>
            <td>{coach.name}</td>
            <td>{coach.email}</td>
            <td>{clock().day_time(coach.created_at)}</td>
            <td>{status}</td>
            <td>
                <ActionForm action=suspend>
                    <input type="hidden" name="coach_id" value=coach.user_id />
                    <input type="hidden" name="suspended" value=(!suspended).to_string() />
                    <button type="submit" class=if suspended { "secondary" } else { "danger" } data-testid=testids::OPERATOR_SUSPEND>
                        {if suspended { "Reinstate" } else { "Suspend" }}
                    </button>
                </ActionForm>
                <FormError message=Signal::derive(move || error_text(suspend.value().get())) />
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::bytes_label;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(bytes_label(512), "512 B");
        assert_eq!(bytes_label(1536), "1.5 KB");
        assert_eq!(bytes_label(3 * 1024 * 1024 * 1024), "3.0 GB");
    }
}
