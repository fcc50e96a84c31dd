//! AI in the UI: session insights (generate, watch progress, review, edit, apply), the check-in
//! reply draft button, the per-client switch and the AI call logs. Without AI set up, each
//! explains how to enable it.

use crate::api::ai::{
    ai_calls, client_ai_enabled, draft_checkin_reply, get_ai_status, get_session_insights,
    ApplyInsights, GenerateInsights, SaveInsights, SetClientAi,
};
use crate::domain::{
    AiCall, Insights, InsightsJob, JobStatus, Role, SessionInsights, SuggestedAction, AI_SETUP_HELP,
};
use crate::testids;
use crate::ui::auth::FormError;
use crate::ui::coach::RequireRole;
use crate::ui::resource;
use crate::ui::{clock, error_text, loaded, loaded_list, when, DateStyle};
use leptos::prelude::*;
use leptos_meta::Title;

/// How to enable AI, shown in place of an AI button.
#[component]
fn AiHelp() -> impl IntoView {
    view! { <p class="muted" data-testid=testids::AI_HELP>{AI_SETUP_HELP}</p> }
}

fn job_line(job: &InsightsJob) -> String {
    match job.status {
        JobStatus::Queued if job.attempts > 0 => "Waiting to try again…".into(),
        JobStatus::Queued => "Queued…".into(),
        JobStatus::Running => format!(
            "Generating: step {} of {}…",
            (job.steps_done + 1).min(job.steps_total.max(1)),
            job.steps_total.max(1)
        ),
        JobStatus::Done => "Insights are ready. Review and edit them before applying.".into(),
        JobStatus::Failed => "Generation failed.".into(),
    }
}

fn lines(items: &[String]) -> String {
    items.join("\n")
}

fn from_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The insights card on the session page. `applied` is bumped when the coach applies them, so
/// the page reloads the summary and action items.
#[component]
pub fn InsightsCard(
    session_id: String,
    has_transcript: bool,
    applied: RwSignal<u32>,
) -> impl IntoView {
    let status = resource(|| (), |_| get_ai_status());
    let generate = ServerAction::<GenerateInsights>::new();
    let tick = RwSignal::new(0u32);
    let id = session_id.clone();
    let insights = resource(
        move || (id.clone(), tick.get(), generate.version().get()),
        |(id, ..)| get_session_insights(id),
    );
    // Poll while the job is queued or running.
    Effect::new(move |_| {
        if let Some(Ok(state)) = insights.get() {
            if state
                .job
                .as_ref()
                .is_some_and(|job| job.status.is_pending())
            {
                set_timeout(
                    move || tick.update(|n| *n += 1),
                    std::time::Duration::from_millis(600),
                );
            }
        }
    });
    view! {
        <section class="card" data-testid=testids::INSIGHTS_CARD>
            <h2>"AI insights"</h2>
            {loaded(status, move |status| {
                let session_id = session_id.clone();
                if !status.configured {
                    return view! { <AiHelp /> }.into_any();
                }
                view! {
                    <p class="muted">{format!("Drawn from the transcript by {} on {}. Names and emails are replaced before anything is sent; nothing reaches the client until you apply and share it.", status.chat_model, status.server)}</p>
                    {(!has_transcript).then(|| view! { <p class="muted">"Add a transcript first."</p> })}
                    // Everything that depends on the job renders from the loaded state, so the
                    // server and the browser agree while hydrating.
                    // A transition, so polling keeps the last state on screen.
                    <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                        {move || {
                            let session_id = session_id.clone();
                            Suspend::new(async move {
                                match insights.await {
                                    Ok(state) => view! { <InsightsState session_id state has_transcript generate applied /> }.into_any(),
                                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                                }
                            })
                        }}
                    </Transition>
                }.into_any()
            })}
        </section>
    }
    .into_any()
}

/// The generate/retry button, the job's status and progress, and the editor once ready.
#[component]
fn InsightsState(
    session_id: String,
    state: SessionInsights,
    has_transcript: bool,
    generate: ServerAction<GenerateInsights>,
    applied: RwSignal<u32>,
) -> impl IntoView {
    let job = state.job.clone();
    let pending = job.as_ref().is_some_and(|j| j.status.is_pending());
    let label = match job.as_ref().map(|j| j.status) {
        Some(JobStatus::Failed) => "Retry",
        Some(JobStatus::Done) => "Generate again",
        _ => "Generate insights",
    };
    let generate_id = session_id.clone();
    view! {
        <button type="button" data-testid=testids::INSIGHTS_GENERATE
            disabled=move || !has_transcript || pending || generate.pending().get()
            on:click=move |_| { generate.dispatch(GenerateInsights { session_id: generate_id.clone() }); }>
            {label}
        </button>
        <FormError message=Signal::derive(move || error_text(generate.value().get())) />
        {job.map(|job| {
            let total = job.steps_total.max(1);
            view! {
                <p data-testid=testids::INSIGHTS_STATUS data-status=job.status.as_str()>{job_line(&job)}</p>
                {job.status.is_pending().then(|| view! {
                    <progress data-testid=testids::INSIGHTS_PROGRESS max=total.to_string() value=job.steps_done.to_string()
                        aria-label="Insights progress"></progress>
                })}
                {job.error.clone().map(|error| view! { <p class="error" role="alert" data-testid=testids::INSIGHTS_ERROR>{error}</p> })}
            }
        })}
        {match state.insights {
            Some(found) if !pending => Some(view! {
                <InsightsEditor session_id insights=found applied_at=state.applied_at applied />
            }),
            _ => None,
        }}
    }
    .into_any()
}

