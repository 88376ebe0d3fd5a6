//! Argon2id password hashing, bounded and off the async threads.
//!
//! One hash takes ~19 MiB and ~20 ms of one core. Hashes run on the hasher's
//! own threads, one per CPU core, and a semaphore admits at most one hash per
//! thread, so a flood of logins queues instead of multiplying memory. The
//! queue itself is bounded too: a hash is [admitted](PasswordHasher::admit)
//! only while fewer than the queue depth wait, so no request waits longer
//! than about depth × 20 ms ÷ cores, and the rest are refused at once
//! ([`HashError::Busy`], answered 429 with `Retry-After: 1`).
//!
//! The hashing threads run at a lower priority than the rest of the process
//! (nice +10 on Linux): when the async threads have requests to answer they
//! get the cores first, so a login flood slows logins, not everyone else.
//!
//! Each thread hashes in its own work area, allocated once, rather than in a
//! fresh 19 MiB allocation per hash: the allocator would zero every new one
//! and keep the freed ones in per-thread arenas, so memory would grow with
//! the number of threads that ever hashed rather than with the permits.

mod error;
pub mod legacy;
mod threads;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
    time::Instant,
};

use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};
use tokio::sync::{Semaphore, oneshot};

pub use error::HashError;
use threads::{Job, Worker, spawn_threads};

use crate::{domain::Password, metrics};

/// Hashes and verifies passwords with Argon2id (OWASP: m=19456 KiB, t=2, p=1).
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

/// The Argon2id parameters new hashes are made with (and that a login's
/// rehash brings a hash to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub passes: u32,
    /// Degree of parallelism.
    pub lanes: u32,
}

impl HashCost {
    /// What every server hashes with: OWASP's recommendation for Argon2id.
    pub const OWASP: Self = Self {
        memory_kib: PasswordHasher::M_COST,
        passes: PasswordHasher::T_COST,
        lanes: PasswordHasher::P_COST,
    };

    /// Argon2id's smallest parameters (8 KiB, one pass): for test servers
    /// whose tests are about what the API answers, not about how long a hash
    /// takes, so that a suite's time goes into its checks. Never reachable
    /// from a flag, the environment or the configuration file.
    pub const LIGHTEST: Self = Self {
        memory_kib: 8,
        passes: 1,
        lanes: 1,
    };

    fn params(self) -> Params {
        Params::new(self.memory_kib, self.passes, self.lanes, None)
            .expect("Argon2id accepts both costs")
    }
}

impl Default for HashCost {
    fn default() -> Self {
        Self::OWASP
    }
}

struct Inner {
    /// Admits one job per hashing thread, so a job never waits in the channel.
    permits: Semaphore,
    /// Where jobs go; the hashing threads end when it is dropped.
    jobs: mpsc::Sender<Job>,
    /// A hash of a text too long to be a password, verified against for unknown
    /// phones so that a login's timing does not tell whether the phone is registered.
    dummy_hash: String,
    /// Hashes admitted and not yet finished (hashing or waiting).
    admitted: AtomicUsize,
    /// The most admitted at once: one per thread plus the queue depth.
    capacity: usize,
    /// The parameters of every new hash.
    cost: HashCost,
}

/// A place in the hashing queue, taken by [`PasswordHasher::admit`]; the
/// hash or verification it is spent on waits for a thread without limit.
pub struct HashTicket {
    hasher: PasswordHasher,
}

impl Drop for HashTicket {
    fn drop(&mut self) {
        self.hasher.inner.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

impl HashTicket {
    /// The PHC string of `password` under a fresh random salt.
    pub async fn hash(self, password: &Password) -> Result<String, HashError> {
        let password = password.clone();
        self.hasher
            .run(move |worker| {
                let _timed = Timed::start("hash");
                worker.hash(password.expose().as_bytes())
            })
            .await
    }

    /// Whether `password` matches the stored hash `phc`; with `None` (unknown
    /// phone) it checks a dummy hash, taking as long, and answers `false`.
    ///
    /// An Argon2 hash (`$argon2id$`, `$argon2i$`) is checked in the thread's
    /// work area with its own parameters; any other form an import brought
    /// across (Werkzeug, bcrypt, Django, passlib, unsalted digests) is checked
    /// as its stack checks it ([`legacy::verify`], in constant time), on the
    /// same threads under the same permits. A stored hash in no known form
    /// matches no password.
    pub async fn verify(self, password: &Password, phc: Option<String>) -> Result<bool, HashError> {
        let password = password.clone();
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.hasher.inner.dummy_hash.clone());
        self.hasher
            .run(move |worker| {
                let password = password.expose().as_bytes();
                if phc.starts_with("$argon2") {
                    let _timed = Timed::start("verify");
                    let hash = PasswordHash::new(&phc)
                        .map_err(|err| HashError::Argon2(err.to_string()))?;
                    return Ok(worker.verify(password, &hash) && known);
                }
                let _timed = Timed::start("verify_legacy");
                match legacy::verify(&phc, password) {
                    Ok(matches) => Ok(matches && known),
                    Err(err) => {
                        tracing::error!(error = %err, "a stored password hash cannot be checked");
                        Ok(false)
                    }
                }
            })
            .await
    }
}

/// Observes its lifetime in [`metrics::HASHING`] under `kind` when dropped.
struct Timed {
    kind: &'static str,
    started: Instant,
}

impl Timed {
    fn start(kind: &'static str) -> Self {
        Self {
            kind,
            started: Instant::now(),
        }
    }
}

impl Drop for Timed {
    fn drop(&mut self) {
        metrics::HASHING
            .with_label_values(&[self.kind])
            .observe(self.started.elapsed().as_secs_f64());
    }
}

impl PasswordHasher {
    /// Memory cost in KiB.
    pub const M_COST: u32 = 19_456;
    /// Number of passes.
    pub const T_COST: u32 = 2;
    /// Degree of parallelism.
    pub const P_COST: u32 = 1;

