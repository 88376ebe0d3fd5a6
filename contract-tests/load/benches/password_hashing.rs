//! One Argon2id hash and one verify through the server's own
//! `PasswordHasher`, with the parameters it is configured with: the
//! reference of the login and register targets of the load benchmark.
//!
//! `cargo bench -p load --bench password_hashing`

use std::hint::black_box;

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
    group.sample_size(30);
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

criterion_group!(benches, password_hashing);
criterion_main!(benches);
