//! Coaching sessions: the panel on a client's page, the session page (details, transcript,
//! sharing) and the shared summaries in the client's portal.

use crate::api::sessions::{
    client_sessions, get_session, my_sessions, AddActionItem, CreateSession, DeleteActionItem,
    DeleteSession, SetActionItemDone, ShareActionItem, ShareSession, UpdateSession,
    UploadTranscript,
};
use crate::domain::{ActionItem, ActionOwner, Role, SessionDetail};
use crate::testids;
use crate::ui::ai::InsightsCard;
use crate::ui::auth::FormError;
use crate::ui::coach::RequireRole;
use crate::ui::resource;
use crate::ui::{
    clock, error_text, loaded, loaded_list, reset_form_when, when, ConfirmButton, ConfirmDelete,
    DateStyle,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

/// The transcript upload's server fn path; the form posts there.
const TRANSCRIPT_PATH: &str = <UploadTranscript as server_fn::ServerFn>::PATH;

/// The sessions panel on a client's page: the list, and recording a new one.
#[component]
pub fn ClientSessionsPanel(client_id: String) -> impl IntoView {
    let create = ServerAction::<CreateSession>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    reset_form_when(form, move || matches!(create.value().get(), Some(Ok(_))));
    let id = client_id.clone();
    let sessions = resource(
        move || (id.clone(), create.version().get()),
        |(id, _)| client_sessions(id),
    );
    view! {
        <section class="card" data-testid=testids::CLIENT_SESSIONS>
            <h2>"Coaching sessions"</h2>
            {loaded_list(sessions, "No sessions recorded yet.", |list| {
                let clock = clock();
                view! {
                <ul class="list">
                    {list.into_iter().map(|s| view! {
                        <li data-testid=testids::SESSION_ROW>
                            <a class="grow" href=format!("/coach/sessions/{}", s.id)>{s.title.clone()}</a>
                            <span class="muted">{when(&clock, s.held_at, DateStyle::DayTime)}{format!(" · {} min", s.duration_min)}</span>
                            {s.tags.iter().map(|t| view! { <span class="badge muted">{t.clone()}</span> }).collect_view()}
                            {s.has_transcript.then(|| view! { <span class="badge muted">"Transcript"</span> })}
                            {s.summary_shared.then(|| view! { <span class="badge">"Shared"</span> })}
                        </li>
                    }).collect_view()}
                </ul>
            }})}
            <details>
                <summary data-testid=testids::SESSION_NEW>"Record a session"</summary>
                <ActionForm action=create node_ref=form>
                    <input type="hidden" name="client_id" value=client_id />
                    <div class="grid">
                        <label>"Title" <input name="title" required maxlength="120" data-testid=testids::SESSION_TITLE /></label>
                        <label>"Date and time" <input name="held_at" type="datetime-local" required data-testid=testids::SESSION_HELD_AT />
                            <small>"In your workspace's time zone (Settings)."</small>
                        </label>
                        <label>"Duration (minutes)" <input name="duration_min" type="number" min="1" max="600" value="45" required data-testid=testids::SESSION_DURATION /></label>
                        <label>"Tags (comma-separated)" <input name="tags" data-testid=testids::SESSION_TAGS /></label>
                    </div>
                    <label>"Summary for the client (shared only when you choose)"
                        <textarea name="summary" rows="3" data-testid=testids::SESSION_SUMMARY></textarea>
                    </label>
                    <label>"Private notes (never shown to the client)"
                        <textarea name="private_notes" rows="3" data-testid=testids::SESSION_PRIVATE_NOTES></textarea>
                    </label>
                    <label>"Transcript (paste it, or upload a file on the session page)"
                        <textarea name="transcript" rows="4" placeholder="Coach: How did the week go?\nRiley: Better."></textarea>
                    </label>
                    <FormError message=Signal::derive(move || error_text(create.value().get())) />
                    <button type="submit" disabled=move || create.pending().get() data-testid=testids::SESSION_SAVE>"Save session"</button>
                </ActionForm>
            </details>
        </section>
    }
    .into_any()
}

/// `/coach/sessions/:id`
#[component]
pub fn SessionPage() -> impl IntoView {
    let params = use_params_map();
    let update = ServerAction::<UpdateSession>::new();
    let share = ServerAction::<ShareSession>::new();
    let uploaded = RwSignal::new(0u32);
    let applied = RwSignal::new(0u32);
    let items = ItemActions {
        add: ServerAction::new(),
        share: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let session = resource(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                (
                    update.version().get(),
                    share.version().get(),
                    uploaded.get(),
                    applied.get(),
                ),
                (
                    items.add.version().get(),
                    items.share.version().get(),
                    items.delete.version().get(),
                ),
            )
        },
        |(id, ..)| get_session(id),
    );
    view! {
        <Title text="Coaching session · Coachroom" />
        <RequireRole role=Role::Coach />
        {loaded(session, move |s| view! { <SessionView s update share uploaded applied items /> })}
    }
}

