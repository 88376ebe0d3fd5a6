//! Logging in against a password hash brought across from the legacy
//! server: every scheme it may hold (hashes made by the libraries that wrote
//! them, `src/password_hasher/legacy_vectors.json`) answers the right
//! password 200 and a wrong one -1; the right one replaces the hash with
//! Argon2id at the server's parameters, and `/metrics` counts the accounts
//! still on a legacy hash.

use std::collections::BTreeMap;

use account_api::password_hasher::legacy::{self, LegacyScheme};
use chrono::Utc;
use entity::{imported_password_hashes, users};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde::Deserialize;

use crate::helpers::{DEVICE, TestApp};

/// A hash made by the library that writes it in the wild.
#[derive(Debug, Clone, Deserialize)]
pub struct Vector {
    /// Its [`LegacyScheme`] name.
    pub scheme: String,
    /// The hash as the legacy stack stored it.
    pub hash: String,
    /// The password it is a hash of.
    pub password: String,
    /// A password it is not a hash of.
    pub wrong_password: String,
    /// A hash at a library's real cost (slow): not used here.
    #[serde(default)]
    pub full_cost: bool,
}

/// For each scheme, one vector whose password the login operation takes
/// (6 to 14 characters).
pub fn login_vectors() -> BTreeMap<LegacyScheme, Vector> {
    let all: Vec<Vector> =
        serde_json::from_str(include_str!("../../password_hasher/legacy_vectors.json"))
            .expect("legacy_vectors.json is a list of vectors");
    let fits = |text: &str| (6..=14).contains(&text.chars().count());
    let mut chosen = BTreeMap::new();
    for vector in all {
        if vector.full_cost || !fits(&vector.password) || !fits(&vector.wrong_password) {
            continue;
        }
        let scheme: LegacyScheme = vector.scheme.parse().expect("a known scheme");
        chosen.entry(scheme).or_insert(vector);
    }
    assert_eq!(
        chosen.len(),
        LegacyScheme::ALL.len(),
        "every scheme has a vector with a password of 6 to 14 characters"
    );
    chosen
}

/// The value of `account_api_legacy_password_hashes` at `/metrics`.
pub async fn legacy_gauge(app: &TestApp) -> u64 {
    let text = app.get("/metrics").await.text;
    text.lines()
        .find_map(|line| line.strip_prefix("account_api_legacy_password_hashes "))
        .unwrap_or_else(|| panic!("no legacy hash gauge in /metrics:\n{text}"))
        .trim()
        .parse()
        .expect("a count")
}

/// Stores an account holding `hash`, as an import leaves it.
async fn store_account(app: &TestApp, id: &str, phone: &str, hash: &str) {
    let now = Utc::now();
    users::ActiveModel {
        id: Set(id.to_owned()),
        phone: Set(phone.to_owned()),
        name: Set("legacy".to_owned()),
        password_hash: Set(hash.to_owned()),
        device_identifier: Set(DEVICE.to_owned()),
        enterprise_id: Set(None),
        permissions: Set(serde_json::json!([])),
        created_at: Set(now),
        updated_at: Set(now),
        disabled_at: Set(None),
    }
    .insert(app.db())
    .await
    .expect("the account is stored");
    let scheme = (!legacy::is_current(hash)).then(|| legacy::detect(hash).unwrap().name());
    imported_password_hashes::ActiveModel {
        user_id: Set(id.to_owned()),
        scheme: Set(scheme.map(str::to_owned)),
        source_digest: Set(Some("0".repeat(64))),
    }
    .insert(app.db())
    .await
    .expect("the import's record is stored");
}

#[tokio::test]
async fn every_legacy_scheme_logs_in_and_is_rehashed_with_argon2id() {
    let app = TestApp::spawn().await;
    let vectors = login_vectors();
    let mut accounts = Vec::new();
    for (n, (scheme, vector)) in vectors.iter().enumerate() {
        let id = format!("{n:032x}");
        let phone = format!("1390000{n:04}");
        store_account(&app, &id, &phone, &vector.hash).await;
        accounts.push((scheme, vector, id, phone));
    }
    // Every vector is a legacy hash but the one at today's parameters.
    let legacy_count = vectors
        .values()
        .filter(|vector| !legacy::is_current(&vector.hash))
        .count() as u64;
    assert!(legacy_count >= 13, "{legacy_count}");
    assert_eq!(legacy_gauge(&app).await, legacy_count);

    for (scheme, vector, id, phone) in &accounts {
        let wrong = app.login(phone, &vector.wrong_password, DEVICE).await;
        assert_eq!(wrong.code(), -1, "{scheme}: {}", wrong.text);
        let stored = app.user(phone).await.unwrap();
        assert_eq!(
            stored.password_hash, vector.hash,
            "{scheme}: a wrong password changes nothing"
        );

        let right = app.login(phone, &vector.password, DEVICE).await;
        assert_eq!(right.code(), 200, "{scheme}: {}", right.text);
        assert_eq!(right.data()["user_id"], id.as_str(), "{scheme}");
        let stored = app.user(phone).await.unwrap();
        assert!(
            stored.password_hash.starts_with("$argon2id$v=19$"),
            "{scheme}: {}",
            stored.password_hash
        );
        assert!(
            !app.state.hasher.needs_rehash(&stored.password_hash),
            "{scheme}: re-hashed at the server's parameters"
        );
        let record = imported_password_hashes::Entity::find_by_id(id.clone())
            .one(app.db())
            .await
            .unwrap()
            .expect("the import's record stays");
        assert_eq!(record.scheme, None, "{scheme}: no longer on a legacy hash");
        assert_eq!(
            record.source_digest,
            Some("0".repeat(64)),
            "{scheme}: the digest of the imported hash stays"
        );
        // The new hash takes the same password, and only it.
        let again = app.login(phone, &vector.password, "other-device").await;
        assert_eq!(again.code(), 200, "{scheme}: {}", again.text);
        let wrong = app.login(phone, &vector.wrong_password, DEVICE).await;
        assert_eq!(wrong.code(), -1, "{scheme}: {}", wrong.text);
    }
    assert_eq!(legacy_gauge(&app).await, 0);
}
