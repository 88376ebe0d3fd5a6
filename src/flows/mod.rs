//! The business flows, free of HTTP: each takes the state and validated
//! domain values and returns an outcome the HTTP layer maps to its envelope.
//! A flow reads and writes only through [`crate::store`] and never calls
//! another flow.
//!
//! - [`send_code`]: `sendsms`: a new code, the send limits, the sender.
//! - [`phone_status`]: `isregister`: is this phone registered?
//! - [`register`]: a new account and its first session.
//! - [`login`]: a password checked within the lockout, a new session.
//! - [`password_reset`]: `verify_code` opens the window, `forget_password` uses it.
//! - [`sessions`]: the account of a token (`/me`), and logout.
//! - [`housekeeping`]: what the hourly task deletes.

pub mod housekeeping;
pub mod login;
pub mod password_reset;
pub mod phone_status;
pub mod register;
pub mod send_code;
pub mod sessions;

use sea_orm::DbErr;

use crate::{password_hasher::HashError, sms_sender::SmsError, store::StoreError};

/// An unexpected failure: logged with its cause, shown to the app as `服务器内部错误`.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
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

impl From<StoreError> for FlowError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Database(err) => Self::Database(err),
            StoreError::Corrupt(what) => Self::Corrupt(what),
        }
    }
}
