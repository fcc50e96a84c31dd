//! The access log pages: the coach's workspace log and the client's own log in the portal.

use crate::api::access_log::{my_access_log, workspace_access_log};
use crate::domain::{AccessLogEntry, AccessLogPage, ActorKind, Role};
use crate::testids;
use crate::ui::coach::RequireRole;
use crate::ui::resource;
use crate::ui::{clock, loaded, when, DateStyle};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/coach/access-log?client=ID&actor=KIND&before=N`: everything recorded about the workspace.
#[component]
pub fn AccessLogPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).unwrap_or_default();
    let filter = Memo::new(move |_| {
        let before = param("before").parse::<i64>().unwrap_or(0);
        (param("client"), param("actor"), before)
    });
    let page = resource(
        move || filter.get(),
        |(client, actor, before)| workspace_access_log(client, actor, before),
    );
    let older = move |before: i64| {
        let (client, actor, _) = filter.get_untracked();
        format!("/coach/access-log?client={client}&actor={actor}&before={before}")
    };
    view! {
        <Title text="Access log · Coachroom" />
        <RequireRole role=Role::Coach />
        <section class="card" data-testid=testids::ACCESS_LOG_PAGE>
            <h1>"Access log"</h1>
            <p class="muted">"Who signed in, changed their login, exported, or read data without being you or your client going about their work: Coachroom support under your grant, operators, legal requests and AI. Entries cannot be changed or removed. Your clients see the entries about their data."</p>
            {move || {
                // Rebuilt when the query changes: links within the page navigate without a reload.
                let (client, actor, _) = filter.get();
                view! {
                    <form method="get" action="/coach/access-log" class="row">
                        <input type="hidden" name="client" value=client.clone() />
                        <label>"Who"
                            <select name="actor" data-testid=testids::ACCESS_LOG_ACTOR>
                                <option value="" selected=actor.is_empty()>"Everyone"</option>
                                {ActorKind::ALL.into_iter().map(|kind| view! {
                                    <option value=kind.as_str() selected=actor == kind.as_str()>{kind.label()}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <button type="submit" class="secondary" data-read="">"Show"</button>
                        {(!client.is_empty()).then(|| view! {
                            <a href=format!("/coach/access-log?actor={actor}") data-testid=testids::ACCESS_LOG_ALL_CLIENTS>"All clients"</a>
                        })}
                    </form>
                }
            }}
            {loaded(page, move |page| view! { <EntryTable page show_client=true older /> })}
        </section>
    }
}

/// `/portal/access-log?before=N`: the client's own log.
#[component]
pub fn MyAccessLogPage() -> impl IntoView {
    let query = use_query_map();
    let before = Memo::new(move |_| {
        query
            .read()
            .get("before")
            .and_then(|b| b.parse::<i64>().ok())
            .unwrap_or(0)
    });
    let page = resource(move || before.get(), my_access_log);
    view! {
        <Title text="Who accessed your data · Coachroom" />
        <RequireRole role=Role::Client />
        <crate::ui::portal::PortalTabs />
        <section class="card" data-testid=testids::MY_ACCESS_LOG_PAGE>
            <h1>"Who accessed your data"</h1>
            <p class="muted">"Every time someone other than your coach, at work with you, read your data: Coachroom support (only when your coach allows it), operators, legal requests and AI. Every export of your data is here too. Entries cannot be changed or removed."</p>
            {loaded(page, |page| view! {
                <EntryTable page show_client=false older=|before| format!("/portal/access-log?before={before}") />
            })}
            <p><a href="/portal/me">"Back to your profile and data"</a></p>
        </section>
    }
}

/// A link to the client's own log, for the portal's "Me" page.
#[component]
pub fn MyAccessLogLink() -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Who accessed your data"</h2>
            <p class="muted">"Support, operators, legal requests, AI and exports: every access to your data that is not your coach at work is logged, and you can read the log."</p>
            <a class="button secondary" href="/portal/access-log" data-testid=testids::PORTAL_ACCESS_LOG_LINK>"Open the access log"</a>
        </section>
    }
}

#[component]
fn EntryTable(
    page: AccessLogPage,
    show_client: bool,
    older: impl Fn(i64) -> String + 'static,
) -> impl IntoView {
    let older_link = page.next_before.map(|before| {
        view! {
            <p><a href=older(before) data-testid=testids::ACCESS_LOG_OLDER>"Older entries"</a></p>
        }
    });
    if page.entries.is_empty() {
        // A page can be empty with older entries behind it (entries of kinds this version does
        // not show): the link to them stays.
        return view! {
            <p class="muted" data-testid=testids::ACCESS_LOG_EMPTY>"Nothing to show here."</p>
            {older_link}
        }
        .into_any();
    }
    let rows = page
        .entries
        .into_iter()
        .map(|entry| view! { <EntryRow entry show_client /> })
        .collect_view();
    view! {
        <table data-testid=testids::ACCESS_LOG>
            <thead><tr>
                <th>"When"</th><th>"Who"</th><th>"What"</th>
                {show_client.then(|| view! { <th>"Client"</th> })}
                <th>"Details"</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {older_link}
    }
    .into_any()
}

#[component]
fn EntryRow(entry: AccessLogEntry, show_client: bool) -> impl IntoView {
    let client = entry.client_id.clone().map(|id| {
        let name = entry
            .client_name
            .clone()
            .unwrap_or_else(|| "(deleted client)".into());
        view! { <a href=format!("/coach/access-log?client={id}")>{name}</a> }
    });
    let details = [
        entry.detail.clone(),
        entry.basis.clone(),
        entry.object.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        <tr data-testid=testids::ACCESS_LOG_ROW>
            <td>{when(&clock(), entry.at, DateStyle::DayTime)}</td>
            <td>{entry.actor.label()}</td>
            <td>{entry.action.label()}</td>
            {show_client.then(|| view! { <td>{client}</td> })}
            <td>{details}</td>
        </tr>
    }
}
