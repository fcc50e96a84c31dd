//! Leptos components: the HTML shell, the router and the pages.

mod access_log;
mod account;
mod ai;
mod appearance;
mod auth;
mod builder;
pub mod charts;
pub mod checkins;
mod clients;
mod coach;
mod deletion;
mod forms;
pub mod goals;
mod home;
mod legal;
mod mcp;
mod notes;
pub mod offline;
mod operator;
mod plans;
mod portal;
mod sessions;
mod support;
mod today;
pub mod upload;
mod workspace;
mod zones;

use crate::api::auth::{who_am_i, Logout};
use crate::domain::{Clock, Me, Role};
use crate::testids;
use auth::FormError;
use leptos::prelude::*;
use leptos::server::codee;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::{path, Lazy, SsrMode};

/// Code splitting: each area of the app is one `#[leptos::lazy]` function, which
/// `cargo leptos build --split` moves into WASM chunks of its own, so a page downloads the main
/// module plus its area's code (and the chunks that area shares with others), not the whole app.
/// The areas are few and large on purpose: wasm-split gives each set of areas that share code a
/// chunk of its own, so twelve areas made 150 files and up to 139 requests for one page, which a
/// phone pays for in round trips (Lighthouse: the portal interactive after 7.6 s, against 4.2 s
/// with six). The login and invitation pages have areas of their own, the first pages a new
/// user opens, often on a phone.
///
/// For each area this makes an enum of its pages, the lazy function that renders one, and per
/// page a [`leptos_router::LazyRoute`]. The route's `preload` fetches the area's chunk before the
/// router hydrates the page: without it the page's view is still pending when hydration reaches
/// it, and hydration fails on the server-rendered HTML (tachys: "expected a marker node").
/// `$preload` is the name `#[leptos::lazy]` gives the area's loader (`__preload_` + its name).
macro_rules! lazy_areas {
    ($(
        $area:ident, $preload:ident, $pages:ident {
            $($route:ident => $component:path),+ $(,)?
        }
    )+) => { $(
        // The variants are named after the routes, which share a suffix (and some a prefix).
        #[allow(clippy::enum_variant_names)]
        #[derive(Clone, Copy)]
        enum $pages { $($route),+ }

        #[leptos::lazy]
        fn $area(page: $pages) -> AnyView {
            match page {
                $($pages::$route => untrack(|| $component().into_any()),)+
            }
        }

        $(
            struct $route;

            impl leptos_router::LazyRoute for $route {
                fn data() -> Self {
                    Self
                }

                async fn view(_: Self) -> AnyView {
                    $area($pages::$route).await
                }

                async fn preload() {
                    #[cfg(feature = "hydrate")]
                    $preload().await;
                }
            }
        )+
    )+ };
}

lazy_areas! {
    landing, __preload_landing, LandingPages { LandingRoute => home::Home }
    // Each of these two downloads neither the other's code nor the sign-up pages'.
    login_area, __preload_login_area, LoginPages { LoginRoute => auth::Login }
    invitation_area, __preload_invitation_area, InvitationPages { JoinRoute => portal::Join }
    entry, __preload_entry, EntryPages {
        SignupRoute => auth::Signup,
        ConfirmSignupRoute => auth::ConfirmSignupPage,
        ConfirmEmailRoute => account::ConfirmEmailPage,
        ForgotPasswordRoute => auth::ForgotPasswordPage,
        ResetPasswordRoute => auth::ResetPasswordPage,
    }
    coach_area, __preload_coach_area, CoachPages {
        DashboardRoute => coach::Dashboard,
        NewClientRoute => clients::NewClient,
        ClientRoute => clients::ClientPage,
        InboxRoute => checkins::InboxPage,
        ReviewRoute => checkins::ReviewPage,
        PlansRoute => plans::PlansPage,
        MealPlanBuilderRoute => plans::MealPlanBuilderPage,
        WorkoutPlanBuilderRoute => plans::WorkoutPlanBuilderPage,
        FormsRoute => forms::FormsPage,
        FormBuilderRoute => forms::FormBuilderPage,
        SessionRoute => sessions::SessionPage,
        AiRoute => ai::AiPage,
        SettingsRoute => coach::Settings,
        NotesRoute => notes::NotesPage,
        AccessLogRoute => access_log::AccessLogPage,
    }
    client_portal, __preload_client_portal, PortalPages {
        PortalRoute => portal::Portal,
        MyCheckinRoute => checkins::MyCheckinPage,
        FillFormRoute => forms::FillFormPage,
        MyAccessLogRoute => access_log::MyAccessLogPage,
        CheckinRoute => checkins::CheckinPage,
        MyPlansRoute => plans::MyPlansPage,
        MyProgressRoute => portal::PortalProgress,
        MeRoute => portal::PortalMe,
    }
    account_area, __preload_account_area, AccountPages { AccountRoute => account::Account }
    operator_area, __preload_operator_area, OperatorPages {
        OperatorConsoleRoute => operator::OperatorConsole,
        OperatorLoginRoute => operator::OperatorLogin,
        OperatorSetupRoute => operator::OperatorSetupPage,
    }
}

