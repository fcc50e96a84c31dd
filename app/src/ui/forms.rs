//! Forms: the coach's templates page and builder, the forms panel on a client's page, the
//! client's list and fill-in page, and the fields and answers shared with check-ins.

use crate::api::forms::{
    client_checkin_form, create_form, delete_form, form_responses, get_form, list_forms, my_form,
    my_forms, AssignForm, SaveForm, SetCheckinForm, SubmitForm,
};
use crate::domain::{
    move_item, FieldDraft, FieldType, FilledForm, FormDefinition, FormDoc, FormField, FormKind,
    RawAnswers, ResponseStatus, Role,
};
use crate::testids;
use crate::ui::auth::FormError;
use crate::ui::builder::{select_input, text_area, text_input, DraftEditor, ItemControls};
use crate::ui::coach::RequireRole;
use crate::ui::resource;
use crate::ui::{clock, error_text, loaded, loaded_list, ConfirmButton};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};
use std::collections::BTreeMap;

/// The create server fn's path: the new-form form posts there before the app loads.
const CREATE_FORM_PATH: &str = <crate::api::forms::CreateForm as server_fn::ServerFn>::PATH;

/// `/coach/forms`: the coach's form templates.
#[component]
pub fn FormsPage() -> impl IntoView {
    let delete = Action::new(|id: &String| delete_form(id.clone()));
    let create =
        Action::new(|(name, kind): &(String, String)| create_form(name.clone(), kind.clone()));
    let forms = resource(move || delete.version().get(), |_| list_forms());
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(FormKind::Intake.key().to_owned());
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            use_navigate()(&format!("/coach/forms/{id}"), Default::default());
        }
    });
    view! {
        <Title text="Forms · Coachroom" />
        <RequireRole role=Role::Coach />
        <section class="card" data-testid=testids::FORMS_PAGE>
            <h1>"Forms"</h1>
            <p class="muted">"Intake forms and questionnaires are given to clients from their page. A check-in form is answered with every check-in."</p>
            {loaded_list(forms, "No forms yet.", move |list| view! {
                            <ul class="list">
                                {list.into_iter().map(|form| {
                                    let id = form.id.clone();
                                    let what = format!("the form “{}”", form.name);
                                    view! {
                                        <li data-testid=testids::FORM_ROW>
                                            <a class="grow" href=format!("/coach/forms/{}", form.id)>{form.name.clone()}</a>
                                            <span class="badge muted">{form.kind.label()}</span>
                                            <span class="muted">{format!("{} fields", form.field_count)}</span>
                                            <ConfirmButton what testid=testids::FORM_DELETE
                                                on_confirm=Callback::new(move |_| { delete.dispatch(id.clone()); }) />
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        })}
            <h2>"New form"</h2>
            <form class="row" method="post" action=CREATE_FORM_PATH on:submit=move |ev| {
                ev.prevent_default();
                create.dispatch((name.get_untracked(), kind.get_untracked()));
            }>
                <label class="inline grow">"Name"
                    <input name="name" required maxlength="120" data-testid=testids::FORM_NEW_NAME on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <label class="inline">"Type"
                    <select name="kind" data-testid=testids::FORM_NEW_KIND on:change=move |ev| kind.set(event_target_value(&ev))>
                        {FormKind::ALL.into_iter().map(|k| view! { <option value=k.key()>{k.label()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" data-testid=testids::FORM_NEW_SUBMIT>"Create"</button>
            </form>
            <FormError message=Signal::derive(move || error_text(create.value().get()).or_else(|| error_text(delete.value().get()))) />
        </section>
    }
}

/// `/coach/forms/:id`
#[component]
pub fn FormBuilderPage() -> impl IntoView {
    let params = use_params_map();
    let doc = resource(
        move || params.read().get("id").unwrap_or_default(),
        get_form,
    );
    view! {
        <RequireRole role=Role::Coach />
        {loaded(doc, |doc| view! { <FormEditor doc /> })}
    }
}

fn field_types() -> Vec<(&'static str, &'static str)> {
    FieldType::ALL
        .into_iter()
        .map(|t| (t.key(), t.label()))
        .collect()
}

#[component]
fn FormEditor(doc: FormDoc) -> impl IntoView {
    let ed = DraftEditor::new(doc.definition.to_draft());
    let draft = ed.draft;
    let save = ServerAction::<SaveForm>::new();
    let form_id = doc.id.clone();
    let problem = Signal::derive(move || draft.with(|d| d.parse().err().map(|e| e.to_string())));
    let kinds = FormKind::ALL
        .into_iter()
        .map(|k| (k.key(), k.label()))
        .collect();
    view! {
        <Title text=format!("{} · Coachroom", doc.definition.name) />
        <section data-testid=testids::FORM_BUILDER>
            <p><a href="/coach/forms">"Back to forms"</a></p>
            <div class="row">
                {text_input(ed, |d| &mut d.name, "Form name", testids::FORM_NAME, "cell grow")}
                {select_input(ed, |d| &mut d.kind, "Type", testids::FORM_KIND, kinds, false)}
            </div>
            {text_area(ed, |d| &mut d.description, "Description (shown to the client)", testids::FORM_DESCRIPTION)}
            {move || {
                ed.track_layout();
                let types: Vec<String> = draft.with_untracked(|d| d.fields.iter().map(|f| f.field_type.clone()).collect());
                types.into_iter().enumerate().map(|(i, field_type)| {
                    let required = draft.with_untracked(|d| d.fields[i].required);
                    let is_number = field_type == FieldType::Number.key();
                    let has_options = field_type == FieldType::SingleChoice.key() || field_type == FieldType::MultiChoice.key();
                    view! {
                        <fieldset class="plan-day" data-testid=testids::FORM_FIELD>
                            <legend>{format!("Field {}", i + 1)}</legend>
                            <div class="row">
                                {text_input(ed, move |d| &mut d.fields[i].label, "Question or heading", testids::FIELD_LABEL, "cell grow")}
                                {select_input(ed, move |d| &mut d.fields[i].field_type, "Type", testids::FIELD_TYPE, field_types(), true)}
                                <label class="inline">
                                    <input type="checkbox" prop:checked=required data-testid=testids::FIELD_REQUIRED
                                        on:change=move |ev| { let on = event_target_checked(&ev); draft.update(|d| d.fields[i].required = on); } />
                                    "Required"
                                </label>
                            </div>
                            {text_input(ed, move |d| &mut d.fields[i].help, "Help text (optional)", testids::FIELD_HELP, "")}
                            {is_number.then(|| view! {
                                <div class="row">
                                    {text_input(ed, move |d| &mut d.fields[i].min, "Minimum", testids::FIELD_MIN, "cell")}
                                    {text_input(ed, move |d| &mut d.fields[i].max, "Maximum", testids::FIELD_MAX, "cell")}
                                    {text_input(ed, move |d| &mut d.fields[i].unit, "Unit", testids::FIELD_UNIT, "cell")}
                                </div>
                            })}
                            {has_options.then(|| text_area(ed, move |d| &mut d.fields[i].options, "Options, one per line", testids::FIELD_OPTIONS))}
                            <ItemControls what="field"
                                on_up=move || ed.reshape(move |d| move_item(&mut d.fields, i, -1))
                                on_down=move || ed.reshape(move |d| move_item(&mut d.fields, i, 1))
                                on_remove=move || ed.reshape(move |d| { d.fields.remove(i); }) />
                        </fieldset>
                    }
                }).collect_view()
            }}
            <button type="button" class="secondary" data-testid=testids::FORM_ADD_FIELD
                on:click=move |_| ed.reshape(|d| d.fields.push(FieldDraft { field_type: FieldType::Text.key().into(), ..Default::default() }))>"Add field"</button>
            <div class="save-bar">
                <p class="error" role="status" data-testid=testids::FORM_CHECK>{move || problem.get()}</p>
                <FormError message=Signal::derive(move || error_text(save.value().get())) />
                <div class="row">
                    <button type="button" disabled=move || save.pending().get() data-testid=testids::FORM_SAVE
                        on:click=move |_| { save.dispatch(SaveForm { form_id: form_id.clone(), form: draft.get_untracked() }); }>"Save form"</button>
                    <Show when=move || matches!(save.value().get(), Some(Ok(_)))>
                        <span class="ok" role="status" data-testid=testids::FORM_SAVED>"Saved."</span>
                    </Show>
                </div>
            </div>
        </section>
    }
    .into_any()
}

/// The forms panel on a client's page: give a form, choose the check-in form, read answers.
#[component]
pub fn ClientFormsPanel(client_id: String) -> impl IntoView {
    let assign = ServerAction::<AssignForm>::new();
    let set_checkin = ServerAction::<SetCheckinForm>::new();
    let forms = resource(|| (), |_| list_forms());
    let id = client_id.clone();
    let current_checkin_form = resource(
        move || (id.clone(), set_checkin.version().get()),
        |(id, _)| client_checkin_form(id),
    );
    let id = client_id.clone();
    let responses = resource(
        move || (id.clone(), assign.version().get()),
        |(id, _)| form_responses(id, String::new()),
    );
    let to_give = RwSignal::new(String::new());
    let checkin_choice = RwSignal::new(String::new());
    let (a, b) = (client_id.clone(), client_id.clone());
    view! {
        <section class="card" data-testid=testids::CLIENT_FORMS>
            <h2>"Forms"</h2>
            <Suspense fallback=|| ()>
                {move || {
                    let (a, b) = (a.clone(), b.clone());
                    Suspend::new(async move {
                        let forms = forms.await.unwrap_or_default();
                        let current = current_checkin_form.await.ok().flatten().unwrap_or_default();
                        if forms.is_empty() {
                            return view! { <p class="muted">"Build forms under "<a href="/coach/forms">"Forms"</a>" to give them to clients."</p> }.into_any();
                        }
                        to_give.set(forms[0].id.clone());
                        checkin_choice.set(current.clone());
                        let checkin_forms: Vec<_> = forms.iter().filter(|f| f.kind == FormKind::Checkin).cloned().collect();
                        view! {
                            <div class="row">
                                <label class="inline grow">"Give a form"
                                    <select data-testid=testids::FORM_ASSIGN_SELECT on:change=move |ev| to_give.set(event_target_value(&ev))>
                                        {forms.into_iter().map(|f| view! { <option value=f.id>{format!("{} ({})", f.name, f.kind.label())}</option> }).collect_view()}
                                    </select>
                                </label>
                                <button type="button" data-testid=testids::FORM_ASSIGN_SUBMIT
                                    on:click=move |_| { assign.dispatch(AssignForm { form_id: to_give.get_untracked(), client_id: a.clone() }); }>"Give to client"</button>
                            </div>
                            <div class="row">
                                <label class="inline grow">"Check-in form"
                                    <select data-testid=testids::CHECKIN_FORM_SELECT on:change=move |ev| checkin_choice.set(event_target_value(&ev))>
                                        <option value="" selected=current.is_empty()>"None: the standard check-in only"</option>
                                        {checkin_forms.into_iter().map(|f| {
                                            let selected = f.id == current;
                                            view! { <option value=f.id selected=selected>{f.name}</option> }
                                        }).collect_view()}
                                    </select>
                                </label>
                                <button type="button" class="secondary" data-testid=testids::CHECKIN_FORM_SAVE
                                    on:click=move |_| { set_checkin.dispatch(SetCheckinForm { client_id: b.clone(), form_id: checkin_choice.get_untracked() }); }>"Use for check-ins"</button>
                            </div>
                        }.into_any()
                    })
                }}
            </Suspense>
            <FormError message=Signal::derive(move || error_text(assign.value().get()).or_else(|| error_text(set_checkin.value().get()))) />
            <Show when=move || matches!(set_checkin.value().get(), Some(Ok(_)))>
                <p class="ok" role="status">"Check-in form saved."</p>
            </Show>
            {loaded_list(responses, "No forms given yet.", move |list| view! {
                            <ul class="list">
                                {list.into_iter().map(|r| {
                                    let submitted = r.status == ResponseStatus::Submitted;
                                    let when = match r.submitted_at {
                                        Some(at) => format!("answered {}", clock().ago(at)),
                                        None => format!("given {}, waiting", clock().ago(r.assigned_at)),
                                    };
                                    let filled = FilledForm { definition: r.definition.clone(), answers: r.answers.clone() };
                                    view! {
                                        <li data-testid=testids::FORM_RESPONSE>
                                            <details class="grow">
                                                <summary>
                                                    <strong>{r.definition.name.clone()}</strong>" "
                                                    <span class=if submitted { "badge" } else { "badge muted" }>{if submitted { "Answered" } else { "Waiting" }}</span>
                                                    " "<small class="muted">{when}</small>
                                                </summary>
                                                {submitted.then(|| view! { <FilledFormView form=filled /> })}
                                            </details>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        })}
        </section>
    }
    .into_any()
}

/// A form's answers: headings and the answered questions, in form order.
#[component]
pub fn FilledFormView(form: FilledForm) -> impl IntoView {
    let rows: Vec<(FormField, Option<String>)> = form
        .definition
        .answered(&form.answers)
        .into_iter()
        .map(|(f, a)| (f.clone(), a))
        .collect();
    view! {
        <dl class="answers" data-testid=testids::FORM_ANSWERS>
            {rows.into_iter().map(|(field, answer)| match answer {
                None => view! { <dt class="heading">{field.label}</dt><dd></dd> }.into_any(),
                Some(answer) => view! { <dt>{field.label}</dt><dd>{answer}</dd> }.into_any(),
            }).collect_view()}
        </dl>
    }
}

/// Errors by field id, each shown at its field (`FormFields`' `errors`).
pub type FieldErrors = RwSignal<BTreeMap<String, String>>;

/// The answers in the form `ev` submits, read from its controls rather than kept as they are
/// typed, so that what was typed before the app loaded counts too. A number or date the browser
/// could not read is [`crate::ui::UNREADABLE`], which its parser refuses.
pub fn answers_in(
    ev: &leptos::ev::SubmitEvent,
    definition: &FormDefinition,
    prefix: &str,
) -> RawAnswers {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let Some(data) = ev
            .target()
            .and_then(|form| form.dyn_into::<web_sys::HtmlFormElement>().ok())
            .and_then(|form| web_sys::FormData::new_with_form(&form).ok())
        else {
            return RawAnswers::new();
        };
        let unreadable = crate::ui::unreadable_inputs(ev);
        definition
            .fields
            .iter()
            .map(|field| {
                let name = format!("{prefix}{}", field.id);
                if unreadable.contains(&name) {
                    return (field.id.clone(), vec![crate::ui::UNREADABLE.to_owned()]);
                }
                let values = data.get_all(&name);
                let values: Vec<String> = values.iter().filter_map(|v| v.as_string()).collect();
                (field.id.clone(), values)
            })
            .filter(|(_, values)| !values.is_empty())
            .collect()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (ev, definition, prefix);
        RawAnswers::new()
    }
}

/// The inputs for a form's fields. Each is named `{prefix}{field id}` (the fill-in page reads them
/// with `answers_in`, a check-in posts them as multipart); with `errors`, each shows its own error
/// under it, until it changes.
#[component]
pub fn FormFields(
    definition: FormDefinition,
    prefix: &'static str,
    #[prop(optional)] errors: Option<FieldErrors>,
) -> impl IntoView {
    // A changed field's error is answered, or shown again at the next send.
    let changed = move |id: &str| {
        if let Some(errors) = errors {
            if errors.with_untracked(|e| e.contains_key(id)) {
                errors.update(|e| {
                    e.remove(id);
                });
            }
        }
    };
    definition.fields.into_iter().map(move |field| {
        let name = format!("{prefix}{}", field.id);
        let id = field.id.clone();
        let error = {
            let id = id.clone();
            Signal::derive(move || errors.and_then(|e| e.with(|e| e.get(&id).cloned())))
        };
        let error_id = format!("{name}-error");
        let invalid = move || error.with(Option::is_some).then_some("true");
        let described_by = {
            let error_id = error_id.clone();
            move || error.with(Option::is_some).then(|| error_id.clone())
        };
        let error_text = errors.map(|_| view! {
            <small class="field-error" id=error_id.clone() hidden=move || error.with(Option::is_none)
                data-testid=testids::FILL_FIELD_ERROR>{move || error.get().unwrap_or_default()}</small>
        });
        let label = if field.required { format!("{} *", field.label) } else { field.label.clone() };
        let help = (!field.help.is_empty()).then(|| view! { <small>{field.help.clone()}</small> });
        let on_input = {
            let id = id.clone();
            move |_: leptos::ev::Event| changed(&id)
        };
        let required = field.required;
        match field.field_type {
            FieldType::Heading => view! { <h3 class="form-heading">{field.label}</h3> }.into_any(),
            FieldType::Text => view! {
                <label data-testid=testids::FILL_FIELD>{label}{help}
                    <input name=name required=required maxlength="500" on:input=on_input
                        aria-invalid=invalid aria-describedby=described_by />{error_text}
                </label>
            }.into_any(),
            FieldType::LongText => view! {
                <label data-testid=testids::FILL_FIELD>{label}{help}
                    <textarea name=name required=required rows="3" on:input=on_input
                        aria-invalid=invalid aria-describedby=described_by></textarea>{error_text}
                </label>
            }.into_any(),
            FieldType::Number => {
                // A label that names its unit already ("Sleep (h)") does not get it twice.
                let unit = if field.unit.is_empty() || field.label.contains(field.unit.as_str()) {
                    String::new()
                } else {
                    format!(" ({})", field.unit)
                };
                view! {
                    <label data-testid=testids::FILL_FIELD>{label}{unit}{help}
                        <input name=name type="number" step="any" required=required min=field.min.map(|v| v.to_string()) max=field.max.map(|v| v.to_string()) on:input=on_input
                            aria-invalid=invalid aria-describedby=described_by />{error_text}
                    </label>
                }.into_any()
            }
            FieldType::Date => view! {
                <label data-testid=testids::FILL_FIELD>{label}{help}
                    <input name=name type="date" required=required on:input=on_input
                        aria-invalid=invalid aria-describedby=described_by />{error_text}
                </label>
            }.into_any(),
            // A row of ten choices, tapped rather than typed.
            FieldType::Rating => view! {
                <fieldset data-testid=testids::FILL_FIELD aria-describedby=described_by>
                    <legend>{label}" "<small class="muted">"(1 = lowest, 10 = highest)"</small></legend>{help}
                    <div class="scale">
                        {(1..=10).map(|n| {
                            let id = id.clone();
                            view! {
                                <label>
                                    <input type="radio" name=name.clone() value=n.to_string() required=required
                                        on:change=move |_| changed(&id) />
                                    <span>{n}</span>
                                </label>
                            }
                        }).collect_view()}
                    </div>
                    {error_text}
                </fieldset>
            }.into_any(),
            FieldType::YesNo | FieldType::SingleChoice => {
                let options: Vec<(String, String)> = if field.field_type == FieldType::YesNo {
                    vec![("yes".into(), "Yes".into()), ("no".into(), "No".into())]
                } else {
                    field.options.iter().map(|o| (o.clone(), o.clone())).collect()
                };
                view! {
                    <fieldset data-testid=testids::FILL_FIELD aria-describedby=described_by>
                        <legend>{label}</legend>{help}
                        {options.into_iter().map(|(value, text)| {
                            let id = id.clone();
                            view! {
                                <label class="inline choice">
                                    <input type="radio" name=name.clone() value=value required=required
                                        on:change=move |_| changed(&id) />
                                    {text}
                                </label>
                            }
                        }).collect_view()}
                        {error_text}
                    </fieldset>
                }.into_any()
            }
            FieldType::MultiChoice => {
                view! {
                    <fieldset data-testid=testids::FILL_FIELD aria-describedby=described_by>
                        <legend>{label}</legend>{help}
                        {field.options.into_iter().map(|option| {
                            let id = id.clone();
                            view! {
                                <label class="inline choice">
                                    <input type="checkbox" name=name.clone() value=option.clone()
                                        on:change=move |_| changed(&id) />
                                    {option}
                                </label>
                            }
                        }).collect_view()}
                        {error_text}
                    </fieldset>
                }.into_any()
            }
        }
    }).collect_view()
}

/// The forms given to the client, on the portal home.
#[component]
pub fn MyFormsPanel() -> impl IntoView {
    let forms = resource(|| (), |_| my_forms());
    view! {
        <section class="card" data-testid=testids::MY_FORMS>
            <h2>"Forms from your coach"</h2>
            {loaded_list(forms, "Nothing to fill in.", move |list| view! {
                            <ul class="list">
                                {list.into_iter().map(|r| {
                                    let waiting = r.status == ResponseStatus::Pending;
                                    view! {
                                        <li data-testid=testids::MY_FORM_ROW>
                                            <span class="grow">{r.definition.name.clone()}" "<span class="badge muted">{r.definition.kind.label()}</span></span>
                                            <a class=if waiting { "button" } else { "button secondary" } href=format!("/portal/forms/{}", r.assignment_id)
                                                data-testid=testids::MY_FORM_OPEN>{if waiting { "Fill in" } else { "View or change answers" }}</a>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        })}
        </section>
    }
}

/// `/portal/forms/:id`: the client fills in a form given to them.
#[component]
pub fn FillFormPage() -> impl IntoView {
    let params = use_params_map();
    let form = resource(move || params.read().get("id").unwrap_or_default(), my_form);
    let submit = ServerAction::<SubmitForm>::new();
    let errors: FieldErrors = RwSignal::new(BTreeMap::new());
    let app_loaded = crate::ui::app_loaded();
    view! {
        <Title text="Form · Coachroom" />
        <RequireRole role=Role::Client />
        <crate::ui::portal::PortalTabs />
        <p><a href="/portal">"Back to your portal"</a></p>
        {loaded(form, move |r| {
                        let assignment_id = r.assignment_id.clone();
                        let answered = r.status == ResponseStatus::Submitted;
                        let definition = r.definition.clone();
                        let previous = FilledForm { definition: r.definition.clone(), answers: r.answers.clone() };
                        view! {
                            <section class="card" data-testid=testids::FILL_FORM>
                                <h1>{r.definition.name.clone()}</h1>
                                {(!r.definition.description.is_empty()).then(|| view! { <p class="pre">{r.definition.description.clone()}</p> })}
                                {answered.then(|| view! {
                                    <div class="card">
                                        <h2>"Your answers"</h2>
                                        <FilledFormView form=previous />
                                        <p class="muted">"Send the form again below to change them."</p>
                                    </div>
                                })}
                                <form novalidate=move || app_loaded.get() on:submit=move |ev| {
                                    ev.prevent_default();
                                    // Checked first by the server's own parser, so each error
                                    // sits at its field and focus goes to the first one.
                                    let answers = answers_in(&ev, &definition, "");
                                    let found = definition.answer_errors(&answers);
                                    if let Some((first, _)) = found.first() {
                                        crate::ui::focus_field(&ev, first);
                                        errors.set(found.into_iter().collect());
                                        return;
                                    }
                                    submit.dispatch(SubmitForm { assignment_id: assignment_id.clone(), answers });
                                }>
                                    <FormFields definition=r.definition.clone() prefix="" errors=errors />
                                    <FormError message=Signal::derive(move || error_text(submit.value().get())) />
                                    // Sent by the app only (as JSON): until it has loaded the button waits, so
                                    // that the browser never sends the answers itself, in a URL.
                                    <button type="submit" disabled=move || !app_loaded.get() || submit.pending().get() data-testid=testids::FILL_SUBMIT>"Send answers"</button>
                                    <noscript><p class="muted">"Your answers are sent by the app, which needs JavaScript."</p></noscript>
                                    <Show when=move || matches!(submit.value().get(), Some(Ok(_)))>
                                        <p class="ok" role="status" data-testid=testids::FILL_DONE>"Thank you. Your coach can read your answers now."</p>
                                    </Show>
                                </form>
                            </section>
                        }
        })}
    }
}
