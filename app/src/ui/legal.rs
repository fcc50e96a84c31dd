//! Legal requests in the UI: the operators' panel on the console (record, approve as the second
//! operator, download the export while approved) and the coach's dashboard notice.

use crate::api::legal::{legal_notices, legal_requests, ApproveLegalRequest, RecordLegalRequest};
use crate::domain::{LegalScope, LegalStatus, LongText};
use crate::testids;
use crate::ui::auth::FormError;
use crate::ui::resource;
use crate::ui::{clock, error_text, loaded};
use leptos::prelude::*;

/// The operators' panel: record a request, and the list of requests.
#[component]
pub fn LegalRequestsPanel() -> impl IntoView {
    let record = ServerAction::<RecordLegalRequest>::new();
    let approve = ServerAction::<ApproveLegalRequest>::new();
    let requests = resource(
        move || (record.version().get(), approve.version().get()),
        |_| legal_requests(),
    );
    view! {
        <section class="card">
            <h2>"Legal requests"</h2>
            <p class="muted">"Access for legal reasons only: record the reason and the reference; a second operator must approve before anything can be exported (for 7 days). The coach is told in the app and by email, at once or from the notify-after date. Everything is in the access log."</p>
            <ActionForm action=record>
                <label>"Coach's email"
                    <input type="email" name="coach_email" required data-testid=testids::LEGAL_COACH_EMAIL />
                </label>
                <label>"Scope"
                    <select name="scope" data-testid=testids::LEGAL_SCOPE>
                        <option value="client">"One client"</option>
                        <option value="workspace">"The whole workspace"</option>
                    </select>
                </label>
                <label>"Client's email (for one client)"
                    <input type="email" name="client_email" data-testid=testids::LEGAL_CLIENT_EMAIL />
                </label>
                <label>"Reason"
                    <textarea name="reason" required maxlength=LongText::MAX_CHARS data-testid=testids::LEGAL_REASON></textarea>
                </label>
                <label>"Reference (order or case number)"
                    <input name="reference" required maxlength=200 data-testid=testids::LEGAL_REFERENCE />
                </label>
                <label>"Do not tell the coach before (optional)"
                    <input type="date" name="notify_after" data-testid=testids::LEGAL_NOTIFY_AFTER />
                </label>
                <FormError message=Signal::derive(move || error_text(record.value().get())) />
                <button type="submit" data-testid=testids::LEGAL_SUBMIT>"Record request"</button>
            </ActionForm>
            {loaded(requests, move |requests| {
                if requests.is_empty() {
                    return view! { <p class="muted">"No legal requests."</p> }.into_any();
                }
                view! {
                    <table>
                        <thead><tr><th>"Recorded"</th><th>"Coach"</th><th>"Scope"</th><th>"Reason and reference"</th><th>"Status"</th><th></th></tr></thead>
                        <tbody>
                            {requests.into_iter().map(|r| {
                                let status = match r.status {
                                    LegalStatus::AwaitingApproval => "Awaiting a second operator".to_owned(),
                                    LegalStatus::Approved => format!(
                                        "Approved by {} until {}",
                                        r.approved_by.clone().unwrap_or_default(),
                                        clock().day_time(r.access_until.unwrap_or_default()),
                                    ),
                                    LegalStatus::Expired => "Access window ended".to_owned(),
                                };
                                let action = match r.status {
                                    LegalStatus::AwaitingApproval if !r.mine => view! {
                                        <ActionForm action=approve>
                                            <input type="hidden" name="request_id" value=r.id.clone() />
                                            <button type="submit" data-testid=testids::LEGAL_APPROVE>"Approve"</button>
                                        </ActionForm>
                                    }.into_any(),
                                    LegalStatus::AwaitingApproval => view! { <span class="muted">"Another operator must approve"</span> }.into_any(),
                                    LegalStatus::Approved => view! {
                                        <a class="button secondary" href=format!("/api/operator/legal/{}/export", r.id) download="" data-testid=testids::LEGAL_EXPORT>"Download export"</a>
                                    }.into_any(),
                                    LegalStatus::Expired => ().into_any(),
                                };
                                view! {
                                    <tr data-testid=testids::LEGAL_REQUEST_ROW>
                                        <td>{format!("{} by {}", clock().day_time(r.requested_at), r.requested_by)}</td>
                                        <td>{format!("{} ({})", r.coach_name, r.coach_email)}</td>
                                        <td>{match r.scope { LegalScope::Client => "One client", LegalScope::Workspace => "Whole workspace" }}</td>
                                        <td>{r.reason.clone()}<br /><span class="muted">{r.reference.clone()}</span></td>
                                        <td>{status}</td>
                                        <td>{action}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            })}
            <FormError message=Signal::derive(move || error_text(approve.value().get())) />
        </section>
    }
}

/// On the coach's dashboard: legal requests about the workspace that they may now be told of.
#[component]
pub fn LegalNotices() -> impl IntoView {
    let notices = resource(|| (), |_| legal_notices());
    loaded(notices, |notices| {
        (!notices.is_empty()).then(|| view! {
            <section class="card danger" data-testid=testids::LEGAL_NOTICES>
                <h2>"Legal requests about your workspace"</h2>
                <p class="muted">"Coachroom disclosed data under these requests, each approved by two operators. Every access is in your access log."</p>
                <ul>
                    {notices.into_iter().map(|n| {
                        let scope = match (n.scope, n.client_name) {
                            (LegalScope::Client, Some(name)) => format!("the data of {name}"),
                            (LegalScope::Client, None) => "the data of a client since deleted".to_owned(),
                            (LegalScope::Workspace, _) => "the data of every client".to_owned(),
                        };
                        view! {
                            <li data-testid=testids::LEGAL_NOTICE_ROW>
                                <strong>{format!("Approved {}: {scope}, until {}.", clock().day(n.approved_at), clock().day(n.access_until))}</strong>
                                <br />{format!("Reason: {}", n.reason)}
                                <br /><span class="muted">{format!("Reference: {}", n.reference)}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        })
    })
}
