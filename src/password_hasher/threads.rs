//! The hashing threads: each runs jobs from one queue at a lower priority
//! than the async threads, with its own Argon2 work area.

use std::{
    panic::AssertUnwindSafe,
    sync::{Arc, Mutex, mpsc},
};

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{
        generate_salt,
        phc::{Output, ParamsString, Salt},
    },
};

use super::error::HashError;

/// How much lower than the async threads the hashing threads run (a nice
/// value; +10 gives a busy async thread about nine tenths of a shared core).
pub(super) const HASHING_NICE: i32 = 10;

/// Work for a hashing thread, given the thread's [`Worker`].
pub(super) type Job = Box<dyn FnOnce(&mut Worker) + Send>;

/// Starts `count` hashing threads taking jobs from one channel.
pub(super) fn spawn_threads(count: usize, argon2: &Argon2<'static>) -> mpsc::Sender<Job> {
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
pub(super) struct Worker {
    argon2: Argon2<'static>,
    area: Vec<Block>,
}

impl Worker {
    pub(super) fn new(argon2: Argon2<'static>) -> Self {
        Self {
            argon2,
            area: Vec::new(),
        }
    }

    /// What `argon2`'s `hash_password` makes (a 16-byte random salt, a 32-byte
    /// output, the PHC string of today's parameters), in the work area.
    pub(super) fn hash(&mut self, password: &[u8]) -> Result<String, HashError> {
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
    pub(super) fn verify(&mut self, password: &[u8], hash: &PasswordHash) -> bool {
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
