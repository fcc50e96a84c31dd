//! Account settings for every signed-in user: change password, change login email, and the
//! page the email-change link opens.

use crate::api::account::{ChangeEmail, ChangePassword, ConfirmEmail};
use crate::testids;
use crate::ui::auth::{FormError, NewPasswordField};
use crate::ui::error_text;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

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
                <NewPasswordField label="New password" name="new_password" testid=testids::ACCOUNT_NEW />
                <FormError message=Signal::derive(move || error_text(change.value().get())) />
                <button type="submit" disabled=move || change.pending().get() data-testid=testids::ACCOUNT_SUBMIT>"Change password"</button>
                <Show when=move || matches!(change.value().get(), Some(Ok(())))>
                    <p class="ok" role="status" data-testid=testids::ACCOUNT_SAVED>"Password changed. Other sessions were signed out."</p>
                </Show>
            </ActionForm>
        </section>
        <ChangeEmailForm />
        <crate::ui::appearance::AppearanceCard />
    }
}

#[component]
fn ChangeEmailForm() -> impl IntoView {
    let change = ServerAction::<ChangeEmail>::new();
    let sent_to = move || {
        matches!(change.value().get(), Some(Ok(())))
            .then(|| change.input().get().map(|input| input.new_email))
            .flatten()
    };
    view! {
        <section class="card narrow">
            <h2>"Change login email"</h2>
            <p class="muted">"We email a link to the new address; the change happens when you open it, and signs you out everywhere else."</p>
            <ActionForm action=change>
                <label>"New email"
                    <input name="new_email" type="email" required autocomplete="email" data-testid=testids::ACCOUNT_EMAIL_NEW />
                </label>
                <label>"Current password"
                    <input name="current_password" type="password" required autocomplete="current-password" data-testid=testids::ACCOUNT_EMAIL_PASSWORD />
                </label>
                <FormError message=Signal::derive(move || error_text(change.value().get())) />
                <button type="submit" disabled=move || change.pending().get() data-testid=testids::ACCOUNT_EMAIL_SUBMIT>"Send confirmation link"</button>
                {move || sent_to().map(|email| view! {
                    <p class="ok" role="status" data-testid=testids::ACCOUNT_EMAIL_SENT>
                        {format!("We sent a link to {email}. Your login email changes when you open it.")}
                    </p>
                })}
            </ActionForm>
        </section>
    }
}

/// The page an email-change link opens; the button confirms (opening alone changes nothing).
#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let confirm = ServerAction::<ConfirmEmail>::new();
    let done = move || match confirm.value().get() {
        Some(Ok(email)) => Some(email),
        _ => None,
    };
    view! {
        <Title text="Confirm your new email · Coachroom" />
        <section class="card narrow">
            <h1>"Confirm your new login email"</h1>
            <ActionForm action=confirm>
                <input type="hidden" name="token" value=token />
                <FormError message=Signal::derive(move || error_text(confirm.value().get())) />
                <button type="submit" disabled=move || confirm.pending().get() data-testid=testids::CONFIRM_EMAIL_SUBMIT>"Confirm"</button>
                {move || done().map(|email| view! {
                    <p class="ok" role="status" data-testid=testids::CONFIRM_EMAIL_DONE>
                        {format!("Your login email is now {email}. Other sessions were signed out.")}
                    </p>
                })}
            </ActionForm>
        </section>
    }
}
