use std::collections::BTreeMap;

use proptest::prelude::*;
use serde::Deserialize;

use super::*;

/// Hashes made and checked by the libraries themselves (legacy_vectors.py).
const VECTORS: &str = include_str!("../legacy_vectors.json");

#[derive(Deserialize)]
struct Vector {
    scheme: String,
    hash: String,
    password: String,
    wrong_password: String,
    /// A hash at a library's real default cost: verified once, with the password.
    #[serde(default)]
    full_cost: bool,
}

fn vectors() -> Vec<Vector> {
    serde_json::from_str(VECTORS).expect("legacy_vectors.json is a list of vectors")
}

#[test]
fn every_vector_is_detected_as_its_scheme() {
    for vector in vectors() {
        let expected: LegacyScheme = vector.scheme.parse().expect("a known scheme name");
        assert_eq!(detect(&vector.hash), Ok(expected), "{}", vector.hash);
    }
}

#[test]
fn every_vector_verifies_its_password_and_refuses_the_wrong_one() {
    for vector in vectors() {
        assert_eq!(
            verify(&vector.hash, vector.password.as_bytes()),
            Ok(true),
            "{} with {:?}",
            vector.hash,
            vector.password
        );
        if !vector.full_cost {
            assert_eq!(
                verify(&vector.hash, vector.wrong_password.as_bytes()),
                Ok(false),
                "{} with {:?}",
                vector.hash,
                vector.wrong_password
            );
        }
    }
}

#[test]
fn the_vectors_cover_every_scheme_twice_with_a_non_ascii_password() {
    let mut counts = BTreeMap::<LegacyScheme, usize>::new();
    for vector in vectors() {
        *counts.entry(vector.scheme.parse().unwrap()).or_default() += 1;
    }
    for scheme in LegacyScheme::ALL {
        assert!(counts.get(&scheme).copied().unwrap_or(0) >= 2, "{scheme}");
    }
    assert!(
        vectors()
            .iter()
            .any(|vector| vector.password == "密码123" && vector.scheme == "bcrypt")
    );
    let non_ascii: Vec<String> = vectors()
        .into_iter()
        .filter(|vector| !vector.password.is_ascii())
        .map(|vector| vector.scheme)
        .collect();
    for scheme in LegacyScheme::ALL {
        assert!(non_ascii.contains(&scheme.name().to_owned()), "{scheme}");
    }
}

#[test]
fn the_werkzeug_defaults_are_read() {
    let vectors = vectors();
    let full_cost: Vec<&str> = vectors
        .iter()
        .filter(|vector| vector.full_cost)
        .map(|vector| vector.hash.as_str())
        .collect();
    assert!(
        full_cost
            .iter()
            .any(|hash| hash.starts_with("pbkdf2:sha256:1000000$"))
    );
    assert!(
        full_cost
            .iter()
            .any(|hash| hash.starts_with("scrypt:32768:8:1$"))
    );
    // No iterations: Werkzeug's default.
    assert!(
        full_cost
            .iter()
            .any(|hash| hash.starts_with("pbkdf2:sha1$"))
    );
}

#[test]
fn scheme_names_are_stable_and_parse_back() {
    let names: Vec<&str> = LegacyScheme::ALL
        .iter()
        .map(|scheme| scheme.name())
        .collect();
    assert_eq!(
        names,
        [
            "werkzeug_pbkdf2_sha256",
            "werkzeug_pbkdf2_sha1",
            "werkzeug_scrypt",
            "werkzeug_hmac_sha1",
            "werkzeug_hmac_md5",
            "bcrypt",
            "argon2id",
            "argon2i",
            "django_pbkdf2_sha256",
            "passlib_pbkdf2_sha256",
            "passlib_pbkdf2_sha512",
            "md5_hex",
            "sha1_hex",
            "sha256_hex",
        ]
    );
    for scheme in LegacyScheme::ALL {
        assert_eq!(scheme.name().parse(), Ok(scheme));
        assert_eq!(scheme.to_string(), scheme.name());
    }
    assert!("plain".parse::<LegacyScheme>().is_err());
}

#[test]
fn hashes_in_no_known_form_are_refused() {
    for hash in [
        "",
        "hunter2",
        "plain$$hunter2",
        "sha256$salt$0123",
        "pbkdf2:sha512:1000$salt$00",
        "$argon2d$v=19$m=256,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        "$1$salt$hash",
        "$5$rounds=5000$salt$hash",
        "pbkdf2_sha1$1000$salt$AAAA",
        "$pbkdf2$1000$salt$checksum",
        // 31, 33 hex digits; hex with a non-hex character.
        "0123456789abcdef0123456789abcde",
        "0123456789abcdef0123456789abcdef0",
        "0123456789abcdef0123456789abcdeg",
        " 9cc2ae8a1ba7a93da39b46fc1019c481",
    ] {
        assert_eq!(detect(hash), Err(UnknownHashForm::NoKnownForm), "{hash:?}");
        assert_eq!(
            verify(hash, b"hunter2"),
            Err(UnknownHashForm::NoKnownForm),
            "{hash:?}"
        );
    }
    assert_eq!(
        UnknownHashForm::NoKnownForm.to_string(),
        "the password hash is in no known form"
    );
}

