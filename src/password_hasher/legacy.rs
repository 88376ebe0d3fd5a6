//! Password hashes as legacy stacks wrote them, recognised by their form and
//! checked as those stacks check them, so that imported accounts keep their
//! passwords without a re-hash at import (see [`detect`] and [`verify`]).
//!
//! | form | [`LegacyScheme`] | how it is checked |
//! | --- | --- | --- |
//! | `pbkdf2:sha256:600000$salt$hex`, `pbkdf2:sha1:…`, `pbkdf2$salt$hex` | `werkzeug_pbkdf2_*` | PBKDF2-HMAC of the password with the salt's UTF-8 bytes; no iterations: Werkzeug's default, 1,000,000 (Werkzeug 3.1) |
//! | `scrypt:32768:8:1$salt$hex`, `scrypt$salt$hex` | `werkzeug_scrypt` | scrypt, 64 bytes; no parameters: N=32768, r=8, p=1 |
//! | `sha1$salt$hex`, `md5$salt$hex` (Werkzeug before 2.3) | `werkzeug_hmac_*` | HMAC keyed with the salt; an empty salt: the plain digest |
//! | `$2a$`, `$2b$`, `$2y$` | `bcrypt` | the `bcrypt` crate |
//! | `$argon2id$…`, `$argon2i$…` | `argon2id`, `argon2i` | the `argon2` crate, with the hash's own parameters |
//! | `pbkdf2_sha256$iterations$salt$base64` (Django) | `django_pbkdf2_sha256` | PBKDF2-HMAC-SHA256, 32 bytes |
//! | `$pbkdf2-sha256$…`, `$pbkdf2-sha512$…` (passlib) | `passlib_pbkdf2_*` | PBKDF2-HMAC, salt and checksum in passlib's "ab64" |
//! | 32, 40 or 64 hex digits, either case | `md5_hex`, `sha1_hex`, `sha256_hex` | the unsalted digest |
//!
//! Anything else is [`UnknownHashForm::NoKnownForm`]; a hash whose cost would
//! make one login take more than a few seconds is refused when it is read
//! ([`UnknownHashForm::CostTooHigh`], naming the parameter), so a crafted
//! import line cannot tie up the hashing threads. Every comparison is in
//! constant time (`subtle`, or the crates' own verification). No error
//! message repeats the hash.

use std::{fmt, str::FromStr};

use argon2::{Argon2, PasswordHash, PasswordVerifier};
use base64::{
    Engine as _,
    engine::general_purpose::{STANDARD, STANDARD_NO_PAD},
};
use hmac::{EagerHash, Hmac, KeyInit, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest as _, Sha256, Sha512};
use subtle::ConstantTimeEq;

use super::PasswordHasher;

/// The most PBKDF2 iterations accepted (a few seconds of one core).
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// The largest scrypt N accepted, as a power of two (N ≤ 2^20).
pub const MAX_SCRYPT_LOG_N: u8 = 20;
/// The largest scrypt r × p accepted.
pub const MAX_SCRYPT_R_TIMES_P: u64 = 64;
/// The largest scrypt N × r accepted: its memory is 128 × N × r bytes (1 GiB).
pub const MAX_SCRYPT_N_TIMES_R: u64 = 1 << 23;
/// The largest bcrypt cost accepted (2^16 rounds).
pub const MAX_BCRYPT_COST: u32 = 16;
/// The most Argon2 memory accepted, in KiB (256 MiB).
pub const MAX_ARGON2_M_COST: u32 = 256 * 1024;
/// The most Argon2 passes accepted.
pub const MAX_ARGON2_T_COST: u32 = 16;
/// The most Argon2 lanes accepted.
pub const MAX_ARGON2_P_COST: u32 = 16;

