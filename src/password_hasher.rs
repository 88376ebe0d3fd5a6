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

use std::{
    panic::AssertUnwindSafe,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
};

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{
        generate_salt,
        phc::{Output, ParamsString, Salt},
    },
};
use tokio::sync::{Semaphore, oneshot};

use crate::domain::Password;

/// How much lower than the async threads the hashing threads run (a nice
/// value; +10 gives a busy async thread about nine tenths of a shared core).
const HASHING_NICE: i32 = 10;

/// A hashing failure: never the user's fault, reported as an internal error.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Argon2 itself failed.
    #[error("argon2 failed: {0}")]
    Argon2(String),
    /// The hashing thread dropped the job (a panic inside it) or is gone.
    #[error("the hashing thread failed")]
    Lost,
    /// The semaphore was closed (the server is stopping).
    #[error("hashing is shut down")]
    Closed(#[from] tokio::sync::AcquireError),
    /// Every hashing thread is busy and the queue is full: try again shortly.
    #[error("every hashing thread is busy and the queue is full")]
    Busy,
}

/// Hashes and verifies passwords with Argon2id (OWASP: m=19456 KiB, t=2, p=1).
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
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
            .run(move |worker| worker.hash(password.expose().as_bytes()))
            .await
    }

    /// Whether `password` matches `phc`; with `None` (unknown phone) it checks a
    /// dummy hash, taking as long, and answers `false`.
    pub async fn verify(self, password: &Password, phc: Option<String>) -> Result<bool, HashError> {
        let password = password.clone();
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.hasher.inner.dummy_hash.clone());
        self.hasher
            .run(move |worker| {
                let hash =
                    PasswordHash::new(&phc).map_err(|err| HashError::Argon2(err.to_string()))?;
                let matches = worker.verify(password.expose().as_bytes(), &hash);
                Ok(matches && known)
            })
            .await
    }
}

/// Work for a hashing thread, given the thread's [`Worker`].
type Job = Box<dyn FnOnce(&mut Worker) + Send>;

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
        let params = Params::new(Self::M_COST, Self::T_COST, Self::P_COST, None)
            .expect("the OWASP parameters are valid");
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
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
        Self::with_queue_depth(cores(), queue_depth)
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
        let current = (
            Some(u64::from(Self::M_COST)),
            Some(u64::from(Self::T_COST)),
            Some(u64::from(Self::P_COST)),
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

/// Starts `count` hashing threads taking jobs from one channel.
fn spawn_threads(count: usize, argon2: &Argon2<'static>) -> mpsc::Sender<Job> {
    let (jobs, queue) = mpsc::channel::<Job>();
    let queue = Arc::new(Mutex::new(queue));
    for index in 0..count {
        let queue = Arc::clone(&queue);
        let mut worker = Worker::new(argon2.clone());
        std::thread::Builder::new()
            .name(format!("argon2-{index}"))
            .spawn(move || {
                lower_priority();
                loop {
                    let next = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    // Every sender dropped: the hasher is gone.
                    let Ok(job) = next else { return };
                    // A panic drops the job's reply (the caller gets `Lost`);
                    // the thread goes on with the next job.
                    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut worker)));
                }
            })
            .expect("the operating system starts a hashing thread");
    }
    jobs
}

/// Lowers the calling thread's priority to [`HASHING_NICE`].
#[cfg(target_os = "linux")]
fn lower_priority() {
    // SAFETY: setpriority only reads its arguments. On Linux the nice value
    // is per thread, and `who` 0 with PRIO_PROCESS is the calling thread.
    let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, HASHING_NICE) };
    if result != 0 {
        tracing::warn!(
            error = %std::io::Error::last_os_error(),
            "cannot lower the priority of a hashing thread"
        );
    }
}

/// Lowers the calling thread's priority (Linux only).
#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

/// A hashing thread's Argon2 and its work area of today's parameters
/// (allocated at the first hash, then reused).
struct Worker {
    argon2: Argon2<'static>,
    area: Vec<Block>,
}

impl Worker {
    fn new(argon2: Argon2<'static>) -> Self {
        Self {
            argon2,
            area: Vec::new(),
        }
    }

    /// What `argon2`'s `hash_password` makes (a 16-byte random salt, a 32-byte
    /// output, the PHC string of today's parameters), in the work area.
    fn hash(&mut self, password: &[u8]) -> Result<String, HashError> {
        let failed = |err: &dyn std::fmt::Display| HashError::Argon2(err.to_string());
        let salt = generate_salt();
        let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
        let argon2 = self.argon2.clone();
        self.with_area(argon2.params(), |memory| {
            argon2.hash_password_into_with_memory(password, &salt, &mut output, memory)
        })
        .map_err(|err| failed(&err))?;
        let hash = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(argon2.params()).map_err(|err| failed(&err))?,
            salt: Some(Salt::new(&salt).map_err(|err| failed(&err))?),
            hash: Some(Output::new(&output).map_err(|err| failed(&err))?),
        };
        Ok(hash.to_string())
    }

    /// What `argon2`'s `verify_password` checks: `password` hashed with the
    /// algorithm, version, parameters and salt of `hash` gives its output
    /// (compared in constant time). Any other hash, e.g. one with an unknown
    /// algorithm, does not match.
    fn verify(&mut self, password: &[u8], hash: &PasswordHash) -> bool {
        let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
            return false;
        };
        let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else {
            return false;
        };
        let Ok(version) = hash
            .version
            .map_or(Ok(Version::default()), Version::try_from)
        else {
            return false;
        };
        let Ok(params) = Params::try_from(hash) else {
            return false;
        };
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let mut output = vec![0u8; expected.len()];
        let computed = self.with_area(&params, |memory| {
            argon2.hash_password_into_with_memory(password, salt, &mut output, memory)
        });
        computed.is_ok() && Output::new(&output).is_ok_and(|output| output == *expected)
    }

    /// Runs `work` in the work area when `params` fit today's, else in a
    /// fresh one (an old hash with other parameters, re-hashed at this login).
    fn with_area<R>(&mut self, params: &Params, work: impl FnOnce(&mut [Block]) -> R) -> R {
        let today = self.argon2.params().block_count();
        let needed = params.block_count();
        if needed > today {
            return work(&mut vec![Block::new(); needed]);
        }
        if self.area.len() < today {
            self.area = vec![Block::new(); today];
        }
        work(&mut self.area[..needed])
    }
}

