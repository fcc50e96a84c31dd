//! Coach pages for clients: the roster, a new client, and one client's page.

use crate::api::clients::{
    get_client, list_clients, ArchiveClient, CreateClient, DeleteClient, UpdateClient,
};
use crate::api::invites::{ClientPasswordLink, RevokeInvite, SendInvite};
use crate::api::profile::get_coach_profile;
use crate::domain::Role;
use crate::domain::{ClientForm, ClientProfile, RosterSort, Units, Weekday};
use crate::testids;
use crate::ui::ai::ClientAiToggle;
use crate::ui::auth::FormError;
use crate::ui::checkins::{ClientCheckinsPanel, ProgressSection, Viewer};
use crate::ui::coach::{my_workspace_id, RequireRole};
use crate::ui::deletion::ClientDeletionBanner;
use crate::ui::forms::ClientFormsPanel;
use crate::ui::goals::ClientGoalsPanel;
use crate::ui::notes::{NotesPanel, TodosPanel};
use crate::ui::plans::ClientPlansPanel;
use crate::ui::resource;
use crate::ui::sessions::ClientSessionsPanel;
use crate::ui::{clock, error_text, when, ConfirmDelete, DateStyle, Pager};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

/// The roster: search, active/archived, pages.
#[component]
pub fn Roster() -> impl IntoView {
    let user = crate::ui::current_user();
    let query = RwSignal::new(String::new());
    let archived = RwSignal::new(false);
    let page = RwSignal::new(1_i64);
    let sort = RwSignal::new(RosterSort::Name);
    let clients = resource(
        move || (query.get(), archived.get(), page.get(), sort.get()),
        |(query, archived, page, sort)| {
            list_clients(query, archived, page, Some(sort.as_str().to_owned()))
        },
    );
    let show = move |archive_view: bool| {
        archived.set(archive_view);
        page.set(1);
    };
    view! {
        <section class="card" data-testid=testids::ROSTER>
            <div class="row spread">
                <h2>"Clients"</h2>
                <a class="button" href="/coach/new-client" data-testid=testids::ROSTER_ADD>"Add client"</a>
            </div>
            <div class="row">
                <input type="search" placeholder="Search by name or email" aria-label="Search clients"
                    data-testid=testids::ROSTER_SEARCH
                    on:input=move |ev| { query.set(event_target_value(&ev)); page.set(1); } />
                <label class="inline">"Sort "
                    <select data-testid=testids::ROSTER_SORT
                        on:change=move |ev| {
                            if let Ok(chosen) = RosterSort::parse(&event_target_value(&ev)) {
                                sort.set(chosen);
                                page.set(1);
                            }
                        }>
                        {RosterSort::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str() selected=s == RosterSort::Name>{s.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <div class="tabs" role="group" aria-label="Which clients">
                    <button type="button" data-read="" class:selected=move || !archived.get() aria-pressed=move || (!archived.get()).to_string()
                        data-testid=testids::ROSTER_SHOW_ACTIVE on:click=move |_| show(false)>"Active"</button>
                    <button type="button" data-read="" class:selected=move || archived.get() aria-pressed=move || archived.get().to_string()
                        data-testid=testids::ROSTER_SHOW_ARCHIVED on:click=move |_| show(true)>"Archived"</button>
                </div>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    // Dates below read the viewer's clock.
                    user.clock().await;
                    match clients.await {
                        Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                        Ok(result) if result.clients.is_empty() => {
                            let searching = !query.get_untracked().trim().is_empty();
                            let message = match (searching, archived.get_untracked()) {
                                (true, _) => "No clients match this search. Try part of a name or an email.",
                                (false, true) => "No archived clients. Archive a client from their page to move them here.",
                                (false, false) => "No clients yet. Add your first client, then send them an invitation link.",
                            };
                            view! {
                                <div class="empty" data-testid=testids::ROSTER_EMPTY>
                                    <p>{message}</p>
                                </div>
                            }.into_any()
                        }
                        Ok(result) => {
                            let last_page = (result.total + result.per_page - 1) / result.per_page;
                            let current = result.page;
                            let clock = clock();
                            view! {
                                <p class="muted" data-testid=testids::ROSTER_COUNT>
                                    {format!("{} client{}", result.total, if result.total == 1 { "" } else { "s" })}
                                </p>
                                <ul class="list">
                                    {result.clients.into_iter().map(|c| {
                                        let compliance = c.compliance_percent();
                                        view! {
                                        <li data-testid=testids::ROSTER_ROW>
                                            <a href=format!("/coach/clients/{}", c.id)>{c.name}</a>
                                            <span class="muted">{c.email.clone()}</span>
                                            {(!c.has_login && c.invite_pending).then(|| view! { <span class="badge">"Invited"</span> })}
                                            {(!c.has_login && !c.invite_pending).then(|| view! { <span class="badge muted">"Not invited"</span> })}
                                            {c.overdue.then(|| view! { <span class="badge overdue" data-testid=testids::ROSTER_OVERDUE>"Overdue"</span> })}
                                            {match (c.last_checkin_at, c.has_login) {
                                                (Some(at), _) => Some(view! { "Last check-in "{when(&clock, at, DateStyle::Ago)} }.into_any()),
                                                (None, true) => Some("No check-ins yet".into_any()),
                                                // Not joined: the invitation badge says where they are.
                                                (None, false) => None,
                                            }.map(|fact| view! {
                                                <span class="muted roster-fact" data-testid=testids::ROSTER_LAST_CHECKIN>{fact}</span>
                                            })}
                                            {compliance.map(|percent| view! {
                                                <span class="muted roster-fact" data-testid=testids::ROSTER_COMPLIANCE
                                                    title="Weeks with a check-in, of the last 4">
                                                    {format!("{percent}% of 4 weeks")}
                                                </span>
                                            })}
                                        </li>
                                    }}).collect_view()}
                                </ul>
                                <Pager page current last_page prev_testid=testids::ROSTER_PREV next_testid=testids::ROSTER_NEXT />
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// Every profile field, prefilled from `form`. Height and weight are in `units`.
#[component]
fn ClientFields(form: ClientForm, units: Units) -> impl IntoView {
    let day = form.checkin_day.clone();
    view! {
        <div class="grid">
            <label>"Name" <input name="name" required maxlength="100" value=form.name data-testid=testids::CLIENT_NAME /></label>
            <label>"Email" <input name="email" type="email" required value=form.email data-testid=testids::CLIENT_EMAIL /></label>
            <label>"Phone" <input name="phone" type="tel" value=form.phone data-testid=testids::CLIENT_PHONE /></label>
            <label>"Gender" <input name="gender" maxlength="40" value=form.gender data-testid=testids::CLIENT_GENDER /></label>
            <label>"Date of birth" <input name="date_of_birth" type="date" value=form.date_of_birth data-testid=testids::CLIENT_DOB /></label>
            <label>"…or age" <input name="age" inputmode="numeric" value=form.age data-testid=testids::CLIENT_AGE /></label>
            <label>{format!("Height ({})", units.height_unit())}
                <input name="height" inputmode="decimal" value=form.height data-testid=testids::CLIENT_HEIGHT />
            </label>
            <label>{format!("Weight ({})", units.weight_unit())}
                <input name="weight" inputmode="decimal" value=form.weight data-testid=testids::CLIENT_WEIGHT />
            </label>
            <label>"Check-in day"
                <select name="checkin_day" data-testid=testids::CLIENT_CHECKIN_DAY>
                    <option value="" selected=day.is_empty()>"None"</option>
                    {Weekday::ALL.into_iter().map(|d| view! {
                        <option value=d.as_str() selected=day == d.as_str()>{d.label()}</option>
                    }).collect_view()}
                </select>
            </label>
        </div>
        <label>"Goals" <textarea name="goals" rows="3" data-testid=testids::CLIENT_GOALS>{form.goals}</textarea></label>
        <label>"Medical conditions" <textarea name="medical_conditions" rows="2" data-testid=testids::CLIENT_CONDITIONS>{form.medical_conditions}</textarea></label>
        <label>"Dietary restrictions" <textarea name="dietary_restrictions" rows="2" data-testid=testids::CLIENT_DIET>{form.dietary_restrictions}</textarea></label>
        <label>"Injuries" <textarea name="injuries" rows="2" data-testid=testids::CLIENT_INJURIES>{form.injuries}</textarea></label>
        <label>"Medications" <textarea name="medications" rows="2" data-testid=testids::CLIENT_MEDICATIONS>{form.medications}</textarea></label>
    }
}

#[component]
pub fn NewClient() -> impl IntoView {
    view! {
        <Title text="Add client · Coachroom" />
        <RequireRole role=Role::Coach />
        <NewClientForm />
    }
}

#[component]
fn NewClientForm() -> impl IntoView {
    let create = ServerAction::<CreateClient>::new();
    let units = resource(
        || (),
        |_| async move { get_coach_profile(my_workspace_id().await?).await },
    );
    Effect::new(move |_| {
        if let Some(Ok(client)) = create.value().get() {
            use_navigate()(&format!("/coach/clients/{}", client.id), Default::default());
        }
    });
    view! {
        <section class="card">
            <h1>"Add a client"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let units = units.await.map(|p| p.units).unwrap_or_default();
                    view! {
                        <ActionForm action=create attr:data-testid=testids::CLIENT_FORM>
                            <ClientFields form=ClientForm::default() units />
                            <FormError message=Signal::derive(move || error_text(create.value().get())) />
                            <button type="submit" disabled=move || create.pending().get() data-testid=testids::CLIENT_SUBMIT>"Add client"</button>
                        </ActionForm>
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn ClientPage() -> impl IntoView {
    view! {
        <Title text="Client · Coachroom" />
        <RequireRole role=Role::Coach />
        <ClientDetail />
    }
}

/// The client page's tabs, each its own URL (`/coach/clients/:id` for the overview,
/// `/coach/clients/:id/<tab>` for the others), so a link, a reload or the back button lands on
/// the same tab. On a phone the page was one 5,500 px column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientTab {
    Overview,
    Checkins,
    Progress,
    Plans,
    Goals,
    Forms,
    Sessions,
    Notes,
}

impl ClientTab {
    pub const ALL: [ClientTab; 8] = [
        Self::Overview,
        Self::Checkins,
        Self::Progress,
        Self::Plans,
        Self::Goals,
        Self::Forms,
        Self::Sessions,
        Self::Notes,
    ];

    /// The tab's last path segment (the overview has none).
    pub fn slug(self) -> &'static str {
        match self {
            Self::Overview => "",
            Self::Checkins => "checkins",
            Self::Progress => "progress",
            Self::Plans => "plans",
            Self::Goals => "goals",
            Self::Forms => "forms",
            Self::Sessions => "sessions",
            Self::Notes => "notes",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Overview => "Overview",
            Self::Checkins => "Check-ins",
            Self::Progress => "Progress",
            Self::Plans => "Plans",
            Self::Goals => "Goals",
            Self::Forms => "Forms",
            Self::Sessions => "Sessions",
            Self::Notes => "Notes",
        }
    }

    /// A name for test ids: the slug, or `overview`.
    fn name(self) -> &'static str {
        match self {
            Self::Overview => "overview",
            tab => tab.slug(),
        }
    }

    /// `None` for a segment that names no tab (the page says so).
    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|tab| tab.slug() == slug)
    }

    pub fn href(self, client_id: &str) -> String {
        match self {
            Self::Overview => format!("/coach/clients/{client_id}"),
            tab => format!("/coach/clients/{client_id}/{}", tab.slug()),
        }
    }
}

#[component]
fn ClientDetail() -> impl IntoView {
    let params = use_params_map();
    let client_id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let tab =
        Memo::new(move |_| ClientTab::from_slug(&params.read().get("tab").unwrap_or_default()));
    let update = ServerAction::<UpdateClient>::new();
    let archive = ServerAction::<ArchiveClient>::new();
    let profile = resource(
        move || {
            (
                client_id.get(),
                update.version().get(),
                archive.version().get(),
            )
        },
        |(id, _, _)| get_client(id),
    );
    // Each tab's panels load beside the profile, not inside it: they need only the id. The
    // header and the tabs stay while the tab changes; only the panels below them are replaced.
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(p) => view! { <ClientView profile=p tab update archive /> }.into_any(),
                    Err(err) => view! {
                        <section class="card narrow"><h1>"Client not found"</h1><p>{err.to_string()}</p>
                        <a href="/coach">"Back to clients"</a></section>
                    }.into_any(),
                }
            })}
        </Transition>
        {move || {
            let id = client_id.get();
            let Some(tab) = tab.get() else { return ().into_any() };
            let panels = match tab {
                ClientTab::Overview => view! {
                    <section class="card"><h2>"AI"</h2><ClientAiToggle client_id=id.clone() /></section>
                    <section class="card">
                        <h2>"Access log"</h2>
                        <p class="muted">"Exports, AI and any access to this client's data by anyone but you; the client sees it too."</p>
                        <a href=format!("/coach/access-log?client={id}") data-testid=testids::CLIENT_ACCESS_LOG_LINK>"Open this client's access log"</a>
                    </section>
                }.into_any(),
                ClientTab::Checkins => view! { <ClientCheckinsPanel client_id=id.clone() /> }.into_any(),
                ClientTab::Progress => view! { <ProgressSection viewer=Viewer::Coach client_id=id.clone() /> }.into_any(),
                ClientTab::Plans => view! { <ClientPlansPanel client_id=id.clone() /> }.into_any(),
                ClientTab::Goals => view! { <ClientGoalsPanel client_id=id.clone() /> }.into_any(),
                ClientTab::Forms => view! { <ClientFormsPanel client_id=id.clone() /> }.into_any(),
                ClientTab::Sessions => view! { <ClientSessionsPanel client_id=id.clone() /> }.into_any(),
                ClientTab::Notes => view! {
                    <div class="columns">
                        <TodosPanel client_id=Some(id.clone()) />
                        <NotesPanel client_id=Some(id.clone()) />
                    </div>
                }.into_any(),
            };
            view! {
                // A deletion request shows on every tab: it needs an answer whatever the coach
                // came for.
                <ClientDeletionBanner client_id=id.clone() />
                <div role="tabpanel" aria-label=tab.label() data-testid=format!("{}{}", testids::CLIENT_TAB_PREFIX, tab.name())>
                    {panels}
                </div>
            }.into_any()
        }}
    }
}

