//! Tests of the hasher and its threads.

use argon2::{PasswordHasher as _, PasswordVerifier as _};

use super::{threads::HASHING_NICE, *};

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
