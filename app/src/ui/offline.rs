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
    /// Queued check-ins that reached the server: (idempotency key, check-in id).
    pub sent: Vec<(String, String)>,
    /// Queued check-ins the server refused, each removed from the queue: (key, why).
    pub refused: Vec<(String, String)>,
    /// A send found the session over: what waits goes once they sign in again.
    pub sign_in_needed: bool,
}

/// What became of one queued check-in, by its idempotency key.
#[derive(Clone, Debug, PartialEq)]
pub enum QueuedState {
    Waiting,
    Sent { checkin_id: String },
    Refused { why: String },
}

impl Waiting {
    pub fn state_of(&self, key: &str) -> QueuedState {
        if let Some((_, id)) = self.sent.iter().find(|(k, _)| k == key) {
            QueuedState::Sent {
                checkin_id: id.clone(),
            }
        } else if let Some((_, why)) = self.refused.iter().find(|(k, _)| k == key) {
            QueuedState::Refused { why: why.clone() }
        } else {
            QueuedState::Waiting
        }
    }
}

#[cfg(feature = "hydrate")]
thread_local! {
    static WAITING: ArcRwSignal<Waiting> = ArcRwSignal::new(Waiting::default());
    static SENDING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Sends in a row that left check-ins waiting, and the timer's ticks to let pass before it
    /// tries again (counted, not timed: a device's clock may be set back).
    static FAILED_IN_A_ROW: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    static TICKS_TO_SKIP: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The retry timer's period.
const TICK_SECS: u64 = 30;

/// How long the timer waits before trying again after `failed_in_a_row` sends that left
/// check-ins waiting: 30 s, doubling to at most 15 minutes, so that a server that keeps failing
/// (or a network that says "online" and is not) is not asked every 30 s for as long as the page
/// is open. The connection coming back, or a new page, tries at once.
pub fn retry_delay_secs(failed_in_a_row: u32) -> u64 {
    const LONGEST: u64 = 15 * 60;
    TICK_SECS
        .saturating_mul(1 << failed_in_a_row.saturating_sub(1).min(10))
        .min(LONGEST)
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
        pub fn keep_for_offline(path: &str, if_missing: Vec<String>);
        #[wasm_bindgen(js_name = loadPortalLinksWholeWhenOffline)]
        pub fn load_portal_links_whole_when_offline();
        #[wasm_bindgen(js_name = forgetOffline)]
        pub fn forget_offline(queue_too: bool);
    }
}

/// Forgets the portal's pages kept on this device (nobody is signed in any more), and with
/// `queue_too` (signing out) the queued check-ins as well.
#[cfg(feature = "hydrate")]
pub fn forget(queue_too: bool) {
    js::forget_offline(queue_too);
    if queue_too {
        waiting().set(Waiting::default());
        FAILED_IN_A_ROW.with(|n| n.set(0));
        TICKS_TO_SKIP.with(|ticks| ticks.set(0));
    }
}

/// A new idempotency key: 32 hex digits from the browser's cryptographic generator (where a
/// browser has none, from its ordinary one and the time: unique enough among one client's).
#[cfg(feature = "hydrate")]
pub fn new_key() -> String {
    let mut bytes = [0u8; 16];
    let random = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !random {
        let now = web_sys::js_sys::Date::now() as u64;
        for (i, byte) in bytes.iter_mut().enumerate() {
            let noise = (web_sys::js_sys::Math::random() * 256.0) as u64;
            *byte = ((now >> ((i % 8) * 8)) as u8) ^ (noise as u8);
        }
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
    struct Sent {
        key: String,
        id: String,
    }
    #[derive(serde::Deserialize)]
    struct Refused {
        key: String,
        detail: String,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Outcome {
        sent: Vec<Sent>,
        refused: Vec<Refused>,
        waiting: usize,
        sign_in_needed: bool,
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
        let failed = if outcome.waiting > 0 {
            FAILED_IN_A_ROW.with(|n| n.get()) + 1
        } else {
            0
        };
        FAILED_IN_A_ROW.with(|n| n.set(failed));
        // The next tick is one period away already.
        let skip = (retry_delay_secs(failed) / TICK_SECS).saturating_sub(1);
        TICKS_TO_SKIP.with(|ticks| ticks.set(if failed == 0 { 0 } else { skip }));
        waiting().update(|w| {
            w.count = outcome.waiting;
            w.sign_in_needed = outcome.sign_in_needed;
            w.sent
                .extend(outcome.sent.into_iter().map(|s| (s.key, s.id)));
            w.refused
                .extend(outcome.refused.into_iter().map(|r| (r.key, r.detail)));
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

/// The portal pages kept for offline use besides the one shown, once: the home and the check-in.
#[cfg(feature = "hydrate")]
const ALWAYS_KEPT: [&str; 2] = ["/portal", "/portal/checkin"];

/// On every portal page (inside its tabs): keeps the page for offline use, sends queued
/// check-ins now and whenever the connection returns (and, while any wait, again after
/// [`retry_delay_secs`]), and says how many wait, and which were refused.
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
            js::keep_for_offline(&path, ALWAYS_KEPT.iter().map(|p| p.to_string()).collect());
            js::load_portal_links_whole_when_offline();
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
                        if state.get_untracked().count == 0 || browser_is_offline() {
                            return;
                        }
                        let skip = TICKS_TO_SKIP.with(|ticks| ticks.get());
                        if skip > 0 {
                            TICKS_TO_SKIP.with(|ticks| ticks.set(skip - 1));
                        } else {
                            leptos::task::spawn_local(send(user_id.clone()));
                        }
                    },
                    std::time::Duration::from_secs(TICK_SECS),
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
    let sign_in_needed = {
        let state = state.clone();
        Memo::new(move |_| state.with(|w| w.sign_in_needed && w.count > 0))
    };
    let refused = move || state.with(|w| w.refused.clone());
    view! {
        <p class="offline-waiting" role="status" hidden=move || count.get() == 0 data-testid=testids::OFFLINE_WAITING>
            {move || match count.get() {
                1 => "1 check-in is saved on this device, waiting to send. It goes as soon as you are back online.".to_owned(),
                n => format!("{n} check-ins are saved on this device, waiting to send. They go as soon as you are back online."),
            }}
            <span hidden=move || !sign_in_needed.get()>
                " Your session has ended: "<a href="/login?next=/portal">"log in again"</a>" to send them."
            </span>
        </p>
        // A short list, drawn again when it changes: `<For>`'s keyed diffing would be the only
        // one in the portal's WASM.
        {move || refused().into_iter().map(|(_, why)| view! {
            <p class="error" role="alert" data-testid=testids::OFFLINE_REFUSED>
                {format!("A check-in saved on this device was not accepted: {why}")}
            </p>
        }).collect_view()}
    }
}

#[cfg(test)]
mod tests {
    use super::retry_delay_secs;

    #[test]
    fn the_timer_backs_off_from_30_seconds_to_15_minutes() {
        let delays: Vec<u64> = (0..=8).map(retry_delay_secs).collect();
        assert_eq!(delays, [30, 30, 60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(retry_delay_secs(u32::MAX), 900);
    }
}
