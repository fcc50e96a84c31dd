//! Meal and workout plans: the coach's templates page, the builders (see `ui::builder`), the
//! plans panel on a client's page, and the client's read-only view in the portal.

use crate::api::plans::{
    activate_meal_plan, activate_workout_plan, copy_meal_plan, copy_workout_plan, create_meal_plan,
    create_workout_plan, delete_meal_plan, delete_workout_plan, get_meal_plan, get_workout_plan,
    meal_plans, my_meal_plan, my_workout_plan, workout_plans, SaveMealPlan, SaveWorkoutPlan,
};
use crate::domain::{
    format_number, move_item, totals_against, ExerciseDraft, FoodDraft, LoadUnit, MealDayDraft,
    MealDraft, MealPlan, PlanDoc, PlanSummary, Role, WorkoutPlan, WorkoutSessionDraft,
};
use crate::testids;
use crate::ui::auth::FormError;
use crate::ui::builder::{select_input, text_area, text_input, DraftEditor, ItemControls};
use crate::ui::coach::RequireRole;
use crate::ui::resource;
use crate::ui::{error_text, loaded, loaded_list, ConfirmButton};
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

/// Which kind of plan a shared component works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Meal,
    Workout,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Self::Meal => "meal",
            Self::Workout => "workout",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Meal => "Meal plans",
            Self::Workout => "Workout plans",
        }
    }

    fn builder_path(self, plan_id: &str) -> String {
        format!("/coach/plans/{}/{plan_id}", self.key())
    }

    /// The create server fn's path: the new-template form posts there before the app loads.
    fn create_path(self) -> &'static str {
        match self {
            Self::Meal => <crate::api::plans::CreateMealPlan as server_fn::ServerFn>::PATH,
            Self::Workout => <crate::api::plans::CreateWorkoutPlan as server_fn::ServerFn>::PATH,
        }
    }

    fn pdf_path(self, plan_id: &str) -> String {
        format!("/api/{}_plans/{plan_id}/pdf", self.key())
    }

    async fn list(self, client_id: String) -> Result<Vec<PlanSummary>, AppError> {
        match self {
            Self::Meal => meal_plans(client_id).await,
            Self::Workout => workout_plans(client_id).await,
        }
    }

    async fn create(self, name: String, client_id: String) -> Result<String, AppError> {
        match self {
            Self::Meal => create_meal_plan(name, client_id).await,
            Self::Workout => create_workout_plan(name, client_id).await,
        }
    }

    async fn copy(self, plan_id: String, client_id: String) -> Result<String, AppError> {
        match self {
            Self::Meal => copy_meal_plan(plan_id, client_id).await,
            Self::Workout => copy_workout_plan(plan_id, client_id).await,
        }
    }

    async fn activate(self, plan_id: String, active: bool) -> Result<(), AppError> {
        match self {
            Self::Meal => activate_meal_plan(plan_id, active).await,
            Self::Workout => activate_workout_plan(plan_id, active).await,
        }
    }

    async fn delete(self, plan_id: String) -> Result<(), AppError> {
        match self {
            Self::Meal => delete_meal_plan(plan_id).await,
            Self::Workout => delete_workout_plan(plan_id).await,
        }
    }
}

/// `/coach/plans`: the coach's meal and workout plan templates.
#[component]
pub fn PlansPage() -> impl IntoView {
    view! {
        <Title text="Plan templates · Coachroom" />
        <RequireRole role=Role::Coach />
        <section data-testid=testids::PLANS_PAGE>
            <h1>"Plan templates"</h1>
            <p class="muted">"Build a plan once, then copy it to clients from their page. Editing a template never changes the copies clients already have."</p>
            <div class="columns even">
                <TemplatesPanel kind=Kind::Meal />
                <TemplatesPanel kind=Kind::Workout />
            </div>
        </section>
    }
}