/// The full HTML document rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // Set before the first paint, so a page in the chosen scheme never flashes the other.
    let theme = appearance::chosen_theme().map(crate::domain::Theme::as_str);
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="description" content="Coachroom: one private workspace for a coach and their clients." />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                // Installable on a phone's home screen; the portal's service worker (public/sw.js)
                // opens it offline.
                <link rel="manifest" href="/manifest.webmanifest" />
                <link rel="apple-touch-icon" href="/icon-192.png" />
                <meta name="theme-color" content="#1f5f4a" />
                <AutoReload options=options.clone() />
                <HydrationScripts options=options.clone() />
                <HashedStylesheet options id="leptos" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// How a resource's value travels from the server-rendered page to the browser: JSON, read from
/// bytes exactly as server fns read their answers. Leptos' default codec reads JSON from a `&str`
/// instead, and serde_json compiles a deserializer once per kind of input, so each answer type's
/// was in the WASM twice: once for the resource, once for the server fn.
pub struct JsonBytes;

impl<T: serde::Serialize> codee::Encoder<T> for JsonBytes {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, Self::Error> {
        serde_json::to_string(value)
    }
}

impl<T: serde::de::DeserializeOwned> codee::Decoder<T> for JsonBytes {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(encoded: &str) -> Result<T, Self::Error> {
        serde_json::from_slice(encoded.as_bytes())
    }
}

/// A resource whose value crosses from the server-rendered page as [`JsonBytes`].
pub type Loaded<T> = Resource<T, JsonBytes>;

/// `Resource::new` with the [`JsonBytes`] codec: every resource in the app is made here (a
/// `LocalResource`, loaded only in the browser, has nothing to carry across).
#[track_caller]
pub fn resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Loaded<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    S: Send + Sync + Clone + PartialEq + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

/// The signed-in user, loaded once per page load and shared by every component.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Loaded<Result<Option<Me>, crate::AppError>>);

/// What changed about the signed-in user since the page loaded: a new time zone saved, a
/// check-in reviewed. Signals beside [`CurrentUser`] rather than a refetch of it: every page's
/// `Suspend` awaits the user, and refetching it re-ran them all while some were being replaced
/// (a panic on a disposed resource). `None` until something changes, on the server and at
/// hydration alike.
#[derive(Clone, Copy)]
pub struct UserChanges {
    pub clock: RwSignal<Option<Clock>>,
    pub inbox_waiting: RwSignal<Option<i64>>,
}

pub fn user_changes() -> UserChanges {
    expect_context::<UserChanges>()
}

impl CurrentUser {
    /// Waits for the signed-in user and answers with their clock; after it, [`clock`] reads
    /// the same anywhere below.
    pub async fn clock(self) -> Clock {
        self.0
            .await
            .ok()
            .flatten()
            .map(|me| me.clock)
            .unwrap_or_default()
    }
}