/// The coach's review of the insights: every part editable, suggestions picked one by one.
#[component]
fn InsightsEditor(
    session_id: String,
    insights: Insights,
    applied_at: Option<i64>,
    applied: RwSignal<u32>,
) -> impl IntoView {
    let save = ServerAction::<SaveInsights>::new();
    let apply = ServerAction::<ApplyInsights>::new();
    let summary = RwSignal::new(insights.summary.clone());
    let themes = RwSignal::new(lines(&insights.themes));
    let progress = RwSignal::new(lines(&insights.progress));
    let concerns = RwSignal::new(lines(&insights.concerns));
    let suggestions: Vec<(RwSignal<String>, RwSignal<bool>, SuggestedAction)> = insights
        .action_items
        .iter()
        .map(|a| {
            (
                RwSignal::new(a.text.clone()),
                RwSignal::new(true),
                a.clone(),
            )
        })
        .collect();
    let picks = suggestions.clone();
    let current = move || Insights {
        summary: summary.get_untracked(),
        themes: from_lines(&themes.get_untracked()),
        progress: from_lines(&progress.get_untracked()),
        concerns: from_lines(&concerns.get_untracked()),
        action_items: picks
            .iter()
            .map(|(text, _, original)| SuggestedAction {
                text: text.get_untracked(),
                ..original.clone()
            })
            .collect(),
    };
    let chosen = {
        let picks = suggestions.clone();
        move || {
            picks
                .iter()
                .enumerate()
                .filter(|(_, (_, picked, _))| picked.get_untracked())
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        }
    };
    Effect::new(move |_| {
        if let Some(Ok(())) = apply.value().get() {
            applied.update(|n| *n += 1);
        }
    });
    let (save_current, apply_current) = (current.clone(), current);
    let (save_id, apply_id) = (session_id.clone(), session_id);
    let area = |label: &'static str, value: RwSignal<String>, testid: &'static str| {
        view! {
            <label>{label}
                <textarea rows="3" data-testid=testid prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))></textarea>
            </label>
        }
    };
    view! {
        {applied_at.map(|at| view! { <p class="ok" data-testid=testids::INSIGHTS_APPLIED>{format!("Applied to the session on {}.", clock().day_time(at))}</p> })}
        <label>"Summary (becomes the session summary; shared only when you share it)"
            <textarea rows="4" data-testid=testids::INSIGHTS_SUMMARY prop:value=move || summary.get()
                on:input=move |ev| summary.set(event_target_value(&ev))></textarea>
        </label>
        <div class="grid">
            {area("Key themes (one per line)", themes, testids::INSIGHTS_THEMES)}
            {area("Progress noted", progress, "insights-progress-noted")}
            {area("Concerns (private to you)", concerns, "insights-concerns")}
        </div>
        <h3>"Suggested action items"</h3>
        {suggestions.is_empty().then(|| view! { <p class="muted">"None suggested."</p> })}
        <ul class="list">
            {suggestions.into_iter().map(|(text, picked, original)| {
                let due = original.due_date.clone().map(|d| format!(" · due {}", clock().calendar_day(&d))).unwrap_or_default();
                view! {
                    <li data-testid=testids::INSIGHTS_SUGGESTION>
                        <input type="checkbox" aria-label="Add this action item" data-testid=testids::INSIGHTS_SUGGESTION_PICK
                            prop:checked=move || picked.get() on:change=move |ev| picked.set(event_target_checked(&ev)) />
                        <input class="grow" aria-label="Action item" maxlength="300" prop:value=move || text.get()
                            on:input=move |ev| text.set(event_target_value(&ev)) />
                        <small class="muted">{format!("{}{due}", original.owner.label())}</small>
                    </li>
                }
            }).collect_view()}
        </ul>
        <FormError message=Signal::derive(move || error_text(save.value().get()).or_else(|| error_text(apply.value().get()))) />
        <div class="row">
            <button type="button" class="secondary" data-testid=testids::INSIGHTS_SAVE
                on:click=move |_| { save.dispatch(SaveInsights { session_id: save_id.clone(), insights: save_current() }); }>
                {move || if matches!(save.value().get(), Some(Ok(()))) { "Saved" } else { "Save edits" }}
            </button>
            <button type="button" data-testid=testids::INSIGHTS_APPLY disabled=move || apply.pending().get()
                on:click=move |_| { apply.dispatch(ApplyInsights { session_id: apply_id.clone(), insights: apply_current(), actions: chosen() }); }>
                "Apply summary and ticked action items"
            </button>
        </div>
    }
}