/// Werkzeug's PBKDF2 iterations when the form names none (Werkzeug 3.1's
/// `DEFAULT_PBKDF2_ITERATIONS`; `check_password_hash` reads such a hash with
/// the running Werkzeug's default).
const WERKZEUG_DEFAULT_PBKDF2_ITERATIONS: u32 = 1_000_000;
/// Werkzeug's scrypt parameters when the form names none: N = 2^15, r = 8, p = 1.
const WERKZEUG_DEFAULT_SCRYPT: (u8, u32, u32) = (15, 8, 1);
/// The length of Werkzeug's scrypt output (hashlib's default `dklen`).
const WERKZEUG_SCRYPT_LEN: usize = 64;

/// A form of stored password hash this server can check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LegacyScheme {
    /// Werkzeug `pbkdf2:sha256:N$salt$hex` (also `pbkdf2$salt$hex`).
    WerkzeugPbkdf2Sha256,
    /// Werkzeug `pbkdf2:sha1:N$salt$hex`.
    WerkzeugPbkdf2Sha1,
    /// Werkzeug `scrypt:N:r:p$salt$hex`.
    WerkzeugScrypt,
    /// Werkzeug before 2.3: `sha1$salt$hex`, HMAC-SHA1 keyed with the salt.
    WerkzeugHmacSha1,
    /// Werkzeug before 2.3: `md5$salt$hex`, HMAC-MD5 keyed with the salt.
    WerkzeugHmacMd5,
    /// bcrypt `$2a$`, `$2b$` or `$2y$`.
    Bcrypt,
    /// Argon2id in the PHC string format (this server's own form).
    Argon2id,
    /// Argon2i in the PHC string format.
    Argon2i,
    /// Django `pbkdf2_sha256$iterations$salt$base64`.
    DjangoPbkdf2Sha256,
    /// passlib `$pbkdf2-sha256$rounds$salt$checksum`.
    PasslibPbkdf2Sha256,
    /// passlib `$pbkdf2-sha512$rounds$salt$checksum`.
    PasslibPbkdf2Sha512,
    /// An unsalted MD5 digest: 32 hex digits.
    Md5Hex,
    /// An unsalted SHA-1 digest: 40 hex digits.
    Sha1Hex,
    /// An unsalted SHA-256 digest: 64 hex digits.
    Sha256Hex,
}

impl LegacyScheme {
    /// Every scheme, in a stable order.
    pub const ALL: [Self; 14] = [
        Self::WerkzeugPbkdf2Sha256,
        Self::WerkzeugPbkdf2Sha1,
        Self::WerkzeugScrypt,
        Self::WerkzeugHmacSha1,
        Self::WerkzeugHmacMd5,
        Self::Bcrypt,
        Self::Argon2id,
        Self::Argon2i,
        Self::DjangoPbkdf2Sha256,
        Self::PasslibPbkdf2Sha256,
        Self::PasslibPbkdf2Sha512,
        Self::Md5Hex,
        Self::Sha1Hex,
        Self::Sha256Hex,
    ];

    /// A short name that never changes (a metric label, a stored value).
    pub const fn name(self) -> &'static str {
        match self {
            Self::WerkzeugPbkdf2Sha256 => "werkzeug_pbkdf2_sha256",
            Self::WerkzeugPbkdf2Sha1 => "werkzeug_pbkdf2_sha1",
            Self::WerkzeugScrypt => "werkzeug_scrypt",
            Self::WerkzeugHmacSha1 => "werkzeug_hmac_sha1",
            Self::WerkzeugHmacMd5 => "werkzeug_hmac_md5",
            Self::Bcrypt => "bcrypt",
            Self::Argon2id => "argon2id",
            Self::Argon2i => "argon2i",
            Self::DjangoPbkdf2Sha256 => "django_pbkdf2_sha256",
            Self::PasslibPbkdf2Sha256 => "passlib_pbkdf2_sha256",
            Self::PasslibPbkdf2Sha512 => "passlib_pbkdf2_sha512",
            Self::Md5Hex => "md5_hex",
            Self::Sha1Hex => "sha1_hex",
            Self::Sha256Hex => "sha256_hex",
        }
    }
}

