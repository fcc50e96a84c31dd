//! Support access in the UI: the coach's Settings card (grant for 1, 24 or 72 hours, revoke), the
//! banner on every page while a grant is open, the banner of an operator viewing a workspace
//! read-only, and the operators' list of open grants.

use crate::api::support::{
    open_support_grants, support_status, EnterSupport, GrantSupport, LeaveSupport, RevokeSupport,
};
use crate::domain::{Me, Role, SUPPORT_GRANT_HOURS};
use crate::testids;
use crate::ui::auth::FormError;
use crate::ui::resource;
use crate::ui::{clock, error_text, hard_navigate, loaded};
use leptos::prelude::*;

/// The Settings card: grant support access, or see until when it is open and revoke it.
#[component]
pub fn SupportAccessCard() -> impl IntoView {
    let grant = ServerAction::<GrantSupport>::new();
    let revoke = ServerAction::<RevokeSupport>::new();
    let status = resource(
        move || (grant.version().get(), revoke.version().get()),
        |_| support_status(),
    );
    view! {
        <section class="card narrow" data-testid=testids::SUPPORT_CARD>
            <h2>"Support access"</h2>
            <p class="muted">"Coachroom support cannot see your workspace unless you allow it here. While you allow it, support can look (read-only, nothing can be changed) so they can help with a problem; every page and client they open is in your access log, and your clients see what concerned them."</p>
            {loaded(status, move |open| match open {
                Some(open) => view! {
                    <p data-testid=testids::SUPPORT_STATUS>{format!("Support can view your workspace until {}.", clock().day_time(open.until))}</p>
                    <ActionForm action=revoke>
                        <button type="submit" class="danger" data-testid=testids::SUPPORT_REVOKE>"Revoke now"</button>
                    </ActionForm>
                }.into_any(),
                None => view! {
                    <ActionForm action=grant>
                        <label>"For"
                            <select name="hours" data-testid=testids::SUPPORT_HOURS>
                                {SUPPORT_GRANT_HOURS.into_iter().map(|hours| view! {
                                    <option value=hours.to_string()>{if hours == 1 { "1 hour".to_owned() } else { format!("{hours} hours") }}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <label>"Message for support (optional)"
                            <textarea name="message" rows="3" maxlength="4000" data-testid=testids::SUPPORT_MESSAGE></textarea>
                        </label>
                        <button type="submit" data-testid=testids::SUPPORT_GRANT>"Allow support access"</button>
                    </ActionForm>
                }.into_any(),
            })}
            <FormError message=Signal::derive(move || error_text(grant.value().get()).or_else(|| error_text(revoke.value().get()))) />
        </section>
    }
}

/// Under the header on every page: for a coach with an open grant, until when and a Revoke
/// button; for an operator inside a workspace, that the view is read-only, and a Leave button.
/// Rendered in the browser only (`me` is set after hydration), so it never disturbs hydration.
#[component]
pub fn SupportBanner(me: RwSignal<Option<Me>>) -> impl IntoView {
    let revoke = ServerAction::<RevokeSupport>::new();
    let leave = ServerAction::<LeaveSupport>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = leave.value().get() {
            hard_navigate("/operator");
        }
    });
    // Asked again on every page change, so a grant made or revoked in Settings shows here.
    let location = leptos_router::hooks::use_location();
    let open = LocalResource::new(move || {
        let _ = revoke.version().get();
        let _ = location.pathname.get();
        let me = me.get();
        async move {
            match me {
                Some(me) if me.role == Role::Coach && me.support_until.is_none() => {
                    support_status().await.ok().flatten()
                }
                _ => None,
            }
        }
    });
    move || {
        let me = me.get()?;
        if let Some(until) = me.support_until {
            return Some(
                view! {
                    <div class="banner" role="status" data-testid=testids::SUPPORT_VIEWING>
                        <span>{format!("Support view of {}'s workspace: read-only, until {}. Nothing can be changed, and each page you open is in the coach's access log.", me.name, me.clock.day_time(until))}</span>
                        <ActionForm action=leave>
                            <button type="submit" class="secondary" data-testid=testids::SUPPORT_LEAVE>"Leave"</button>
                        </ActionForm>
                    </div>
                }
                .into_any(),
            );
        }
        let grant = open.get().flatten()?;
        Some(
            view! {
                <div class="banner" role="status" data-testid=testids::SUPPORT_BANNER>
                    <span>{format!("Coachroom support can view your workspace (read-only) until {}.", me.clock.day_time(grant.until))}</span>
                    <ActionForm action=revoke>
                        <button type="submit" class="danger" data-testid=testids::SUPPORT_BANNER_REVOKE>"Revoke"</button>
                    </ActionForm>
                </div>
            }
            .into_any(),
        )
    }
}

/// The operators' list of workspaces whose coach has granted support access.
#[component]
pub fn OpenGrants() -> impl IntoView {
    let grants = resource(|| (), |_| open_support_grants());
    let enter = ServerAction::<EnterSupport>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = enter.value().get() {
            hard_navigate("/coach");
        }
    });
    view! {
        <section class="card">
            <h2>"Support access granted"</h2>
            <p class="muted">"Workspaces whose coach has asked for help. Opening one is read-only and logged where the coach and their clients can read it."</p>
            {loaded(grants, move |grants| {
                if grants.is_empty() {
                    return view! { <p class="muted">"No coach has granted support access."</p> }.into_any();
                }
                view! {
                    <ul class="plain">
                        {grants.into_iter().map(|grant| view! {
                            <li data-testid=testids::SUPPORT_GRANT_ROW>
                                <strong>{grant.coach_name}</strong>" ("{grant.coach_email}") until "{clock().day_time(grant.until)}
                                {(!grant.message.is_empty()).then(|| view! { <p class="muted">{grant.message.clone()}</p> })}
                                <ActionForm action=enter>
                                    <input type="hidden" name="grant_id" value=grant.grant_id />
                                    <button type="submit" data-testid=testids::SUPPORT_ENTER>"Open workspace (read-only)"</button>
                                </ActionForm>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            })}
            <FormError message=Signal::derive(move || error_text(enter.value().get())) />
        </section>
    }
}