/// "Draft with AI" on the check-in review page: fills `reply` with a draft to edit. The draft is
/// only saved if the coach sends it.
#[component]
pub fn DraftReplyButton(checkin_id: String, reply: RwSignal<String>) -> impl IntoView {
    let status = resource(|| (), |_| get_ai_status());
    let draft = Action::new(move |id: &String| draft_checkin_reply(id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(text)) = draft.value().get() {
            reply.set(text);
        }
    });
    loaded(status, move |status| {
        let id = checkin_id.clone();
        if !status.configured {
            return view! { <AiHelp /> }.into_any();
        }
        view! {
            <div class="row">
                <button type="button" class="secondary" data-testid=testids::REPLY_DRAFT disabled=move || draft.pending().get()
                    on:click=move |_| { draft.dispatch(id.clone()); }>
                    {move || if draft.pending().get() { "Drafting…" } else { "Draft with AI" }}
                </button>
                <small class="muted">"A first draft in your voice, from this check-in, the client's goals and plans, and your recent replies. Nothing is saved until you send it."</small>
            </div>
            <p class="error" role="alert" data-testid=testids::REPLY_DRAFT_ERROR>{move || error_text(draft.value().get())}</p>
        }
        .into_any()
    })
}

/// The per-client AI switch on the client's page.
#[component]
pub fn ClientAiToggle(client_id: String) -> impl IntoView {
    let set = ServerAction::<SetClientAi>::new();
    let id = client_id.clone();
    let enabled = resource(
        move || (id.clone(), set.version().get()),
        |(id, _)| client_ai_enabled(id),
    );
    loaded(enabled, move |on| {
        let id = client_id.clone();
        view! {
            <label class="row">
                <input type="checkbox" data-testid=testids::CLIENT_AI_TOGGLE checked=on
                    on:change=move |ev| { set.dispatch(SetClientAi { client_id: id.clone(), enabled: event_target_checked(&ev) }); } />
                "Use AI for this client (insights and reply drafts). Off, nothing about them is sent to the AI server."
            </label>
        }
    })
}

#[component]
fn CallRows(calls: Vec<AiCall>) -> impl IntoView {
    view! {
        <table data-testid=testids::AI_CALLS>
            <thead><tr>
                <th>"When"</th><th>"What"</th><th>"Client"</th>
                <th>"Model"</th><th>"Tokens in / out"</th><th>"Result"</th>
            </tr></thead>
            <tbody>
                {calls.into_iter().map(|call| view! {
                    <tr data-testid=testids::AI_CALL_ROW>
                        <td>{when(&clock(), call.at, DateStyle::DayTime)}</td>
                        <td>{call.purpose.label()}</td>
                        <td>{call.client_name.clone()}</td>
                        <td>{call.model.clone()}</td>
                        <td>{format!("{} / {}", call.prompt_tokens, call.completion_tokens)}</td>
                        <td>{call.error.clone().unwrap_or_else(|| "OK".into())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// `/coach/ai`: whether AI is set up, and what each AI call used (its record is the access log).
#[component]
pub fn AiPage() -> impl IntoView {
    let status = resource(|| (), |_| get_ai_status());
    let calls = resource(|| (), |_| ai_calls());
    view! {
        <Title text="AI · Coachroom" />
        <RequireRole role=Role::Coach />
        <section class="card">
            <h1>"AI"</h1>
            {loaded(status, |status| if status.configured {
                view! { <p>{format!("AI is on: {} for insights and drafts, {} for audio, at {}. Names and emails are replaced before anything is sent. You can turn AI off for a client on their page.", status.chat_model, status.transcription_model, status.server)}</p> }.into_any()
            } else {
                view! { <AiHelp /> }.into_any()
            })}
        </section>
        <section class="card">
            <h2>"AI usage"</h2>
            <p class="muted">"Each call's tokens and outcome, to see what AI costs you and when it failed. The content is never kept. What AI read, and about whom, is recorded in the access log, which your clients see too."</p>
            <p><a href="/coach/access-log?actor=ai" data-testid=testids::AI_ACCESS_LOG_LINK>"AI in the access log"</a></p>
            {loaded_list(calls, "No AI calls yet.", |calls| view! { <CallRows calls /> })}
        </section>
    }
}