pub fn current_user() -> CurrentUser {
    expect_context::<CurrentUser>()
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let user = CurrentUser(resource(|| (), |_| who_am_i()));
    provide_context(user);
    provide_context(UserChanges {
        clock: RwSignal::new(None),
        inbox_waiting: RwSignal::new(None),
    });
    // Signed out (logged out elsewhere, session expired, account deleted): unsent check-in
    // drafts and the portal's pages kept for offline use hold health data and do not stay behind
    // on this device. Queued check-ins stay until someone signs in: sent if it is the same
    // person, removed unsent otherwise (ui/offline.js).
    Effect::new(move |_| {
        if let Some(Ok(None)) = user.0.get() {
            #[cfg(feature = "hydrate")]
            {
                checkins::forget_drafts();
                offline::forget(false);
            }
        }
    });

    // Who is signed in, once known in the browser (effects run after hydration, so what depends
    // on it renders the same on the server and at hydration: nothing): the support banners, and
    // the read-only view of an operator inside a workspace under a support grant.
    let signed_in = RwSignal::new(None::<crate::domain::Me>);
    Effect::new(move |_| {
        if let Some(Ok(me)) = user.0.get() {
            signed_in.set(me);
        }
    });
    let read_only =
        move || signed_in.with(|me| me.as_ref().is_some_and(|me| me.support_until.is_some()));

    view! {
        <Title text="Coachroom" />
        <Router>
            <Header />
            <support::SupportBanner me=signed_in />
            // Inside a workspace under a support grant every write is refused on the server; the
            // class hides the controls that would make one (see style/main.css).
            <main id="main" class:read-only=read_only>
                // Every page is rendered whole before its first byte is sent (`SsrMode::Async`)
                // rather than streamed with "Loading…" placeholders filled in later: the page's
                // queries take milliseconds, and a phone that painted the placeholders moved
                // every card below them when the answers arrived (Lighthouse measured a layout
                // shift of 0.62 on the portal, 0.035 on the login page).
                <Routes fallback=NotFound>
                    <Route path=path!("/") view={Lazy::<LandingRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/signup") view={Lazy::<SignupRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/signup/confirm/:token") view={Lazy::<ConfirmSignupRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/confirm-email/:token") view={Lazy::<ConfirmEmailRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/forgot-password") view={Lazy::<ForgotPasswordRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/reset-password/:token") view={Lazy::<ResetPasswordRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/coach") view={Lazy::<DashboardRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/coach/settings") view={Lazy::<SettingsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/coach/notes") view={Lazy::<NotesRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/coach/plans") view={Lazy::<PlansRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/coach/plans/meal/:id") view={Lazy::<MealPlanBuilderRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/coach/plans/workout/:id") view={Lazy::<WorkoutPlanBuilderRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/portal/plans") view={Lazy::<MyPlansRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/coach/forms") view={Lazy::<FormsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/coach/forms/:id") view={Lazy::<FormBuilderRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/portal/forms/:id") view={Lazy::<FillFormRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/coach/sessions/:id") view={Lazy::<SessionRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/coach/ai") view={Lazy::<AiRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/coach/access-log") view={Lazy::<AccessLogRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/portal/access-log") view={Lazy::<MyAccessLogRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/coach/new-client") view={Lazy::<NewClientRoute>::new()} ssr=SsrMode::Async />
                    // One route for the page and its tabs (ui::clients::ClientTab): moving between
                    // them keeps the page, its header and its profile.
                    <Route path=path!("/coach/clients/:id/:tab?") view={Lazy::<ClientRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/invite/:token") view={Lazy::<JoinRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/portal") view={Lazy::<PortalRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/portal/checkin") view={Lazy::<CheckinRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/portal/progress") view={Lazy::<MyProgressRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/portal/me") view={Lazy::<MeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/portal/checkins/:id") view={Lazy::<MyCheckinRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/coach/inbox") view={Lazy::<InboxRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/coach/checkins/:id") view={Lazy::<ReviewRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account") view={Lazy::<AccountRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/operator") view={Lazy::<OperatorConsoleRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/operator/login") view={Lazy::<OperatorLoginRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/operator/setup/:token") view={Lazy::<OperatorSetupRoute>::new()} ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let user = current_user();
    let changes = user_changes();
    let logout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            // Unsent check-ins hold health data: they do not outlive the session on this device
            // (drafts, queued check-ins, kept pages; the answer's Clear-Site-Data says so too).
            #[cfg(feature = "hydrate")]
            {
                checkins::forget_drafts();
                offline::forget(true);
            }
            hard_navigate("/login");
        }
    });
    // Under 800 px the coach's links fold behind "Menu": a checkbox and its label, so that it
    // opens before the app has loaded and costs the main module no reactive code. A choice in
    // the menu folds it again.
    let menu = NodeRef::<leptos::html::Input>::new();
    let fold_menu = move |_| {
        if let Some(menu) = menu.get_untracked() {
            menu.set_checked(false);
        }
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Coachroom"</a>
            <input type="checkbox" id="menu-toggle" class="menu-toggle" node_ref=menu aria-controls="main-nav" aria-label="Menu" />
            <label for="menu-toggle" class="menu-button" data-testid=testids::NAV_MENU>"Menu"</label>
            <nav id="main-nav" aria-label="Main" on:click=fold_menu>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match user.0.await {
                            Ok(Some(me)) => {
                                // Only attributes and a text node are reactive here, not the
                                // span's presence: an `Option<view>` closure inside `<A>` pulled
                                // 51 KB of rendering code into the main module (stop 33).
                                let waiting = Signal::derive(move || {
                                    changes.inbox_waiting.get().unwrap_or(me.inbox_waiting)
                                });
                                let coach_links = (me.role == Role::Coach).then(|| view! {
                                    <A href="/coach" exact=true attr:data-testid=testids::NAV_DASHBOARD>"Clients"</A>
                                    <A href="/coach/inbox" attr:data-testid=testids::NAV_INBOX>"Check-ins"" "<span class="count"
                                        data-testid=testids::NAV_INBOX_COUNT
                                        hidden=move || waiting.get() == 0
                                        aria-label=move || format!("{} waiting", waiting.get())>
                                        {move || waiting.get().to_string()}
                                    </span></A>
                                    <A href="/coach/plans" attr:data-testid=testids::NAV_PLANS>"Plans"</A>
                                    <A href="/coach/forms" attr:data-testid=testids::NAV_FORMS>"Forms"</A>
                                    <A href="/coach/notes" attr:data-testid=testids::NAV_NOTES>"Notes"</A>
                                    <A href="/coach/ai" attr:data-testid=testids::NAV_AI>"AI"</A>
                                    <A href="/coach/settings" attr:data-testid=testids::NAV_SETTINGS>"Settings"</A>
                                });
                                let client_links = (me.role == Role::Client).then(|| view! {
                                    <A href="/portal" exact=true attr:data-testid=testids::NAV_PORTAL>"Portal"</A>
                                });
                                let operator_links = (me.role == Role::Admin).then(|| view! {
                                    <A href="/operator" attr:data-testid=testids::NAV_OPERATOR>"Console"</A>
                                });
                                view! {
                                    {coach_links}
                                    {client_links}
                                    {operator_links}
                                    <A href="/account" attr:data-testid=testids::NAV_ACCOUNT>"Account"</A>
                                    <span class="who">{me.name}</span>
                                    <ActionForm action=logout>
                                        <button type="submit" class="link" data-testid=testids::NAV_LOGOUT>"Log out"</button>
                                    </ActionForm>
                                }.into_any()
                            }
                            _ => view! {
                                <A href="/login" attr:data-testid=testids::NAV_LOGIN>"Log in"</A>
                                <A href="/signup" attr:data-testid=testids::NAV_SIGNUP attr:class="button">"Start free"</A>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </nav>
        </header>
    }
}

/// On the server, answers the page being rendered with 404 (the page still explains itself).
pub fn answer_not_found() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
}

