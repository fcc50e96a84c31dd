//! Password hashing with argon2id (the `argon2` crate's default parameters: 19 MiB, t=2, p=1).
//!
//! Every hash and verify goes through one bounded gate: at most one argon2 run per core at a
//! time, a bounded number of callers waiting, and a bounded wait. Past that the caller gets a
//! fast 503 instead of another 19 MiB on the blocking pool, so a flood of password requests
//! cannot grow memory (it once reached 7 GB) or starve the rest of the server.
//!
//! The work runs on a few threads of its own (one per slot), not on tokio's blocking pool: the
//! allocator keeps each thread's freed 19 MiB for reuse, so argon2 spread over dozens of pool
//! threads held hundreds of megabytes long after a flood, while a fixed set of threads holds a
//! fixed amount.

use super::admission::AdmissionQueue;
use crate::domain::NewPassword;
use crate::AppError;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Callers that may wait for a hashing slot, per slot.
const WAITING_PER_SLOT: usize = 8;
/// The longest a caller waits for a slot before it is told the server is busy.
const MAX_WAIT: Duration = Duration::from_secs(3);

type Job = Box<dyn FnOnce() + Send>;

/// The bound on concurrent argon2 work, and the threads that do it.
struct HashGate {
    queue: AdmissionQueue,
    jobs: SyncSender<Job>,
}

/// The server's gate: one slot (and thread) per core.
fn gate() -> &'static HashGate {
    static GATE: OnceLock<HashGate> = OnceLock::new();
    GATE.get_or_init(|| HashGate::new(std::thread::available_parallelism().map_or(1, |n| n.get())))
}

impl HashGate {
    fn new(slots: usize) -> Self {
        // Never more jobs than slots are in flight, so the channel never fills.
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(slots);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..slots {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || loop {
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(poisoned) => poisoned.into_inner().recv(),
                    };
                    match job {
                        // A panic fails that one job (its caller sees an error), not the thread.
                        Ok(job) => {
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        }
                        Err(_) => return,
                    }
                });
            if let Err(err) = spawned {
                tracing::error!(%err, "cannot start a password-hashing thread");
            }
        }
        HashGate {
            queue: AdmissionQueue::new(slots, slots * WAITING_PER_SLOT, MAX_WAIT),
            jobs,
        }
    }
}

/// Runs `work` on one of the server's hashing threads once a slot is free, or refuses with
/// `Busy`.
async fn gated<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    gate().run(work).await
}

impl HashGate {
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let slot = self.queue.admit().await?;
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _slot = slot;
            let _ = done.send(work());
        });
        self.jobs.try_send(job).map_err(super::internal)?;
        // An error here means the job panicked (its sender was dropped unsent).
        result.await.map_err(super::internal)
    }
}

/// Hashes off the async runtime: argon2 is deliberately CPU-heavy.
pub async fn hash(password: &NewPassword) -> Result<String, AppError> {
    let password = password.expose().to_owned();
    gated(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(super::internal)
    })
    .await?
}

/// Checks a password against a stored hash. With no stored hash (unknown account) it checks a
/// dummy hash instead, so both cases take about the same time, and returns false.
pub async fn verify(password: &str, stored: Option<String>) -> Result<bool, AppError> {
    let password = password.to_owned();
    gated(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| dummy_hash().to_owned());
        let parsed = PasswordHash::new(&phc).map_err(super::internal)?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && ok)
    })
    .await?
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"not a real password, only for timing", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_gate_refuses_callers_past_its_bound_instead_of_queueing_them() {
        // A gate of its own, so other tests' hashing is not refused meanwhile.
        let gate: &'static HashGate = Box::leak(Box::new(HashGate::new(2)));
        let callers = 2 * WAITING_PER_SLOT + 3 * 2 + 8;
        let runs: Vec<_> = (0..callers)
            .map(|_| tokio::spawn(gate.run(|| std::thread::sleep(Duration::from_millis(300)))))
            .collect();
        let mut busy = 0;
        for run in runs {
            match run.await.unwrap() {
                Ok(()) => {}
                Err(AppError::Busy) => busy += 1,
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert!(busy > 0, "{callers} callers and none refused");
        assert_eq!(gate.queue.waiting(), 0, "waiters all counted out");
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_match() {
        let pw = NewPassword::parse("correct horse battery").unwrap();
        let stored = hash(&pw).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", Some(stored.clone()))
            .await
            .unwrap());
        assert!(!verify("wrong horse battery", Some(stored)).await.unwrap());
        assert!(!verify("not a real password, only for timing", None)
            .await
            .unwrap());
    }
}
