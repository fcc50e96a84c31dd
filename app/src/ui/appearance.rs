//! The colour scheme: the device's (`prefers-color-scheme`), or light or dark as chosen on the
//! Account page. The choice is a cookie, so the server puts it on `<html data-theme>` and the
//! first paint is already right; style/main.css reads it with `light-dark()`.

use crate::domain::Theme;
use crate::testids;
use leptos::prelude::*;

/// The scheme this browser chose, if it chose one. The server reads the request's cookie; the
/// browser reads what the server put on `<html>`, so both render the same choice.
pub fn chosen_theme() -> Option<Theme> {
    #[cfg(feature = "ssr")]
    return crate::server::http::chosen_theme();
    #[cfg(not(feature = "ssr"))]
    return web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
        .and_then(|html| html.get_attribute("data-theme"))
        .and_then(|theme| Theme::parse(&theme));
}

/// Remembers `theme` on this device for a year (or forgets the choice) and shows it at once.
#[cfg(feature = "hydrate")]
fn apply(theme: Option<Theme>) {
    use web_sys::js_sys::Reflect;
    let Some(document) = web_sys::window().and_then(|window| window.document()) else {
        return;
    };
    let cookie = match theme {
        Some(theme) => format!(
            "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            Theme::COOKIE,
            theme.as_str()
        ),
        None => format!("{}=; Path=/; Max-Age=0; SameSite=Lax", Theme::COOKIE),
    };
    let _ = Reflect::set(&document, &"cookie".into(), &cookie.into());
    if let Some(html) = document.document_element() {
        let _ = match theme {
            Some(theme) => html.set_attribute("data-theme", theme.as_str()),
            None => html.remove_attribute("data-theme"),
        };
    }
}

/// The Account page's "Appearance" card.
#[component]
pub fn AppearanceCard() -> impl IntoView {
    let chosen = RwSignal::new(chosen_theme());
    let choices = [
        (None, "Match this device", testids::THEME_DEVICE),
        (Some(Theme::Light), "Light", testids::THEME_LIGHT),
        (Some(Theme::Dark), "Dark", testids::THEME_DARK),
    ];
    view! {
        <section class="card narrow" data-testid=testids::APPEARANCE>
            <h2>"Appearance"</h2>
            <fieldset>
                <legend>"Colour scheme"</legend>
                {choices.into_iter().map(|(theme, label, testid)| view! {
                    <label class="inline choice">
                        <input type="radio" name="theme" value=theme.map_or("device", Theme::as_str)
                            checked=move || chosen.get() == theme data-testid=testid
                            on:change=move |_| {
                                chosen.set(theme);
                                #[cfg(feature = "hydrate")]
                                apply(theme);
                            } />
                        {label}
                    </label>
                }).collect_view()}
            </fieldset>
            <p class="muted">"Remembered on this device."</p>
        </section>
    }
}