/// The tabs under the client's name: plain links (the router follows them), one a page.
#[component]
fn ClientTabs(client_id: String, current: Memo<Option<ClientTab>>) -> impl IntoView {
    // On a phone the row scrolls: the current tab is brought into view, after each change.
    let nav = NodeRef::<leptos::html::Nav>::new();
    Effect::new(move |_| {
        current.track();
        #[cfg(feature = "hydrate")]
        if let Some(nav) = nav.get() {
            request_animation_frame(move || {
                use leptos::wasm_bindgen::JsCast;
                let tab = nav
                    .query_selector("[aria-current=page]")
                    .ok()
                    .flatten()
                    .and_then(|tab| tab.dyn_into::<web_sys::HtmlElement>().ok());
                if let Some(tab) = tab {
                    let centred = tab.offset_left() - (nav.client_width() - tab.offset_width()) / 2;
                    nav.set_scroll_left(centred.max(0));
                }
            });
        }
    });
    view! {
        <nav class="page-tabs" aria-label="Client" node_ref=nav>
            {ClientTab::ALL.into_iter().map(|tab| view! {
                <a href=tab.href(&client_id) aria-current=move || (current.get() == Some(tab)).then_some("page")
                    data-testid=format!("{}{}", testids::CLIENT_TAB_LINK_PREFIX, tab.name())>{tab.label()}</a>
            }).collect_view()}
        </nav>
    }
}

