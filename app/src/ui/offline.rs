//! The portal without a connection: pages kept by the service worker (public/sw.js), and
//! check-ins made offline, queued in this browser and sent when the connection returns
//! (ui/offline.js keeps them in IndexedDB). Each check-in carries an idempotency key from its
//! first attempt, which the server honours: a repeat records nothing twice.
//!
//! One queue state for the whole page ([`waiting`]): the check-in page shows what became of its
//! own check-in, and every portal page (through [`OfflineStatus`] in its tabs) says how many wait.

use crate::testids;
use leptos::prelude::*;

/// What this browser holds for the signed-in client.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Waiting {
    /// Check-ins queued and not yet sent.
    pub count: usize,
    /// The id of the last queued check-in that reached the server.
    pub last_sent: Option<String>,
    /// Why the server refused queued check-ins (each shown once, then dropped from the queue).
    pub refused: Vec<String>,
}

#[cfg(feature = "hydrate")]
thread_local! {
    static WAITING: ArcRwSignal<Waiting> = ArcRwSignal::new(Waiting::default());
    static SENDING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The page's queue state: one signal in the browser; a fresh, empty one per render on the
/// server (where nothing is ever queued), so both render the same.
pub fn waiting() -> ArcRwSignal<Waiting> {
    #[cfg(feature = "hydrate")]
    return WAITING.with(Clone::clone);
    #[cfg(not(feature = "hydrate"))]
    ArcRwSignal::new(Waiting::default())
}

/// Whether a failed attempt to send is worth queueing: the server was not reached, or asked to
/// come back later. A refusal (bad input) is shown instead.
pub fn is_retryable(err: &crate::AppError) -> bool {
    use crate::AppError::*;
    matches!(err, Unavailable(_) | Busy | TooManyRequests { .. })
}

#[cfg(feature = "hydrate")]
mod js {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen(module = "/src/ui/offline.js")]
    extern "C" {
        #[wasm_bindgen(js_name = queueCheckin, catch)]
        pub async fn queue_checkin(
            user_id: &str,
            key: &str,
            form: &web_sys::HtmlFormElement,
        ) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(js_name = waitingCheckins, catch)]
        pub async fn waiting_checkins(user_id: &str) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(js_name = sendWaiting, catch)]
        pub async fn send_waiting(url: &str, user_id: &str) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(js_name = keepForOffline)]
        pub fn keep_for_offline(paths: Vec<String>);
        #[wasm_bindgen(js_name = forgetOffline)]
        pub fn forget_offline();
    }
}

/// Forgets the queue and the kept pages on this device (nobody is signed in any more).
#[cfg(feature = "hydrate")]
pub fn forget() {
    js::forget_offline();
    waiting().set(Waiting::default());
}

/// A new idempotency key: 32 hex digits from the browser's cryptographic generator.
#[cfg(feature = "hydrate")]
pub fn new_key() -> String {
    let mut bytes = [0u8; 16];
    if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether the browser believes it is offline (it can be wrong the other way: "online" with no
/// route to the server, which a failed attempt shows).
#[cfg(feature = "hydrate")]
pub fn browser_is_offline() -> bool {
    web_sys::window().is_some_and(|w| !w.navigator().on_line())
}

/// Queues the check-in in `form` under `key`. `false` when this browser cannot keep it
/// (IndexedDB refused, as in some private windows).
#[cfg(feature = "hydrate")]
pub async fn queue(user_id: &str, key: &str, form: &web_sys::HtmlFormElement) -> bool {
    if js::queue_checkin(user_id, key, form).await.is_err() {
        return false;
    }
    waiting().update(|w| w.count += 1);
    true
}

/// Sends whatever waits for `user_id`, one attempt at a time, and updates [`waiting`].
#[cfg(feature = "hydrate")]
pub async fn send(user_id: String) {
    #[derive(serde::Deserialize)]
    struct Outcome {
        sent: Vec<String>,
        refused: Vec<String>,
        waiting: usize,
    }
    if SENDING.with(|s| s.replace(true)) {
        return;
    }
    let url = crate::ui::checkins::SUBMIT_PATH;
    let outcome = js::send_waiting(url, &user_id)
        .await
        .ok()
        .and_then(|value| web_sys::js_sys::JSON::stringify(&value).ok())
        .and_then(|text| serde_json::from_str::<Outcome>(&String::from(text)).ok());
    SENDING.with(|s| s.set(false));
    if let Some(outcome) = outcome {
        waiting().update(|w| {
            w.count = outcome.waiting;
            if let Some(id) = outcome.sent.into_iter().last() {
                w.last_sent = Some(id);
            }
            w.refused.extend(outcome.refused);
        });
    }
}

/// Counts what waits for `user_id` (after a reload, the queue is only in IndexedDB).
#[cfg(feature = "hydrate")]
async fn count(user_id: &str) {
    if let Some(n) = js::waiting_checkins(user_id)
        .await
        .ok()
        .and_then(|n| n.as_f64())
    {
        waiting().update(|w| w.count = n as usize);
    }
}

/// The portal pages kept for offline use besides the one shown: the home and the check-in.
#[cfg(feature = "hydrate")]
const ALWAYS_KEPT: [&str; 2] = ["/portal", "/portal/checkin"];

/// On every portal page (inside its tabs): keeps the page for offline use, sends queued
/// check-ins now and whenever the connection returns (and every 30 s while any wait), and
/// says how many wait.
#[component]
pub fn OfflineStatus(path: String) -> impl IntoView {
    let state = waiting();
    #[cfg(feature = "hydrate")]
    {
        let user = crate::ui::current_user();
        Effect::new(move |_| {
            let Some(Ok(Some(me))) = user.0.get() else {
                return;
            };
            let mut paths = vec![path.clone()];
            paths.extend(ALWAYS_KEPT.iter().map(|p| p.to_string()));
            js::keep_for_offline(paths);
            let user_id = me.user_id.clone();
            leptos::task::spawn_local(async move {
                count(&user_id).await;
                if !browser_is_offline() {
                    send(user_id).await;
                }
            });
            let on_online = {
                let user_id = me.user_id.clone();
                move |_| leptos::task::spawn_local(send(user_id.clone()))
            };
            let listener = window_event_listener(leptos::ev::online, on_online);
            let retry = {
                let user_id = me.user_id.clone();
                let state = waiting();
                set_interval_with_handle(
                    move || {
                        if state.get_untracked().count > 0 && !browser_is_offline() {
                            leptos::task::spawn_local(send(user_id.clone()));
                        }
                    },
                    std::time::Duration::from_secs(30),
                )
                .ok()
            };
            on_cleanup(move || {
                listener.remove();
                if let Some(retry) = retry {
                    retry.clear();
                }
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
    let count = {
        let state = state.clone();
        Memo::new(move |_| state.with(|w| w.count))
    };
    let refused = move || state.with(|w| w.refused.clone());
    view! {
        <p class="offline-waiting" role="status" hidden=move || count.get() == 0 data-testid=testids::OFFLINE_WAITING>
            {move || match count.get() {
                1 => "1 check-in is saved on this device, waiting to send. It goes as soon as you are back online.".to_owned(),
                n => format!("{n} check-ins are saved on this device, waiting to send. They go as soon as you are back online."),
            }}
        </p>
        <For each=refused key=|message| message.clone() let:message>
            <p class="error" role="alert">{format!("A check-in saved on this device was not accepted: {message}")}</p>
        </For>
    }
}
