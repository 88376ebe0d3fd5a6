//! What hashing fails with.

/// A hashing failure: never the user's fault, reported as an internal error.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Argon2 itself failed.
    #[error("argon2 failed: {0}")]
    Argon2(String),
    /// The hashing thread dropped the job (a panic inside it) or is gone.
    #[error("the hashing thread failed")]
    Lost,
    /// The semaphore was closed (the server is stopping).
    #[error("hashing is shut down")]
    Closed(#[from] tokio::sync::AcquireError),
    /// Every hashing thread is busy and the queue is full: try again shortly.
    #[error("every hashing thread is busy and the queue is full")]
    Busy,
}