impl fmt::Display for LegacyScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no scheme's [`LegacyScheme::name`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no password hash scheme is named {0:?}")]
pub struct UnknownSchemeName(pub String);

impl FromStr for LegacyScheme {
    type Err = UnknownSchemeName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|scheme| scheme.name() == name)
            .ok_or_else(|| UnknownSchemeName(name.to_owned()))
    }
}

/// Why a stored password hash cannot be checked. The messages never repeat
/// the hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnknownHashForm {
    /// The hash is in none of the forms this server reads.
    #[error("the password hash is in no known form")]
    NoKnownForm,
    /// The hash starts like `scheme` but is not a valid hash of it.
    #[error("the password hash looks like {scheme} but is malformed: {reason}")]
    Malformed {
        /// The scheme the hash starts like.
        scheme: LegacyScheme,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A cost parameter above what a login may spend.
    #[error(
        "the {scheme} password hash's {parameter} is {value}, above the {max} this server accepts"
    )]
    CostTooHigh {
        /// The hash's scheme.
        scheme: LegacyScheme,
        /// The parameter's name in the hash's form (`iterations`, `N`, `cost`, `m`…).
        parameter: &'static str,
        /// Its value in the hash (saturated at `u64::MAX`).
        value: u64,
        /// The most this server accepts.
        max: u64,
    },
}

/// The scheme of a stored hash, from its form alone (no password needed).
///
/// The hash is parsed in full, with its cost parameters checked, so a hash
/// that [`detect`] accepts is one [`verify`] can check.
pub fn detect(hash: &str) -> Result<LegacyScheme, UnknownHashForm> {
    parse(hash).map(|parsed| parsed.scheme)
}

/// Whether `password` matches the stored `hash`, checked as the stack that
/// wrote it checks it, in constant time.
pub fn verify(hash: &str, password: &[u8]) -> Result<bool, UnknownHashForm> {
    let parsed = parse(hash)?;
    let scheme = parsed.scheme;
    Ok(match parsed.check {
        Check::Pbkdf2 {
            digest,
            iterations,
            salt,
            expected,
        } => {
            let mut computed = vec![0u8; expected.len()];
            match digest {
                DigestKind::Md5 => {
                    pbkdf2::pbkdf2_hmac::<Md5>(password, &salt, iterations, &mut computed)
                }
                DigestKind::Sha1 => {
                    pbkdf2::pbkdf2_hmac::<Sha1>(password, &salt, iterations, &mut computed)
                }
                DigestKind::Sha256 => {
                    pbkdf2::pbkdf2_hmac::<Sha256>(password, &salt, iterations, &mut computed)
                }
                DigestKind::Sha512 => {
                    pbkdf2::pbkdf2_hmac::<Sha512>(password, &salt, iterations, &mut computed)
                }
            }
            bool::from(computed.ct_eq(&expected))
        }
        Check::Scrypt {
            log_n,
            r,
            p,
            salt,
            expected,
        } => {
            let params =
                scrypt::Params::new(log_n, r, p).map_err(|_| UnknownHashForm::Malformed {
                    scheme,
                    reason: "scrypt refuses its parameters",
                })?;
            let mut computed = vec![0u8; expected.len()];
            scrypt::scrypt(password, salt, &params, &mut computed).map_err(|_| {
                UnknownHashForm::Malformed {
                    scheme,
                    reason: "scrypt refuses its output length",
                }
            })?;
            bool::from(computed.ct_eq(&expected))
        }
        Check::Hmac {
            digest,
            key,
            expected,
        } => match digest {
            DigestKind::Md5 => hmac_matches::<Md5>(key, password, &expected),
            DigestKind::Sha1 => hmac_matches::<Sha1>(key, password, &expected),
            DigestKind::Sha256 => hmac_matches::<Sha256>(key, password, &expected),
            DigestKind::Sha512 => hmac_matches::<Sha512>(key, password, &expected),
        },
        Check::Digest { digest, expected } => {
            let computed = match digest {
                DigestKind::Md5 => Md5::digest(password).to_vec(),
                DigestKind::Sha1 => Sha1::digest(password).to_vec(),
                DigestKind::Sha256 => Sha256::digest(password).to_vec(),
                DigestKind::Sha512 => Sha512::digest(password).to_vec(),
            };
            bool::from(computed.ct_eq(&expected))
        }
        Check::Bcrypt => {
            bcrypt::verify(password, hash).map_err(|_| UnknownHashForm::Malformed {
                scheme,
                reason: "bcrypt refuses it",
            })?
        }
        // The algorithm, version and parameters are the hash's own.
        Check::Argon2 => Argon2::default().verify_password(password, hash).is_ok(),
    })
}

