//! Browser entry point: hydrates the server-rendered page.
// Leptos view types are deep; the whole app's is instantiated here (as in the `app` crate).
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::ui::App);
}
