//! Every read and write of the database, shared by the flows: accounts,
//! codes and reset windows, sessions, the audit ledger, the limits counted
//! from it, and secrets. Functions here take a connection (or transaction)
//! and domain values; none knows about HTTP or about flows.
//!
//! - [`users`]: accounts, found by phone; the view login and `/me` report.
//! - [`codes`]: SMS codes and the password-reset window.
//! - [`sessions`]: session tokens, stored only as hashes.
//! - [`audit`]: the ledger of security events.
//! - [`limits`]: the abuse limits counted from the ledger, and the daily budget.
//! - [`secrets`]: the key SMS codes are hashed under.
//! - [`webhooks`]: the outbox of account events and their deliveries.
//! - [`admin_tokens`]: the admin API's tokens, stored only as hashes.
//! - [`admin_users`]: accounts as support staff search, disable and delete them.
//! - [`enterprises`]: enterprises, their member counts, and memberships.
//! - [`applications`]: applications to join an enterprise, and their decisions.
//! - [`import`]: what `account-api import` reads and writes, a batch at a time.

pub mod admin_tokens;
pub mod admin_users;
pub mod applications;
pub mod audit;
pub mod codes;
pub mod enterprises;
mod error;
pub mod import;
pub mod limits;
mod lock_keys;
pub mod secrets;
pub mod sessions;
mod transactions;
pub mod users;
pub mod webhooks;

pub use error::StoreError;
pub use lock_keys::LockKey;
pub use transactions::{begin_write, lock_keys};

/// The database (its pool of connections), as commands outside a request use it.
pub use sea_orm::DatabaseConnection as Database;
/// A transaction the flows open ([`begin_write`]) and commit; the store's
/// functions take it where several writes must commit together.
pub use sea_orm::DatabaseTransaction as Transaction;
/// A failure of the database, as the store's functions report it.
pub use sea_orm::DbErr as DatabaseError;
