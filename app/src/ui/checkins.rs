//! Check-in pages: the client's form and history, the coach's inbox and review, and the progress
//! view (charts and photo comparison) that both of them see.

use crate::api::checkins::{
    checkin_inbox, client_checkins, client_progress, get_checkin, my_checkin, my_checkins,
    my_progress, DeleteCheckin, ReviewCheckin, SubmitCheckin,
};
use crate::api::forms::my_checkin_form;
use crate::api::portal::get_portal_home;
use crate::domain::{
    CheckinDetail, CheckinSummary, FormDefinition, Metric, MetricKind, PhotoCheckin, PhotoSlot,
    PhotoView, Role, Units, FORM_FIELD_PREFIX,
};
use crate::testids;
use crate::ui::ai::DraftReplyButton;
use crate::ui::auth::FormError;
use crate::ui::charts::ProgressCharts;
use crate::ui::coach::RequireRole;
use crate::ui::forms::{answers_in, FieldErrors, FilledFormView, FormFields};
use crate::ui::resource;
use crate::ui::{clock, current_user, error_text, when, ConfirmDelete, DateStyle, Pager};
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};
use std::collections::BTreeMap;

/// Who is looking: decides which server fns fetch photos and where links go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Coach,
    Client,
}

/// The check-in's PDF download (the same path for its coach and its client).
fn pdf_href(id: &str) -> String {
    format!("/api/checkins/{id}/pdf")
}

impl Viewer {
    fn checkin_href(self, id: &str) -> String {
        match self {
            Self::Coach => format!("/coach/checkins/{id}"),
            Self::Client => format!("/portal/checkins/{id}"),
        }
    }
}

fn loading() -> impl IntoView {
    view! { <p class="muted">"Loading…"</p> }
}

fn error_view(err: AppError) -> AnyView {
    view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any()
}

// ---------------------------------------------------------------------------------------------
// The client's check-in form

/// Where an unsent check-in is kept between reloads: this browser, this user only. Cleared when
/// the check-in is sent and when the user logs out.
pub const DRAFT_KEY_PREFIX: &str = "coachroom.checkin-draft.";

/// The submit server fn's path; the form posts there with or without JavaScript, and the
/// offline queue sends there too.
pub(crate) const SUBMIT_PATH: &str = <SubmitCheckin as server_fn::ServerFn>::PATH;

