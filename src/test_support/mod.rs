//! Test support (the `test-support` feature; never in a release build): the
//! test doubles of the outside effects, a fresh database per test on the backend the test run picks, and a second
//! run of a whole test binary on PostgreSQL, so that `cargo test` alone covers
//! both backends.
//!
//! A test run uses SQLite files unless [`BACKEND_VAR`] is `postgres`; then
//! every [`TestDatabase`] is a new schema (or, when a test needs a whole
//! database, a new database) on the server of [`POSTGRES_URL_VAR`], dropped
//! with the value. A schema costs milliseconds where a database costs about
//! two seconds of PostgreSQL checkpoints, and the server cannot tell them
//! apart: its URL carries `options=-c search_path=<schema>`. A test that calls
//! [`run_this_binary_on_postgresql`] runs the other tests of its binary that
//! way, or says loudly why it could not (and fails when `CI` is set).
//!
//! Any test crate with `account-api` as a dev-dependency can use it by
//! enabling this feature: `account-api = { ..., features = ["test-support"] }`.
//!
//! # Layout
//!
//! - `backend`: which backend a run uses; PostgreSQL URLs.
//! - `databases`: [`TestDatabase`], one database per test.
//! - `postgres_run`: [`run_this_binary_on_postgresql`].
//! - `doubles`: [`ManualClock`] and [`RecordingSender`].
//! - `server`: [`TestServer`], the real server in process on port 0.
//! - `standard_webhooks`: [`run_standardwebhooks`], the official Python
//!   package run on what this crate signed.
//! - `stderr`: [`say`], lines shown even when a test passes.

mod backend;
mod databases;
mod doubles;
mod postgres_run;
mod server;
mod standard_webhooks;
mod stderr;

pub use backend::{
    BACKEND_VAR, Backend, POSTGRES_URL_VAR, postgres_url, with_database, with_search_path,
};
pub use databases::{DATABASE_PREFIX, TestDatabase};
pub use doubles::{ManualClock, RecordingSender};
pub use postgres_run::{PostgresRun, run_this_binary_on_postgresql};
pub use server::{ServerOptions, TestServer};
pub use standard_webhooks::run_standardwebhooks;
pub use stderr::say;
