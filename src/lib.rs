//! account-api: the server behind the mobile app's v4.0 account API.
//!
//! It serves the six operations of the original document (send an SMS code,
//! check a phone, register, log in, verify a code, reset a password) exactly
//! as documented, and describes every answer in a live OpenAPI document.
//!
//! # Layout
//!
//! A request goes down one way: [`api`] (HTTP) → [`flows`] (the business
//! flows) → [`store`] (every read and write) → the `entity` crate (tables).
//! No layer names one above it; the flows name no ORM type (the store hands
//! them its own); [`domain`] knows no layer, web framework or ORM; no flow
//! uses another and no endpoint file another (what two share lives in a
//! module both import). `src/tests/api/layers.rs` reads the source and fails
//! when any of this breaks.
//!
//! - [`api`]: one file per endpoint — `api/login.rs` holds `login` and
//!   `loginGet`, their request object, their reply types and the mapping
//!   from the flow's outcome to the envelope — plus the envelope machinery,
//!   request parsing, and the middleware around every answer.
//! - [`flows`]: one module per business flow (send a code, register, log
//!   in, reset a password, sessions); no flow calls another.
//! - [`store`]: users, codes and reset windows, sessions, the audit ledger,
//!   the limits counted from it, secrets; transactions and their locks.
//! - [`domain`]: validated request values (`Phone`, `Password`, ...).
//! - [`state`]: what every operation needs ([`state::AppState`]), and the
//!   configured rules ([`state::Policy`]).
//! - [`settings`]: flags, environment, the configuration file, defaults.
//! - [`startup`]: [`Application`] binds, migrates and serves;
//!   [`http_server`] accepts connections under their deadlines and caps.
//! - [`password_hasher`], [`sms_sender`], [`database`], [`clock`]: the
//!   outside effects.
//! - [`webhooks`]: account events to webhook endpoints: signing, the
//!   delivery worker (the outbox itself is in [`store`]).
//! - [`demo`]: fixtures for `account-api demo`; [`metrics`]: `/metrics`.
//! - [`import`]: `account-api import`, the legacy server's accounts
//!   brought across from JSON Lines (its README is the migration guide).
//! - `test_support` (feature `test-support`): test doubles, a fresh database
//!   per test on SQLite or PostgreSQL.

#![warn(missing_docs)]

pub mod api;
pub mod clock;
pub mod database;
pub mod demo;
pub mod domain;
pub mod flows;
pub mod http_server;
pub mod import;
pub mod metrics;
pub mod password_hasher;
pub mod sandbox;
pub mod settings;
pub mod sms_sender;
pub mod startup;
pub mod state;
pub mod store;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod webhooks;

pub use startup::Application;
