//! Goals on the coach's client page (set, complete, abandon, delete) and in the client's
//! portal (follow progress, log habit goals).

use crate::api::goals::{client_goals, my_goals, CreateGoal, DeleteGoal, LogHabit, SetGoalStatus};
use crate::domain::{Goal, GoalStatus, GoalTarget, Metric, MetricKind};
use crate::testids;
use crate::ui::auth::FormError;
use crate::ui::resource;
use crate::ui::{error_text, reset_form_when, ConfirmButton};
use leptos::prelude::*;

/// One line saying where the goal stands, in the coach's units.
fn summary(goal: &Goal) -> String {
    match &goal.target {
        GoalTarget::Measurement {
            metric,
            target,
            target_date,
        } => {
            let target = metric.format(*target, goal.units);
            let by = target_date
                .as_ref()
                .map(|d| format!(" by {}", crate::ui::clock().calendar_day(d)))
                .unwrap_or_default();
            match goal.current_value {
                Some(now) => format!(
                    "{}: {} now, target {target}{by}",
                    metric.label(),
                    metric.format(now, goal.units)
                ),
                None => format!(
                    "{}: target {target}{by}; no check-in value yet",
                    metric.label()
                ),
            }
        }
        GoalTarget::Habit { per_week } => {
            let done = goal.current_value.unwrap_or(0.0);
            format!("{done} of {per_week} times this week")
        }
    }
}

#[component]
fn GoalProgress(goal: Goal) -> impl IntoView {
    let percent = goal.progress_percent;
    view! {
        <div class="goal-progress">
            <progress max="100" value=percent.unwrap_or(0).to_string() data-testid=testids::GOAL_PROGRESS
                aria-label=format!("{}: {}% done", goal.title, percent.unwrap_or(0))></progress>
            <span>{percent.map(|p| format!("{p}%")).unwrap_or_else(|| "—".into())}</span>
        </div>
        <p class="muted" data-testid=testids::GOAL_SUMMARY>{summary(&goal)}</p>
    }
}

fn status_badge(status: GoalStatus) -> Option<impl IntoView> {
    (status != GoalStatus::Active)
        .then(|| view! { <span class="badge muted">{status.label()}</span> })
}