    /// A hasher with `concurrency` hashing threads (at least one), hashing
    /// that many at once, with no bound on how many wait.
    pub fn new(concurrency: usize) -> Self {
        Self::with_queue_depth(concurrency, usize::MAX)
    }

    /// A hasher with `concurrency` hashing threads (at least one), of which
    /// at most `queue_depth` hashes wait for one; more are [`HashError::Busy`].
    pub fn with_queue_depth(concurrency: usize, queue_depth: usize) -> Self {
        Self::with_cost(HashCost::OWASP, concurrency, queue_depth)
    }

    /// A hasher making hashes at `cost`, with `concurrency` hashing threads
    /// (at least one), of which at most `queue_depth` hashes wait for one.
    pub fn with_cost(cost: HashCost, concurrency: usize, queue_depth: usize) -> Self {
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, cost.params());
        let dummy_hash = Worker::new(argon2.clone())
            .hash(b"not a password of anyone")
            .expect("hashing a constant succeeds");
        let threads = concurrency.max(1);
        Self {
            inner: Arc::new(Inner {
                permits: Semaphore::new(threads),
                jobs: spawn_threads(threads, &argon2),
                dummy_hash,
                admitted: AtomicUsize::new(0),
                capacity: threads.saturating_add(queue_depth),
                cost,
            }),
        }
    }

    /// A hasher with one hashing thread per CPU core and no bound on how many wait.
    pub fn per_core() -> Self {
        Self::new(cores())
    }

    /// A hasher with one hashing thread per CPU core, of which at most
    /// `queue_depth` hashes wait for one.
    pub fn per_core_with_queue_depth(queue_depth: usize) -> Self {
        Self::per_core_with_cost(HashCost::OWASP, queue_depth)
    }

    /// A hasher making hashes at `cost`, with one hashing thread per CPU
    /// core, of which at most `queue_depth` hashes wait for one.
    pub fn per_core_with_cost(cost: HashCost, queue_depth: usize) -> Self {
        Self::with_cost(cost, cores(), queue_depth)
    }

    /// The parameters this hasher makes hashes with.
    pub fn cost(&self) -> HashCost {
        self.inner.cost
    }

    /// A place in the queue for one hash or verification, or [`HashError::Busy`]
    /// at once when every thread is busy and the queue is full.
    pub fn admit(&self) -> Result<HashTicket, HashError> {
        let before = self.inner.admitted.fetch_add(1, Ordering::AcqRel);
        let ticket = HashTicket {
            hasher: self.clone(),
        };
        if before >= self.inner.capacity {
            // Dropping the ticket gives the place back.
            return Err(HashError::Busy);
        }
        Ok(ticket)
    }

    /// The PHC string of `password` under a fresh random salt (admitted first).
    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        self.admit()?.hash(password).await
    }

    /// Whether `password` matches `phc` (admitted first); see [`HashTicket::verify`].
    pub async fn verify(
        &self,
        password: &Password,
        phc: Option<String>,
    ) -> Result<bool, HashError> {
        self.admit()?.verify(password, phc).await
    }

    /// Whether `phc` was made with other parameters than today's (or is not
    /// an Argon2id hash at all), so it should be re-hashed at the next login.
    pub fn needs_rehash(&self, phc: &str) -> bool {
        let Ok(hash) = PasswordHash::new(phc) else {
            return true;
        };
        let cost = self.inner.cost;
        let current = (
            Some(u64::from(cost.memory_kib)),
            Some(u64::from(cost.passes)),
            Some(u64::from(cost.lanes)),
        );
        let stored = (
            hash.params.get_decimal("m").map(u64::from),
            hash.params.get_decimal("t").map(u64::from),
            hash.params.get_decimal("p").map(u64::from),
        );
        hash.algorithm.as_str() != "argon2id" || hash.version != Some(0x13) || stored != current
    }

    /// Runs `work` on a hashing thread once a permit is free.
    async fn run<R: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Worker) -> Result<R, HashError> + Send + 'static,
    ) -> Result<R, HashError> {
        let _in_flight = crate::metrics::InFlight::enter(&crate::metrics::HASHES_IN_FLIGHT);
        let _permit = self.inner.permits.acquire().await?;
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |worker| {
            let _ = reply.send(work(worker));
        });
        self.inner.jobs.send(job).map_err(|_| HashError::Lost)?;
        answer.await.map_err(|_| HashError::Lost)?
    }
}

/// The number of CPU cores (at least one).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

#[cfg(test)]
mod tests;