#[component]
fn SessionView(
    s: SessionDetail,
    update: ServerAction<UpdateSession>,
    share: ServerAction<ShareSession>,
    uploaded: RwSignal<u32>,
    applied: RwSignal<u32>,
    items: ItemActions,
) -> impl IntoView {
    let delete = ServerAction::<DeleteSession>::new();
    // The audio upload is offered only when AI can transcribe it.
    let ai = resource(|| (), |_| crate::api::ai::get_ai_status());
    let action_items = s.action_items.clone();
    let add_for = s.summary.id.clone();
    let id = s.summary.id.clone();
    let client_page = crate::ui::clients::ClientTab::Sessions.href(&s.client_id);
    let back = client_page.clone();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            use_navigate()(&back, Default::default());
        }
    });
    let shared = s.summary.summary_shared;
    let (share_id, delete_id, update_id) = (id.clone(), id.clone(), id.clone());
    let upload_error = RwSignal::new(None::<String>);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let on_upload = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        upload_error.set(None);
        #[cfg(feature = "hydrate")]
        if let Some(form) = form_ref.get_untracked() {
            crate::ui::upload::post_form_with_progress(
                &form,
                TRANSCRIPT_PATH,
                |_| {},
                move |result: Result<String, crate::AppError>| match result {
                    Ok(_) => uploaded.update(|n| *n += 1),
                    Err(err) => upload_error.set(Some(err.to_string())),
                },
            );
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (form_ref, uploaded);
    };
    view! {
        <section data-testid=testids::SESSION_PAGE>
            <p><a href=client_page>"Back to the client"</a></p>
            <h1>{s.summary.title.clone()}</h1>
            <div class="columns">
                <div class="card">
                    <h2>"Details"</h2>
                    <ActionForm action=update>
                        <input type="hidden" name="session_id" value=update_id />
                        <div class="grid">
                            <label>"Title" <input name="title" required maxlength="120" value=s.summary.title.clone() data-testid=testids::SESSION_TITLE /></label>
                            <label>{format!("Date and time ({})", clock().zone)} <input name="held_at" type="datetime-local" required value=clock().input_value(s.summary.held_at) /></label>
                            <label>"Duration (minutes)" <input name="duration_min" type="number" min="1" max="600" required value=s.summary.duration_min.to_string() /></label>
                            <label>"Tags (comma-separated)" <input name="tags" value=s.summary.tags.join(", ") /></label>
                        </div>
                        <label>"Summary for the client"
                            <textarea name="summary" rows="4" data-testid=testids::SESSION_SUMMARY>{s.shared_summary.clone()}</textarea>
                        </label>
                        <label>"Private notes (never shown to the client)"
                            <textarea name="private_notes" rows="4" data-testid=testids::SESSION_PRIVATE_NOTES>{s.private_notes.clone()}</textarea>
                        </label>
                        <FormError message=Signal::derive(move || error_text(update.value().get())) />
                        <button type="submit" data-testid=testids::SESSION_SAVE>"Save"</button>
                    </ActionForm>
                </div>
                <div>
                    <div class="card">
                        <h2>"Sharing"</h2>
                        <p data-testid=testids::SESSION_SHARE_STATE>
                            {if shared { "The summary is shared with the client." } else { "The client sees nothing of this session yet." }}
                        </p>
                        <button type="button" class=if shared { "secondary" } else { "" } data-testid=testids::SESSION_SHARE
                            on:click=move |_| { share.dispatch(ShareSession { session_id: share_id.clone(), shared: !shared }); }>
                            {if shared { "Stop sharing" } else { "Share the summary" }}
                        </button>
                        <FormError message=Signal::derive(move || error_text(share.value().get())) />
                    </div>
                    <ConfirmDelete title="Delete" open_label="Delete session…"
                        warning="Delete this session with its transcript, notes, summary and action items? This cannot be undone.".to_owned()
                        open_testid=testids::SESSION_DELETE confirm_testid=testids::SESSION_DELETE_CONFIRM
                        on_confirm=Callback::new(move |_| { delete.dispatch(DeleteSession { session_id: delete_id.clone() }); })
                        error=Signal::derive(move || error_text(delete.value().get())) />
                </div>
            </div>
            <InsightsCard session_id=id.clone() has_transcript=s.transcript.is_some() applied />
            <ActionItemsCard session_id=add_for items=action_items actions=items />
            <section class="card" data-testid=testids::SESSION_TRANSCRIPT>
                <h2>"Transcript"</h2>
                {match s.transcript.clone() {
                    None => view! { <p class="muted">"No transcript yet."</p> }.into_any(),
                    Some(t) => view! {
                        <ol class="turns">
                            {t.turns.into_iter().map(|turn| view! {
                                <li data-testid=testids::TRANSCRIPT_TURN>
                                    {turn.speaker.map(|sp| view! { <strong>{sp}": "</strong> })}
                                    {turn.text}
                                </li>
                            }).collect_view()}
                        </ol>
                    }.into_any(),
                }}
                <form node_ref=form_ref method="post" action=TRANSCRIPT_PATH enctype="multipart/form-data" on:submit=on_upload>
                    <input type="hidden" name="session_id" value=id />
                    <label>"Upload a transcript (.txt, .vtt or .srt; replaces the current one)"
                        <input type="file" name="file" accept=".txt,.vtt,.srt,text/plain,text/vtt" data-testid=testids::TRANSCRIPT_FILE />
                    </label>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            ai.await.is_ok_and(|status| status.configured).then(|| view! {
                                <label>"…or an audio recording to transcribe with AI (mp3, wav, ogg, flac, m4a or webm; up to 25 MB; the audio is not kept)"
                                    <input type="file" name="audio" accept="audio/*,.mp3,.wav,.ogg,.flac,.m4a,.webm" data-testid=testids::TRANSCRIPT_AUDIO />
                                </label>
                            })
                        })}
                    </Suspense>
                    <p class="error" role="alert" data-testid=testids::TRANSCRIPT_ERROR>{move || upload_error.get()}</p>
                    <button type="submit" class="secondary" data-testid=testids::TRANSCRIPT_UPLOAD>"Upload transcript"</button>
                </form>
            </section>
        </section>
    }
    .into_any()
}

