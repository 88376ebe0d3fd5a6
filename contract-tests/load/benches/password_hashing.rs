//! One Argon2id hash and one verify through the server's own
//! `PasswordHasher`, with the parameters it is configured with: the
//! reference of the login and register targets of the load benchmark.
//!
//! `cargo bench -p load --bench password_hashing`
//!
//! With `LOAD_DURATION` set (the load harness's short runs, as in CI) each
//! function is measured for that many seconds after a half-second warm-up,
//! with criterion's fewest samples: enough to show the bench runs, not a
//! figure to quote.

use std::{hint::black_box, time::Duration};

use account_api::{domain::Password, password_hasher::PasswordHasher};
use criterion::{Criterion, criterion_group, criterion_main};

fn password_hashing(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let hasher = PasswordHasher::new(1);
    let password = Password::parse("bench-pass-01").expect("a valid password");
    let phc = runtime
        .block_on(hasher.hash(&password))
        .expect("hashing succeeds");

    let mut group = c.benchmark_group(format!(
        "argon2id-m{}-t{}-p{}",
        PasswordHasher::M_COST,
        PasswordHasher::T_COST,
        PasswordHasher::P_COST
    ));
    if std::env::var_os("LOAD_DURATION").is_none() {
        group.sample_size(30);
    }
    group.bench_function("hash", |b| {
        b.iter(|| runtime.block_on(hasher.hash(black_box(&password))));
    });
    group.bench_function("verify", |b| {
        b.iter(|| {
            let matches = runtime
                .block_on(hasher.verify(black_box(&password), Some(phc.clone())))
                .expect("verifying succeeds");
            assert!(matches);
        });
    });
    group.finish();
}

/// Criterion's defaults, or the short run `LOAD_DURATION` asks for.
fn config() -> Criterion {
    let short = std::env::var("LOAD_DURATION")
        .ok()
        .and_then(|seconds| seconds.parse::<u64>().ok())
        .filter(|seconds| *seconds > 0);
    match short {
        Some(seconds) => Criterion::default()
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(seconds))
            .sample_size(10),
        None => Criterion::default(),
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = password_hashing
}
criterion_main!(benches);