#[component]
fn NotFound() -> impl IntoView {
    answer_not_found();
    view! {
        <Title text="Not found · Coachroom" />
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p>"This page does not exist, or you do not have access to it."</p>
            <a href="/">"Go to the start page"</a>
        </section>
    }
}

/// Adds the `hydrated` marker to the page once hydration has finished (the frontend crate calls
/// it). Playwright waits for it before it types: until then, clicks do nothing useful.
pub fn mark_hydrated() {
    let Some(document) = web_sys::window().and_then(|window| window.document()) else {
        return;
    };
    if let (Ok(marker), Some(body)) = (document.create_element("span"), document.body()) {
        let _ = marker.set_attribute("data-testid", testids::HYDRATED);
        let _ = marker.set_attribute("hidden", "");
        let _ = body.append_child(&marker);
    }
}

/// A full page load, so every component re-reads who is signed in.
pub fn hard_navigate(path: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(path);
    }
}

/// "Previous / Page n of m / Next" under a paged list; shown only when there is more than one
/// page. `current` and `last_page` come from the loaded page; `page` is what the list asks for.
#[component]
pub fn Pager(
    page: RwSignal<i64>,
    current: i64,
    last_page: i64,
    prev_testid: &'static str,
    next_testid: &'static str,
) -> impl IntoView {
    view! {
        <Show when=move || { last_page > 1 }>
            <nav class="row pager" aria-label="Pages">
                <button type="button" data-read="" disabled=move || { current <= 1 } data-testid=prev_testid
                    on:click=move |_| page.update(|p| *p = (*p - 1).max(1))>"Previous"</button>
                <span>{format!("Page {current} of {last_page}")}</span>
                <button type="button" data-read="" disabled=move || { current >= last_page } data-testid=next_testid
                    on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
            </nav>
        </Show>
    }
}

