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
//! - [`admin_tokens`]: the admin API's tokens, stored only as hashes.
//! - [`admin_users`]: accounts as support staff search, disable and delete them.

pub mod admin_tokens;
pub mod admin_users;
pub mod audit;
pub mod codes;
mod error;
pub mod limits;
pub mod secrets;
pub mod sessions;
mod transactions;
pub mod users;

pub use error::StoreError;
pub use transactions::{begin_write, lock_keys};
