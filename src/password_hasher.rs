//! Argon2id password hashing, bounded and off the async threads.
//!
//! One hash takes ~19 MiB and ~20 ms of one core. Hashes run on blocking
//! threads, and a semaphore admits at most one per CPU core, so a flood of
//! logins queues instead of multiplying memory or starving other requests.
//!
//! Each admitted hash works in one of a few reused work areas (at most one
//! per permit) rather than a fresh 19 MiB allocation: the allocator would
//! zero every new one (about a millisecond) and keep the freed ones in its
//! per-thread arenas, so the process's memory would grow with the number of
//! blocking threads that ever hashed, not with the permits.

use std::sync::{Arc, Mutex};

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{
        generate_salt,
        phc::{Output, ParamsString, Salt},
    },
};
use tokio::sync::Semaphore;

use crate::domain::Password;

/// A hashing failure: never the user's fault, reported as an internal error.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Argon2 itself failed.
    #[error("argon2 failed: {0}")]
    Argon2(String),
    /// The blocking task died.
    #[error("hashing task failed")]
    Task(#[from] tokio::task::JoinError),
    /// The semaphore was closed (the server is stopping).
    #[error("hashing is shut down")]
    Closed(#[from] tokio::sync::AcquireError),
}

/// Hashes and verifies passwords with Argon2id (OWASP: m=19456 KiB, t=2, p=1).
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

struct Inner {
    argon2: Argon2<'static>,
    permits: Semaphore,
    /// Work areas of today's parameters, each used by one hash at a time;
    /// there are never more than hashes admitted at once.
    work_areas: Mutex<Vec<Box<[Block]>>>,
    /// A hash of a text too long to be a password, verified against for unknown
    /// phones so that a login's timing does not tell whether the phone is registered.
    dummy_hash: String,
}

impl PasswordHasher {
    /// Memory cost in KiB.
    pub const M_COST: u32 = 19_456;
    /// Number of passes.
    pub const T_COST: u32 = 2;
    /// Degree of parallelism.
    pub const P_COST: u32 = 1;

    /// A hasher admitting `concurrency` hashes at once (at least one).
    pub fn new(concurrency: usize) -> Self {
        let params = Params::new(Self::M_COST, Self::T_COST, Self::P_COST, None)
            .expect("the OWASP parameters are valid");
        let mut inner = Inner {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            permits: Semaphore::new(concurrency.max(1)),
            work_areas: Mutex::new(Vec::new()),
            dummy_hash: String::new(),
        };
        inner.dummy_hash = inner
            .hash(b"not a password of anyone")
            .expect("hashing a constant succeeds");
        Self {
            inner: Arc::new(inner),
        }
    }

    /// A hasher admitting one hash per CPU core.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// The PHC string of `password` under a fresh random salt.
    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let password = password.clone();
        self.run(move |inner| inner.hash(password.expose().as_bytes()))
            .await
    }

    /// Whether `password` matches `phc`; with `None` (unknown phone) it checks a
    /// dummy hash, taking as long, and answers `false`.
    pub async fn verify(
        &self,
        password: &Password,
        phc: Option<String>,
    ) -> Result<bool, HashError> {
        let password = password.clone();
        let known = phc.is_some();
        self.run(move |inner| {
            let phc = phc.as_deref().unwrap_or(&inner.dummy_hash);
            let hash = PasswordHash::new(phc).map_err(|err| HashError::Argon2(err.to_string()))?;
            let matches = inner.verify(password.expose().as_bytes(), &hash);
            Ok(matches && known)
        })
        .await
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

    async fn run<R: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> Result<R, HashError> + Send + 'static,
    ) -> Result<R, HashError> {
        let _in_flight = crate::metrics::InFlight::enter(&crate::metrics::HASHES_IN_FLIGHT);
        let _permit = self.inner.permits.acquire().await?;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner)).await?
    }
}

impl Inner {
    /// What `argon2`'s `hash_password` makes (a 16-byte random salt, a 32-byte
    /// output, the PHC string of today's parameters), in a reused work area.
    fn hash(&self, password: &[u8]) -> Result<String, HashError> {
        let failed = |err: &dyn std::fmt::Display| HashError::Argon2(err.to_string());
        let salt = generate_salt();
        let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
        self.with_work_area(self.argon2.params(), |memory| {
            self.argon2
                .hash_password_into_with_memory(password, &salt, &mut output, memory)
        })
        .map_err(|err| failed(&err))?;
        let hash = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(self.argon2.params()).map_err(|err| failed(&err))?,
            salt: Some(Salt::new(&salt).map_err(|err| failed(&err))?),
            hash: Some(Output::new(&output).map_err(|err| failed(&err))?),
        };
        Ok(hash.to_string())
    }

    /// What `argon2`'s `verify_password` checks: `password` hashed with the
    /// algorithm, version, parameters and salt of `hash` gives its output
    /// (compared in constant time). Any other hash, e.g. one with an unknown
    /// algorithm, does not match.
    fn verify(&self, password: &[u8], hash: &PasswordHash) -> bool {
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
        let computed = self.with_work_area(&params, |memory| {
            argon2.hash_password_into_with_memory(password, salt, &mut output, memory)
        });
        computed.is_ok() && Output::new(&output).is_ok_and(|output| output == *expected)
    }

    /// Runs `work` in a reused work area when `params` fit today's, else in a
    /// fresh one (an old hash with other parameters, re-hashed at this login).
    fn with_work_area<R>(&self, params: &Params, work: impl FnOnce(&mut [Block]) -> R) -> R {
        let today = self.argon2.params().block_count();
        let needed = params.block_count();
        if needed > today {
            return work(&mut vec![Block::new(); needed]);
        }
        let reused = self
            .work_areas
            .lock()
            .ok()
            .and_then(|mut areas| areas.pop());
        let mut area = reused.unwrap_or_else(|| vec![Block::new(); today].into_boxed_slice());
        let result = work(&mut area[..needed]);
        if let Ok(mut areas) = self.work_areas.lock() {
            areas.push(area);
        }
        result
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
        let theirs = hasher
            .inner
            .argon2
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
    async fn work_areas_are_reused_never_more_than_the_permits() {
        let hasher = PasswordHasher::new(2);
        let hashes = (0..6).map(|_| {
            let hasher = hasher.clone();
            tokio::spawn(async move { hasher.hash(&password("123456")).await })
        });
        for hash in hashes.collect::<Vec<_>>() {
            hash.await.unwrap().unwrap();
        }
        let areas = hasher.inner.work_areas.lock().unwrap().len();
        assert!((1..=2).contains(&areas), "{areas} work areas");
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
    async fn two_hashes_of_one_password_differ_by_salt() {
        let hasher = PasswordHasher::new(1);
        let first = hasher.hash(&password("123456")).await.unwrap();
        let second = hasher.hash(&password("123456")).await.unwrap();
        assert_ne!(first, second);
    }
}