#[component]
fn TemplatesPanel(kind: Kind) -> impl IntoView {
    let delete = Action::new(move |id: &String| kind.delete(id.clone()));
    let create = Action::new(move |name: &String| kind.create(name.clone(), String::new()));
    let templates = resource(
        move || delete.version().get(),
        move |_| kind.list(String::new()),
    );
    let name = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            use_navigate()(&kind.builder_path(&id), Default::default());
        }
    });
    view! {
        <section class="card" data-testid=testids::PLAN_TEMPLATES data-kind=kind.key()>
            <h2>{kind.label()}</h2>
            {loaded_list(templates, "No templates yet.", move |list| view! {
                <ul class="list">
                    {list.into_iter().map(|plan| {
                        let id = plan.id.clone();
                        let what = format!("the template “{}”", plan.name);
                        view! {
                            <li data-testid=testids::PLAN_ROW>
                                <a class="grow" href=kind.builder_path(&plan.id)>{plan.name.clone()}</a>
                                <a href=kind.pdf_path(&plan.id) download data-testid=testids::PLAN_PDF>"PDF"</a>
                                <ConfirmButton what testid=testids::PLAN_DELETE
                                    on_confirm=Callback::new(move |_| { delete.dispatch(id.clone()); }) />
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            <form class="row" method="post" action=kind.create_path() on:submit=move |ev| {
                ev.prevent_default();
                create.dispatch(name.get_untracked());
            }>
                <input type="hidden" name="client_id" value="" />
                <label class="inline grow">"New template"
                    <input name="name" required maxlength="120" placeholder="Name" data-testid=testids::PLAN_NEW_NAME
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <button type="submit" data-testid=testids::PLAN_NEW_SUBMIT>"Create"</button>
            </form>
            <FormError message=Signal::derive(move || error_text(create.value().get()).or_else(|| error_text(delete.value().get()))) />
        </section>
    }
}

/// The plans panel on a client's page: their plans of both kinds, and copying a template.
#[component]
pub fn ClientPlansPanel(client_id: String) -> impl IntoView {
    view! {
        <section class="card" data-testid=testids::CLIENT_PLANS>
            <h2>"Plans"</h2>
            <p class="muted">"The active plan of each kind is the one your client sees. A client's first plan becomes active; switch with “Show to client”."</p>
            <div class="columns even">
                <ClientPlanList kind=Kind::Meal client_id=client_id.clone() />
                <ClientPlanList kind=Kind::Workout client_id=client_id />
            </div>
        </section>
    }
}

#[component]
fn ClientPlanList(kind: Kind, client_id: String) -> impl IntoView {
    let copy = Action::new(move |(plan, client): &(String, String)| {
        kind.copy(plan.clone(), client.clone())
    });
    let activate =
        Action::new(move |(plan, active): &(String, bool)| kind.activate(plan.clone(), *active));
    let delete = Action::new(move |id: &String| kind.delete(id.clone()));
    let id = client_id.clone();
    let plans = resource(
        move || {
            (
                id.clone(),
                copy.version().get(),
                activate.version().get(),
                delete.version().get(),
            )
        },
        move |(id, ..)| kind.list(id),
    );
    let templates = resource(move || (), move |_| kind.list(String::new()));
    let chosen = RwSignal::new(String::new());
    view! {
        <div data-testid=testids::CLIENT_PLAN_LIST data-kind=kind.key()>
            <h3>{kind.label()}</h3>
            {loaded_list(plans, "None yet.", move |list| view! {
                <ul class="list">
                    {list.into_iter().map(|plan| {
                        let (a, b) = (plan.id.clone(), plan.id.clone());
                        let active = plan.active;
                        let what = format!("“{}”", plan.name);
                        view! {
                            <li data-testid=testids::CLIENT_PLAN_ROW>
                                <div class="grow">
                                    <a href=kind.builder_path(&plan.id)>{plan.name.clone()}</a>" "
                                    {active.then(|| view! { <span class="badge" data-testid=testids::CLIENT_PLAN_ACTIVE>"Active"</span> })}
                                    {plan.template_name.clone().map(|t| view! { <small class="muted">{format!(" from “{t}”")}</small> })}
                                </div>
                                <button type="button" class="secondary" data-testid=testids::CLIENT_PLAN_ACTIVATE
                                    on:click=move |_| { activate.dispatch((a.clone(), !active)); }>
                                    {if active { "Hide from client" } else { "Show to client" }}
                                </button>
                                <a href=kind.pdf_path(&plan.id) download data-testid=testids::PLAN_PDF>"PDF"</a>
                                <ConfirmButton what testid=testids::PLAN_DELETE
                                    on_confirm=Callback::new(move |_| { delete.dispatch(b.clone()); }) />
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            <Suspense fallback=|| ()>
                {move || {
                    let client_id = client_id.clone();
                    Suspend::new(async move {
                        let templates = templates.await.unwrap_or_default();
                        if templates.is_empty() {
                            return view! { <p class="muted">"Create templates under "<a href="/coach/plans">"Plans"</a>" to copy them here."</p> }.into_any();
                        }
                        chosen.set(templates[0].id.clone());
                        view! {
                            <div class="row">
                                <label class="inline grow">"Template"
                                    <select data-testid=testids::PLAN_ASSIGN_SELECT on:change=move |ev| chosen.set(event_target_value(&ev))>
                                        {templates.into_iter().map(|t| view! { <option value=t.id>{t.name}</option> }).collect_view()}
                                    </select>
                                </label>
                                <button type="button" data-testid=testids::PLAN_ASSIGN_SUBMIT
                                    on:click=move |_| { copy.dispatch((chosen.get_untracked(), client_id.clone())); }>"Copy to client"</button>
                            </div>
                        }.into_any()
                    })
                }}
            </Suspense>
            <FormError message=Signal::derive(move || {
                error_text(copy.value().get())
                    .or_else(|| error_text(activate.value().get()))
                    .or_else(|| error_text(delete.value().get()))
            }) />
        </div>
    }
}

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

/// The builder's frame: name, save, the live check and where to go back to.
#[component]
fn BuilderFrame(
    kind: Kind,
    summary: PlanSummary,
    name: RwSignal<String>,
    /// The draft's problem, if it would be refused.
    #[prop(into)]
    problem: Signal<Option<String>>,
    on_save: Callback<()>,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] saved: Signal<bool>,
    #[prop(into)] error: Signal<Option<String>>,
    children: Children,
) -> impl IntoView {
    let back = match &summary.client_id {
        Some(client_id) => (
            crate::ui::clients::ClientTab::Plans.href(client_id),
            "Back to the client",
        ),
        None => ("/coach/plans".to_owned(), "Back to templates"),
    };
    let whose = if summary.client_id.is_some() {
        "Client's plan"
    } else {
        "Template"
    };
    view! {
        <Title text=format!("{} · Coachroom", summary.name) />
        <section data-testid=testids::PLAN_BUILDER data-kind=kind.key()>
            <p><a href=back.0>{back.1}</a></p>
            <p class="muted">{whose}{summary.template_name.clone().map(|t| format!(", copied from “{t}”"))}</p>
            <label>"Plan name"
                <input value=name.get_untracked() maxlength="120" data-testid=testids::PLAN_NAME
                    on:input=move |ev| name.set(event_target_value(&ev)) />
            </label>
            {children()}
            <div class="save-bar">
                <p class="error" role="status" data-testid=testids::PLAN_CHECK>{move || problem.get()}</p>
                <FormError message=error />
                <div class="row">
                    <button type="button" disabled=move || pending.get() data-testid=testids::PLAN_SAVE
                        on:click=move |_| on_save.run(())>"Save plan"</button>
                    <a href=kind.pdf_path(&summary.id) download data-testid=testids::PLAN_PDF>"Download PDF"</a>
                    <Show when=move || saved.get()>
                        <span class="ok" role="status" data-testid=testids::PLAN_SAVED>"Saved."</span>
                    </Show>
                </div>
            </div>
        </section>
    }
}

/// `/coach/plans/meal/:id`
#[component]
pub fn MealPlanBuilderPage() -> impl IntoView {
    let params = use_params_map();
    let doc = resource(
        move || params.read().get("id").unwrap_or_default(),
        get_meal_plan,
    );
    view! {
        <RequireRole role=Role::Coach />
        {loaded(doc, |doc| view! { <MealPlanEditor doc /> })}
    }
}

#[component]
fn MealPlanEditor(doc: PlanDoc<MealPlan>) -> impl IntoView {
    let ed = DraftEditor::new(doc.body.to_draft());
    let draft = ed.draft;
    let name = RwSignal::new(doc.summary.name.clone());
    let save = ServerAction::<SaveMealPlan>::new();
    let plan_id = doc.summary.id.clone();
    let on_save = Callback::new(move |()| {
        save.dispatch(SaveMealPlan {
            plan_id: plan_id.clone(),
            name: name.get_untracked(),
            plan: draft.get_untracked(),
        });
    });
    let problem = Signal::derive(move || draft.with(|d| d.parse().err().map(|e| e.to_string())));
    let saved = Signal::derive(move || matches!(save.value().get(), Some(Ok(_))));
    view! {
        <BuilderFrame kind=Kind::Meal summary=doc.summary.clone() name problem on_save
            pending=save.pending() saved error=Signal::derive(move || error_text(save.value().get()))>
            {text_area(ed, |d| &mut d.notes, "Notes on the plan", testids::PLAN_NOTES)}
            <fieldset>
                <legend>"Daily targets"</legend>
                <div class="grid">
                    {text_input(ed, |d| &mut d.target_protein, "Protein (g)", testids::PLAN_TARGET_PROTEIN, "")}
                    {text_input(ed, |d| &mut d.target_carbs, "Carbohydrates (g)", testids::PLAN_TARGET_CARBS, "")}
                    {text_input(ed, |d| &mut d.target_fat, "Fat (g)", testids::PLAN_TARGET_FAT, "")}
                    {text_input(ed, |d| &mut d.target_kcal, "Kcal", testids::PLAN_TARGET_KCAL, "")}
                </div>
            </fieldset>
            {move || {
                ed.track_layout();
                let shape: Vec<Vec<usize>> = draft.with_untracked(|d| {
                    d.days.iter().map(|day| day.meals.iter().map(|m| m.foods.len()).collect()).collect()
                });
                shape.into_iter().enumerate().map(|(i, meals)| view! {
                    <fieldset class="plan-day" data-testid=testids::PLAN_DAY>
                        <legend>{format!("Day {}", i + 1)}</legend>
                        <ItemControls what="day"
                            on_up=move || ed.reshape(move |d| move_item(&mut d.days, i, -1))
                            on_down=move || ed.reshape(move |d| move_item(&mut d.days, i, 1))
                            on_remove=move || ed.reshape(move |d| { d.days.remove(i); }) />
                        {text_input(ed, move |d| &mut d.days[i].name, "Day name", testids::PLAN_DAY_NAME, "")}
                        {text_area(ed, move |d| &mut d.days[i].notes, "Notes for the day", testids::PLAN_DAY_NOTES)}
                        <p class="totals" data-testid=testids::PLAN_DAY_TOTALS>
                            "Day total: "
                            {move || draft.with(|d| d.days.get(i).map(|day| totals_against(day.running_totals(), d.running_targets())))}
                        </p>
                        {meals.into_iter().enumerate().map(|(j, foods)| view! {
                            <div class="plan-meal" data-testid=testids::PLAN_MEAL>
                                <div class="row">
                                    {text_input(ed, move |d| &mut d.days[i].meals[j].name, "Meal", testids::PLAN_MEAL_NAME, "grow")}
                                    <ItemControls what="meal"
                                        on_up=move || ed.reshape(move |d| move_item(&mut d.days[i].meals, j, -1))
                                        on_down=move || ed.reshape(move |d| move_item(&mut d.days[i].meals, j, 1))
                                        on_remove=move || ed.reshape(move |d| { d.days[i].meals.remove(j); }) />
                                </div>
                                {text_input(ed, move |d| &mut d.days[i].meals[j].notes, "Meal notes", testids::PLAN_MEAL_NOTES, "")}
                                {(0..foods).map(|k| view! {
                                    <div class="food-row food" data-testid=testids::PLAN_FOOD>
                                        {text_input(ed, move |d| &mut d.days[i].meals[j].foods[k].name, "Food", testids::FOOD_NAME, "cell wide")}
                                        {text_input(ed, move |d| &mut d.days[i].meals[j].foods[k].quantity, "Qty", testids::FOOD_QUANTITY, "cell")}
                                        {text_input(ed, move |d| &mut d.days[i].meals[j].foods[k].unit, "Unit", testids::FOOD_UNIT, "cell")}
                                        {text_input(ed, move |d| &mut d.days[i].meals[j].foods[k].protein, "P (g)", testids::FOOD_PROTEIN, "cell")}
                                        {text_input(ed, move |d| &mut d.days[i].meals[j].foods[k].carbs, "C (g)", testids::FOOD_CARBS, "cell")}
                                        {text_input(ed, move |d| &mut d.days[i].meals[j].foods[k].fat, "F (g)", testids::FOOD_FAT, "cell")}
                                        {text_input(ed, move |d| &mut d.days[i].meals[j].foods[k].kcal, "Kcal", testids::FOOD_KCAL, "cell")}
                                        // On a phone the word gives way to a mark, so a food fits in two rows.
                                        <button type="button" class="link remove" aria-label="Remove this food" data-testid=testids::REMOVE_ITEM
                                            on:click=move |_| ed.reshape(move |d| { d.days[i].meals[j].foods.remove(k); })>
                                            <span class="word">"Remove"</span><span class="mark" aria-hidden="true">"✕"</span>
                                        </button>
                                    </div>
                                }).collect_view()}
                                <div class="row">
                                    <button type="button" class="secondary" data-testid=testids::PLAN_ADD_FOOD
                                        on:click=move |_| ed.reshape(move |d| d.days[i].meals[j].foods.push(FoodDraft { unit: "g".into(), ..Default::default() }))>"Add food"</button>
                                    <span class="totals" data-testid=testids::PLAN_MEAL_TOTALS>
                                        {move || draft.with(|d| d.days.get(i).and_then(|day| day.meals.get(j)).map(|m| format!("Meal total: {}", m.running_totals().label())))}
                                    </span>
                                </div>
                            </div>
                        }).collect_view()}
                        <button type="button" class="secondary" data-testid=testids::PLAN_ADD_MEAL
                            on:click=move |_| ed.reshape(move |d| d.days[i].meals.push(MealDraft::default()))>"Add meal"</button>
                    </fieldset>
                }).collect_view()
            }}
            <button type="button" data-testid=testids::PLAN_ADD_DAY
                on:click=move |_| ed.reshape(|d| {
                    let n = d.days.len() + 1;
                    d.days.push(MealDayDraft { name: format!("Day {n}"), ..Default::default() });
                })>"Add day"</button>
        </BuilderFrame>
    }
    .into_any()
}

/// `/coach/plans/workout/:id`
#[component]
pub fn WorkoutPlanBuilderPage() -> impl IntoView {
    let params = use_params_map();
    let doc = resource(
        move || params.read().get("id").unwrap_or_default(),
        get_workout_plan,
    );
    view! {
        <RequireRole role=Role::Coach />
        {loaded(doc, |doc| view! { <WorkoutPlanEditor doc /> })}
    }
}

fn load_units() -> Vec<(&'static str, &'static str)> {
    LoadUnit::ALL
        .into_iter()
        .map(|u| (u.key(), u.label()))
        .collect()
}

#[component]
fn WorkoutPlanEditor(doc: PlanDoc<WorkoutPlan>) -> impl IntoView {
    let ed = DraftEditor::new(doc.body.to_draft());
    let draft = ed.draft;
    let name = RwSignal::new(doc.summary.name.clone());
    let save = ServerAction::<SaveWorkoutPlan>::new();
    let plan_id = doc.summary.id.clone();
    let on_save = Callback::new(move |()| {
        save.dispatch(SaveWorkoutPlan {
            plan_id: plan_id.clone(),
            name: name.get_untracked(),
            plan: draft.get_untracked(),
        });
    });
    let problem = Signal::derive(move || draft.with(|d| d.parse().err().map(|e| e.to_string())));
    let saved = Signal::derive(move || matches!(save.value().get(), Some(Ok(_))));
    view! {
        <BuilderFrame kind=Kind::Workout summary=doc.summary.clone() name problem on_save
            pending=save.pending() saved error=Signal::derive(move || error_text(save.value().get()))>
            {text_area(ed, |d| &mut d.notes, "Notes on the plan", testids::PLAN_NOTES)}
            {move || {
                ed.track_layout();
                let shape: Vec<usize> = draft.with_untracked(|d| d.sessions.iter().map(|s| s.exercises.len()).collect());
                shape.into_iter().enumerate().map(|(i, exercises)| view! {
                    <fieldset class="plan-day" data-testid=testids::PLAN_SESSION>
                        <legend>{format!("Session {}", i + 1)}</legend>
                        <ItemControls what="session"
                            on_up=move || ed.reshape(move |d| move_item(&mut d.sessions, i, -1))
                            on_down=move || ed.reshape(move |d| move_item(&mut d.sessions, i, 1))
                            on_remove=move || ed.reshape(move |d| { d.sessions.remove(i); }) />
                        <div class="grid">
                            {text_input(ed, move |d| &mut d.sessions[i].name, "Session name", testids::SESSION_NAME, "")}
                            {text_input(ed, move |d| &mut d.sessions[i].day, "Day", testids::SESSION_DAY, "")}
                        </div>
                        {text_area(ed, move |d| &mut d.sessions[i].warm_up, "Warm-up", testids::SESSION_WARM_UP)}
                        {(0..exercises).map(|j| view! {
                            <div class="plan-meal" data-testid=testids::PLAN_EXERCISE>
                                <div class="row">
                                    {text_input(ed, move |d| &mut d.sessions[i].exercises[j].name, "Exercise", testids::EXERCISE_NAME, "grow")}
                                    <ItemControls what="exercise"
                                        on_up=move || ed.reshape(move |d| move_item(&mut d.sessions[i].exercises, j, -1))
                                        on_down=move || ed.reshape(move |d| move_item(&mut d.sessions[i].exercises, j, 1))
                                        on_remove=move || ed.reshape(move |d| { d.sessions[i].exercises.remove(j); }) />
                                </div>
                                <div class="food-row">
                                    {text_input(ed, move |d| &mut d.sessions[i].exercises[j].sets, "Sets", testids::EXERCISE_SETS, "cell")}
                                    {text_input(ed, move |d| &mut d.sessions[i].exercises[j].reps, "Reps", testids::EXERCISE_REPS, "cell")}
                                    {text_input(ed, move |d| &mut d.sessions[i].exercises[j].load, "Load", testids::EXERCISE_LOAD, "cell")}
                                    {select_input(ed, move |d| &mut d.sessions[i].exercises[j].load_unit, "Unit", testids::EXERCISE_LOAD_UNIT, load_units(), false)}
                                    {text_input(ed, move |d| &mut d.sessions[i].exercises[j].tempo, "Tempo", testids::EXERCISE_TEMPO, "cell")}
                                    {select_input(ed, move |d| &mut d.sessions[i].exercises[j].effort_scale, "Effort", testids::EXERCISE_EFFORT_SCALE,
                                        vec![("", "—"), ("rpe", "RPE"), ("rir", "RIR")], false)}
                                    {text_input(ed, move |d| &mut d.sessions[i].exercises[j].effort, "RPE/RIR", testids::EXERCISE_EFFORT, "cell")}
                                    {text_input(ed, move |d| &mut d.sessions[i].exercises[j].rest_secs, "Rest (s)", testids::EXERCISE_REST, "cell")}
                                </div>
                                {text_input(ed, move |d| &mut d.sessions[i].exercises[j].notes, "Notes", testids::EXERCISE_NOTES, "")}
                            </div>
                        }).collect_view()}
                        <button type="button" class="secondary" data-testid=testids::PLAN_ADD_EXERCISE
                            on:click=move |_| ed.reshape(move |d| d.sessions[i].exercises.push(ExerciseDraft { load_unit: "kg".into(), ..Default::default() }))>"Add exercise"</button>
                        {text_area(ed, move |d| &mut d.sessions[i].cool_down, "Cool-down", testids::SESSION_COOL_DOWN)}
                        {text_area(ed, move |d| &mut d.sessions[i].notes, "Session notes", testids::SESSION_NOTES)}
                    </fieldset>
                }).collect_view()
            }}
            <button type="button" data-testid=testids::PLAN_ADD_SESSION
                on:click=move |_| ed.reshape(|d| {
                    let n = d.sessions.len() + 1;
                    d.sessions.push(WorkoutSessionDraft { name: format!("Session {n}"), ..Default::default() });
                })>"Add session"</button>
        </BuilderFrame>
    }
    .into_any()
}

// ---------------------------------------------------------------------------------------------
// Read-only views (portal)
// ---------------------------------------------------------------------------------------------

/// `/portal/plans`: the client's active meal and workout plans.
#[component]
pub fn MyPlansPage() -> impl IntoView {
    let meal = resource(|| (), |_| my_meal_plan());
    let workout = resource(|| (), |_| my_workout_plan());
    view! {
        <Title text="Your plans · Coachroom" />
        <RequireRole role=Role::Client />
        <crate::ui::portal::PortalTabs />
        <h1>"Your plans"</h1>
        {loaded(meal, |doc| match doc {
            Some(doc) => view! { <MealPlanView doc /> }.into_any(),
            None => view! { <section class="card" data-testid=testids::MY_MEAL_PLAN><h2>"Meal plan"</h2><p class="muted">"Your coach has not given you a meal plan yet."</p></section> }.into_any(),
        })}
        {loaded(workout, |doc| match doc {
            Some(doc) => view! { <WorkoutPlanView doc /> }.into_any(),
            None => view! { <section class="card" data-testid=testids::MY_WORKOUT_PLAN><h2>"Workout plan"</h2><p class="muted">"Your coach has not given you a workout plan yet."</p></section> }.into_any(),
        })}
    }
}

#[component]
fn MealPlanView(doc: PlanDoc<MealPlan>) -> impl IntoView {
    let plan = doc.body;
    let targets = plan.targets;
    view! {
        <section class="card" data-testid=testids::MY_MEAL_PLAN>
            <div class="row spread">
                <h2>{format!("Meal plan: {}", doc.summary.name)}</h2>
                <a class="button secondary" href=Kind::Meal.pdf_path(&doc.summary.id) download data-testid=testids::PLAN_PDF>"Download PDF"</a>
            </div>
            {(!plan.notes.is_empty()).then(|| view! { <p class="pre">{plan.notes.clone()}</p> })}
            {(!targets.is_empty()).then(|| view! { <p><strong>"Daily targets: "</strong>{targets.label()}</p> })}
            {plan.days.into_iter().map(|day| view! {
                <div class="plan-day" data-testid=testids::PLAN_DAY>
                    <h3>{day.name.clone()}</h3>
                    <p class="totals" data-testid=testids::PLAN_DAY_TOTALS>"Day total: "{totals_against(day.totals(), targets)}</p>
                    {(!day.notes.is_empty()).then(|| view! { <p class="pre">{day.notes.clone()}</p> })}
                    {day.meals.into_iter().map(|meal| {
                        let totals = meal.totals();
                        view! {
                            // `stack`: on a phone each food is one block (its name, then its
                            // numbers, each labelled), not six columns wider than the screen.
                            <table class="values stack">
                                <caption>{meal.name.clone()}{(!meal.notes.is_empty()).then(|| format!(" — {}", meal.notes))}</caption>
                                <thead><tr><th scope="col">"Food"</th><th scope="col">"Amount"</th><th scope="col">"Protein"</th><th scope="col">"Carbs"</th><th scope="col">"Fat"</th><th scope="col">"Kcal"</th></tr></thead>
                                <tbody>
                                    {meal.foods.into_iter().map(|f| view! {
                                        <tr><td>{f.name}</td><td>{format!("{} {}", format_number(f.quantity), f.unit)}</td>
                                        <td data-label="Protein">{format!("{} g", format_number(f.macros.protein_g))}</td><td data-label="Carbs">{format!("{} g", format_number(f.macros.carbs_g))}</td>
                                        <td data-label="Fat">{format!("{} g", format_number(f.macros.fat_g))}</td><td data-label="Kcal">{format_number(f.macros.kcal.round())}</td></tr>
                                    }).collect_view()}
                                    <tr class="total"><th scope="row">"Total"</th><td></td>
                                        <td data-label="Protein">{format!("{} g", format_number(totals.protein_g))}</td><td data-label="Carbs">{format!("{} g", format_number(totals.carbs_g))}</td>
                                        <td data-label="Fat">{format!("{} g", format_number(totals.fat_g))}</td><td data-label="Kcal">{format_number(totals.kcal.round())}</td></tr>
                                </tbody>
                            </table>
                        }
                    }).collect_view()}
                </div>
            }).collect_view()}
        </section>
    }
    .into_any()
}

#[component]
fn WorkoutPlanView(doc: PlanDoc<WorkoutPlan>) -> impl IntoView {
    let plan = doc.body;
    view! {
        <section class="card" data-testid=testids::MY_WORKOUT_PLAN>
            <div class="row spread">
                <h2>{format!("Workout plan: {}", doc.summary.name)}</h2>
                <a class="button secondary" href=Kind::Workout.pdf_path(&doc.summary.id) download data-testid=testids::PLAN_PDF>"Download PDF"</a>
            </div>
            {(!plan.notes.is_empty()).then(|| view! { <p class="pre">{plan.notes.clone()}</p> })}
            {plan.sessions.into_iter().map(|s| view! {
                <div class="plan-day" data-testid=testids::PLAN_SESSION>
                    <h3>{if s.day.is_empty() { s.name.clone() } else { format!("{} ({})", s.name, s.day) }}</h3>
                    {(!s.warm_up.is_empty()).then(|| view! { <p class="pre"><strong>"Warm-up: "</strong>{s.warm_up.clone()}</p> })}
                    <ol>
                        {s.exercises.into_iter().map(|e| view! {
                            <li data-testid=testids::PLAN_EXERCISE>
                                <strong>{e.name.clone()}</strong>" "<span>{e.prescription()}</span>
                                {(!e.notes.is_empty()).then(|| view! { <br /><small class="muted">{e.notes.clone()}</small> })}
                            </li>
                        }).collect_view()}
                    </ol>
                    {(!s.cool_down.is_empty()).then(|| view! { <p class="pre"><strong>"Cool-down: "</strong>{s.cool_down.clone()}</p> })}
                    {(!s.notes.is_empty()).then(|| view! { <p class="pre muted">{s.notes.clone()}</p> })}
                </div>
            }).collect_view()}
        </section>
    }
    .into_any()
}
