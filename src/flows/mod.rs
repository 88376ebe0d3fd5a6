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
//! - [`sessions`]: the account of a token (`/me`), the live sessions of
//!   its account and revoking them, and logout.
//! - [`housekeeping`]: what the hourly task deletes.
//! - [`legacy_hashes`]: the accounts still on a password hash imported
//!   from the legacy server (`/metrics`).
//! - [`account`]: the account as `login` and `/me` answer it.
//! - [`admin_tokens`]: the admin API's tokens, created, listed and revoked.
//! - [`admin_users`]: support staff's search, view, disable, enable and
//!   deletion of accounts, each change audited under the admin token.
//! - [`admin_webhooks`]: operators' view of webhook deliveries, their
//!   replays and test events.
//! - [`admin_enterprises`]: support staff's enterprises: created, listed
//!   with member counts, renamed, deleted.
//! - [`admin_cursor`]: the opaque cursors of the admin lists (a helper
//!   the admin flows share, like `events`).
//! - [`admin_applications`]: support staff's list and decisions of
//!   applications to join an enterprise.
//! - [`admin_members`]: support staff's changes to an account's
//!   permissions and membership.
//! - [`applications`]: a user's side of applications: the enterprises to
//!   apply to, and applying.
//!
//! Every flow that changes an account publishes its event with one call,
//! `events::publish(state, &txn, AccountEvent::…, now)`, in the
//! transaction of the change (`events`, shared by every flow).
//!
//! Every refusal by a limit (429) is counted through one helper
//! (`refusals`): a metric by limit and a row per key per hour.

pub mod account;
pub mod admin_applications;
pub mod admin_cursor;
pub mod admin_enterprises;
pub mod admin_members;
pub mod admin_tokens;
pub mod admin_users;
pub mod admin_webhooks;
pub mod applications;
mod error;
pub mod events;
pub mod housekeeping;
pub mod legacy_hashes;
pub mod login;
pub mod password_reset;
pub mod phone_status;
mod refusals;
pub mod register;
pub mod send_code;
pub mod sessions;

pub use error::FlowError;