/// Whether `hash` is this server's own form at today's parameters: Argon2id,
/// version 0x13, with [`PasswordHasher`]'s m, t and p. Anything else (another
/// scheme, Argon2i, other parameters, not a hash at all) should be replaced
/// with a fresh Argon2id hash at the next successful login.
pub fn is_current(hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let param = |name: &str| parsed.params.get_decimal(name);
    parsed.algorithm.as_str() == "argon2id"
        && parsed.version == Some(0x13)
        && param("m") == Some(PasswordHasher::M_COST)
        && param("t") == Some(PasswordHasher::T_COST)
        && param("p") == Some(PasswordHasher::P_COST)
        && parsed.salt.is_some()
        && parsed.hash.is_some()
}

/// Whether a successful login against `hash` should replace it (the opposite
/// of [`is_current`]).
pub fn needs_rehash(hash: &str) -> bool {
    !is_current(hash)
}

/// A hash function a legacy form is built on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DigestKind {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl DigestKind {
    const fn output_len(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }
}

/// A hash read in full: its scheme and what checking a password takes.
struct Parsed<'a> {
    scheme: LegacyScheme,
    check: Check<'a>,
}

enum Check<'a> {
    Pbkdf2 {
        digest: DigestKind,
        iterations: u32,
        salt: Vec<u8>,
        expected: Vec<u8>,
    },
    Scrypt {
        log_n: u8,
        r: u32,
        p: u32,
        salt: &'a [u8],
        expected: Vec<u8>,
    },
    /// HMAC keyed with `key`; with an empty key, the plain digest instead
    /// (Werkzeug 2.2's `_hash_internal` without a salt).
    Hmac {
        digest: DigestKind,
        key: &'a [u8],
        expected: Vec<u8>,
    },
    Digest {
        digest: DigestKind,
        expected: Vec<u8>,
    },
    Bcrypt,
    Argon2,
}

fn hmac_matches<D: EagerHash>(key: &[u8], message: &[u8], expected: &[u8]) -> bool
where
    Hmac<D>: KeyInit + Mac,
{
    if key.is_empty() {
        let computed = D::digest(message);
        return bool::from(computed.as_slice().ct_eq(expected));
    }
    let Ok(mut mac) = <Hmac<D> as KeyInit>::new_from_slice(key) else {
        return false;
    };
    mac.update(message);
    mac.verify_slice(expected).is_ok()
}

fn parse(hash: &str) -> Result<Parsed<'_>, UnknownHashForm> {
    if let Some(rest) = hash.strip_prefix("pbkdf2_sha256$") {
        return parse_django(rest);
    }
    if hash.starts_with("$pbkdf2-sha256$") || hash.starts_with("$pbkdf2-sha512$") {
        return parse_passlib(hash);
    }
    if ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|prefix| hash.starts_with(prefix))
    {
        return parse_bcrypt(hash);
    }
    if hash.starts_with("$argon2id$") || hash.starts_with("$argon2i$") {
        return parse_argon2(hash);
    }
    if let Some(parsed) = parse_hex_digest(hash) {
        return Ok(parsed);
    }
    parse_werkzeug(hash)
}

