//! A bounded admission queue: at most `slots` holders at once, at most `max_waiting` callers
//! waiting, each for at most `max_wait`. Past either bound the caller gets `AppError::Busy` at
//! once, so waiting never grows without limit. Waiters are parked, not polled: a thousand of
//! them cost memory for their requests and no CPU. The password-hashing gate and the lane for
//! anonymous requests are both one of these.

use crate::AppError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug)]
pub struct AdmissionQueue {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    max_wait: Duration,
}

/// Counts a caller for as long as it is held: the count goes back down when this is dropped,
/// also when the request is dropped mid-wait (the client went away).
pub struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    /// Counts one more; returns the guard and the count before it.
    pub fn count(counter: &'a AtomicUsize) -> (Self, usize) {
        let before = counter.fetch_add(1, Ordering::SeqCst);
        (Self(counter), before)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl AdmissionQueue {
    pub fn new(slots: usize, max_waiting: usize, max_wait: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            waiting: AtomicUsize::new(0),
            max_waiting,
            max_wait,
        }
    }

    /// Callers waiting now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// A slot, held until the permit is dropped; waiters are served first come, first served
    /// (tokio's semaphore is fair).
    pub async fn admit(&self) -> Result<OwnedSemaphorePermit, AppError> {
        if let Ok(slot) = self.slots.clone().try_acquire_owned() {
            return Ok(slot);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(AppError::Busy);
        }
        let _waiting = Waiting(&self.waiting);
        tokio::time::timeout(self.max_wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| AppError::Busy)?
            .map_err(super::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_past_the_waiting_bound_and_after_the_wait() {
        let queue = Arc::new(AdmissionQueue::new(1, 1, Duration::from_millis(500)));
        let held = queue.admit().await.unwrap();
        // One caller may wait; the next is refused at once, not after the wait.
        let waiter = tokio::spawn({
            let queue = queue.clone();
            async move { queue.admit().await.map(drop) }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let asked = std::time::Instant::now();
        assert!(matches!(queue.admit().await, Err(AppError::Busy)));
        assert!(asked.elapsed() < Duration::from_millis(400), "it waited");
        assert_eq!(queue.waiting(), 1);
        // The waiter's wait runs out while the slot is held.
        assert!(matches!(waiter.await.unwrap(), Err(AppError::Busy)));
        assert_eq!(queue.waiting(), 0, "waiters all counted out");
        drop(held);
        // A freed slot is taken at once; the waiting count went back to zero.
        let again = queue.admit().await.unwrap();
        let waiter = tokio::spawn({
            let queue = queue.clone();
            async move { queue.admit().await.map(drop) }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(again);
        assert!(waiter.await.unwrap().is_ok());
    }
}