/// A "danger" card that deletes only after a second, explicit click.
#[component]
pub fn ConfirmDelete(
    title: &'static str,
    open_label: &'static str,
    /// What will be lost, shown before the final click.
    warning: String,
    open_testid: &'static str,
    confirm_testid: &'static str,
    on_confirm: Callback<()>,
    /// The failed deletion's message, if any.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    view! {
        <div class="card danger">
            <h2>{title}</h2>
            <Show when=move || confirming.get() fallback=move || view! {
                <button type="button" class="danger" data-testid=open_testid on:click=move |_| confirming.set(true)>
                    {open_label}
                </button>
            }>
                <p role="alert">{warning.clone()}</p>
                <div class="row">
                    <button type="button" class="danger" data-testid=confirm_testid
                        on:click=move |_| on_confirm.run(())>"Delete permanently"</button>
                    <button type="button" class="secondary" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
                <FormError message=error />
            </Show>
        </div>
    }
}

/// A list row's "Delete" that asks once more in place ("Delete “Lose 5 kg”?") before it acts:
/// nothing a coach typed goes on one stray click. Focus moves to "Cancel", the safe answer.
#[component]
pub fn ConfirmButton(
    /// What goes, as the question names it.
    what: String,
    testid: &'static str,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let cancel = NodeRef::<leptos::html::Button>::new();
    let delete = NodeRef::<leptos::html::Button>::new();
    // Focus follows the question: to "Cancel" when it is asked, back to "Delete" after it.
    Effect::new(move |was_confirming: Option<bool>| {
        let now = confirming.get();
        if now {
            if let Some(cancel) = cancel.get() {
                let _ = cancel.focus();
            }
        } else if was_confirming == Some(true) {
            if let Some(delete) = delete.get() {
                let _ = delete.focus();
            }
        }
        now
    });
    view! {
        <Show when=move || confirming.get() fallback=move || view! {
            <button type="button" class="link" data-testid=testid node_ref=delete on:click=move |_| confirming.set(true)>"Delete"</button>
        }>
            <span class="confirm" role="group" aria-label="Confirm deletion">
                <span>{format!("Delete {what}?")}</span>
                <button type="button" class="danger small" data-testid=testids::ROW_DELETE_CONFIRM
                    on:click=move |_| { confirming.set(false); on_confirm.run(()); }>"Delete"</button>
                <button type="button" class="secondary small" node_ref=cancel
                    on:click=move |_| confirming.set(false)>"Cancel"</button>
            </span>
        </Show>
    }
}

