//! The reference of the login and register targets: one Argon2id hash and
//! one verify with the server's parameters, timed on one core of this machine
//! in the same run, before the server starts.
//!
//! It does what `account_api::password_hasher::PasswordHasher` does inside
//! one request (hash with a fresh salt and format the PHC string; parse the
//! PHC string and verify) in one reused work area, as the server does,
//! without the queueing around it: the best one core can do. The criterion
//! bench `cargo bench -p contract-tests --bench password_hashing` measures
//! the server's own hasher; the two should agree.

use std::{
    hint::black_box,
    time::{Duration, Instant},
};

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{
        generate_salt,
        phc::{Output, ParamsString, Salt},
    },
};

/// Memory cost in KiB, as the server's `PasswordHasher::M_COST` (a test keeps them equal).
pub const M_COST_KIB: u32 = 19_456;
/// Passes, as `PasswordHasher::T_COST`.
pub const T_COST: u32 = 2;
/// Lanes, as `PasswordHasher::P_COST`.
pub const P_COST: u32 = 1;

/// Median times of one hash and one verify on one core.
#[derive(Debug, Clone, Copy)]
pub struct Reference {
    /// One hash with a fresh salt, PHC string included.
    pub hash: Duration,
    /// One verify of a correct password, PHC parsing included.
    pub verify: Duration,
    /// How many of each were timed.
    pub samples: usize,
}

/// Times `samples` hashes and verifies (after one of each to warm up).
pub fn measure(samples: usize) -> Reference {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).expect("valid parameters");
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut memory = vec![Block::new(); params.block_count()];
    let password = b"bench-pass-01";

    let hash = |memory: &mut [Block]| {
        let salt = generate_salt();
        let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
        argon2
            .hash_password_into_with_memory(black_box(password), &salt, &mut output, memory)
            .expect("hashing succeeds");
        PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).expect("valid parameters"),
            salt: Some(Salt::new(&salt).expect("a valid salt")),
            hash: Some(Output::new(&output).expect("a valid output")),
        }
        .to_string()
    };
    let phc = hash(&mut memory);
    let hash_time = median(samples, || {
        black_box(hash(&mut memory));
    });
    let verify_time = median(samples, || {
        let parsed = PasswordHash::new(black_box(&phc)).expect("a valid PHC string");
        let params = Params::try_from(&parsed).expect("valid parameters");
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            panic!("the PHC string has a salt and a hash");
        };
        let mut output = vec![0u8; expected.len()];
        argon2
            .hash_password_into_with_memory(black_box(password), salt, &mut output, &mut memory)
            .expect("hashing succeeds");
        let output = Output::new(&output).expect("a valid output");
        assert!(
            output == *expected,
            "the password verifies against its own hash"
        );
    });
    Reference {
        hash: hash_time,
        verify: verify_time,
        samples,
    }
}

/// The median duration of `samples` runs of `work`, after one unmeasured run.
fn median(samples: usize, mut work: impl FnMut()) -> Duration {
    work();
    let mut times: Vec<Duration> = (0..samples.max(1))
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

#[cfg(test)]
mod tests {
    use account_api::password_hasher::PasswordHasher;

    use super::*;

    #[test]
    fn the_reference_uses_the_parameters_the_server_hashes_with() {
        assert_eq!(
            (M_COST_KIB, T_COST, P_COST),
            (
                PasswordHasher::M_COST,
                PasswordHasher::T_COST,
                PasswordHasher::P_COST
            )
        );
    }
}