#[test]
fn malformed_hashes_of_known_schemes_name_the_scheme() {
    for (hash, scheme) in [
        (
            "pbkdf2:sha256:1000$salt$0123",
            LegacyScheme::WerkzeugPbkdf2Sha256,
        ),
        (
            "pbkdf2:sha256:0$salt$00",
            LegacyScheme::WerkzeugPbkdf2Sha256,
        ),
        ("pbkdf2:sha256:$salt$00", LegacyScheme::WerkzeugPbkdf2Sha256),
        (
            "pbkdf2:sha256:-1$salt$00",
            LegacyScheme::WerkzeugPbkdf2Sha256,
        ),
        (
            "pbkdf2:sha1:1000:9$salt$00",
            LegacyScheme::WerkzeugPbkdf2Sha1,
        ),
        ("scrypt:1000:8:1$salt$00", LegacyScheme::WerkzeugScrypt),
        ("scrypt:1024:8$salt$00", LegacyScheme::WerkzeugScrypt),
        ("scrypt:1024:0:1$salt$00", LegacyScheme::WerkzeugScrypt),
        ("sha1$salt$zz", LegacyScheme::WerkzeugHmacSha1),
        (
            "md5$salt$0123456789abcdef0123456789abcdef00",
            LegacyScheme::WerkzeugHmacMd5,
        ),
        ("$2b$04$short", LegacyScheme::Bcrypt),
        (
            "$2b$03$KA1nSnzJUOUv8Zf9clJPMea791RuNDL7XQnkhuhETFoBpG66Bdrry",
            LegacyScheme::Bcrypt,
        ),
        (
            "$2b$04$KA1nSnzJUOUv8Zf9clJPMea791RuNDL7XQnkhuhETFoBpG66Bdr!y",
            LegacyScheme::Bcrypt,
        ),
        ("$argon2id$v=19$m=256,t=1,p=1", LegacyScheme::Argon2id),
        ("$argon2i$garbage", LegacyScheme::Argon2i),
        (
            "pbkdf2_sha256$1000$salt$notbase64!",
            LegacyScheme::DjangoPbkdf2Sha256,
        ),
        ("pbkdf2_sha256$1000$salt", LegacyScheme::DjangoPbkdf2Sha256),
        (
            "$pbkdf2-sha256$1000$salt",
            LegacyScheme::PasslibPbkdf2Sha256,
        ),
        (
            "$pbkdf2-sha512$1000$c2FsdA$AAAA",
            LegacyScheme::PasslibPbkdf2Sha512,
        ),
    ] {
        match detect(hash) {
            Err(UnknownHashForm::Malformed { scheme: found, .. }) => {
                assert_eq!(found, scheme, "{hash:?}");
            }
            other => panic!("{hash:?}: {other:?}"),
        }
        let message = verify(hash, b"x").unwrap_err().to_string();
        assert!(message.contains(scheme.name()), "{message}");
    }
}

fn cost_error(hash: &str) -> (LegacyScheme, &'static str, u64, u64) {
    match detect(hash) {
        Err(UnknownHashForm::CostTooHigh {
            scheme,
            parameter,
            value,
            max,
        }) => {
            let message = verify(hash, b"x").unwrap_err().to_string();
            assert!(message.contains(parameter), "{message}");
            assert!(!message.contains(hash), "{message}");
            (scheme, parameter, value, max)
        }
        other => panic!("{hash:?}: {other:?}"),
    }
}

