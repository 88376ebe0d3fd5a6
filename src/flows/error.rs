//! What a flow fails with when something unexpected happens.

use crate::{
    password_hasher::HashError,
    sms_sender::SmsError,
    store::{DatabaseError, StoreError},
};

/// An unexpected failure: logged with its cause, shown to the app as `服务器内部错误`.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The database failed.
    #[error("database error")]
    Database(#[from] DatabaseError),
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
