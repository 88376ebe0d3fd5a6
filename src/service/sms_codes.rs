//! SMS verification codes: generated, stored as an HMAC, handed to the sender.

use chrono::{Duration, Utc};
use entity::sms_codes;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{ActiveValue::Set, EntityTrait, sea_query::OnConflict};
use sha2::Sha256;

use super::{AppState, ServiceError, accounts};
use crate::domain::{Expect, Phone};

/// How long a code stays valid.
pub const CODE_LIFETIME: Duration = Duration::minutes(5);

/// The secret codes are hashed under: a 6-digit code's plain hash is reversed
/// by trying all million codes, an HMAC without the key is not.
pub struct CodeKey([u8; 32]);

impl CodeKey {
    /// A fresh random key.
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the OS random source works");
        Self(key)
    }

    /// The stored form of `code` sent to `phone` for `purpose`.
    pub fn hash(&self, phone: &Phone, purpose: Expect, code: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes a key of any length");
        mac.update(phone.as_str().as_bytes());
        mac.update(&[b':', b'0' + purpose.as_number() as u8, b':']);
        mac.update(code.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// A new 6-digit code from the operating system's cryptographic RNG, uniform
/// over 000000..=999999.
pub fn generate_code() -> String {
    // Reject the top of the u32 range so every code is equally likely.
    const LIMIT: u32 = u32::MAX - u32::MAX % 1_000_000;
    loop {
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes).expect("the OS random source works");
        let value = u32::from_le_bytes(bytes);
        if value < LIMIT {
            return format!("{:06}", value % 1_000_000);
        }
    }
}

/// The outcome of a send request.
#[derive(Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// expect=0 but the phone is registered.
    AlreadyRegistered,
    /// expect=1 but the phone is not registered.
    NotRegistered,
    /// A new code is stored and was handed to the sender.
    Sent,
}

/// Sends a new code to `phone` for `purpose`, superseding any earlier one.
pub async fn send_code(
    state: &AppState,
    phone: &Phone,
    purpose: Expect,
) -> Result<SendOutcome, ServiceError> {
    let registered = accounts::is_registered(&state.db, phone).await?;
    match (purpose, registered) {
        (Expect::Unregistered, true) => return Ok(SendOutcome::AlreadyRegistered),
        (Expect::Registered, false) => return Ok(SendOutcome::NotRegistered),
        _ => {}
    }
    let code = generate_code();
    let now = Utc::now();
    let row = sms_codes::ActiveModel {
        phone: Set(phone.as_str().to_owned()),
        purpose: Set(purpose.as_number()),
        code_hash: Set(state.code_key.hash(phone, purpose, &code)),
        created_at: Set(now),
        expires_at: Set(now + CODE_LIFETIME),
        failed_tries: Set(0),
        consumed_at: Set(None),
        reset_window_expires_at: Set(None),
        ..Default::default()
    };
    // One live code per phone and purpose; a resend replaces the code but
    // keeps the count of wrong tries.
    sms_codes::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([sms_codes::Column::Phone, sms_codes::Column::Purpose])
                .update_columns([
                    sms_codes::Column::CodeHash,
                    sms_codes::Column::CreatedAt,
                    sms_codes::Column::ExpiresAt,
                    sms_codes::Column::ConsumedAt,
                    sms_codes::Column::ResetWindowExpiresAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&state.db)
        .await?;
    state.sms_sender.send(phone, &code).await?;
    Ok(SendOutcome::Sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_ascii_digits() {
        for _ in 0..1000 {
            let code = generate_code();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn the_stored_hash_depends_on_key_phone_purpose_and_code() {
        let key = CodeKey::random();
        let phone = Phone::parse("13126939916").unwrap();
        let other = Phone::parse("13126939917").unwrap();
        let hash = key.hash(&phone, Expect::Unregistered, "123456");
        assert_eq!(hash, key.hash(&phone, Expect::Unregistered, "123456"));
        assert_ne!(hash, key.hash(&phone, Expect::Registered, "123456"));
        assert_ne!(hash, key.hash(&other, Expect::Unregistered, "123456"));
        assert_ne!(hash, key.hash(&phone, Expect::Unregistered, "123457"));
        assert_ne!(
            hash,
            CodeKey::random().hash(&phone, Expect::Unregistered, "123456")
        );
        assert!(!hash.contains("123456"));
    }
}