#[test]
fn absurd_costs_are_refused_naming_the_parameter() {
    let sha256_hex = "00".repeat(32);
    assert_eq!(
        cost_error(&format!("pbkdf2:sha256:10000001$salt${sha256_hex}")),
        (
            LegacyScheme::WerkzeugPbkdf2Sha256,
            "iterations",
            10_000_001,
            10_000_000
        )
    );
    assert_eq!(
        cost_error(&format!(
            "pbkdf2:sha256:99999999999999999999999999$salt${sha256_hex}"
        )),
        (
            LegacyScheme::WerkzeugPbkdf2Sha256,
            "iterations",
            u64::MAX,
            10_000_000
        )
    );
    assert_eq!(
        cost_error("pbkdf2_sha256$20000000$salt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        (
            LegacyScheme::DjangoPbkdf2Sha256,
            "iterations",
            20_000_000,
            10_000_000
        )
    );
    assert_eq!(
        cost_error("$pbkdf2-sha512$4294967295$c2FsdA$AAAA").1,
        "iterations"
    );
    let scrypt_hex = "00".repeat(64);
    assert_eq!(
        cost_error(&format!("scrypt:2097152:8:1$salt${scrypt_hex}")),
        (LegacyScheme::WerkzeugScrypt, "N", 1 << 21, 1 << 20)
    );
    assert_eq!(
        cost_error(&format!("scrypt:1024:8:16$salt${scrypt_hex}")),
        (LegacyScheme::WerkzeugScrypt, "r*p", 128, 64)
    );
    assert_eq!(
        cost_error(&format!("scrypt:1048576:16:1$salt${scrypt_hex}")),
        (LegacyScheme::WerkzeugScrypt, "N*r", 1 << 24, 1 << 23)
    );
    assert_eq!(
        cost_error("$2b$17$KA1nSnzJUOUv8Zf9clJPMea791RuNDL7XQnkhuhETFoBpG66Bdrry"),
        (LegacyScheme::Bcrypt, "cost", 17, 16)
    );
    assert_eq!(
        cost_error("$2y$31$KA1nSnzJUOUv8Zf9clJPMea791RuNDL7XQnkhuhETFoBpG66Bdrry").2,
        31
    );
    let argon2 = |params: &str| {
        format!(
            "$argon2id$v=19${params}$Phrn+naRKSTXvjhKIU8KJw$/bIA2TRBm7VTyN1G+2420vCKGDQmDYZpd8BpWWbrEBM"
        )
    };
    assert_eq!(
        cost_error(&argon2("m=4194304,t=1,p=1")),
        (LegacyScheme::Argon2id, "m", 4_194_304, 262_144)
    );
    assert_eq!(cost_error(&argon2("m=256,t=1000,p=1")).1, "t");
    assert_eq!(cost_error(&argon2("m=256,t=1,p=64")).1, "p");
    // At the limits, the forms are read.
    assert_eq!(
        detect(&format!("pbkdf2:sha256:10000000$salt${sha256_hex}")),
        Ok(LegacyScheme::WerkzeugPbkdf2Sha256)
    );
    assert_eq!(
        detect(&format!("scrypt:1048576:8:8$salt${scrypt_hex}")),
        Ok(LegacyScheme::WerkzeugScrypt)
    );
    assert_eq!(
        detect("$2b$16$KA1nSnzJUOUv8Zf9clJPMea791RuNDL7XQnkhuhETFoBpG66Bdrry"),
        Ok(LegacyScheme::Bcrypt)
    );
}

#[test]
fn only_argon2id_at_todays_parameters_is_current() {
    let vectors = vectors();
    let current = vectors
        .iter()
        .find(|vector| vector.hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"))
        .expect("a vector at today's parameters");
    assert!(is_current(&current.hash));
    assert!(!needs_rehash(&current.hash));
    for vector in &vectors {
        if vector.hash != current.hash {
            assert!(needs_rehash(&vector.hash), "{}", vector.hash);
        }
    }
    let salt_and_hash = current.hash.rsplitn(3, '$').take(2).collect::<Vec<_>>();
    let with = |head: &str| format!("{head}${}${}", salt_and_hash[1], salt_and_hash[0]);
    assert!(is_current(&with("$argon2id$v=19$m=19456,t=2,p=1")));
    for other in [
        "$argon2i$v=19$m=19456,t=2,p=1",
        "$argon2id$v=16$m=19456,t=2,p=1",
        "$argon2id$v=19$m=19457,t=2,p=1",
        "$argon2id$v=19$m=19456,t=3,p=1",
        "$argon2id$v=19$m=19456,t=2,p=2",
    ] {
        assert!(needs_rehash(&with(other)), "{other}");
    }
    assert!(needs_rehash("$argon2id$v=19$m=19456,t=2,p=1"));
    assert!(needs_rehash("not a hash"));
}

#[tokio::test]
async fn a_hash_the_server_makes_is_current_and_verifies() {
    let hasher = PasswordHasher::new(1);
    let password = crate::domain::Password::parse("密码123456").expect("a valid password");
    let hash = hasher.hash(&password).await.unwrap();
    assert!(is_current(&hash));
    assert_eq!(detect(&hash), Ok(LegacyScheme::Argon2id));
    assert_eq!(verify(&hash, "密码123456".as_bytes()), Ok(true));
    assert_eq!(verify(&hash, "密码123457".as_bytes()), Ok(false));
}

proptest! {
    #[test]
    fn detect_never_panics(hash in any::<String>()) {
        let _ = detect(&hash);
    }

    #[test]
    fn detect_never_panics_on_near_forms(
        prefix in prop::sample::select(vec![
            "pbkdf2:sha256:", "pbkdf2:sha1:", "pbkdf2$", "scrypt:", "scrypt$", "sha1$", "md5$",
            "$2a$", "$2b$", "$2y$", "$argon2id$", "$argon2i$", "pbkdf2_sha256$",
            "$pbkdf2-sha256$", "$pbkdf2-sha512$", "",
        ]),
        rest in "[0-9a-fA-F$:=,.+/a-z]{0,80}",
    ) {
        let hash = format!("{prefix}{rest}");
        let detected = detect(&hash);
        // A refusal never repeats the hash.
        if let Err(error) = detected {
            prop_assert!(rest.len() < 8 || !error.to_string().contains(&hash));
        }
    }
}
