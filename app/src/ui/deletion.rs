//! Deletion requests: the portal's "Delete my data" card, the coach's dashboard list and the
//! banner on a client's page.

use crate::api::deletion::{
    client_deletion_request, my_deletion_request, open_deletion_requests, DeclineDeletion,
    RequestDeletion, WithdrawDeletion,
};
use crate::domain::{DeletionRequest, DeletionStatus, LongText, DELETION_DEADLINE_DAYS};
use crate::testids;
use crate::ui::auth::FormError;
use crate::ui::resource;
use crate::ui::{clock, error_text, loaded};
use leptos::prelude::*;

/// The portal card: ask for deletion, see the open request (and withdraw it), or read why the
/// coach declined the last one.
#[component]
pub fn MyDeletionCard() -> impl IntoView {
    let ask = ServerAction::<RequestDeletion>::new();
    let withdraw = ServerAction::<WithdrawDeletion>::new();
    let latest = resource(
        move || (ask.version().get(), withdraw.version().get()),
        |_| my_deletion_request(),
    );
    view! {
        <section class="card" data-testid=testids::DELETION_CARD>
            <h2>"Delete my data"</h2>
            {loaded(latest, move |latest| {
                let open = latest.as_ref().is_some_and(|r| r.status == DeletionStatus::Pending);
                let last = latest.map(|r| view! { <LastRequest request=r /> });
                if open {
                    view! {
                        {last}
                        <button type="button" class="secondary" data-testid=testids::DELETION_WITHDRAW
                            on:click=move |_| { withdraw.dispatch(WithdrawDeletion {}); }>"Withdraw my request"</button>
                        <FormError message=Signal::derive(move || error_text(withdraw.value().get())) />
                    }.into_any()
                } else {
                    view! {
                        {last}
                        <p class="muted">{format!("Ask your coach to delete your account and everything about you. They have {DELETION_DEADLINE_DAYS} days to do it or to tell you why not, and you can withdraw the request until then.")}</p>
                        <ActionForm action=ask>
                            <label>"Message to your coach (optional)"
                                <textarea name="message" maxlength=LongText::MAX_CHARS data-testid=testids::DELETION_MESSAGE></textarea>
                            </label>
                            <FormError message=Signal::derive(move || error_text(ask.value().get())) />
                            <button type="submit" class="danger" disabled=move || ask.pending().get()
                                data-testid=testids::DELETION_REQUEST>"Ask for deletion"</button>
                        </ActionForm>
                    }.into_any()
                }
            })}
        </section>
    }
}

/// What happened to the client's newest request.
#[component]
fn LastRequest(request: DeletionRequest) -> impl IntoView {
    let clock = clock();
    let asked = clock.day(request.requested_at);
    let text = match request.status {
        DeletionStatus::Pending => format!(
            "You asked for deletion on {asked}. Your coach must act by {}.",
            clock.day(request.due_at)
        ),
        DeletionStatus::Withdrawn => format!("You withdrew the request you made on {asked}."),
        DeletionStatus::Declined => format!(
            "Your coach declined the request you made on {asked}{}.",
            request
                .decided_at
                .map(|at| format!(" (on {})", clock.day(at)))
                .unwrap_or_default()
        ),
    };
    let reason = request.decline_reason.clone();
    view! {
        <div data-testid=testids::DELETION_STATUS>
            <p>{text}</p>
            {reason.map(|reason| view! {
                <blockquote data-testid=testids::DELETION_DECLINE_REASON>{reason}</blockquote>
            })}
        </div>
    }
}

/// The dashboard's list of open requests, when there are any.
#[component]
pub fn OpenDeletionRequests() -> impl IntoView {
    let open = resource(|| (), |_| open_deletion_requests());
    loaded(open, |open| {
        (!open.is_empty()).then(|| view! {
            <section class="card danger" data-testid=testids::DELETION_REQUESTS>
                <h2>"Deletion requests"</h2>
                <p class="muted">{format!("These clients asked you to delete their data. Delete the client from their page, or decline with a reason they will see, within {DELETION_DEADLINE_DAYS} days.")}</p>
                <ul>
                    {open.into_iter().map(|r| view! {
                        <li data-testid=testids::DELETION_REQUEST_ROW>
                            <a href=format!("/coach/clients/{}", r.client_id)>{r.client_name.clone()}</a>
                            {format!(" asked on {}; due by {}", clock().day(r.requested_at), clock().day(r.due_at))}
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        })
    })
}

/// On a client's page: their open request, with its deadline and a way to decline.
#[component]
pub fn ClientDeletionBanner(client_id: String) -> impl IntoView {
    let decline = ServerAction::<DeclineDeletion>::new();
    let latest = resource(
        move || (client_id.clone(), decline.version().get()),
        |(id, _)| client_deletion_request(id),
    );
    loaded(latest, move |latest| {
        latest.filter(|r| r.status == DeletionStatus::Pending).map(|r| view! {
            <section class="card danger" data-testid=testids::CLIENT_DELETION_BANNER>
                <h2>"This client asked you to delete their data"</h2>
                <p>{format!("Asked on {}. Act by {}: delete the client below, or decline with a reason they will see.", clock().day(r.requested_at), clock().day(r.due_at))}</p>
                {(!r.message.is_empty()).then(|| view! { <blockquote>{r.message.clone()}</blockquote> })}
                <ActionForm action=decline>
                    <input type="hidden" name="request_id" value=r.id.clone() />
                    <label>"Reason for declining"
                        <textarea name="reason" required maxlength=LongText::MAX_CHARS data-testid=testids::DELETION_DECLINE_TEXT></textarea>
                    </label>
                    <FormError message=Signal::derive(move || error_text(decline.value().get())) />
                    <button type="submit" class="secondary" data-testid=testids::DELETION_DECLINE>"Decline"</button>
                </ActionForm>
            </section>
        })
    })
}
