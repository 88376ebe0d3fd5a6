//! What the store fails with.

use sea_orm::DbErr;

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database error")]
    Database(#[from] DbErr),
    /// A stored value is not what the schema promises.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}
