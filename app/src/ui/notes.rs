//! The coach's private notes and to-dos, per client or general.

use crate::api::notes::{
    list_notes, list_todos, CreateNote, CreateTodo, DeleteNote, DeleteTodo, SetTodoDone,
};
use crate::domain::Role;
use crate::testids;
use crate::ui::auth::FormError;
use crate::ui::coach::RequireRole;
use crate::ui::resource;
use crate::ui::{error_text, reset_form_when, ConfirmButton};
use leptos::prelude::*;
use leptos_meta::Title;

/// The general notes-and-to-dos page.
#[component]
pub fn NotesPage() -> impl IntoView {
    view! {
        <Title text="Notes and to-dos · Coachroom" />
        <RequireRole role=Role::Coach />
        <h1>"Notes and to-dos"</h1>
        <p class="muted">"Private to you. Clients never see notes or to-dos."</p>
        <div class="columns">
            <TodosPanel client_id=None />
            <NotesPanel client_id=None />
        </div>
    }
}

#[component]
pub fn NotesPanel(client_id: Option<String>) -> impl IntoView {
    let create = ServerAction::<CreateNote>::new();
    let delete = ServerAction::<DeleteNote>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    reset_form_when(form, move || matches!(create.value().get(), Some(Ok(_))));
    let list_id = client_id.clone();
    let notes = resource(
        move || (create.version().get(), delete.version().get()),
        move |_| list_notes(list_id.clone()),
    );
    view! {
        <div class="card">
            <h2>"Private notes"</h2>
            <ActionForm action=create node_ref=form>
                <input type="hidden" name="client_id" value=client_id.unwrap_or_default() />
                <label>"New note" <textarea name="body" rows="3" required data-testid=testids::NOTE_BODY></textarea></label>
                <FormError message=Signal::derive(move || error_text(create.value().get())) />
                <button type="submit" data-testid=testids::NOTE_ADD>"Add note"</button>
            </ActionForm>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match notes.await {
                        Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No notes yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="list">
                                {list.into_iter().map(|note| {
                                    let id = note.id.clone();
                                    view! {
                                        <li data-testid=testids::NOTE_ITEM>
                                            <p class="pre">{note.body}</p>
                                            <ConfirmButton what="this note".to_owned() testid=testids::NOTE_DELETE
                                                on_confirm=Callback::new(move |_| { delete.dispatch(DeleteNote { note_id: id.clone() }); }) />
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
pub fn TodosPanel(client_id: Option<String>) -> impl IntoView {
    let user = crate::ui::current_user();
    let create = ServerAction::<CreateTodo>::new();
    let toggle = ServerAction::<SetTodoDone>::new();
    let delete = ServerAction::<DeleteTodo>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    reset_form_when(form, move || matches!(create.value().get(), Some(Ok(_))));
    let list_id = client_id.clone();
    let todos = resource(
        move || {
            (
                create.version().get(),
                toggle.version().get(),
                delete.version().get(),
            )
        },
        move |_| list_todos(list_id.clone()),
    );
    view! {
        <div class="card">
            <h2>"To-dos"</h2>
            <ActionForm action=create node_ref=form>
                <input type="hidden" name="client_id" value=client_id.unwrap_or_default() />
                <div class="row">
                    <label class="grow">"To-do" <input name="title" required maxlength="200" data-testid=testids::TODO_TITLE /></label>
                    <label>"Due" <input name="due_date" type="date" data-testid=testids::TODO_DUE /></label>
                </div>
                <FormError message=Signal::derive(move || error_text(create.value().get())) />
                <button type="submit" data-testid=testids::TODO_ADD>"Add to-do"</button>
            </ActionForm>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    // Dates below read the viewer's clock.
                    user.clock().await;
                    match todos.await {
                        Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">"Nothing to do."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="list">
                                {list.into_iter().map(|todo| {
                                    let (toggle_id, delete_id) = (todo.id.clone(), todo.id.clone());
                                    let done = todo.done;
                                    let what = format!("“{}”", todo.title);
                                    view! {
                                        <li data-testid=testids::TODO_ITEM class:done=done>
                                            <label class="inline">
                                                <input type="checkbox" checked=done data-testid=testids::TODO_DONE
                                                    on:change=move |_| { toggle.dispatch(SetTodoDone { todo_id: toggle_id.clone(), done: !done }); } />
                                                {todo.title}
                                            </label>
                                            {todo.due_date.map(|d| view! { <span class="muted">{format!("due {}", crate::ui::clock().calendar_day(&d))}</span> })}
                                            <ConfirmButton what testid=testids::TODO_DELETE
                                                on_confirm=Callback::new(move |_| { delete.dispatch(DeleteTodo { todo_id: delete_id.clone() }); }) />
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}
