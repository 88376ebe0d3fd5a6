//! The reference of the login and register targets: one Argon2id hash and
//! one verify with the server's parameters, timed on one core of this machine
//! in the same run, once before the server starts and once after it stops.
//!
//! Each timing is a mean over a sustained window, hashes and verifies
//! alternating, because the targets compare it with a throughput sustained
//! for seconds: on a shared virtual machine one core's speed drifts by 20 %
//! from one second to the next (a median of 20 back-to-back hashes measured
//! here ranged from 17.5 ms to 28.3 ms between runs), and timing all the
//! hashes before all the verifies put whatever drift there was between them.
//! Bracketing the loads and averaging the two puts the reference in the
//! same stretch of time as the loads it is compared with.
//!
//! It does what `account_api::password_hasher::PasswordHasher` does inside
//! one request (hash with a fresh salt and format the PHC string; parse the
//! PHC string and verify) in one reused work area, as the server does,
//! without the queueing around it: the best one core can do. The criterion
//! bench `cargo bench -p load --bench password_hashing` measures
//! the server's own hasher; the two should agree.

use std::{
    hint::black_box,
    time::{Duration, Instant},
};

use account_api::password_hasher::PasswordHasher;
use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{
        generate_salt,
        phc::{Output, ParamsString, Salt},
    },
};

/// The server's parameters: `PasswordHasher::{M_COST, T_COST, P_COST}`.
fn params() -> Params {
    Params::new(
        PasswordHasher::M_COST,
        PasswordHasher::T_COST,
        PasswordHasher::P_COST,
        None,
    )
    .expect("the server's parameters are valid")
}

/// Mean times of one hash and one verify on one core.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reference {
    /// One hash with a fresh salt, PHC string included.
    pub hash: Duration,
    /// One verify of a correct password, PHC parsing included.
    pub verify: Duration,
    /// How many of each were timed.
    pub samples: usize,
}

impl Reference {
    /// The mean over both timings' samples together.
    pub fn combined(self, other: Self) -> Self {
        let samples = self.samples + other.samples;
        let mean = |a: Duration, b: Duration| {
            (a * count(self.samples) + b * count(other.samples)) / count(samples.max(1))
        };
        Self {
            hash: mean(self.hash, other.hash),
            verify: mean(self.verify, other.verify),
            samples,
        }
    }
}

/// The reference timed before the loads and after them.
#[derive(Debug, Clone, Copy)]
pub struct Bracket {
    /// Timed before the server started.
    pub before: Reference,
    /// Timed after the server stopped.
    pub after: Reference,
    /// Hashes per second with one hashing thread per core, all at once
    /// (timed after `before`): what the cores really deliver together,
    /// shown beside the targets, which assume they scale perfectly.
    pub all_cores_per_second: f64,
}

impl Bracket {
    /// Both timings as one: the reference the targets use.
    pub fn reference(&self) -> Reference {
        self.before.combined(self.after)
    }
}

/// Hashes per second of `threads` threads hashing at once for `window`,
/// each in its own work area, as the server's hashing threads do.
pub fn all_at_once(threads: usize, window: Duration) -> f64 {
    let params = params();
    let started = Instant::now();
    let hashes: u64 = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                let params = params.clone();
                scope.spawn(move || {
                    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
                    let mut memory = vec![Block::new(); params.block_count()];
                    let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
                    let mut done = 0u64;
                    while done == 0 || started.elapsed() < window {
                        argon2
                            .hash_password_into_with_memory(
                                black_box(b"bench-pass-01"),
                                &generate_salt(),
                                &mut output,
                                &mut memory,
                            )
                            .expect("hashing succeeds");
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a hashing thread"))
            .sum()
    });
    hashes as f64 / started.elapsed().as_secs_f64()
}

fn count(samples: usize) -> u32 {
    u32::try_from(samples).expect("fewer than 4 billion samples")
}

/// The PHC string of `password` under a fresh salt with `argon2` of
/// `params`, hashed in `memory`.
fn phc_in(argon2: &Argon2, params: &Params, password: &[u8], memory: &mut [Block]) -> String {
    let salt = generate_salt();
    let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2
        .hash_password_into_with_memory(password, &salt, &mut output, memory)
        .expect("hashing succeeds");
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).expect("valid parameters"),
        salt: Some(Salt::new(&salt).expect("a valid salt")),
        hash: Some(Output::new(&output).expect("a valid output")),
    }
    .to_string()
}

/// The PHC string of `password` with the server's parameters, as a
/// registration stores it.
pub fn phc(password: &[u8]) -> String {
    let params = params();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut memory = vec![Block::new(); params.block_count()];
    phc_in(&argon2, &params, password, &mut memory)
}

/// Times hashes and verifies, alternating, for `window` in all (after one
/// of each to warm up); their means.
pub fn measure(window: Duration) -> Reference {
    let params = params();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut memory = vec![Block::new(); params.block_count()];
    let password = b"bench-pass-01";

    let hash = |memory: &mut [Block]| phc_in(&argon2, &params, black_box(password), memory);
    let verify = |memory: &mut [Block], phc: &str| {
        let parsed = PasswordHash::new(black_box(phc)).expect("a valid PHC string");
        let params = Params::try_from(&parsed).expect("valid parameters");
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            panic!("the PHC string has a salt and a hash");
        };
        let mut output = vec![0u8; expected.len()];
        argon2
            .hash_password_into_with_memory(black_box(password), salt, &mut output, memory)
            .expect("hashing succeeds");
        let output = Output::new(&output).expect("a valid output");
        assert!(
            output == *expected,
            "the password verifies against its own hash"
        );
    };
    let phc = hash(&mut memory);
    verify(&mut memory, &phc);

    let (mut hashing, mut verifying, mut samples) = (Duration::ZERO, Duration::ZERO, 0u32);
    let started = Instant::now();
    while samples == 0 || started.elapsed() < window {
        let at = Instant::now();
        black_box(hash(&mut memory));
        let hashed = Instant::now();
        verify(&mut memory, &phc);
        hashing += hashed - at;
        verifying += hashed.elapsed();
        samples += 1;
    }
    Reference {
        hash: hashing / samples,
        verify: verifying / samples,
        samples: samples as usize,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_timings_weigh_each_by_its_samples() {
        let ms = Duration::from_millis;
        let before = Reference {
            hash: ms(20),
            verify: ms(30),
            samples: 1,
        };
        let after = Reference {
            hash: ms(24),
            verify: ms(18),
            samples: 3,
        };
        assert_eq!(
            before.combined(after),
            Reference {
                hash: ms(23),
                verify: ms(21),
                samples: 4
            }
        );
    }
}
