//! Account settings for every signed-in user: change password.

use crate::api::account::ChangePassword;
use crate::domain::NewPassword;
use crate::testids;
use crate::ui::auth::FormError;
use crate::ui::error_text;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Account() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    view! {
        <Title text="Account · Coachroom" />
        <section class="card narrow">
            <h1>"Change password"</h1>
            <p class="muted">"Changing your password signs you out everywhere else."</p>
            <ActionForm action=change>
                <label>"Current password"
                    <input name="current_password" type="password" required autocomplete="current-password" data-testid=testids::ACCOUNT_CURRENT />
                </label>
                <label>"New password"
                    <input name="new_password" type="password" required minlength=NewPassword::MIN_CHARS autocomplete="new-password" data-testid=testids::ACCOUNT_NEW />
                </label>
                <FormError message=Signal::derive(move || error_text(change.value().get())) />
                <button type="submit" disabled=move || change.pending().get() data-testid=testids::ACCOUNT_SUBMIT>"Change password"</button>
                <Show when=move || matches!(change.value().get(), Some(Ok(())))>
                    <p class="ok" role="status" data-testid=testids::ACCOUNT_SAVED>"Password changed. Other sessions were signed out."</p>
                </Show>
            </ActionForm>
        </section>
    }
}