/// The session page's action-item actions; the page refetches when any of them runs.
#[derive(Clone, Copy)]
pub struct ItemActions {
    add: ServerAction<AddActionItem>,
    share: ServerAction<ShareActionItem>,
    delete: ServerAction<DeleteActionItem>,
}

fn item_line(item: &ActionItem) -> String {
    let due = item
        .due_date
        .as_ref()
        .map(|d| format!(" · due {}", clock().calendar_day(d)))
        .unwrap_or_default();
    format!("{}{due}", item.owner.label())
}

#[component]
fn ActionItemsCard(
    session_id: String,
    items: Vec<ActionItem>,
    actions: ItemActions,
) -> impl IntoView {
    view! {
        <section class="card" data-testid=testids::ACTION_ITEMS>
            <h2>"Action items"</h2>
            {if items.is_empty() { Some(view! { <p class="muted">"None yet."</p> }) } else { None }}
            <ul class="list">
                {items.into_iter().map(|item| {
                    let (a, b) = (item.id.clone(), item.id.clone());
                    let shared = item.shared;
                    let what = format!("“{}”", item.text);
                    view! {
                        <li data-testid=testids::ACTION_ITEM_ROW>
                            <div class="grow">
                                <span class:done=item.done_at.is_some()>{item.text.clone()}</span>" "
                                <small class="muted">{item_line(&item)}</small>" "
                                {item.done_at.map(|at| view! { <span class="badge" data-testid=testids::ACTION_ITEM_DONE>"Done "{when(&clock(), at, DateStyle::Day)}</span> })}
                                {(!shared).then(|| view! { <span class="badge muted">"Not shared"</span> })}
                            </div>
                            <button type="button" class="secondary" data-testid=testids::ACTION_ITEM_SHARE
                                on:click=move |_| { actions.share.dispatch(ShareActionItem { item_id: a.clone(), shared: !shared }); }>
                                {if shared { "Stop sharing" } else { "Share" }}
                            </button>
                            <ConfirmButton what testid=testids::ACTION_ITEM_DELETE
                                on_confirm=Callback::new(move |_| { actions.delete.dispatch(DeleteActionItem { item_id: b.clone() }); }) />
                        </li>
                    }
                }).collect_view()}
            </ul>
            <ActionForm action=actions.add>
                <input type="hidden" name="session_id" value=session_id />
                <div class="row">
                    <label class="cell grow">"New action item" <input name="text" required maxlength="300" data-testid=testids::ACTION_ITEM_TEXT /></label>
                    <label class="cell">"For"
                        <select name="owner" data-testid=testids::ACTION_ITEM_OWNER>
                            {[ActionOwner::Client, ActionOwner::Coach].into_iter().map(|o| view! { <option value=o.as_str()>{o.label()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="cell">"Due (optional)" <input name="due_date" type="date" /></label>
                    <label class="cell">"Share with the client"
                        <select name="shared" data-testid=testids::ACTION_ITEM_SHARED>
                            <option value="true">"Yes"</option>
                            <option value="false">"Not yet"</option>
                        </select>
                    </label>
                </div>
                <FormError message=Signal::derive(move || error_text(actions.add.value().get())) />
                <button type="submit" class="secondary" data-testid=testids::ACTION_ITEM_ADD>"Add action item"</button>
            </ActionForm>
        </section>
    }
}

/// The summaries the coach shared, in the client's portal.
#[component]
pub fn MySessionsPanel() -> impl IntoView {
    let set_done = ServerAction::<SetActionItemDone>::new();
    let sessions = resource(move || set_done.version().get(), |_| my_sessions());
    view! {
        <section class="card" data-testid=testids::MY_SESSIONS>
            <h2>"Sessions and action items"</h2>
            {loaded_list(sessions, "Your coach has not shared a session summary yet.", move |list| {
                let clock = clock();
                view! {
                <ul class="list">
                    {list.into_iter().map(|s| view! {
                        <li data-testid=testids::MY_SESSION_ROW>
                            <div class="grow">
                                <strong>{s.title.clone()}</strong>" "
                                <small class="muted">{when(&clock, s.held_at, DateStyle::DayTime)}{format!(" · {} min", s.duration_min)}</small>
                                {(!s.summary.is_empty()).then(|| view! { <p class="pre">{s.summary.clone()}</p> })}
                                <ul class="list">
                                    {s.action_items.into_iter().map(|item| {
                                        let done = item.done_at.is_some();
                                        let id = item.id.clone();
                                        view! {
                                            <li data-testid=testids::MY_ACTION_ITEM>
                                                <label class="inline">
                                                    <input type="checkbox" prop:checked=done data-testid=testids::MY_ACTION_ITEM_DONE
                                                        on:change=move |_| { set_done.dispatch(SetActionItemDone { item_id: id.clone(), done: !done }); } />
                                                    <span class:done=done>{item.text.clone()}</span>
                                                </label>
                                                <small class="muted">{item_line(&item)}</small>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </div>
                        </li>
                    }).collect_view()}
                </ul>
            }})}
        </section>
    }
}
