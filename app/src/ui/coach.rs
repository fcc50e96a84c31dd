//! Coach pages: the dashboard and workspace settings.

use crate::api::profile::{get_coach_profile, UpdateCoachProfile};
use crate::domain::{Me, Role, Units};
use crate::testids;
use crate::ui::auth::FormError;
use crate::ui::{current_user, error_text};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

/// Renders `page` for a signed-in coach; anyone else is sent to the login page.
/// (The server also refuses coach pages to non-coaches before rendering.)
#[component]
pub fn CoachOnly<F, V>(page: F) -> impl IntoView
where
    F: Fn(Me) -> V + Send + Sync + Clone + 'static,
    V: IntoView + 'static,
{
    let user = current_user();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let page = page.clone();
                Suspend::new(async move {
                    match user.0.await {
                        Ok(Some(me)) if me.role == Role::Coach => page(me).into_any(),
                        _ => view! { <Redirect path="/login" /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn Dashboard() -> impl IntoView {
    view! {
        <Title text="Dashboard · Coachroom" />
        <CoachOnly page=|me: Me| view! {
            <section data-testid=testids::DASHBOARD>
                <h1 data-testid=testids::DASHBOARD_GREETING>{format!("Welcome, {}", me.name)}</h1>
                <p class="muted" data-testid=testids::DASHBOARD_EMPTY>
                    "Your workspace is private to you. Set your brand name, units and time zone in "
                    <a href="/coach/settings">"Settings"</a>"."
                </p>
                <crate::ui::clients::Roster />
            </section>
        } />
    }
}

#[component]
pub fn Settings() -> impl IntoView {
    view! {
        <Title text="Settings · Coachroom" />
        <CoachOnly page=|me: Me| view! { <SettingsForm workspace_id=me.user_id /> } />
    }
}

#[component]
fn SettingsForm(workspace_id: String) -> impl IntoView {
    let update = ServerAction::<UpdateCoachProfile>::new();
    let profile = {
        let workspace_id = workspace_id.clone();
        Resource::new(
            move || update.version().get(),
            move |_| get_coach_profile(workspace_id.clone()),
        )
    };
    let saved = move || matches!(update.value().get(), Some(Ok(_)));
    view! {
        <section class="card narrow">
            <h1>"Workspace settings"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let workspace_id = workspace_id.clone();
                    Suspend::new(async move {
                        match profile.await {
                            Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                            Ok(p) => view! {
                                <ActionForm action=update attr:data-testid=testids::SETTINGS_FORM>
                                    <input type="hidden" name="workspace_id" value=workspace_id />
                                    <label>"Your name"
                                        <input name="name" required maxlength="100" value=p.name data-testid=testids::SETTINGS_NAME />
                                    </label>
                                    <label>"Email"
                                        <input name="email" type="email" required value=p.email data-testid=testids::SETTINGS_EMAIL />
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
                                    <label>"Time zone"
                                        <input name="timezone" required value=p.timezone placeholder="Europe/London" data-testid=testids::SETTINGS_TIMEZONE />
                                    </label>
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
