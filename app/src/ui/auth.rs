//! Sign-up and login pages.

use crate::api::auth::{ConfirmSignup, Login as LoginFn, Signup as SignupFn};
use crate::domain::{Me, NewPassword, SignupOutcome};
use crate::testids;
use crate::ui::{error_text, hard_navigate};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// A `next` target that can only be a path on this site. Browsers drop tabs and newlines
/// inside URLs and read `\` as `/`, so `/%09/evil.example` (a tab) or `/\evil.example` become
/// `//evil.example`, another site: anything with a control character, white space or a
/// backslash is refused, as is a leading `//`.
fn is_same_origin_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
}

/// Where to go after signing in: a same-site `next` path, else the user's home.
fn landing_path(me: &Me, next: Option<String>) -> String {
    match next {
        Some(path) if is_same_origin_path(&path) => path,
        _ => me.role.home_path().into(),
    }
}

#[component]
pub fn Signup() -> impl IntoView {
    let signup = ServerAction::<SignupFn>::new();
    Effect::new(move |_| {
        if let Some(Ok(SignupOutcome::SignedIn { me })) = signup.value().get() {
            hard_navigate(&landing_path(&me, None));
        }
    });
    let check_email = move || match signup.value().get() {
        Some(Ok(SignupOutcome::CheckEmail { email })) => Some(email),
        _ => None,
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
                <label>"Password"
                    <input name="password" type="password" required minlength=NewPassword::MIN_CHARS
                        autocomplete="new-password" data-testid=testids::SIGNUP_PASSWORD />
                    <small>{format!("At least {} characters.", NewPassword::MIN_CHARS)}</small>
                </label>
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
            hard_navigate(&landing_path(&me, None));
        }
    });
    view! {
        <Title text="Finish creating your account · Coachroom" />
        <section class="card narrow">
            <h1>"Finish creating your account"</h1>
            <ActionForm action=confirm>
                <input type="hidden" name="token" value=token />
                <crate::ui::zones::DeviceZoneField />
                <label>"Choose your password"
                    <input name="password" type="password" required minlength=NewPassword::MIN_CHARS
                        autocomplete="new-password" data-testid=testids::SIGNUP_PASSWORD />
                    <small>{format!("At least {} characters.", NewPassword::MIN_CHARS)}</small>
                </label>
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
            hard_navigate(&landing_path(&me, next));
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
            <p>"New to Coachroom? " <a href="/signup">"Create an account"</a></p>
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    #[test]
    fn next_paths_stay_on_site() {
        let me = Me {
            user_id: "u".into(),
            email: "e@x.io".into(),
            name: "n".into(),
            role: Role::Coach,
            support_until: None,
            clock: Default::default(),
            inbox_waiting: 0,
        };
        assert_eq!(
            landing_path(&me, Some("/coach/settings".into())),
            "/coach/settings"
        );
        assert_eq!(landing_path(&me, Some("//evil.example".into())), "/coach");
        assert_eq!(
            landing_path(&me, Some("https://evil.example".into())),
            "/coach"
        );
        assert_eq!(landing_path(&me, None), "/coach");
        for trick in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "\\\\evil.example",
            "//evil.example/",
            "/ /evil.example",
            "/\u{a0}/evil.example",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(landing_path(&me, Some(trick.into())), "/coach", "{trick:?}");
        }
    }
}
