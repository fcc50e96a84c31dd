//! The client's portal and the invitation ("join") page.

use crate::api::invites::{check_invite, AcceptInvite};
use crate::api::portal::{get_portal_home, my_next_steps, UpdateContact, UpdateMyTimezone};
use crate::domain::{parse_phone, InviteStatus, Role};
use crate::testids;
use crate::ui::access_log::MyAccessLogLink;
use crate::ui::auth::{FormError, NewPasswordField};
use crate::ui::checkins::{MyCheckinsPanel, ProgressSection, Viewer};
use crate::ui::coach::RequireRole;
use crate::ui::deletion::MyDeletionCard;
use crate::ui::forms::MyFormsPanel;
use crate::ui::goals::MyGoalsPanel;
use crate::ui::resource;
use crate::ui::sessions::MySessionsPanel;
use crate::ui::{clock, current_user, error_text, hard_navigate, when, DateStyle};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};

#[component]
pub fn Join() -> impl IntoView {
    let params = use_params_map();
    let token = Memo::new(move |_| params.read().get("token").unwrap_or_default());
    let status = resource(move || token.get(), check_invite);
    let accept = ServerAction::<AcceptInvite>::new();
    Effect::new(move |_| {
        if let Some(Ok(me)) = accept.value().get() {
            hard_navigate(me.role.home_path());
        }
    });
    view! {
        <Title text="Join your coach · Coachroom" />
        <section class="card narrow" data-testid=testids::JOIN_PAGE>
            <Suspense fallback=|| view! { <p class="muted">"Checking your link…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(InviteStatus::Valid { client_name, email, coach_name, brand_name }) => {
                            let from = if brand_name.is_empty() { coach_name } else { format!("{coach_name} ({brand_name})") };
                            view! {
                                <h1>{format!("Welcome, {client_name}")}</h1>
                                <p>{format!("{from} invited you to your private client portal. Choose a password to join.")}</p>
                                <ActionForm action=accept>
                                    <input type="hidden" name="token" value=token.get_untracked() />
                                    <crate::ui::zones::DeviceZoneField />
                                    <label>"Email" <input type="email" value=email readonly autocomplete="username" /></label>
                                    <NewPasswordField label="Password" testid=testids::JOIN_PASSWORD />
                                    <FormError message=Signal::derive(move || error_text(accept.value().get())) />
                                    <button type="submit" disabled=move || accept.pending().get() data-testid=testids::JOIN_SUBMIT>"Join"</button>
                                </ActionForm>
                            }.into_any()
                        }
                        Ok(other) => {
                            let (title, text) = match other {
                                InviteStatus::Expired => ("This link has expired", "Invitation links work for 7 days. Ask your coach to send you a new one."),
                                InviteStatus::Revoked => ("This link was withdrawn", "Your coach withdrew this link. Ask them for a new one."),
                                InviteStatus::Used => ("This link has already been used", "You have joined already. Log in with your email and password."),
                                _ => ("This link is not valid", "Check that you copied the whole link, or ask your coach for a new one."),
                            };
                            view! {
                                <div data-testid=testids::JOIN_UNUSABLE>
                                    <h1>{title}</h1>
                                    <p>{text}</p>
                                    <a href="/login">"Log in"</a>
                                </div>
                            }.into_any()
                        }
                        Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The portal's tabs, at the top of each of its pages, and on a phone a bar along the bottom of
/// the screen (style/main.css). They are here rather than in the header, which is in the main
/// WASM module that every page downloads. Plain links (the router still handles their clicks):
/// with `<A>` in this area, wasm-split moved 48 KB of shared code into the main module.
#[component]
pub fn PortalTabs() -> impl IntoView {
    // Each page renders its own tabs, so the path it was rendered for is the current one.
    let path = use_location().pathname.get_untracked();
    let shown = path.clone();
    let tab = move |href: &'static str, label: &'static str, testid: &'static str| {
        let current = (path == href).then_some("page");
        view! { <a href=href aria-current=current data-testid=testid>{label}</a> }
    };
    view! {
        <crate::ui::offline::OfflineStatus path=shown />
        <nav class="portal-tabs" aria-label="Portal">
            {tab("/portal", "Home", testids::NAV_MY_HOME)}
            {tab("/portal/checkin", "Check-in", testids::NAV_MY_CHECKIN)}
            {tab("/portal/plans", "Plans", testids::PORTAL_PLANS_LINK)}
            {tab("/portal/progress", "Progress", testids::NAV_MY_PROGRESS)}
            {tab("/portal/me", "Me", testids::NAV_ME)}
        </nav>
    }
}

/// The portal's home: what the client does week to week. Their profile, their data and its
/// access log are on "Me" (`/portal/me`), the charts on "Progress" (`/portal/progress`), so the
/// home renders and hydrates less. All are in one area (`ui::lazy_areas!`): a ninth area cost
/// every page more than it saved the home (ARCHITECTURE.md, "Code splitting").
#[component]
pub fn Portal() -> impl IntoView {
    view! {
        <Title text="Your portal · Coachroom" />
        <RequireRole role=Role::Client />
        <PortalTabs />
        <PortalGreeting />
        <NextSteps />
        <MyFormsPanel />
        <MyGoalsPanel />
        <MySessionsPanel />
        <MyCheckinsPanel />
    }
}

/// `/portal/progress`: the client's charts and photos over time.
#[component]
pub fn PortalProgress() -> impl IntoView {
    view! {
        <Title text="Your progress · Coachroom" />
        <RequireRole role=Role::Client />
        <PortalTabs />
        <h1>"Your progress"</h1>
        <ProgressSection viewer=Viewer::Client />
    }
}

/// `/portal/me`: the client's profile and contact details, who read their data, their data to
/// take away, and asking for it to be deleted.
#[component]
pub fn PortalMe() -> impl IntoView {
    view! {
        <Title text="Your profile and data · Coachroom" />
        <RequireRole role=Role::Client />
        <PortalTabs />
        <h1>"Your profile and data"</h1>
        <PortalProfile />
        <LatestMeasurements />
        <MyTimeZoneCard />
        <MyAccessLogLink />
        <MyDataExportCard />
        <MyDeletionCard />
    }
}

/// The latest value of each body measurement and when it was sent, from the client's own
/// check-ins (the same series as their charts).
#[component]
fn LatestMeasurements() -> impl IntoView {
    let user = current_user();
    let progress = resource(|| (), |_| crate::api::checkins::my_progress());
    view! {
        <section class="card" data-testid=testids::PORTAL_LATEST>
            <h2>"Latest measurements"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    user.clock().await;
                    let clock = clock();
                    match progress.await {
                        Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                        Ok(progress) => {
                            let units = progress.units;
                            let latest: Vec<_> = progress
                                .series
                                .into_iter()
                                .filter(|series| series.metric.is_body())
                                .filter_map(|series| series.points.last().map(|point| (series.metric, *point)))
                                .collect();
                            if latest.is_empty() {
                                return view! { <p class="muted">"Your measurements appear here after your first check-in with them."</p> }.into_any();
                            }
                            view! {
                                <dl>
                                    {latest.into_iter().map(|(metric, point)| view! {
                                        <dt>{metric.label()}</dt>
                                        <dd>{metric.format(point.value, units)}" ("{when(&clock, point.at, DateStyle::Day)}")"</dd>
                                    }).collect_view()}
                                </dl>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The client's own time zone: the portal's dates and their habit weeks follow it.
#[component]
fn MyTimeZoneCard() -> impl IntoView {
    let save = ServerAction::<UpdateMyTimezone>::new();
    let user = current_user();
    // Every date on the portal is read through the viewer's clock: the new zone reaches it now.
    let changes = crate::ui::user_changes();
    Effect::new(move |_| {
        if let Some(Ok(me)) = save.value().get() {
            changes.clock.set(Some(me.clock));
        }
    });
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    view! {
        <section class="card">
            <h2>"Time zone"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let clock = user.clock().await;
                    view! {
                        <ActionForm action=save>
                            <crate::ui::zones::ZonePicker current=clock.zone testid=testids::MY_TIMEZONE />
                            <FormError message=Signal::derive(move || error_text(save.value().get())) />
                            <button type="submit" class="secondary" disabled=move || save.pending().get()
                                data-testid=testids::MY_TIMEZONE_SAVE>"Save"</button>
                            <Show when=saved>
                                <p class="ok" role="status" data-testid=testids::MY_TIMEZONE_SAVED>"Saved."</p>
                            </Show>
                        </ActionForm>
                    }
                })}
            </Suspense>
        </section>
    }
}

/// "Hello, name", and whose client they are.
#[component]
fn PortalGreeting() -> impl IntoView {
    let home = resource(|| (), |_| get_portal_home());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match home.await {
                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(home) => view! {
                        <section data-testid=testids::PORTAL>
                            <p class="muted" data-testid=testids::PORTAL_BRAND>{format!("Coached by {}", home.coach_label())}</p>
                            <h1>{format!("Hello, {}", home.profile.name)}</h1>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What the client should do next, first on their home: their check-in when it is due, forms
/// waiting for answers, their coach's new reply. On a phone the check-in was the seventh card.
#[component]
fn NextSteps() -> impl IntoView {
    let user = current_user();
    let next = resource(|| (), |_| my_next_steps());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                user.clock().await;
                let clock = clock();
                match next.await {
                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(next) => {
                        let nothing = next.checkin.is_none() && next.forms_waiting.is_empty() && next.recent_reply.is_none();
                        view! {
                            <section class="card next-steps" data-testid=testids::PORTAL_NEXT>
                                <h2>"Next for you"</h2>
                                {nothing.then(|| view! {
                                    <p class="muted" data-testid=testids::NEXT_NONE>"You are up to date: nothing is waiting for you."</p>
                                    <a class="button secondary" href="/portal/checkin">"Send a check-in"</a>
                                })}
                                <ul class="list">
                                    {next.checkin.map(|due| view! {
                                        <li data-testid=testids::NEXT_CHECKIN>
                                            <a class="button" href="/portal/checkin">"Send your check-in"</a>
                                            <span class=if due.overdue { "badge overdue" } else { "muted" }>
                                                {if due.overdue { "It was due " } else { "Due today, " }}
                                                {when(&clock, due.due_day, DateStyle::Day)}
                                            </span>
                                        </li>
                                    })}
                                    {next.forms_waiting.into_iter().map(|form| view! {
                                        <li data-testid=testids::NEXT_FORM>
                                            <a href=format!("/portal/forms/{}", form.assignment_id)>{format!("Fill in “{}”", form.name)}</a>
                                            <span class="muted">"from your coach, "{when(&clock, form.assigned_at, DateStyle::Ago)}</span>
                                        </li>
                                    }).collect_view()}
                                    {next.recent_reply.map(|reply| view! {
                                        <li data-testid=testids::NEXT_REPLY>
                                            <a href=format!("/portal/checkins/{}", reply.checkin_id)>"Read your coach's reply"</a>
                                            <span class="muted">"to your check-in of "{when(&clock, reply.submitted_at, DateStyle::Day)}</span>
                                        </li>
                                    })}
                                </ul>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// "Download my data": a plain link to the ZIP (`GET /api/portal/export`), which the browser
/// saves as a file.
#[component]
fn MyDataExportCard() -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Your data"</h2>
            <p class="muted">"One ZIP file with everything you see here: your profile, check-ins and photos, replies, goals, plans, forms, session summaries, the access log, PDFs, and a copy in the open coaching data format that other platforms read. The download is logged."</p>
            <a class="button secondary" href="/api/portal/export" download="" data-testid=testids::PORTAL_EXPORT>"Download my data"</a>
        </section>
    }
}

/// The contact server fn's path: the contact form posts there before the app loads.
const CONTACT_PATH: &str = <UpdateContact as server_fn::ServerFn>::PATH;

#[component]
fn PortalProfile() -> impl IntoView {
    let save = ServerAction::<UpdateContact>::new();
    let home = resource(move || save.version().get(), |_| get_portal_home());
    let phone_input = NodeRef::<leptos::html::Input>::new();
    let phone_error = RwSignal::new(None::<String>);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match home.await {
                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(home) => {
                        let coach = home.coach_label();
                        let p = home.profile;
                        let units = p.units;
                        let row = |label: &'static str, value: String| view! {
                            <dt>{label}</dt><dd>{if value.is_empty() { "—".to_owned() } else { value }}</dd>
                        };
                        view! {
                            <section>
                                <div class="columns">
                                    <div class="card" data-testid=testids::PORTAL_PROFILE>
                                        <h2>"Your profile"</h2>
                                        <p class="muted">{format!("{coach} keeps this up to date. Tell them if something changes.")}</p>
                                        <dl>
                                            {row("Goals", p.goals.clone())}
                                            {row("Height", p.height_cm.map(|cm| units.format_height(cm)).unwrap_or_default())}
                                            {row("Starting weight", p.weight_kg.map(|kg| units.format_weight(kg)).unwrap_or_default())}
                                            {row("Date of birth", p.date_of_birth.clone().unwrap_or_default())}
                                            {row("Check-in day", p.checkin_day.map(|d| d.label().to_owned()).unwrap_or_default())}
                                            {row("Medical conditions", p.medical_conditions.clone())}
                                            {row("Dietary restrictions", p.dietary_restrictions.clone())}
                                            {row("Injuries", p.injuries.clone())}
                                            {row("Medications", p.medications.clone())}
                                        </dl>
                                    </div>
                                    <div>
                                        <div class="card">
                                            <h2>"Contact details"</h2>
                                            // Posts like an `ActionForm` before the app loads;
                                            // after, the number is checked here first, by the
                                            // server's parser, so its error sits at the field.
                                            <form method="post" action=CONTACT_PATH on:submit=move |ev: leptos::ev::SubmitEvent| {
                                                ev.prevent_default();
                                                let typed = phone_input.get_untracked().map(|input| input.value()).unwrap_or_default();
                                                match parse_phone(&typed) {
                                                    Ok(phone) => {
                                                        phone_error.set(None);
                                                        save.dispatch(UpdateContact { phone });
                                                    }
                                                    Err(err) => {
                                                        // Not "Saved." (or an older error) beside it.
                                                        save.value().set(None);
                                                        phone_error.set(Some(err.to_string()));
                                                        crate::ui::focus_field(&ev, "phone");
                                                    }
                                                }
                                            }>
                                                <label>"Login email"
                                                    <input type="email" readonly value=p.email data-testid=testids::PORTAL_EMAIL />
                                                    <small><a href="/account">"Change it in your account"</a></small>
                                                </label>
                                                <label>"Phone"
                                                    <input name="phone" type="tel" autocomplete="tel" value=p.phone node_ref=phone_input
                                                        on:input=move |_| phone_error.set(None)
                                                        aria-invalid=move || phone_error.with(Option::is_some).then_some("true")
                                                        aria-describedby=move || phone_error.with(Option::is_some).then_some("phone-error")
                                                        data-testid=testids::PORTAL_PHONE />
                                                    <small class="field-error" id="phone-error" hidden=move || phone_error.with(Option::is_none)
                                                        data-testid=testids::PORTAL_PHONE_ERROR>{move || phone_error.get().unwrap_or_default()}</small>
                                                </label>
                                                <FormError message=Signal::derive(move || error_text(save.value().get())) />
                                                <button type="submit" disabled=move || save.pending().get() data-testid=testids::PORTAL_CONTACT_SAVE>"Save"</button>
                                                <Show when=move || matches!(save.value().get(), Some(Ok(_)))>
                                                    <p class="ok" role="status" data-testid=testids::PORTAL_CONTACT_SAVED>"Saved."</p>
                                                </Show>
                                            </form>
                                        </div>
                                    </div>
                                </div>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