#[cfg(test)]
mod tests {
    use argon2::{PasswordHasher as _, PasswordVerifier as _};

    use super::*;

    fn password(text: &str) -> Password {
        Password::parse(text).unwrap()
    }

    #[tokio::test]
    async fn hashes_are_those_of_the_argon2_crate_both_ways() {
        let hasher = PasswordHasher::new(1);
        let ours = hasher.hash(&password("123456")).await.unwrap();
        let crate_default = Argon2::default();
        assert!(
            crate_default
                .verify_password(b"123456", &PasswordHash::new(&ours).unwrap())
                .is_ok()
        );
        assert!(
            crate_default
                .verify_password(b"1234567", &PasswordHash::new(&ours).unwrap())
                .is_err()
        );
        let theirs = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(
                PasswordHasher::M_COST,
                PasswordHasher::T_COST,
                PasswordHasher::P_COST,
                None,
            )
            .unwrap(),
        )
        .hash_password(b"123456")
        .unwrap()
        .to_string();
        assert_eq!(theirs.len(), ours.len());
        assert!(
            hasher
                .verify(&password("123456"), Some(theirs.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(&password("654321"), Some(theirs))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn hashes_run_on_the_hashers_own_threads_at_a_lower_priority() {
        let hasher = PasswordHasher::new(2);
        let (name, nice) = hasher
            .run(|_| {
                let name = std::thread::current().name().map(str::to_owned);
                // SAFETY: getpriority only reads its arguments (0: this thread).
                #[cfg(target_os = "linux")]
                let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
                #[cfg(not(target_os = "linux"))]
                let nice = HASHING_NICE;
                Ok((name, nice))
            })
            .await
            .unwrap();
        assert!(name.is_some_and(|name| name.starts_with("argon2-")));
        assert!(nice >= HASHING_NICE, "nice {nice}");
    }

    #[tokio::test]
    async fn a_panic_on_a_hashing_thread_fails_that_hash_only() {
        let hasher = PasswordHasher::new(1);
        let lost = hasher.run::<()>(|_| panic!("inside argon2")).await;
        assert!(matches!(lost, Err(HashError::Lost)), "{lost:?}");
        assert!(hasher.hash(&password("123456")).await.is_ok());
    }

    #[tokio::test]
    async fn a_hash_verifies_its_own_password_only() {
        let hasher = PasswordHasher::new(2);
        let phc = hasher.hash(&password("123456")).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(!phc.contains("123456"));
        assert!(
            hasher
                .verify(&password("123456"), Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(&password("1234567"), Some(phc))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn an_unknown_phone_never_verifies() {
        let hasher = PasswordHasher::new(1);
        assert!(!hasher.verify(&password("123456"), None).await.unwrap());
    }

    #[tokio::test]
    async fn only_hashes_with_other_parameters_need_a_rehash() {
        let hasher = PasswordHasher::new(1);
        let current = hasher.hash(&password("123456")).await.unwrap();
        assert!(!hasher.needs_rehash(&current));
        let weaker = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).unwrap(),
        )
        .hash_password(b"123456")
        .unwrap()
        .to_string();
        assert!(hasher.needs_rehash(&weaker));
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::default())
            .hash_password(b"123456")
            .unwrap()
            .to_string();
        assert!(hasher.needs_rehash(&argon2i));
        assert!(hasher.needs_rehash("not a hash"));
        // An old hash still verifies; only then is it replaced.
        assert!(
            hasher
                .verify(&password("123456"), Some(weaker))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_frees_its_places() {
        let hasher = PasswordHasher::with_queue_depth(1, 1);
        // One hashing, one waiting: the third is refused without waiting.
        let first = hasher.admit().expect("a thread is free");
        let second = hasher.admit().expect("the queue has a place");
        assert!(matches!(hasher.admit(), Err(HashError::Busy)));
        assert!(matches!(hasher.admit(), Err(HashError::Busy)));
        drop(first);
        let third = hasher.admit().expect("a place was given back");
        drop((second, third));
        // Spent tickets give their places back too.
        for _ in 0..3 {
            assert!(hasher.hash(&password("123456")).await.is_ok());
        }
        let none_wait = PasswordHasher::with_queue_depth(1, 0);
        let running = none_wait.admit().expect("a thread is free");
        assert!(matches!(none_wait.admit(), Err(HashError::Busy)));
        drop(running);
    }

    #[tokio::test]
    async fn two_hashes_of_one_password_differ_by_salt() {
        let hasher = PasswordHasher::new(1);
        let first = hasher.hash(&password("123456")).await.unwrap();
        let second = hasher.hash(&password("123456")).await.unwrap();
        assert_ne!(first, second);
    }
}