/// `method$salt$hex`, split as Werkzeug splits it (`split("$", 2)`).
fn parse_werkzeug(hash: &str) -> Result<Parsed<'_>, UnknownHashForm> {
    let mut parts = hash.splitn(3, '$');
    let (Some(method), Some(salt), Some(hexdigest)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(UnknownHashForm::NoKnownForm);
    };
    let mut args = method.split(':');
    let name = args.next().unwrap_or_default();
    let args: Vec<&str> = args.collect();
    match name {
        "pbkdf2" => {
            let (scheme, digest) = match args.first().copied().unwrap_or("sha256") {
                "sha256" => (LegacyScheme::WerkzeugPbkdf2Sha256, DigestKind::Sha256),
                "sha1" => (LegacyScheme::WerkzeugPbkdf2Sha1, DigestKind::Sha1),
                _ => return Err(UnknownHashForm::NoKnownForm),
            };
            let iterations = match args.as_slice() {
                [] | [_] => WERKZEUG_DEFAULT_PBKDF2_ITERATIONS,
                [_, iterations] => parse_iterations(scheme, iterations)?,
                _ => return Err(malformed(scheme, "too many parameters")),
            };
            Ok(Parsed {
                scheme,
                check: Check::Pbkdf2 {
                    digest,
                    iterations,
                    salt: salt.as_bytes().to_vec(),
                    expected: parse_hex(scheme, hexdigest, digest.output_len())?,
                },
            })
        }
        "scrypt" => {
            let scheme = LegacyScheme::WerkzeugScrypt;
            let (log_n, r, p) = match args.as_slice() {
                [] => WERKZEUG_DEFAULT_SCRYPT,
                [n, r, p] => scrypt_params(scheme, n, r, p)?,
                _ => return Err(malformed(scheme, "scrypt takes N, r and p")),
            };
            Ok(Parsed {
                scheme,
                check: Check::Scrypt {
                    log_n,
                    r,
                    p,
                    salt: salt.as_bytes(),
                    expected: parse_hex(scheme, hexdigest, WERKZEUG_SCRYPT_LEN)?,
                },
            })
        }
        "sha1" | "md5" if args.is_empty() => {
            let (scheme, digest) = if name == "sha1" {
                (LegacyScheme::WerkzeugHmacSha1, DigestKind::Sha1)
            } else {
                (LegacyScheme::WerkzeugHmacMd5, DigestKind::Md5)
            };
            Ok(Parsed {
                scheme,
                check: Check::Hmac {
                    digest,
                    key: salt.as_bytes(),
                    expected: parse_hex(scheme, hexdigest, digest.output_len())?,
                },
            })
        }
        _ => Err(UnknownHashForm::NoKnownForm),
    }
}

/// Werkzeug's `scrypt:N:r:p`: N a power of two above 1, as hashlib requires.
fn scrypt_params(
    scheme: LegacyScheme,
    n: &str,
    r: &str,
    p: &str,
) -> Result<(u8, u32, u32), UnknownHashForm> {
    let number = |text: &str, reason| {
        decimal(text)
            .filter(|value| *value > 0)
            .ok_or_else(|| malformed(scheme, reason))
    };
    let n = number(n, "N is not a positive number")?;
    let r = number(r, "r is not a positive number")?;
    let p = number(p, "p is not a positive number")?;
    if !n.is_power_of_two() || n < 2 {
        return Err(malformed(scheme, "N is not a power of two above 1"));
    }
    let too_high = |parameter, value, max| UnknownHashForm::CostTooHigh {
        scheme,
        parameter,
        value,
        max,
    };
    let max_n = 1u64 << MAX_SCRYPT_LOG_N;
    if n > max_n {
        return Err(too_high("N", n, max_n));
    }
    let r_times_p = r.saturating_mul(p);
    if r_times_p > MAX_SCRYPT_R_TIMES_P {
        return Err(too_high("r*p", r_times_p, MAX_SCRYPT_R_TIMES_P));
    }
    let n_times_r = n.saturating_mul(r);
    if n_times_r > MAX_SCRYPT_N_TIMES_R {
        return Err(too_high("N*r", n_times_r, MAX_SCRYPT_N_TIMES_R));
    }
    let log_n = u8::try_from(n.trailing_zeros()).map_err(|_| malformed(scheme, "N"))?;
    let r = u32::try_from(r).map_err(|_| malformed(scheme, "r is too large"))?;
    let p = u32::try_from(p).map_err(|_| malformed(scheme, "p is too large"))?;
    Ok((log_n, r, p))
}

