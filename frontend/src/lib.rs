//! Browser entry point: hydrates the server-rendered page.
// Leptos view types are deep; the whole app's is instantiated here (as in the `app` crate).
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // `leptos::mount::hydrate_body`, asynchronously, plus Playwright's marker once hydration has
    // finished (an effect inside the app runs before an asynchronously hydrated part is done).
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = leptos::prelude::document().body() else {
            return;
        };
        let app = leptos::mount::hydrate_from_async(body, app::ui::App).await;
        app.forget();
        app::ui::mark_hydrated();
    });
}