#[component]
pub fn CheckinPage() -> impl IntoView {
    let home = resource(|| (), |_| get_portal_home());
    let form = resource(|| (), |_| my_checkin_form());
    view! {
        <Title text="New check-in · Coachroom" />
        <RequireRole role=Role::Client />
        <crate::ui::portal::PortalTabs />
        <section class="card">
            <h1>"Weekly check-in"</h1>
            <p class="muted">"Fill in what you measured this week. Leave anything you did not measure empty."</p>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match (home.await, form.await) {
                        (Ok(home), Ok(form)) => view! { <CheckinForm units=home.profile.units form /> }.into_any(),
                        (Err(err), _) | (_, Err(err)) => error_view(err),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The check-in's numbers as the form groups them: body measurements, training, how they felt.
fn metric_groups() -> [Vec<Metric>; 3] {
    let body = Metric::ALL.into_iter().filter(|m| m.is_body()).collect();
    let training = Metric::ALL
        .into_iter()
        .filter(|m| !m.is_body() && m.kind() != MetricKind::Rating)
        .collect();
    let ratings = Metric::ALL
        .into_iter()
        .filter(|m| m.kind() == MetricKind::Rating)
        .collect();
    [body, training, ratings]
}

/// The check-in's numbers in the order the form shows them.
fn in_form_order() -> Vec<Metric> {
    metric_groups().into_iter().flatten().collect()
}

fn metric_label(metric: Metric, units: Units) -> String {
    match metric.unit(units) {
        // Sleep's label reads "hours a night" already.
        "" | "/10" | "h" => metric.label().to_owned(),
        unit => format!("{} ({unit})", metric.label()),
    }
}

#[component]
fn CheckinForm(units: Units, form: Option<FormDefinition>) -> impl IntoView {
    let user = current_user();
    // What was typed before the app loaded is kept (the draft fills only what it left empty).
    let typed: BTreeMap<String, String> = Metric::ALL
        .into_iter()
        .map(Metric::key)
        .chain(["feedback"])
        .filter_map(|name| {
            let selector = format!(
                "[data-testid=\"{}\"] [name=\"{name}\"]",
                testids::CHECKIN_FORM
            );
            Some((name.to_owned(), crate::ui::typed_before_load(&selector)?))
        })
        .collect();
    let fields = RwSignal::new(typed);
    let draft_loaded = RwSignal::new(false);
    let restored = RwSignal::new(false);
    let progress = RwSignal::new(None::<f64>);
    let uploading = RwSignal::new(false);
    // A check-in posted before the app loaded and refused comes back with the error in the URL.
    let refused = use_context::<leptos::server::ServerActionError>()
        .filter(|refused| refused.path() == SUBMIT_PATH)
        .map(|refused| {
            Err(server_fn::error::ServerFnUrlError::<AppError>::decode_err(
                refused.err(),
            ))
        });
    let outcome: RwSignal<Option<Result<CheckinSummary, AppError>>> = RwSignal::new(refused);
    // Saved on this device to be sent later (offline, or the server out of reach), under this
    // idempotency key.
    let queued = RwSignal::new(None::<String>);
    let queue_state = crate::ui::offline::waiting();
    let sent_panel = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(panel) = sent_panel.get() {
            let _ = panel.focus();
        }
    });
    let form_ref = NodeRef::<leptos::html::Form>::new();

    let draft_key = move || {
        user.0
            .get()
            .and_then(|r| r.ok().flatten())
            .map(|me| format!("{DRAFT_KEY_PREFIX}{}", me.user_id))
    };
    // Effects run only in the browser: restore once, then save on every change.
    Effect::new(move |_| {
        let Some(key) = draft_key() else { return };
        if draft_loaded.get_untracked() {
            return;
        }
        if let Some(saved) = draft::load(&key) {
            let mut added = false;
            fields.update(|fields| {
                for (name, value) in saved {
                    if !value.is_empty() && !fields.contains_key(&name) {
                        fields.insert(name, value);
                        added = true;
                    }
                }
            });
            restored.set(added);
        }
        draft_loaded.set(true);
    });
    Effect::new(move |_| {
        let values = fields.get();
        if !draft_loaded.get() {
            return;
        }
        if let Some(key) = draft_key() {
            draft::save(&key, &values);
        }
    });

    // Each number is checked as it will be on the server (the same parser, `Metric::parse`), so
    // its error sits at its field, and focus goes to the first one, before anything is sent.
    let field_errors = RwSignal::new(BTreeMap::<&'static str, String>::new());
    let form_errors: FieldErrors = RwSignal::new(BTreeMap::new());
    let form_definition = form.clone();
    let app_loaded = crate::ui::app_loaded();
    let value_of =
        move |key: &'static str| move || fields.with(|f| f.get(key).cloned().unwrap_or_default());
    let set_value = move |key: &'static str| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            fields.update(|f| {
                f.insert(key.to_owned(), value);
            });
            // Changed: its error is answered, or shown again at the next send.
            if field_errors.with_untracked(|e| e.contains_key(key)) {
                field_errors.update(|e| {
                    e.remove(key);
                });
            }
        }
    };

    // Sent or queued: the form starts again empty, with a new idempotency key next time.
    let start_over = move || {
        if let Some(key) = draft_key() {
            draft::clear(&key);
        }
        fields.set(BTreeMap::new());
        restored.set(false);
        if let Some(form) = form_ref.get_untracked() {
            form.reset();
        }
    };
    let idempotency_input = NodeRef::<leptos::html::Input>::new();
    let sender_input = NodeRef::<leptos::html::Input>::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if uploading.get_untracked() {
            return;
        }
        outcome.set(None);
        let errors: BTreeMap<&'static str, String> = fields.with_untracked(|values| {
            Metric::ALL
                .into_iter()
                .filter_map(|metric| {
                    let raw = values.get(metric.key())?;
                    let err = metric.parse(raw, units).err()?;
                    Some((metric.key(), err.to_string()))
                })
                .collect()
        });
        let first_invalid = in_form_order()
            .into_iter()
            .find(|metric| errors.contains_key(metric.key()))
            .map(|metric| metric.key().to_owned());
        field_errors.set(errors);
        // The coach's questions come after the numbers, and are checked the same way.
        let answer_errors = form_definition
            .as_ref()
            .map(|definition| {
                definition.answer_errors(&answers_in(&ev, definition, FORM_FIELD_PREFIX))
            })
            .unwrap_or_default();
        let first_invalid = first_invalid.or_else(|| {
            let (id, _) = answer_errors.first()?;
            Some(format!("{FORM_FIELD_PREFIX}{id}"))
        });
        form_errors.set(answer_errors.into_iter().collect());
        if let Some(name) = first_invalid {
            crate::ui::focus_field(&ev, &name);
            return;
        }
        #[cfg(feature = "hydrate")]
        if let (Some(form), Some(Ok(Some(me)))) = (form_ref.get_untracked(), user.0.get_untracked())
        {
            use crate::domain::{CheckinSummary, IdempotencyKey};
            use crate::ui::offline;
            // The key is made at the first attempt and kept (in the draft too) until the check-in
            // is recorded: every attempt after that is the same check-in to the server.
            let key = fields
                .with_untracked(|f| f.get(IdempotencyKey::FIELD).cloned())
                .filter(|k| !k.is_empty())
                .unwrap_or_else(offline::new_key);
            fields.update(|f| {
                f.insert(IdempotencyKey::FIELD.to_owned(), key.clone());
            });
            if let Some(input) = idempotency_input.get_untracked() {
                input.set_value(&key);
            }
            // The account it is made for: sent later from a queue, it is refused rather than
            // recorded for whoever is signed in then.
            if let Some(input) = sender_input.get_untracked() {
                input.set_value(&me.user_id);
            }
            let keep_for_later = move |form: web_sys::HtmlFormElement,
                                       failure: Option<AppError>| {
                let (user_id, key) = (me.user_id.clone(), key.clone());
                leptos::task::spawn_local(async move {
                    if offline::queue(&user_id, &key, &form).await {
                        start_over();
                        queued.set(Some(key));
                    } else {
                        outcome.set(Some(Err(failure.unwrap_or_else(|| {
                            AppError::Unavailable("You are offline, and this browser cannot keep the check-in until you are back. Try again once you are online.".to_owned())
                        }))));
                    }
                });
            };
            if offline::browser_is_offline() {
                keep_for_later(form, None);
                return;
            }
            uploading.set(true);
            progress.set(Some(0.0));
            let form_again = form.clone();
            crate::ui::upload::post_form_with_progress(
                &form,
                SUBMIT_PATH,
                move |pct| progress.set(Some(pct)),
                move |result| {
                    uploading.set(false);
                    let result = result.and_then(|body| {
                        serde_json::from_str::<CheckinSummary>(&body)
                            .map_err(|_| AppError::Internal)
                    });
                    match result {
                        Ok(summary) => {
                            progress.set(Some(100.0));
                            start_over();
                            outcome.set(Some(Ok(summary)));
                        }
                        Err(err) if offline::is_retryable(&err) => {
                            progress.set(None);
                            keep_for_later(form_again, Some(err));
                        }
                        Err(err) => {
                            progress.set(None);
                            outcome.set(Some(Err(err)));
                        }
                    }
                },
            );
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (form_ref, start_over, idempotency_input, sender_input);
    };

    let number_input = move |metric: Metric| {
        let key = metric.key();
        // Text with a number keypad, not `type="number"`: what was typed reaches the server's
        // parser as typed ("9,500", "72,5"), where a number box would read text it cannot parse
        // as empty, and the form's binding would then wipe it.
        let keypad = match metric.kind() {
            MetricKind::Count | MetricKind::Rating => "numeric",
            _ => "decimal",
        };
        let error = move || field_errors.with(|e| e.get(key).cloned());
        let error_id = format!("{key}-error");
        view! {
            <label>{metric_label(metric, units)}
                <input name=key type="text" inputmode=keypad autocomplete="off"
                    prop:value=value_of(key) on:input=set_value(key)
                    aria-invalid=move || error().is_some().then_some("true")
                    aria-describedby={let error_id = error_id.clone(); move || error().map(|_| error_id.clone())}
                    data-testid=format!("{}{key}", testids::CHECKIN_FIELD_PREFIX) />
                <small class="field-error" id=error_id hidden=move || error().is_none()
                    data-testid=format!("{}{key}", testids::CHECKIN_FIELD_ERROR_PREFIX)>
                    {move || error().unwrap_or_default()}
                </small>
            </label>
        }
    };
    let rating_input = move |metric: Metric| {
        let key = metric.key();
        view! {
            <label>{format!("{} (1–10)", metric.label())}
                <select name=key prop:value=value_of(key) on:change=set_value(key)
                    data-testid=format!("{}{key}", testids::CHECKIN_FIELD_PREFIX)>
                    <option value="">"—"</option>
                    {(1..=10).map(|n| view! { <option value=n.to_string()>{n}</option> }).collect_view()}
                </select>
            </label>
        }
    };
    let [body, training, ratings] = metric_groups();

    view! {
        <Show when=move || restored.get()>
            <p class="muted" role="status" data-testid=testids::CHECKIN_DRAFT_RESTORED>
                "We restored the check-in you started earlier."
            </p>
        </Show>
        // Once sent, the confirmation takes the form's place (on a phone the form is a long
        // scroll, and a message under its button would be off screen), with focus on it.
        {move || outcome.get().and_then(Result::ok).map(|summary| view! {
            <div class="card ok-panel" role="status" tabindex="-1" node_ref=sent_panel data-testid=testids::CHECKIN_SUBMITTED>
                <h2>"Check-in sent"</h2>
                <p class="ok">"Thank you. Your coach will reply here."</p>
                <div class="row">
                    <a class="button" href=Viewer::Client.checkin_href(&summary.id)>"View your check-in"</a>
                    <button type="button" class="secondary" data-testid=testids::CHECKIN_ANOTHER
                        on:click=move |_| { outcome.set(None); progress.set(None); }>"Send another"</button>
                </div>
            </div>
        })}
        {move || queued.get().map(|key| view! {
            <QueuedCheckin key queue_state=queue_state.clone()
                on_another=move || { queued.set(None); outcome.set(None); } />
        })}
        <form node_ref=form_ref method="post" action=SUBMIT_PATH enctype="multipart/form-data" novalidate=move || app_loaded.get()
            hidden=move || queued.with(Option::is_some) || outcome.get().is_some_and(|sent| sent.is_ok())
            on:submit=on_submit data-testid=testids::CHECKIN_FORM>
            <input type="hidden" name=crate::domain::IdempotencyKey::FIELD node_ref=idempotency_input
                prop:value=value_of(crate::domain::IdempotencyKey::FIELD) />
            <input type="hidden" name="sender_id" node_ref=sender_input />
            <fieldset>
                <legend>"Body measurements"</legend>
                <div class="grid">{body.into_iter().map(number_input).collect_view()}</div>
            </fieldset>
            <fieldset>
                <legend>"Training"</legend>
                <div class="grid">{training.into_iter().map(number_input).collect_view()}</div>
            </fieldset>
            <fieldset>
                <legend>"How you felt"</legend>
                <div class="grid">{ratings.into_iter().map(rating_input).collect_view()}</div>
            </fieldset>
            <label>"How did the week go?"
                <textarea name="feedback" rows="4" prop:value=value_of("feedback") on:input=set_value("feedback")
                    data-testid=testids::CHECKIN_FEEDBACK></textarea>
            </label>
            {form.map(|definition| view! {
                <fieldset data-testid=testids::CHECKIN_FORM_FIELDS>
                    <legend>{definition.name.clone()}</legend>
                    {(!definition.description.is_empty()).then(|| view! { <p class="muted pre">{definition.description.clone()}</p> })}
                    <FormFields definition prefix=FORM_FIELD_PREFIX errors=form_errors />
                </fieldset>
            })}
            <fieldset>
                <legend>"Progress photos (optional)"</legend>
                <p class="muted">"JPEG, PNG or WebP. Only you and your coach can see them; location data is removed."</p>
                <div class="grid">
                    {PhotoSlot::ALL.into_iter().map(|slot| {
                        // Two inputs under one name: the chooser (photos taken before, with a
                        // mirror or a timer) and, on touch screens, the camera straight away
                        // (`capture`, which would take the gallery away if it were the only one).
                        // Choosing in one empties the other: the server takes one photo a slot.
                        let (chooser, camera) = (NodeRef::<leptos::html::Input>::new(), NodeRef::<leptos::html::Input>::new());
                        // Only when a photo was chosen: some phones empty an input, with a
                        // change event, when its picker is cancelled.
                        let empty = |chosen: NodeRef<leptos::html::Input>, other: NodeRef<leptos::html::Input>| move |_| {
                            let has_photo = chosen.get_untracked().and_then(|input| input.files()).is_some_and(|files| files.length() > 0);
                            if let (true, Some(other)) = (has_photo, other.get_untracked()) {
                                other.set_value("");
                            }
                        };
                        view! {
                            <div class="photo-slot">
                                <label>{slot.label()}
                                    <input type="file" name=slot.field_name() accept="image/jpeg,image/png,image/webp"
                                        node_ref=chooser on:change=empty(chooser, camera)
                                        data-testid=format!("{}{}", testids::CHECKIN_PHOTO_PREFIX, slot.as_str()) />
                                </label>
                                <label class="touch-only">{format!("Or take the {} photo now", slot.label().to_lowercase())}
                                    <input type="file" name=slot.field_name() accept="image/jpeg,image/png,image/webp" capture="environment"
                                        node_ref=camera on:change=empty(camera, chooser)
                                        data-testid=format!("{}{}", testids::CHECKIN_CAMERA_PREFIX, slot.as_str()) />
                                </label>
                            </div>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <FormError message=Signal::derive(move || error_text(outcome.get())) />
            <button type="submit" disabled=move || uploading.get() data-testid=testids::CHECKIN_SUBMIT>
                {move || if uploading.get() { "Sending…" } else { "Send check-in" }}
            </button>
        </form>
        <Show when=move || progress.get().is_some()>
            <div class="upload-progress" role="status">
                <progress max="100" value=move || format!("{:.0}", progress.get().unwrap_or(0.0))
                    data-testid=testids::CHECKIN_PROGRESS></progress>
                <span>{move || {
                    let pct = progress.get().unwrap_or(0.0);
                    if uploading.get() { format!("Uploading… {pct:.0}%") } else { "Uploaded.".to_owned() }
                }}</span>
            </div>
        </Show>
    }
}

/// A check-in kept on this device, followed by its idempotency key: waiting while the queue
/// holds it, then sent (with a link to it), or refused (the reason is above, with the portal's
/// queue status).
#[component]
fn QueuedCheckin(
    key: String,
    queue_state: ArcRwSignal<crate::ui::offline::Waiting>,
    on_another: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    use crate::ui::offline::QueuedState;
    let panel = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(panel) = panel.get() {
            let _ = panel.focus();
        }
    });
    let state = Memo::new(move |_| queue_state.with(|w| w.state_of(&key)));
    view! {
        <div class="card ok-panel" role="status" tabindex="-1" node_ref=panel data-testid=testids::CHECKIN_QUEUED
            data-state=move || match state.get() {
                QueuedState::Waiting => "waiting",
                QueuedState::Sent { .. } => "sent",
                QueuedState::Refused { .. } => "refused",
            }>
            {move || match state.get() {
                QueuedState::Waiting => view! {
                    <h2>"Saved on this device, waiting to send"</h2>
                    <p>"You are offline, or Coachroom cannot be reached. Your check-in goes to your coach as soon as the connection returns. Keep this page open, or come back to your portal later."</p>
                }.into_any(),
                QueuedState::Sent { checkin_id } => view! {
                    <h2>"Check-in sent"</h2>
                    <p class="ok">"Your connection is back and your coach has your check-in."</p>
                    <a class="button" href=Viewer::Client.checkin_href(&checkin_id)>"View your check-in"</a>
                }.into_any(),
                QueuedState::Refused { why } => view! {
                    <h2>"Check-in not sent"</h2>
                    <p class="error">{why}</p>
                }.into_any(),
            }}
            <button type="button" class="secondary" on:click=move |_| on_another()>"Send another"</button>
        </div>
    }
}

/// The draft kept in this browser's local storage (browser only; a no-op on the server).
mod draft {
    use std::collections::BTreeMap;

    #[cfg(feature = "hydrate")]
    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    #[cfg(feature = "hydrate")]
    pub fn load(key: &str) -> Option<BTreeMap<String, String>> {
        let text = storage()?.get_item(key).ok().flatten()?;
        serde_json::from_str(&text).ok()
    }

    #[cfg(feature = "hydrate")]
    pub fn save(key: &str, values: &BTreeMap<String, String>) {
        if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(values)) {
            let _ = storage.set_item(key, &text);
        }
    }

    #[cfg(feature = "hydrate")]
    pub fn clear(key: &str) {
        if let Some(storage) = storage() {
            let _ = storage.remove_item(key);
        }
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn load(_key: &str) -> Option<BTreeMap<String, String>> {
        None
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn save(_key: &str, _values: &BTreeMap<String, String>) {}

    #[cfg(not(feature = "hydrate"))]
    pub fn clear(_key: &str) {}

    /// Removes every check-in draft in this browser (at logout).
    #[cfg(feature = "hydrate")]
    pub fn clear_all() {
        let Some(storage) = storage() else { return };
        let len = storage.length().unwrap_or(0);
        let keys: Vec<String> = (0..len)
            .filter_map(|i| storage.key(i).ok().flatten())
            .filter(|k| k.starts_with(super::DRAFT_KEY_PREFIX))
            .collect();
        for key in keys {
            let _ = storage.remove_item(&key);
        }
    }
}

/// Forgets unsent check-in drafts in this browser (called at logout).
#[cfg(feature = "hydrate")]
pub fn forget_drafts() {
    draft::clear_all();
}

// ---------------------------------------------------------------------------------------------
// Showing a check-in

/// The numbers of a check-in, beside the previous one's when given, with the change.
#[component]
fn CheckinValues(current: CheckinDetail, previous: Option<CheckinDetail>) -> impl IntoView {
    let units = current.units;
    let metrics: Vec<Metric> = Metric::ALL
        .into_iter()
        .filter(|m| {
            current.values.contains_key(m)
                || previous.as_ref().is_some_and(|p| p.values.contains_key(m))
        })
        .collect();
    if metrics.is_empty() {
        return view! { <p class="muted">"No measurements in this check-in."</p> }.into_any();
    }
    let compare = previous.is_some();
    let previous_label = previous
        .as_ref()
        .map(|p| clock().day(p.submitted_at))
        .unwrap_or_default();
    let rows = metrics
        .into_iter()
        .map(|metric| {
            let now = current.values.get(&metric).copied();
            let before = previous.as_ref().and_then(|p| p.values.get(&metric).copied());
            let show = move |v: Option<f64>| v.map(|v| metric.format(v, units)).unwrap_or_else(|| "—".into());
            let change = match (before, now) {
                (Some(b), Some(n)) => metric
                    .format_change(b, n, units)
                    .unwrap_or_else(|| "No change".into()),
                _ => "—".into(),
            };
            view! {
                <tr>
                    <th scope="row">{metric.label()}</th>
                    {compare.then(|| view! { <td>{show(before)}</td> })}
                    <td>{show(now)}</td>
                    {compare.then(|| view! {
                        <td data-testid=testids::REVIEW_CHANGE data-metric=metric.key()>{change.clone()}</td>
                    })}
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="values">
            <thead>
                <tr>
                    <th scope="col">"Measure"</th>
                    {compare.then(|| view! { <th scope="col">{format!("Previous ({previous_label})")}</th> })}
                    <th scope="col">{format!("This check-in ({})", clock().day(current.submitted_at))}</th>
                    {compare.then(|| view! { <th scope="col">"Change"</th> })}
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn PhotoStrip(photos: Vec<PhotoView>) -> impl IntoView {
    if photos.is_empty() {
        return view! { <p class="muted">"No photos."</p> }.into_any();
    }
    view! {
        <div class="photos">
            {photos.into_iter().map(|p| view! {
                <figure>
                    <img src=p.url alt=format!("{} progress photo", p.slot.label()) width=p.width height=p.height
                        loading="lazy" data-testid=testids::CHECKIN_PHOTO data-slot=p.slot.as_str() />
                    <figcaption>{p.slot.label()}</figcaption>
                </figure>
            }).collect_view()}
        </div>
    }
    .into_any()
}

/// A list of check-ins, newest first, linking to each.
#[component]
pub fn CheckinHistory(checkins: Vec<CheckinSummary>, viewer: Viewer) -> impl IntoView {
    if checkins.is_empty() {
        let text = match viewer {
            Viewer::Coach => {
                "No check-ins yet. They appear here once the client sends one from their portal."
            }
            Viewer::Client => "No check-ins yet. Send your first one when you are ready.",
        };
        return view! { <p class="muted empty-line">{text}</p> }.into_any();
    }
    let clock = clock();
    view! {
        <ul class="list" data-testid=testids::CHECKIN_LIST>
            {checkins.into_iter().map(|c| view! {
                <li data-testid=testids::CHECKIN_ROW>
                    <a href=viewer.checkin_href(&c.id)>{when(&clock, c.submitted_at, DateStyle::Day)}</a>
                    {if c.reviewed {
                        view! { <span class="badge">"Reviewed"</span> }.into_any()
                    } else {
                        view! { <span class="badge muted">"Waiting for review"</span> }.into_any()
                    }}
                    {c.has_reply.then(|| view! { <span class="badge">"Coach replied"</span> })}
                    {(c.photo_count > 0).then(|| view! {
                        <span class="muted">{format!("{} photo{}", c.photo_count, if c.photo_count == 1 { "" } else { "s" })}</span>
                    })}
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The client's view of one of their check-ins.
#[component]
pub fn MyCheckinPage() -> impl IntoView {
    let user = current_user();
    let params = use_params_map();
    let checkin = resource(
        move || params.read().get("id").unwrap_or_default(),
        my_checkin,
    );
    view! {
        <Title text="Your check-in · Coachroom" />
        <RequireRole role=Role::Client />
        <crate::ui::portal::PortalTabs />
        <p><a href="/portal">"← Back to your portal"</a></p>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let clock = user.clock().await;
                match checkin.await {
                    Err(err) => error_view(err),
                    Ok(c) => view! {
                        <section data-testid=testids::CHECKIN_DETAIL>
                            <div class="row spread">
                                <h1>{format!("Check-in of {}", clock.day(c.submitted_at))}</h1>
                                <a class="button secondary" href=pdf_href(&c.id) download data-testid=testids::CHECKIN_PDF>"Download PDF"</a>
                            </div>
                            <div class="card reply">
                                <h2>"Your coach's reply"</h2>
                                {match c.reply.clone() {
                                    Some(reply) => view! { <p class="pre" data-testid=testids::CHECKIN_REPLY_TEXT>{reply}</p> }.into_any(),
                                    None => view! { <p class="muted">"Your coach has not replied yet."</p> }.into_any(),
                                }}
                            </div>
                            <div class="card">
                                <h2>"What you sent"</h2>
                                <CheckinValues current=c.clone() previous=None />
                                {(!c.feedback.is_empty()).then(|| view! { <h3>"Your notes"</h3><p class="pre">{c.feedback.clone()}</p> })}
                                {c.form.clone().map(|form| view! { <h3>{form.definition.name.clone()}</h3><FilledFormView form /> })}
                                <h3>"Photos"</h3>
                                <PhotoStrip photos=c.photos.clone() />
                            </div>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

// ---------------------------------------------------------------------------------------------
// The coach's inbox and review

#[component]
pub fn InboxPage() -> impl IntoView {
    let user = current_user();
    let page = RwSignal::new(1_i64);
    let inbox = resource(move || page.get(), checkin_inbox);
    view! {
        <Title text="Check-ins to review · Coachroom" />
        <RequireRole role=Role::Coach />
        <section class="card" data-testid=testids::INBOX>
            <h1>"Check-ins to review"</h1>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let clock = user.clock().await;
                    match inbox.await {
                        Err(err) => error_view(err),
                        Ok(result) if result.items.is_empty() => view! {
                            <div class="empty" data-testid=testids::INBOX_EMPTY>
                                <p>"You are all caught up. New check-ins from your clients appear here."</p>
                            </div>
                        }.into_any(),
                        Ok(result) => {
                            let last_page = (result.total + result.per_page - 1) / result.per_page;
                            let current = result.page;
                            view! {
                                <p class="muted">{format!("{} waiting", result.total)}</p>
                                <ul class="list">
                                    {result.items.into_iter().map(|item| view! {
                                        <li data-testid=testids::INBOX_ROW>
                                            <a href=Viewer::Coach.checkin_href(&item.checkin_id)>{item.client_name}</a>
                                            <span class="muted">{when(&clock, item.submitted_at, DateStyle::Ago)}</span>
                                            {(item.photo_count > 0).then(|| view! { <span class="badge">{format!("{} photo{}", item.photo_count, if item.photo_count == 1 { "" } else { "s" })}</span> })}
                                            <span class="muted grow">{item.feedback_preview}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                                <Pager page current last_page prev_testid=testids::INBOX_PREV next_testid=testids::INBOX_NEXT />
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn ReviewPage() -> impl IntoView {
    let user = current_user();
    let params = use_params_map();
    let review = ServerAction::<ReviewCheckin>::new();
    let delete = ServerAction::<DeleteCheckin>::new();
    let checkin_id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let data = resource(
        move || (checkin_id.get(), review.version().get()),
        |(id, _)| get_checkin(id),
    );
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            use_navigate()("/coach/inbox", Default::default());
        }
    });
    // The header counts the check-ins still waiting: one reviewed or deleted changes it.
    let changes = crate::ui::user_changes();
    Effect::new(move |_| {
        let reviewed = matches!(review.value().get(), Some(Ok(())));
        let deleted = matches!(delete.value().get(), Some(Ok(())));
        if reviewed || deleted {
            leptos::task::spawn_local(async move {
                if let Ok(counts) = crate::api::today::coach_nav_counts().await {
                    changes.inbox_waiting.set(Some(counts.waiting));
                }
            });
        }
    });
    view! {
        <Title text="Review check-in · Coachroom" />
        <RequireRole role=Role::Coach />
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                let clock = user.clock().await;
                match data.await {
                    Err(err) => view! {
                        <section class="card narrow"><h1>"Check-in not found"</h1><p>{err.to_string()}</p>
                        <a href="/coach/inbox">"Back to the inbox"</a></section>
                    }.into_any(),
                    Ok(r) => {
                        let client_href = crate::ui::clients::ClientTab::Checkins.href(&r.client_id);
                        let reviewed = r.current.reviewed_at.is_some();
                        let reply = r.current.reply.clone().unwrap_or_default();
                        // Not read with `typed_before_load`, as the check-in is: called from the
                        // coach's pages too, it moved 53 KB (brotli) into the main module.
                        let reply_text = RwSignal::new(reply.clone());
                        let id = r.current.id.clone();
                        let draft_id = id.clone();
                        let delete_id = id.clone();
                        view! {
                            <section data-testid=testids::REVIEW_PAGE>
                                <p><a href="/coach/inbox">"← Inbox"</a>" · "<a href=client_href.clone()>{format!("{}'s page", r.client_name)}</a></p>
                                <div class="row spread">
                                    <h1>{format!("{} · check-in of {}", r.client_name, clock.day(r.current.submitted_at))}</h1>
                                    <div class="row">
                                        {reviewed.then(|| view! { <span class="badge" data-testid=testids::REVIEW_DONE>"Reviewed"</span> })}
                                        <a class="button secondary" href=pdf_href(&id) download data-testid=testids::CHECKIN_PDF>"Download PDF"</a>
                                    </div>
                                </div>
                                <div class="card">
                                    <h2>"What changed"</h2>
                                    {if r.previous.is_none() { Some(view! { <p class="muted">"This is the client's first check-in."</p> }) } else { None }}
                                    <CheckinValues current=r.current.clone() previous=r.previous.clone() />
                                </div>
                                <div class="columns even">
                                    <div class="card" data-testid=testids::REVIEW_CURRENT>
                                        <h2>{format!("This check-in ({})", clock.day(r.current.submitted_at))}</h2>
                                        {if r.current.feedback.is_empty() {
                                            view! { <p class="muted">"No notes from the client."</p> }.into_any()
                                        } else {
                                            view! { <p class="pre">{r.current.feedback.clone()}</p> }.into_any()
                                        }}
                                        {r.current.form.clone().map(|form| view! { <h3>{form.definition.name.clone()}</h3><FilledFormView form /> })}
                                        <PhotoStrip photos=r.current.photos.clone() />
                                    </div>
                                    {match r.previous.clone() {
                                        Some(p) => view! {
                                            <div class="card" data-testid=testids::REVIEW_PREVIOUS>
                                                <h2>{format!("Previous ({})", clock.day(p.submitted_at))}</h2>
                                                {(!p.feedback.is_empty()).then(|| view! { <p class="pre">{p.feedback.clone()}</p> })}
                                                <PhotoStrip photos=p.photos.clone() />
                                            </div>
                                        }.into_any(),
                                        None => view! { <div></div> }.into_any(),
                                    }}
                                </div>
                                <div class="card">
                                    <h2>"Your reply"</h2>
                                    <ActionForm action=review>
                                        <input type="hidden" name="checkin_id" value=id />
                                        <label>"The client sees this in their portal."
                                            <textarea name="reply" rows="6" data-testid=testids::REVIEW_REPLY prop:value=move || reply_text.get()
                                                on:input=move |ev| reply_text.set(event_target_value(&ev))>{reply}</textarea>
                                        </label>
                                        <DraftReplyButton checkin_id=draft_id reply=reply_text />
                                        <FormError message=Signal::derive(move || error_text(review.value().get())) />
                                        <button type="submit" disabled=move || review.pending().get() data-testid=testids::REVIEW_SUBMIT>
                                            "Send reply and mark reviewed"
                                        </button>
                                    </ActionForm>
                                </div>
                                <ConfirmDelete title="Delete check-in" open_label="Delete check-in…"
                                    warning="Delete this check-in and its photos? This cannot be undone.".to_owned()
                                    open_testid=testids::REVIEW_DELETE confirm_testid=testids::REVIEW_DELETE_CONFIRM
                                    on_confirm=Callback::new(move |_| { delete.dispatch(DeleteCheckin { checkin_id: delete_id.clone() }); })
                                    error=Signal::derive(move || error_text(delete.value().get())) />
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// The check-ins panel on the coach's client page.
#[component]
pub fn ClientCheckinsPanel(client_id: String) -> impl IntoView {
    let user = current_user();
    let checkins = resource(move || client_id.clone(), client_checkins);
    view! {
        <section class="card">
            <h2>"Check-ins"</h2>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    user.clock().await;
                    match checkins.await {
                        Ok(list) => view! { <CheckinHistory checkins=list viewer=Viewer::Coach /> }.into_any(),
                        Err(err) => error_view(err),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The client's own check-ins, on the portal.
#[component]
pub fn MyCheckinsPanel() -> impl IntoView {
    let user = current_user();
    let checkins = resource(|| (), |_| my_checkins());
    view! {
        <section class="card">
            <div class="row spread">
                <h2>"Your check-ins"</h2>
                <a class="button" href="/portal/checkin" data-testid=testids::NAV_CHECKIN>"New check-in"</a>
            </div>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    user.clock().await;
                    match checkins.await {
                        Ok(list) => view! { <CheckinHistory checkins=list viewer=Viewer::Client /> }.into_any(),
                        Err(err) => error_view(err),
                    }
                })}
            </Suspense>
        </section>
    }
}

// ---------------------------------------------------------------------------------------------
// Progress: charts and photo comparison

/// Charts and the photo comparison for one client, seen by their coach or by themself.
#[component]
pub fn ProgressSection(
    viewer: Viewer,
    #[prop(optional)] client_id: Option<String>,
) -> impl IntoView {
    let user = current_user();
    let progress = resource(
        move || client_id.clone(),
        move |client_id| async move {
            match (viewer, client_id) {
                (Viewer::Coach, Some(id)) => client_progress(id).await,
                (Viewer::Client, _) => my_progress().await,
                (Viewer::Coach, None) => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <section class="card" data-testid=testids::PROGRESS>
            <h2>"Progress"</h2>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    user.clock().await;
                    match progress.await {
                        Err(err) => error_view(err),
                        Ok(p) => {
                            let photos = p.photo_checkins.clone();
                            view! {
                                <ProgressCharts progress=p />
                                <PhotoCompare photo_checkins=photos viewer />
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

async fn photos_of(viewer: Viewer, checkin_id: String) -> Result<Vec<PhotoView>, AppError> {
    if checkin_id.is_empty() {
        return Ok(Vec::new());
    }
    match viewer {
        Viewer::Coach => get_checkin(checkin_id).await.map(|r| r.current.photos),
        Viewer::Client => my_checkin(checkin_id).await.map(|c| c.photos),
    }
}

/// Two dates side by side for one photo position. Photo URLs are short-lived, so they are
/// fetched in the browser when a date is picked, never baked into the page.
#[component]
fn PhotoCompare(photo_checkins: Vec<PhotoCheckin>, viewer: Viewer) -> impl IntoView {
    if photo_checkins.is_empty() {
        return view! {
            <div class="photo-compare" data-testid=testids::PHOTO_COMPARE>
                <h3>"Compare photos"</h3>
                <p class="muted">"No progress photos yet."</p>
            </div>
        }
        .into_any();
    }
    let first = photo_checkins
        .first()
        .map(|c| c.checkin_id.clone())
        .unwrap_or_default();
    let last = photo_checkins
        .last()
        .map(|c| c.checkin_id.clone())
        .unwrap_or_default();
    let left = RwSignal::new(first);
    let right = RwSignal::new(last);
    let default_slot = photo_checkins
        .iter()
        .flat_map(|c| c.slots.iter().copied())
        .min()
        .unwrap_or(PhotoSlot::Front);
    let slot = RwSignal::new(default_slot);
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    let left_photos = LocalResource::new(move || photos_of(viewer, left.get()));
    let right_photos = LocalResource::new(move || photos_of(viewer, right.get()));

    // Two check-ins on one (local) day are told apart by their time.
    let clock = clock();
    let same_day = |at: i64| {
        photo_checkins
            .iter()
            .filter(|c| clock.date_value(c.submitted_at) == clock.date_value(at))
            .count()
            > 1
    };
    let options = photo_checkins
        .iter()
        .map(|c| {
            let label = if same_day(c.submitted_at) {
                clock.day_time(c.submitted_at)
            } else {
                clock.day(c.submitted_at)
            };
            (c.checkin_id.clone(), label)
        })
        .collect::<Vec<_>>();
    // Each photo says when it was taken, so a screenshot of the pair still tells the story.
    let labels = StoredValue::new(options.clone());
    let caption = move |which: RwSignal<String>| {
        move || {
            let id = which.get();
            labels.with_value(|labels| {
                labels
                    .iter()
                    .find(|(checkin_id, _)| *checkin_id == id)
                    .map(|(_, date)| date.clone())
                    .unwrap_or_default()
            })
        }
    };
    let date_select = move |which: RwSignal<String>, label: &'static str, testid: &'static str| {
        let options = options.clone();
        view! {
            <label>{label}
                <select data-testid=testid prop:value=move || which.get()
                    on:change=move |ev| which.set(event_target_value(&ev))>
                    {options.into_iter().map(|(id, date)| view! { <option value=id.clone()>{date}</option> }).collect_view()}
                </select>
            </label>
        }
    };
    let side = move |photos: LocalResource<Result<Vec<PhotoView>, AppError>>| {
        view! {
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    let wanted = slot.get();
                    match photos.await {
                        Err(err) => error_view(err),
                        Ok(list) => match list.into_iter().find(|p| p.slot == wanted) {
                            Some(p) => view! {
                                <img src=p.url alt=format!("{} photo", p.slot.label()) width=p.width height=p.height
                                    data-testid=testids::PHOTO_COMPARE_IMAGE />
                            }.into_any(),
                            None => view! { <p class="muted">{format!("No {} photo on this date.", wanted.label().to_lowercase())}</p> }.into_any(),
                        },
                    }
                })}
            </Suspense>
        }
    };
    view! {
        <div class="photo-compare" data-testid=testids::PHOTO_COMPARE>
            <h3>"Compare photos"</h3>
            <div class="row">
                {date_select(left, "From", testids::PHOTO_COMPARE_LEFT)}
                {date_select(right, "To", testids::PHOTO_COMPARE_RIGHT)}
                <label>"Position"
                    <select data-testid=testids::PHOTO_COMPARE_SLOT prop:value=move || slot.get().as_str()
                        on:change=move |ev| { if let Some(s) = PhotoSlot::parse(&event_target_value(&ev)) { slot.set(s) } }>
                        {PhotoSlot::ALL.into_iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            // Rendered only after hydration: the server has no URLs to put here.
            <Show when=move || mounted.get()>
                <div class="compare-grid">
                    <figure>{side(left_photos)}<figcaption data-testid=testids::PHOTO_COMPARE_DATE>{caption(left)}</figcaption></figure>
                    <figure>{side(right_photos)}<figcaption data-testid=testids::PHOTO_COMPARE_DATE>{caption(right)}</figcaption></figure>
                </div>
            </Show>
        </div>
    }
    .into_any()
}