/// Django: `pbkdf2_sha256$iterations$salt$base64` (split as Django splits
/// it, `split("$", 3)`), the salt's UTF-8 bytes, a 32-byte key.
fn parse_django(rest: &str) -> Result<Parsed<'_>, UnknownHashForm> {
    let scheme = LegacyScheme::DjangoPbkdf2Sha256;
    let mut parts = rest.splitn(3, '$');
    let (Some(iterations), Some(salt), Some(encoded)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed(scheme, "not iterations$salt$hash"));
    };
    let iterations = parse_iterations(scheme, iterations)?;
    let expected = STANDARD
        .decode(encoded)
        .ok()
        .filter(|bytes| bytes.len() == DigestKind::Sha256.output_len())
        .ok_or_else(|| malformed(scheme, "the hash is not 32 bytes in base64"))?;
    Ok(Parsed {
        scheme,
        check: Check::Pbkdf2 {
            digest: DigestKind::Sha256,
            iterations,
            salt: salt.as_bytes().to_vec(),
            expected,
        },
    })
}

/// passlib: `$pbkdf2-sha256$rounds$salt$checksum`, salt and checksum in
/// passlib's "ab64" (standard base64 with `.` for `+`, unpadded).
fn parse_passlib(hash: &str) -> Result<Parsed<'_>, UnknownHashForm> {
    let (scheme, digest) = if hash.starts_with("$pbkdf2-sha256$") {
        (LegacyScheme::PasslibPbkdf2Sha256, DigestKind::Sha256)
    } else {
        (LegacyScheme::PasslibPbkdf2Sha512, DigestKind::Sha512)
    };
    let parts: Vec<&str> = hash.split('$').collect();
    let [_, _, rounds, salt, checksum] = parts.as_slice() else {
        return Err(malformed(scheme, "not $ident$rounds$salt$checksum"));
    };
    let iterations = parse_iterations(scheme, rounds)?;
    let salt = ab64_decode(salt).ok_or_else(|| malformed(scheme, "the salt is not ab64"))?;
    let expected = ab64_decode(checksum)
        .filter(|bytes| bytes.len() == digest.output_len())
        .ok_or_else(|| malformed(scheme, "the checksum is not ab64 of the digest's length"))?;
    Ok(Parsed {
        scheme,
        check: Check::Pbkdf2 {
            digest,
            iterations,
            salt,
            expected,
        },
    })
}

fn ab64_decode(text: &str) -> Option<Vec<u8>> {
    if text.contains('+') {
        return None;
    }
    STANDARD_NO_PAD.decode(text.replace('.', "+")).ok()
}

/// bcrypt: `$2b$` and two cost digits, `$`, 53 characters of bcrypt's base64.
fn parse_bcrypt(hash: &str) -> Result<Parsed<'_>, UnknownHashForm> {
    let scheme = LegacyScheme::Bcrypt;
    let bytes = hash.as_bytes();
    if bytes.len() != 60 || bytes[6] != b'$' {
        return Err(malformed(scheme, "not $2b$NN$ and 53 characters"));
    }
    let cost = decimal(&hash[4..6])
        .filter(|_| hash[4..6].bytes().all(|byte| byte.is_ascii_digit()))
        .ok_or_else(|| malformed(scheme, "the cost is not two digits"))?;
    if cost < 4 {
        return Err(malformed(scheme, "the cost is below 4"));
    }
    if cost > u64::from(MAX_BCRYPT_COST) {
        return Err(UnknownHashForm::CostTooHigh {
            scheme,
            parameter: "cost",
            value: cost,
            max: MAX_BCRYPT_COST.into(),
        });
    }
    if !bytes[7..]
        .iter()
        .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'/'))
    {
        return Err(malformed(
            scheme,
            "the salt and hash are not bcrypt's base64",
        ));
    }
    Ok(Parsed {
        scheme,
        check: Check::Bcrypt,
    })
}