#[component]
fn ClientView(
    profile: ClientProfile,
    tab: Memo<Option<ClientTab>>,
    update: ServerAction<UpdateClient>,
    archive: ServerAction<ArchiveClient>,
) -> impl IntoView {
    let id = profile.id.clone();
    let archived = profile.archived;
    let erased = profile.erased;
    let archive_id = id.clone();
    let overview = {
        let profile = profile.clone();
        move || {
            let p = profile.clone();
            let id = p.id.clone();
            let form_id = id.clone();
            let form = p.to_form();
            let units = p.units;
            view! {
                <div class="columns">
                    <div class="card">
                        <h2>"Profile"</h2>
                        <ActionForm action=update attr:data-testid=testids::CLIENT_FORM>
                            <input type="hidden" name="client_id" value=form_id />
                            <ClientFields form units />
                            <FormError message=Signal::derive(move || error_text(update.value().get())) />
                            <button type="submit" disabled=move || update.pending().get() data-testid=testids::CLIENT_SUBMIT>"Save profile"</button>
                            <Show when=move || matches!(update.value().get(), Some(Ok(_)))>
                                <p class="ok" role="status" data-testid=testids::CLIENT_SAVED>"Saved."</p>
                            </Show>
                        </ActionForm>
                    </div>
                    <div>
                        {view! { <InvitePanel client_id=id.clone() has_login=p.has_login open_until=p.invite_expires_at /> }.into_any()}
                        {view! { <DeletePanel client_id=id.clone() name=p.name.clone() /> }.into_any()}
                    </div>
                </div>
            }
        }
    };
    let back_to = ClientTab::Overview.href(&id);
    let no_such_tab = move || {
        crate::ui::answer_not_found();
        view! {
            <section class="card narrow"><h2>"No such tab"</h2>
            <a href=back_to.clone()>"Back to the client's overview"</a></section>
        }
    };
    view! {
        <section data-testid=testids::CLIENT_PAGE>
            <div class="row spread">
                <h1 data-testid=testids::CLIENT_TITLE>{profile.name.clone()}</h1>
                <div class="row">
                    {archived.then(|| view! { <span class="badge" data-testid=testids::CLIENT_ARCHIVED_BADGE>"Archived"</span> })}
                    {erased.then(|| view! {
                        <span class="badge" data-testid=testids::CLIENT_ERASED_BADGE
                            title="This client was deleted after the backup this workspace was restored from: their data can no longer be read.">"Erased"</span>
                    })}
                    <button type="button" class="secondary"
                        data-testid=if archived { testids::CLIENT_UNARCHIVE } else { testids::CLIENT_ARCHIVE }
                        on:click=move |_| { archive.dispatch(ArchiveClient { client_id: archive_id.clone(), archived: !archived }); }>
                        {if archived { "Unarchive" } else { "Archive" }}
                    </button>
                </div>
            </div>
            <FormError message=Signal::derive(move || error_text(archive.value().get())) />
            <ClientTabs client_id=profile.id.clone() current=tab />
            <Show when=move || tab.get() == Some(ClientTab::Overview)>{overview.clone()}</Show>
            <Show when=move || tab.get().is_none()>{no_such_tab.clone()}</Show>
        </section>
    }
}

