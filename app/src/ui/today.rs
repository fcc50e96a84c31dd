//! The coach's "Today" on the dashboard: what needs them now, oldest first, and goals whose
//! date is close.

use crate::api::today::coach_today;
use crate::domain::Today;
use crate::testids;
use crate::ui::clients::ClientTab;
use crate::ui::{clock, loaded, resource, when, DateStyle};
use leptos::prelude::*;

/// "3 more" under a list cut at its limit, linking to where the rest are.
fn more(shown: usize, total: i64, href: &'static str, what: &'static str) -> Option<impl IntoView> {
    let rest = total - shown as i64;
    (rest > 0).then(|| view! { <p><a href=href>{format!("{rest} more {what}")}</a></p> })
}

#[component]
pub fn TodayCard() -> impl IntoView {
    let today = resource(|| (), |_| coach_today());
    view! {
        <section class="card" data-testid=testids::TODAY>
            <h2>"Today"</h2>
            {loaded(today, |today: Today| {
                let clock = clock();
                let clear = today.waiting_total == 0
                    && today.overdue_total == 0
                    && today.todos_due_total == 0
                    && today.goals_near_total == 0
                    && today.invitations_total == 0
                    && today.deletion_requests == 0;
                let waiting = (today.waiting_total > 0).then(|| view! {
                    <h3>{format!("Check-ins to review ({})", today.waiting_total)}</h3>
                    <ul class="list">
                        {today.waiting.iter().map(|w| view! {
                            <li data-testid=testids::TODAY_WAITING_ROW>
                                <a href=format!("/coach/checkins/{}", w.checkin_id)>{w.client_name.clone()}</a>
                                <span class="muted">"sent "{when(&clock, w.submitted_at, DateStyle::Ago)}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                    {more(today.waiting.len(), today.waiting_total, "/coach/inbox", "in the inbox")}
                });
                let overdue = (today.overdue_total > 0).then(|| view! {
                    <h3>{format!("Overdue for their check-in ({})", today.overdue_total)}</h3>
                    <ul class="list">
                        {today.overdue.iter().map(|o| view! {
                            <li data-testid=testids::TODAY_OVERDUE_ROW>
                                <a href=format!("/coach/clients/{}", o.client_id)>{o.client_name.clone()}</a>
                                <span class="muted">
                                    "missed "{when(&clock, o.missed_day, DateStyle::Day)}" · "
                                    {match o.last_checkin_at {
                                        Some(at) => view! { "last check-in "{when(&clock, at, DateStyle::Ago)} }.into_any(),
                                        None => "no check-in yet".into_any(),
                                    }}
                                </span>
                            </li>
                        }).collect_view()}
                    </ul>
                    {more(today.overdue.len(), today.overdue_total, "/coach", "below")}
                });
                let todos = (today.todos_due_total > 0).then(|| view! {
                    <h3>{format!("To-dos due ({})", today.todos_due_total)}</h3>
                    <ul class="list">
                        {today.todos_due.iter().map(|t| view! {
                            <li data-testid=testids::TODAY_TODO_ROW>
                                <span class="grow">{t.title.clone()}</span>
                                {t.client_id.clone().map(|id| view! {
                                    <a href=ClientTab::Notes.href(&id)>{t.client_name.clone().unwrap_or_default()}</a>
                                })}
                                <span class="muted">{format!("due {}", clock.calendar_day(&t.due_date))}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                    {more(today.todos_due.len(), today.todos_due_total, "/coach/notes", "in your notes")}
                });
                let goals = (today.goals_near_total > 0).then(|| view! {
                    <h3>{format!("Goals near their date ({})", today.goals_near_total)}</h3>
                    <ul class="list">
                        {today.goals_near.iter().map(|g| view! {
                            <li data-testid=testids::TODAY_GOAL_ROW>
                                <span class="grow">{g.title.clone()}</span>
                                <a href=ClientTab::Goals.href(&g.client_id)>{g.client_name.clone()}</a>
                                <span class="muted">{format!("by {}", clock.calendar_day(&g.target_date))}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                });
                let invitations = (today.invitations_total > 0).then(|| view! {
                    <h3>{format!("Invitations not accepted ({})", today.invitations_total)}</h3>
                    <ul class="list">
                        {today.invitations.iter().map(|i| view! {
                            <li data-testid=testids::TODAY_INVITE_ROW>
                                <a href=format!("/coach/clients/{}", i.client_id)>{i.client_name.clone()}</a>
                                <span class=if i.expired { "badge muted" } else { "muted" }>
                                    {if i.expired { "link expired " } else { "link expires " }}
                                    {when(&clock, i.expires_at, DateStyle::Ago)}
                                </span>
                            </li>
                        }).collect_view()}
                    </ul>
                });
                let deletions = (today.deletion_requests > 0).then(|| view! {
                    <p class="error" data-testid=testids::TODAY_DELETIONS>
                        {format!("{} deletion request{} waiting for you: see below.", today.deletion_requests, if today.deletion_requests == 1 { "" } else { "s" })}
                    </p>
                });
                view! {
                    {clear.then(|| view! {
                        <p class="muted" data-testid=testids::TODAY_CLEAR>"Nothing needs you right now: no check-ins to review, nobody overdue, no to-dos due."</p>
                    })}
                    {deletions}
                    {waiting}
                    {overdue}
                    {goals}
                    {todos}
                    {invitations}
                }
            })}
        </section>
    }
}
