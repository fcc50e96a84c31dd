//! Housekeeping that runs on a timer for the life of the process: the session, throttle, OAuth
//! and storage sweeps and the legal notifier. One loop for all of them, so each is only the work
//! it does.

use std::future::Future;
use std::time::Duration;
use tokio::time::MissedTickBehavior;

/// Runs `task` at once and then every `period`, forever. A run that overruns its period delays
/// the next rather than letting missed ticks fire back to back against a database that is
/// already slow.
pub fn run_every<F, Fut>(period: Duration, mut task: F)
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            task().await;
        }
    });
}
