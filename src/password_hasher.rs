//! Argon2id password hashing, bounded and off the async threads.
//!
//! One hash takes ~19 MiB and ~20 ms of one core. Hashes run on blocking
//! threads, and a semaphore admits at most one per CPU core, so a flood of
//! logins queues instead of multiplying memory or starving other requests.

use std::sync::Arc;

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version,
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
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy_hash = argon2
            .hash_password(b"not a password of anyone")
            .expect("hashing a constant succeeds")
            .to_string();
        Self {
            inner: Arc::new(Inner {
                argon2,
                permits: Semaphore::new(concurrency.max(1)),
                dummy_hash,
            }),
        }
    }

    /// A hasher admitting one hash per CPU core.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// The PHC string of `password` under a fresh random salt.
    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let password = password.clone();
        self.run(move |inner| {
            inner
                .argon2
                .hash_password(password.expose().as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|err| HashError::Argon2(err.to_string()))
        })
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
            let matches = inner
                .argon2
                .verify_password(password.expose().as_bytes(), &hash)
                .is_ok();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn password(text: &str) -> Password {
        Password::parse(text).unwrap()
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