#[component]
fn InvitePanel(client_id: String, has_login: bool, open_until: Option<i64>) -> impl IntoView {
    let send = ServerAction::<SendInvite>::new();
    let revoke = ServerAction::<RevokeInvite>::new();
    // Until when the latest link works: the page's, then the one just made, gone once withdrawn.
    let until = RwSignal::new(open_until);
    // What Copy did: put the link on the clipboard, or (where the page may not, e.g. over plain
    // HTTP) selected it for Ctrl+C.
    let copied = RwSignal::new(None::<&'static str>);
    let link = move || {
        send.value()
            .get()
            .and_then(Result::ok)
            .filter(|_| until.get().is_some())
    };
    Effect::new(move |_| {
        if let Some(Ok(made)) = send.value().get() {
            until.set(Some(made.expires_at_ms));
            copied.set(None);
        }
    });
    // Gone only once the server has withdrawn it.
    Effect::new(move |_| {
        if let Some(Ok(())) = revoke.value().get() {
            until.set(None);
        }
    });
    let link_input = NodeRef::<leptos::html::Input>::new();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let (Some(input), Some(window)) = (link_input.get_untracked(), web_sys::window()) {
            // Selected too, so that Ctrl+C works where the clipboard is not allowed.
            input.select();
            let navigator = window.navigator();
            // `navigator.clipboard` exists only on secure pages (HTTPS or localhost).
            let has_clipboard =
                web_sys::js_sys::Reflect::has(&navigator, &"clipboard".into()).unwrap_or(false);
            if has_clipboard {
                let _ = navigator.clipboard().write_text(&input.value());
                copied.set(Some("Copied."));
            } else {
                copied.set(Some("Selected: press Ctrl+C (or Cmd+C) to copy it."));
            }
        }
    };
    let now = clock().now;
    let send_id = client_id.clone();
    view! {
        <div class="card" data-testid=testids::INVITE_PANEL>
            <h2>"Portal access"</h2>
            {if has_login {
                view! {
                    <p data-testid=testids::INVITE_STATE>"This client has joined and can sign in to their portal."</p>
                    <PasswordLink client_id=client_id.clone() />
                }.into_any()
            } else {
                view! {
                    <p class="muted">"Send an invitation link. It works once and expires after 7 days."</p>
                    <p data-testid=testids::INVITE_EXPIRY>{move || match until.get() {
                        Some(at) if at > now => format!("The latest link works until {}.", clock().day_time(at)),
                        Some(at) => format!("The latest link expired on {}. Create a new one.", clock().day(at)),
                        None => "No link is open.".to_owned(),
                    }}</p>
                    <div class="row">
                        <button type="button" data-testid=testids::INVITE_SEND
                            on:click=move |_| { send.dispatch(SendInvite { client_id: send_id.clone() }); }>
                            {move || if until.get().is_some() { "Create a new link" } else { "Create invitation link" }}
                        </button>
                        <button type="button" class="secondary" data-testid=testids::INVITE_REVOKE
                            hidden=move || until.get().is_none_or(|at| at <= now)
                            on:click=move |_| { revoke.dispatch(RevokeInvite { client_id: client_id.clone() }); }>
                            "Withdraw link"
                        </button>
                    </div>
                    <FormError message=Signal::derive(move || error_text(send.value().get()).or_else(|| error_text(revoke.value().get()))) />
                    <Show when=move || link().is_some_and(|l| l.url.is_some())>
                        <label for="invite-link">"Copy this link and send it to your client"</label>
                        <div class="row">
                            <input id="invite-link" class="grow" readonly node_ref=link_input
                                value=move || link().and_then(|l| l.url).unwrap_or_default() data-testid=testids::INVITE_LINK />
                            <button type="button" class="secondary" data-testid=testids::INVITE_COPY on:click=copy>"Copy"</button>
                        </div>
                        <p class="muted" role="status" data-testid=testids::INVITE_COPIED>{move || copied.get()}</p>
                    </Show>
                    <Show when=move || link().is_some_and(|l| l.emailed)>
                        <p class="muted" role="status">"We emailed the link to your client. It is not shown here, so only they can use it."</p>
                    </Show>
                    <Show when=move || revoke.value().get().is_some_and(|r| r.is_ok()) && until.get().is_none()>
                        <p role="status" data-testid=testids::INVITE_STATE>"Any open link was withdrawn."</p>
                    </Show>
                }.into_any()
            }}
        </div>
    }
}

