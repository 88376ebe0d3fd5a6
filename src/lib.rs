//! account-api: the server behind the mobile app's v4.0 account API.
//!
//! It serves the six operations of the original document (send an SMS code,
//! check a phone, register, log in, verify a code, reset a password) exactly
//! as documented, and describes every answer in a live OpenAPI document.
//!
//! # Layout
//!
//! - [`settings`]: the command line and its environment fallbacks.
//! - [`startup`]: [`startup::Application`] binds, migrates and serves.
//! - [`http_server`]: accepts and serves connections, with header, body and
//!   keep-alive deadlines and a connection cap.
//! - [`api`]: operations, envelopes and the OpenAPI document.
//! - [`service`]: the business operations, free of HTTP.
//! - [`domain`]: validated request values (`Phone`, `Password`, ...).
//! - [`password_hasher`], [`sms_sender`], [`database`], [`clock`]: outside effects.
//! - [`demo`]: fixtures for `account-api demo`.
//! - [`metrics`]: Prometheus metrics served at `/metrics`.
//! - `test_support` (feature `test-support`): a fresh database per test, on
//!   SQLite or PostgreSQL.

pub mod api;
pub mod clock;
pub mod database;
pub mod demo;
pub mod domain;
pub mod flows;
pub mod http_server;
pub mod metrics;
pub mod password_hasher;
pub mod settings;
pub mod sms_sender;
pub mod startup;
pub mod state;
pub mod store;
#[cfg(feature = "test-support")]
pub mod test_support;

pub use startup::Application;