/// Empties a create form once `succeeded` turns true, so that what was just added is not
/// sitting there to be added twice. (`ActionForm` leaves its fields as they were.)
pub fn reset_form_when(
    form: NodeRef<leptos::html::Form>,
    succeeded: impl Fn() -> bool + Send + Sync + 'static,
) {
    Effect::new(move |_| {
        if succeeded() {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
    });
}

/// A resource's value rendered by `render`, with "Loading…" meanwhile and the error if it failed.
pub fn loaded<T, V>(
    resource: Loaded<Result<T, crate::AppError>>,
    render: impl Fn(T) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    let user = current_user();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    // Known before rendering, so that `clock()` reads the same zone on the server
                    // and in the hydrating browser.
                    let _ = user.0.await;
                    match resource.await {
                        Ok(value) => render(value).into_any(),
                        Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The viewer's clock: their time zone, for every date a page shows. Read it only where the
/// signed-in user has been awaited (inside [`loaded`], or after `current_user().0.await`), so
/// that the server and the hydrating browser read the same zone.
pub fn clock() -> Clock {
    if let Some(changed) = use_context::<UserChanges>().and_then(|c| c.clock.get_untracked()) {
        return changed;
    }
    use_context::<CurrentUser>()
        .and_then(|user| user.0.get_untracked())
        .and_then(Result::ok)
        .flatten()
        .map(|me| me.clock)
        .unwrap_or_default()
}

/// How [`when`] shows a time.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    /// "Mon 1 Dec".
    Day,
    /// "Mon 1 Dec, 17:30".
    DayTime,
    /// "2 days ago".
    Ago,
}

/// A time as the viewer reads it, in a `<time>` whose tooltip has the whole date, time and zone.
pub fn when(clock: &Clock, at: i64, style: DateStyle) -> impl IntoView + use<> {
    let text = match style {
        DateStyle::Day => clock.day(at),
        DateStyle::DayTime => clock.day_time(at),
        DateStyle::Ago => clock.ago(at),
    };
    view! { <time datetime=clock.machine(at) title=clock.full(at)>{text}</time> }
}

/// [`loaded`] for a list, saying `empty` when there is nothing.
pub fn loaded_list<T, V>(
    resource: Loaded<Result<Vec<T>, crate::AppError>>,
    empty: &'static str,
    render: impl Fn(Vec<T>) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    loaded(resource, move |list: Vec<T>| {
        if list.is_empty() {
            view! { <p class="muted">{empty}</p> }.into_any()
        } else {
            render(list).into_any()
        }
    })
}

/// True once the app has loaded on this page (false on the server and in the first render). A
/// form whose fields the app checks with the server's parsers turns the browser's own checks off
/// (`novalidate`) only then: its messages sit at their fields, in the server's words, and stay.
pub fn app_loaded() -> ReadSignal<bool> {
    let (loaded, set_loaded) = signal(false);
    Effect::new(move |_| set_loaded.set(true));
    loaded
}

/// The value typed into the server-rendered control at `selector` before the app loaded (the
/// page is a plain form until then), when not empty. A component reads it before its view
/// hydrates: a `prop:value` binding writes the component's state over the control as it does.
pub fn typed_before_load(selector: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let control = web_sys::window()?
            .document()?
            .query_selector(selector)
            .ok()??;
        let value = web_sys::js_sys::Reflect::get(&control, &"value".into())
            .ok()?
            .as_string()?;
        (!value.trim().is_empty()).then_some(value)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = selector;
        None
    }
}

/// What a field the browser could not read is parsed as: text no parser takes, so the field gets
/// its parser's own "must be a number" (or date).
pub const UNREADABLE: &str = "?";

/// The names of the inputs in the form `ev` submits whose text the browser could not read (a
/// number box holding "1e", a half-typed date). The browser gives their value as empty, so
/// without this, once `novalidate` is set, they would pass as left empty and what was typed
/// would be lost without a word. Callers parse them as [`UNREADABLE`].
pub fn unreadable_inputs(ev: &leptos::ev::SubmitEvent) -> std::collections::BTreeSet<String> {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let Some(form) = ev
            .target()
            .and_then(|form| form.dyn_into::<web_sys::HtmlFormElement>().ok())
        else {
            return Default::default();
        };
        let controls = form.elements();
        (0..controls.length())
            .filter_map(|i| controls.item(i))
            .filter_map(|control| control.dyn_into::<web_sys::HtmlInputElement>().ok())
            .filter(|input| input.validity().bad_input())
            .map(|input| input.name())
            .collect()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        Default::default()
    }
}

/// Moves focus to the first control named `name` in the form `ev` submits: the first field with
/// an error, so that a keyboard or screen reader user lands on it.
pub fn focus_field(ev: &leptos::ev::SubmitEvent, name: &str) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let control = ev
            .target()
            .and_then(|form| form.dyn_into::<web_sys::Element>().ok())
            .and_then(|form| {
                form.query_selector(&format!("[name=\"{name}\"]"))
                    .ok()
                    .flatten()
            })
            .and_then(|control| control.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(control) = control {
            let _ = control.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, name);
}

/// The message of a failed action, for the form's error line.
pub fn error_text<T>(result: Option<Result<T, crate::AppError>>) -> Option<String> {
    match result {
        Some(Err(err)) => Some(err.to_string()),
        _ => None,
    }
}
