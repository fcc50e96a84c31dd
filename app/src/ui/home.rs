use crate::domain::Role;
use crate::ui::current_user;
use leptos::prelude::*;

#[component]
pub fn Home() -> impl IntoView {
    let user = current_user();
    view! {
        <section class="hero">
            <h1>"Your coaching practice, in one private room."</h1>
            <p class="lead">
                "Client profiles, check-ins, plans and session notes, with privacy enforced in code: "
                "no one outside your workspace reads your clients' data."
            </p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match user.0.await {
                        Ok(Some(me)) if me.role == Role::Coach => view! {
                            <a class="button" href="/coach">"Open your dashboard"</a>
                        }.into_any(),
                        Ok(Some(_)) => view! { <p>"You are signed in."</p> }.into_any(),
                        _ => view! {
                            <div class="actions">
                                <a class="button" href="/signup">"Create a coach account"</a>
                                <a href="/login">"Log in"</a>
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
