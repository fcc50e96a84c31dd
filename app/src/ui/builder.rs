//! What the plan and form builders share: the draft being edited and inputs bound to it.
//!
//! The whole document lives in one signal. Inputs write into it on every keystroke; the layout
//! is rebuilt only when the structure changes (add, remove, move, change of type), so typing
//! never loses focus while totals and live checks follow every keystroke. Inputs use
//! `prop:value`: a rebuilt layout updates existing elements in place, and only the property
//! changes what an edited input shows.

use crate::testids;
use leptos::prelude::*;

/// A document being edited, and a counter bumped on structural changes.
pub struct DraftEditor<D: Send + Sync + 'static> {
    pub draft: RwSignal<D>,
    layout: RwSignal<u32>,
}

impl<D: Send + Sync + 'static> Clone for DraftEditor<D> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<D: Send + Sync + 'static> Copy for DraftEditor<D> {}

impl<D: Send + Sync + 'static> DraftEditor<D> {
    pub fn new(draft: D) -> Self {
        Self {
            draft: RwSignal::new(draft),
            layout: RwSignal::new(0),
        }
    }

    /// Applies a structural change and rebuilds the layout.
    pub fn reshape(self, change: impl FnOnce(&mut D)) {
        self.draft.update(change);
        self.layout.update(|n| *n += 1);
    }

    /// Call in the closure that renders the layout: it reruns on structural changes only.
    pub fn track_layout(self) {
        self.layout.track();
    }

    /// The value `lens` finds now, without subscribing.
    fn current(self, lens: impl Fn(&mut D) -> &mut String) -> String {
        self.draft
            .try_update_untracked(|d| lens(d).clone())
            .unwrap_or_default()
    }
}

/// A text input bound to the string `lens` finds in the draft.
pub fn text_input<D: Send + Sync + 'static>(
    editor: DraftEditor<D>,
    lens: impl Fn(&mut D) -> &mut String + Copy + Send + Sync + 'static,
    label: &'static str,
    testid: &'static str,
    class: &'static str,
) -> impl IntoView {
    view! {
        <label class=class>{label}
            <input prop:value=editor.current(lens) data-testid=testid
                on:input=move |ev| { let v = event_target_value(&ev); editor.draft.update(|d| *lens(d) = v); } />
        </label>
    }
}

pub fn text_area<D: Send + Sync + 'static>(
    editor: DraftEditor<D>,
    lens: impl Fn(&mut D) -> &mut String + Copy + Send + Sync + 'static,
    label: &'static str,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <label>{label}
            <textarea rows="2" data-testid=testid prop:value=editor.current(lens)
                on:input=move |ev| { let v = event_target_value(&ev); editor.draft.update(|d| *lens(d) = v); }></textarea>
        </label>
    }
}

/// A select bound to the draft; `reshape` when the choice changes the layout.
pub fn select_input<D: Send + Sync + 'static>(
    editor: DraftEditor<D>,
    lens: impl Fn(&mut D) -> &mut String + Copy + Send + Sync + 'static,
    label: &'static str,
    testid: &'static str,
    options: Vec<(&'static str, &'static str)>,
    reshape: bool,
) -> impl IntoView {
    let value = editor.current(lens);
    view! {
        <label class="cell">{label}
            <select data-testid=testid prop:value=value.clone()
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    if reshape { editor.reshape(|d| *lens(d) = v) } else { editor.draft.update(|d| *lens(d) = v) }
                }>
                {options.into_iter().map(|(key, text)| view! { <option value=key selected=value == key>{text}</option> }).collect_view()}
            </select>
        </label>
    }
}

/// Move up, move down and remove for one item of a list in the draft.
#[component]
pub fn ItemControls(
    #[prop(into)] on_up: Callback<()>,
    #[prop(into)] on_down: Callback<()>,
    #[prop(into)] on_remove: Callback<()>,
    what: &'static str,
) -> impl IntoView {
    view! {
        <div class="row item-controls">
            <button type="button" class="secondary small" aria-label=format!("Move {what} up") data-testid=testids::MOVE_UP
                on:click=move |_| on_up.run(())>"↑"</button>
            <button type="button" class="secondary small" aria-label=format!("Move {what} down") data-testid=testids::MOVE_DOWN
                on:click=move |_| on_down.run(())>"↓"</button>
            <button type="button" class="link" data-testid=testids::REMOVE_ITEM
                on:click=move |_| on_remove.run(())>{format!("Remove {what}")}</button>
        </div>
    }
}
