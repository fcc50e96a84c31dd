//! Coach pages: the dashboard and workspace settings.

use crate::api::auth::who_am_i;
use crate::api::profile::{get_coach_profile, UpdateCoachProfile};
use crate::domain::{Role, Units};
use crate::testids;
use crate::ui::auth::FormError;
use crate::ui::clients::Roster;
use crate::ui::deletion::OpenDeletionRequests;
use crate::ui::resource;
use crate::ui::{current_user, error_text};
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

/// Sends anyone but a signed-in user of `role` to the login page. It sits beside the page rather
/// than wrapping it, so pages create their resources at the top level and server rendering and
/// hydration agree. (The server already refuses these pages to anyone else.)
#[component]
pub fn RequireRole(role: Role) -> impl IntoView {
    let user = current_user();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match user.0.await {
                    Ok(Some(me)) if me.role == role => None,
                    // An operator inside a workspace (the coach's `Me`) keeps their console.
                    Ok(Some(me)) if role == Role::Admin && me.support_until.is_some() => None,
                    // Operators sign in on their own page (it asks for a code).
                    _ if role == Role::Admin => Some(view! { <Redirect path="/operator/login" /> }),
                    _ => Some(view! { <Redirect path="/login" /> }),
                }
            })}
        </Suspense>
    }
}

/// The signed-in coach's workspace id (their user id).
pub async fn my_workspace_id() -> Result<String, AppError> {
    who_am_i()
        .await?
        .map(|me| me.user_id)
        .ok_or(AppError::Unauthenticated)
}

#[component]
pub fn Dashboard() -> impl IntoView {
    let user = current_user();
    view! {
        <Title text="Clients · Coachroom" />
        <RequireRole role=Role::Coach />
        <section data-testid=testids::DASHBOARD>
            <Suspense fallback=|| view! { <h1>"Welcome"</h1> }>
                {move || Suspend::new(async move {
                    let name = user.0.await.ok().flatten().map(|me| me.name).unwrap_or_default();
                    view! { <h1 data-testid=testids::DASHBOARD_GREETING>{format!("Welcome, {name}")}</h1> }
                })}
            </Suspense>
            <p class="muted" data-testid=testids::DASHBOARD_EMPTY>
                "Your workspace is private to you. Set your brand name, units and time zone in "
                <a href="/coach/settings">"Settings"</a>"."
            </p>
            <crate::ui::today::TodayCard />
            <OpenDeletionRequests />
            <crate::ui::legal::LegalNotices />
            <Roster />
        </section>
    }
}

#[component]
pub fn Settings() -> impl IntoView {
    // Bumped by an import that set workspace settings, so the form shows them.
    provide_context(crate::ui::workspace::SettingsImported(RwSignal::new(0)));
    view! {
        <Title text="Settings · Coachroom" />
        <RequireRole role=Role::Coach />
        <SettingsForm />
        <crate::ui::support::SupportAccessCard />
        <crate::ui::mcp::ConnectedToolsCard />
        <crate::ui::workspace::MoveWorkspaceCard />
        <section class="card narrow">
            <h2>"Access log"</h2>
            <p class="muted">"Sign-ins, login changes, exports, AI, and every access to your workspace by anyone but you and your clients, in a log that cannot be changed."</p>
            <a href="/coach/access-log" data-testid=testids::SETTINGS_ACCESS_LOG_LINK>"Open the access log"</a>
        </section>
    }
}

#[component]
fn SettingsForm() -> impl IntoView {
    let update = ServerAction::<UpdateCoachProfile>::new();
    let imported = use_context::<crate::ui::workspace::SettingsImported>();
    let profile = resource(
        move || (update.version().get(), imported.map(|count| count.0.get())),
        |_| async move {
            let workspace_id = my_workspace_id().await?;
            get_coach_profile(workspace_id.clone())
                .await
                .map(|p| (workspace_id, p))
        },
    );
    let saved = move || matches!(update.value().get(), Some(Ok(_)));
    // The pages read dates through the viewer's clock: a new zone reaches it now.
    let changes = crate::ui::user_changes();
    Effect::new(move |_| {
        if let Some(Ok(_)) = update.value().get() {
            leptos::task::spawn_local(async move {
                if let Ok(Some(me)) = who_am_i().await {
                    changes.clock.set(Some(me.clock));
                }
            });
        }
    });
    view! {
        <section class="card narrow">
            <h1>"Workspace settings"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    Suspend::new(async move {
                        match profile.await {
                            Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                            Ok((workspace_id, p)) => view! {
                                <ActionForm action=update attr:data-testid=testids::SETTINGS_FORM>
                                    <input type="hidden" name="workspace_id" value=workspace_id />
                                    <label>"Your name"
                                        <input name="name" required maxlength="100" value=p.name data-testid=testids::SETTINGS_NAME />
                                    </label>
                                    <label>"Login email"
                                        <input type="email" readonly value=p.email data-testid=testids::SETTINGS_EMAIL />
                                        <small><a href="/account">"Change it in your account"</a>" (a link confirms the new address)."</small>
                                    </label>
                                    <label>"Brand name (shown to clients)"
                                        <input name="brand_name" maxlength="100" value=p.brand_name data-testid=testids::SETTINGS_BRAND />
                                    </label>
                                    <label>"Units"
                                        <select name="units" data-testid=testids::SETTINGS_UNITS>
                                            <option value="metric" selected=p.units == Units::Metric>"Metric (kg, cm)"</option>
                                            <option value="imperial" selected=p.units == Units::Imperial>"Imperial (lb, in)"</option>
                                        </select>
                                    </label>
                                    <crate::ui::zones::ZonePicker current=p.timezone testid=testids::SETTINGS_TIMEZONE />
                                    <FormError message=Signal::derive(move || error_text(update.value().get())) />
                                    <button type="submit" disabled=move || update.pending().get() data-testid=testids::SETTINGS_SUBMIT>"Save"</button>
                                    <Show when=saved>
                                        <p class="ok" role="status" data-testid=testids::SETTINGS_SAVED>"Saved."</p>
                                    </Show>
                                </ActionForm>
                            }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}
