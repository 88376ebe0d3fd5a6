//! The business operations, free of HTTP: each takes the state and validated
//! domain values and returns an outcome the API layer maps to its envelope.
//! Handlers never build queries; these functions do.

pub mod accounts;
pub mod sessions;
pub mod sms_codes;

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbErr};

use crate::{
    password_hasher::{HashError, PasswordHasher},
    sms_sender::{SmsError, SmsSender},
};

/// What every operation needs.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// Bounded Argon2id hashing.
    pub hasher: PasswordHasher,
    /// Where SMS codes go.
    pub sms_sender: Arc<dyn SmsSender>,
    /// The key SMS codes are hashed under.
    pub code_key: Arc<sms_codes::CodeKey>,
}

/// An unexpected failure: logged with its cause, shown to the app as `服务器内部错误`.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The database failed.
    #[error("database error")]
    Database(#[from] DbErr),
    /// Password hashing failed.
    #[error("password hashing failed")]
    Hash(#[from] HashError),
    /// The SMS sender failed.
    #[error("sending the SMS failed")]
    Sms(#[from] SmsError),
    /// A stored value is not what the schema promises.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}