/// Argon2 in the PHC string format, with a salt and a hash, and parameters
/// the `argon2` crate accepts and this server can afford.
fn parse_argon2(hash: &str) -> Result<Parsed<'_>, UnknownHashForm> {
    let scheme = if hash.starts_with("$argon2id$") {
        LegacyScheme::Argon2id
    } else {
        LegacyScheme::Argon2i
    };
    let parsed = PasswordHash::new(hash).map_err(|_| malformed(scheme, "not a PHC string"))?;
    if parsed.salt.is_none() || parsed.hash.is_none() {
        return Err(malformed(scheme, "no salt or no hash"));
    }
    for (parameter, max) in [
        ("m", MAX_ARGON2_M_COST),
        ("t", MAX_ARGON2_T_COST),
        ("p", MAX_ARGON2_P_COST),
    ] {
        let value = parsed
            .params
            .get_decimal(parameter)
            .ok_or_else(|| malformed(scheme, "m, t or p is missing"))?;
        if value > max {
            return Err(UnknownHashForm::CostTooHigh {
                scheme,
                parameter,
                value: value.into(),
                max: max.into(),
            });
        }
    }
    argon2::Params::try_from(&parsed)
        .map_err(|_| malformed(scheme, "parameters argon2 refuses"))?;
    if let Some(version) = parsed.version {
        argon2::Version::try_from(version).map_err(|_| malformed(scheme, "an unknown version"))?;
    }
    Ok(Parsed {
        scheme,
        check: Check::Argon2,
    })
}

/// 32, 40 or 64 hex digits, either case: an unsalted MD5, SHA-1 or SHA-256.
fn parse_hex_digest(hash: &str) -> Option<Parsed<'static>> {
    let (scheme, digest) = match hash.len() {
        32 => (LegacyScheme::Md5Hex, DigestKind::Md5),
        40 => (LegacyScheme::Sha1Hex, DigestKind::Sha1),
        64 => (LegacyScheme::Sha256Hex, DigestKind::Sha256),
        _ => return None,
    };
    let expected = hex::decode(hash).ok()?;
    Some(Parsed {
        scheme,
        check: Check::Digest { digest, expected },
    })
}

/// `len` bytes as hex digits (either case).
fn parse_hex(scheme: LegacyScheme, text: &str, len: usize) -> Result<Vec<u8>, UnknownHashForm> {
    hex::decode(text)
        .ok()
        .filter(|bytes| bytes.len() == len)
        .ok_or_else(|| malformed(scheme, "the hash is not hex digits of the digest's length"))
}

/// PBKDF2 iterations: a decimal number from 1 to [`MAX_PBKDF2_ITERATIONS`].
fn parse_iterations(scheme: LegacyScheme, text: &str) -> Result<u32, UnknownHashForm> {
    let value = decimal(text)
        .filter(|value| *value > 0)
        .ok_or_else(|| malformed(scheme, "the iterations are not a positive number"))?;
    if value > u64::from(MAX_PBKDF2_ITERATIONS) {
        return Err(UnknownHashForm::CostTooHigh {
            scheme,
            parameter: "iterations",
            value,
            max: MAX_PBKDF2_ITERATIONS.into(),
        });
    }
    u32::try_from(value).map_err(|_| malformed(scheme, "the iterations are too large"))
}

/// A decimal number of ASCII digits only (no sign, no spaces), saturating
/// at `u64::MAX` so that an absurd cost is reported as one.
fn decimal(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Some(text.bytes().fold(0u64, |value, digit| {
        value
            .saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    }))
}

fn malformed(scheme: LegacyScheme, reason: &'static str) -> UnknownHashForm {
    UnknownHashForm::Malformed { scheme, reason }
}

#[cfg(test)]
mod tests;