/// For a joined client who forgot their password: a link to choose a new one, to send them.
#[component]
fn PasswordLink(client_id: String) -> impl IntoView {
    let make = ServerAction::<ClientPasswordLink>::new();
    let made = move || make.value().get().and_then(Result::ok);
    view! {
        <p class="muted">"Forgot their password? Make them a link to choose a new one. It works once, for 24 hours, and their access log shows you made it."</p>
        <button type="button" class="secondary" data-testid=testids::PASSWORD_LINK_MAKE
            on:click=move |_| { make.dispatch(ClientPasswordLink { client_id: client_id.clone() }); }>
            "Make a password link"
        </button>
        <FormError message=Signal::derive(move || error_text(make.value().get())) />
        <Show when=move || made().is_some_and(|l| l.url.is_some())>
            <label>"Send this link to your client"
                <input readonly value=move || made().and_then(|l| l.url).unwrap_or_default() data-testid=testids::PASSWORD_LINK />
            </label>
        </Show>
        <Show when=move || made().is_some_and(|l| l.emailed)>
            <p class="muted" role="status">"We emailed the link to your client's login address."</p>
        </Show>
    }
}

#[component]
fn DeletePanel(client_id: String, name: String) -> impl IntoView {
    let delete = ServerAction::<DeleteClient>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            use_navigate()("/coach", Default::default());
        }
    });
    view! {
        <ConfirmDelete title="Delete client" open_label="Delete client…"
            warning=format!("Delete {name} and all their data, including their login and photos? This cannot be undone.")
            open_testid=testids::CLIENT_DELETE confirm_testid=testids::CLIENT_DELETE_CONFIRM
            on_confirm=Callback::new(move |_| { delete.dispatch(DeleteClient { client_id: client_id.clone() }); })
            error=Signal::derive(move || error_text(delete.value().get())) />
    }
}
