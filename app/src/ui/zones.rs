//! Choosing a time zone: a searchable picker of the IANA zones, and the zone this device is in
//! (to default a new account or setting to it).

use crate::api::account::time_zones;
use leptos::prelude::*;

/// The IANA zone this browser is set to, such as `Europe/Paris`; `None` on the server and where
/// the browser does not say.
pub fn device_zone() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use web_sys::js_sys::{Array, Intl::DateTimeFormat, Object, Reflect};
        let options = DateTimeFormat::new(&Array::new(), &Object::new()).resolved_options();
        Reflect::get(&options, &"timeZone".into())
            .ok()
            .and_then(|zone| zone.as_string())
            .filter(|zone| !zone.is_empty())
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// A hidden `timezone` field holding this device's zone, for forms that create an account: the
/// account starts in the zone its owner is in. Empty until the page is interactive (and without
/// JavaScript), which the server reads as "not said".
#[component]
pub fn DeviceZoneField() -> impl IntoView {
    let zone = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(found) = device_zone() {
            zone.set(found);
        }
    });
    view! { <input type="hidden" name="timezone" prop:value=move || zone.get() /> }
}

/// The `timezone` field of a settings form: type to search every IANA zone (a datalist, so the
/// browser does the searching), or take this device's zone with one click.
#[component]
pub fn ZonePicker(current: String, testid: &'static str) -> impl IntoView {
    // Fetched once the page is interactive: some 400 names would otherwise be in the page twice
    // (the options and the hydration data) before anyone opens the list. A plain signal, not
    // a resource: reading a resource inside the page's `Suspense` would hold the form back.
    let zones = RwSignal::new(Vec::<String>::new());
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(names) = time_zones().await {
                zones.set(names);
            }
        });
    });
    let value = RwSignal::new(current.clone());
    let device = RwSignal::new(None::<String>);
    Effect::new(move |_| device.set(device_zone()));
    let other_device_zone = move || device.get().filter(|zone| *zone != value.get());
    view! {
        <label>"Time zone"
            <input name="timezone" required list="time-zone-names" autocomplete="off" spellcheck="false"
                value=current prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev)) data-testid=testid />
            <small>"Dates and times are shown, and typed, in this zone. Type a city to search."</small>
        </label>
        <datalist id="time-zone-names">
            {move || zones.get().into_iter().map(|name| view! { <option value=name></option> }).collect_view()}
        </datalist>
        {move || other_device_zone().map(|zone| {
            let chosen = zone.clone();
            view! {
                <button type="button" class="link" on:click=move |_| value.set(chosen.clone())>
                    {format!("Use this device's zone ({zone})")}
                </button>
            }
        })}
    }
}
