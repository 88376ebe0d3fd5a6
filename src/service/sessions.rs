//! Sessions: random tokens handed to the app, stored only as SHA-256 hashes.

use chrono::{DateTime, Duration, Utc};
use entity::sessions;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use sha2::{Digest, Sha256};

use crate::domain::DeviceId;

/// How long a session lasts.
pub const SESSION_LIFETIME: Duration = Duration::days(30);

/// A session token: 128 random bits as 32 lowercase hex characters.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// A new token from the operating system's cryptographic RNG.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the OS random source works");
        Self(hex::encode(bytes))
    }

    /// The token to hand to the app.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// What is stored: the SHA-256 of the token, in hex.
    pub fn hash(&self) -> String {
        hash_token(&self.0)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

/// The SHA-256 of a presented token, in hex, as stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Opens a session for `user_id` on `device` and returns its token.
pub async fn open(
    db: &impl ConnectionTrait,
    user_id: &str,
    device: &DeviceId,
    now: DateTime<Utc>,
) -> Result<Token, DbErr> {
    let token = Token::generate();
    let session = sessions::ActiveModel {
        token_hash: Set(token.hash()),
        user_id: Set(user_id.to_owned()),
        device_identifier: Set(device.as_str().to_owned()),
        created_at: Set(now),
        expires_at: Set(now + SESSION_LIFETIME),
        revoked_at: Set(None),
        ..Default::default()
    };
    sessions::Entity::insert(session)
        .exec_without_returning(db)
        .await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_32_lowercase_hex_and_differ() {
        let first = Token::generate();
        let second = Token::generate();
        assert_eq!(first.reveal().len(), 32);
        assert!(
            first
                .reveal()
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_ne!(first.reveal(), second.reveal());
    }

    #[test]
    fn the_stored_hash_is_sha256_of_the_token() {
        let token = Token::generate();
        assert_eq!(token.hash().len(), 64);
        assert_ne!(token.hash(), token.reveal());
        assert_eq!(token.hash(), hash_token(token.reveal()));
        assert!(!format!("{token:?}").contains(token.reveal()));
    }
}
