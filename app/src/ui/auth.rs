//! Sign-up, login and password reset pages.

use crate::api::auth::{
    ConfirmSignup, ForgotPassword, Login as LoginFn, ResetPassword, Signup as SignupFn,
};
use crate::domain::{NewPassword, SignupOutcome};
use crate::testids;
use crate::ui::{error_text, hard_navigate};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn Signup() -> impl IntoView {
    let signup = ServerAction::<SignupFn>::new();
    Effect::new(move |_| {
        if let Some(Ok(SignupOutcome::SignedIn { me })) = signup.value().get() {
            hard_navigate(&me.landing_path(None));
        }
    });
    // Posted before the app loaded, the form comes back here with `?sent=1`.
    let sent_by_plain_form = use_query_map().with_untracked(|query| query.get("sent").is_some());
    let check_email = move || match signup.value().get() {
        Some(Ok(SignupOutcome::CheckEmail { email })) => Some(email),
        _ => sent_by_plain_form.then(|| "your address".to_owned()),
    };
    view! {
        <Title text="Create your account · Coachroom" />
        <section class="card narrow">
            <h1>"Create your coach account"</h1>
            <ActionForm action=signup>
                <crate::ui::zones::DeviceZoneField />
                <label>"Your name"
                    <input name="name" required maxlength="100" autocomplete="name" data-testid=testids::SIGNUP_NAME />
                </label>
                <label>"Email"
                    <input name="email" type="email" required autocomplete="email" data-testid=testids::SIGNUP_EMAIL />
                </label>
                <NewPasswordField label="Password" testid=testids::SIGNUP_PASSWORD />
                <FormError message=Signal::derive(move || error_text(signup.value().get())) />
                <button type="submit" disabled=move || signup.pending().get() data-testid=testids::SIGNUP_SUBMIT>
                    "Create account"
                </button>
                {move || check_email().map(|email| view! {
                    <p class="ok" role="status" data-testid=testids::SIGNUP_CHECK_EMAIL>
                        {format!("We sent a link to {email}. Open it to finish creating your account.")}
                    </p>
                })}
            </ActionForm>
            <p>"Already have an account? " <a href="/login">"Log in"</a></p>
        </section>
    }
}

/// The page a sign-up email links to. Opening it changes nothing (mail scanners open links);
/// the button finishes the sign-up.
#[component]
pub fn ConfirmSignupPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let confirm = ServerAction::<ConfirmSignup>::new();
    Effect::new(move |_| {
        if let Some(Ok(me)) = confirm.value().get() {
            hard_navigate(&me.landing_path(None));
        }
    });
    view! {
        <Title text="Finish creating your account · Coachroom" />
        <section class="card narrow">
            <h1>"Finish creating your account"</h1>
            <ActionForm action=confirm>
                <input type="hidden" name="token" value=token />
                <crate::ui::zones::DeviceZoneField />
                <NewPasswordField label="Choose your password" testid=testids::SIGNUP_PASSWORD />
                <FormError message=Signal::derive(move || error_text(confirm.value().get())) />
                <button type="submit" disabled=move || confirm.pending().get() data-testid=testids::SIGNUP_CONFIRM_SUBMIT>
                    "Create my account"
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn Login() -> impl IntoView {
    let login = ServerAction::<LoginFn>::new();
    let query = use_query_map();
    Effect::new(move |_| {
        if let Some(Ok(me)) = login.value().get() {
            let next = query.with_untracked(|q| q.get("next"));
            hard_navigate(&me.landing_path(next));
        }
    });
    view! {
        <Title text="Log in · Coachroom" />
        <section class="card narrow">
            <h1>"Log in"</h1>
            <ActionForm action=login>
                <label>"Email"
                    <input name="email" type="email" required autocomplete="username" data-testid=testids::LOGIN_EMAIL />
                </label>
                <label>"Password"
                    <input name="password" type="password" required autocomplete="current-password" data-testid=testids::LOGIN_PASSWORD />
                </label>
                <FormError message=Signal::derive(move || error_text(login.value().get())) />
                <button type="submit" disabled=move || login.pending().get() data-testid=testids::LOGIN_SUBMIT>
                    "Log in"
                </button>
            </ActionForm>
            <p><a href="/forgot-password" data-testid=testids::LOGIN_FORGOT>"Forgot your password?"</a></p>
            <p>"New to Coachroom? " <a href="/signup">"Create an account"</a></p>
        </section>
    }
}

/// `/forgot-password`: asks for the login email and emails it a link (`auth/password/forgot`).
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let forgot = ServerAction::<ForgotPassword>::new();
    // Posted before the app loaded, the form comes back here with `?sent=1`.
    let sent_by_plain_form = use_query_map().with_untracked(|query| query.get("sent").is_some());
    view! {
        <Title text="Forgot your password · Coachroom" />
        <section class="card narrow">
            <h1>"Forgot your password?"</h1>
            <Show when=move || sent_by_plain_form || matches!(forgot.value().get(), Some(Ok(()))) fallback=move || view! {
                <p>"Enter the email you log in with, and we will email you a link to choose a new password."</p>
                <ActionForm action=forgot>
                    <label>"Email"
                        <input name="email" type="email" required autocomplete="username" data-testid=testids::FORGOT_EMAIL />
                    </label>
                    <FormError message=Signal::derive(move || error_text(forgot.value().get())) />
                    <button type="submit" disabled=move || forgot.pending().get() data-testid=testids::FORGOT_SUBMIT>
                        "Email me a link"
                    </button>
                </ActionForm>
            }>
                <p role="status" data-testid=testids::FORGOT_SENT>
                    "If an account logs in with that address, it now has an email with a link to choose a new password. The link works once, for 1 hour."
                </p>
            </Show>
            <p><a href="/login">"Back to log in"</a></p>
        </section>
    }
}

/// `/reset-password/:token`: chooses a new password with a link from an email, the coach or an
/// operator, then signs in.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let reset = ServerAction::<ResetPassword>::new();
    Effect::new(move |_| {
        if let Some(Ok(me)) = reset.value().get() {
            hard_navigate(&me.landing_path(None));
        }
    });
    view! {
        <Title text="Choose a new password · Coachroom" />
        <section class="card narrow">
            <h1>"Choose a new password"</h1>
            <p class="muted">"Every device signed in to your account is signed out; this one is signed in with the new password."</p>
            <ActionForm action=reset>
                <input type="hidden" name="token" value=token />
                <NewPasswordField label="New password" testid=testids::RESET_PASSWORD />
                <FormError message=Signal::derive(move || error_text(reset.value().get())) />
                <button type="submit" disabled=move || reset.pending().get() data-testid=testids::RESET_SUBMIT>
                    "Save and log in"
                </button>
            </ActionForm>
        </section>
    }
}

/// The error line under a form; announced to screen readers.
#[component]
pub fn FormError(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.get().is_some()>
            <p class="error" role="alert" data-testid=testids::FORM_ERROR>{move || message.get()}</p>
        </Show>
    }
}

/// A new password's field, with its length hint: sign-up and its confirmation, a reset, joining
/// from an invitation, and changing it on the Account page.
#[component]
pub fn NewPasswordField(
    label: &'static str,
    testid: &'static str,
    #[prop(default = "password")] name: &'static str,
) -> impl IntoView {
    view! {
        <label>{label}
            <input name=name type="password" required minlength=NewPassword::MIN_CHARS
                autocomplete="new-password" data-testid=testid />
            <small>{format!("At least {} characters.", NewPassword::MIN_CHARS)}</small>
        </label>
    }
}