/// The goals panel on the coach's client page.
#[component]
pub fn ClientGoalsPanel(client_id: String) -> impl IntoView {
    let user = crate::ui::current_user();
    let create = ServerAction::<CreateGoal>::new();
    let set_status = ServerAction::<SetGoalStatus>::new();
    let delete = ServerAction::<DeleteGoal>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    reset_form_when(form, move || matches!(create.value().get(), Some(Ok(_))));
    let id = client_id.clone();
    let goals = resource(
        move || {
            (
                id.clone(),
                create.version().get(),
                set_status.version().get(),
                delete.version().get(),
            )
        },
        |(id, _, _, _)| client_goals(id),
    );
    let measurable = Metric::ALL
        .into_iter()
        .filter(|m| m.kind() != MetricKind::Rating);
    view! {
        <section class="card" data-testid=testids::GOALS>
            <h2>"Goals"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    // Dates below read the viewer's clock.
                    user.clock().await;
                    match goals.await {
                        Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted" data-testid=testids::GOALS_EMPTY>"No goals yet. Set one below."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="list goals">
                                {list.into_iter().map(|goal| {
                                    let (a, b, c, d) = (goal.id.clone(), goal.id.clone(), goal.id.clone(), goal.id.clone());
                                    let what = format!("“{}”", goal.title);
                                    let status = goal.status;
                                    view! {
                                        <li data-testid=testids::GOAL_ROW>
                                            <div class="grow">
                                                <strong>{goal.title.clone()}</strong>" "{status_badge(status)}
                                                <GoalProgress goal=goal.clone() />
                                            </div>
                                            <div class="row">
                                                {(status == GoalStatus::Active).then(|| view! {
                                                    <button type="button" class="secondary" data-testid=testids::GOAL_COMPLETE
                                                        on:click=move |_| { set_status.dispatch(SetGoalStatus { goal_id: a.clone(), status: "completed".into() }); }>"Completed"</button>
                                                    <button type="button" class="secondary" data-testid=testids::GOAL_ABANDON
                                                        on:click=move |_| { set_status.dispatch(SetGoalStatus { goal_id: b.clone(), status: "abandoned".into() }); }>"Abandon"</button>
                                                })}
                                                {(status != GoalStatus::Active).then(|| view! {
                                                    <button type="button" class="secondary" data-testid=testids::GOAL_REACTIVATE
                                                        on:click=move |_| { set_status.dispatch(SetGoalStatus { goal_id: c.clone(), status: "active".into() }); }>"Reactivate"</button>
                                                })}
                                                <ConfirmButton what testid=testids::GOAL_DELETE
                                                    on_confirm=Callback::new(move |_| { delete.dispatch(DeleteGoal { goal_id: d.clone() }); }) />
                                            </div>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <FormError message=Signal::derive(move || error_text(set_status.value().get()).or_else(|| error_text(delete.value().get()))) />
            <h3>"Set a goal"</h3>
            <ActionForm action=create node_ref=form>
                <input type="hidden" name="client_id" value=client_id.clone() />
                <div class="grid">
                    <label>"Goal" <input name="title" required maxlength="120" placeholder="Lose 5 kg for the wedding"
                        data-testid=testids::GOAL_FORM_TITLE /></label>
                    <label>"Type"
                        <select name="kind" data-testid=testids::GOAL_FORM_KIND>
                            <option value="measurement">"A measurement"</option>
                            <option value="habit">"A weekly habit"</option>
                        </select>
                    </label>
                    <label class="goal-measurement">"Measurement"
                        <select name="metric" data-testid=testids::GOAL_FORM_METRIC>
                            {measurable.map(|m| view! { <option value=m.key()>{m.label()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="goal-measurement">"Target (in your workspace units)"
                        <input name="target" inputmode="decimal" data-testid=testids::GOAL_FORM_TARGET />
                    </label>
                    <label class="goal-measurement">"Target date (optional)"
                        <input name="target_date" type="date" data-testid=testids::GOAL_FORM_DATE />
                    </label>
                    <label class="goal-habit">"Times a week"
                        <input name="per_week" inputmode="numeric" data-testid=testids::GOAL_FORM_PER_WEEK />
                    </label>
                </div>
                <FormError message=Signal::derive(move || error_text(create.value().get())) />
                <button type="submit" disabled=move || create.pending().get() data-testid=testids::GOAL_FORM_SUBMIT>"Set goal"</button>
            </ActionForm>
        </section>
    }
}

/// The client's goals in the portal; habit goals take this week's count.
#[component]
pub fn MyGoalsPanel() -> impl IntoView {
    let user = crate::ui::current_user();
    let log = ServerAction::<LogHabit>::new();
    let goals = resource(move || log.version().get(), |_| my_goals());
    view! {
        <section class="card" data-testid=testids::GOALS>
            <h2>"Your goals"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    // Dates below read the viewer's clock.
                    user.clock().await;
                    match goals.await {
                        Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted" data-testid=testids::GOALS_EMPTY>"Your coach has not set any goals yet."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="list goals">
                                {list.into_iter().map(|goal| {
                                    let habit = matches!(goal.target, GoalTarget::Habit { .. }) && goal.status == GoalStatus::Active;
                                    let done = goal.current_value.unwrap_or(0.0);
                                    let id = goal.id.clone();
                                    view! {
                                        <li data-testid=testids::GOAL_ROW>
                                            <div class="grow">
                                                <strong>{goal.title.clone()}</strong>" "{status_badge(goal.status)}
                                                <GoalProgress goal=goal.clone() />
                                            </div>
                                            {habit.then(|| view! {
                                                <ActionForm action=log attr:class="row">
                                                    <input type="hidden" name="goal_id" value=id.clone() />
                                                    <label class="inline">"Times this week"
                                                        <input name="times_done" type="number" min="0" max="100" value=done.to_string()
                                                            class="short" data-testid=testids::GOAL_LOG_TIMES />
                                                    </label>
                                                    <button type="submit" class="secondary" data-testid=testids::GOAL_LOG_SAVE>"Save"</button>
                                                </ActionForm>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <FormError message=Signal::derive(move || error_text(log.value().get())) />
        </section>
    }
}
