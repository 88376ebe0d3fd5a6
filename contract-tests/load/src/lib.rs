//! `load`: the benchmark of the account server, with its targets.
//!
//! `cargo run --release -p load` builds the release server, starts it on
//! 127.0.0.1 over a fresh SQLite file (or, with `--postgres URL`, a fresh
//! PostgreSQL database it creates and drops), seeds users through the API,
//! and drives seven scenarios with oha, each bounded in time: `livez`,
//! `isregister`, `login`, `register`, a login flood with `isregister`
//! alongside, 512 concurrent logins while the server's memory is read
//! from `/proc`, and `isregister` again beside 10,000 idle keep-alive
//! connections, with the server's memory while they are open. It prints a table and each target of issue #6 as a ratio of
//! this run's figures with PASS or MISS, and writes the table as Markdown and
//! JSON and a latency chart as SVG into `target/bench/`.
//!
//! Exit status: 0 when every target is met, 1 when one is missed, 2 when the
//! run could not be made.
//!
//! # Layout
//!
//! - `main.rs`: the command line, and one run from start to end.
//! - [`paths`]: the workspace this harness was built from, and its target directory.
//! - [`argon2_reference`]: one hash and one verify, timed here: the login and register reference.
//! - [`server`]: the release server as a child process, its database, its memory.
//! - [`oha`]: the load generator, found or installed, and its JSON report.
//! - [`seed`]: the seeded users, the requests built from them, and seeding them.
//! - [`measured`]: one measured load, its sample requests and the byte check.
//! - [`growth`]: `--growth`: the operations on an almost empty and on a large
//!   database seeded with SQL, and the query plans of the server's statements.
//! - [`instances`]: `--two-instances`: sendsms through one and two instances on PostgreSQL.
//! - [`profile`]: what a `--two-instances` phase waited on in PostgreSQL, and its CPU time.
//! - [`idle`]: idle keep-alive connections, held open by the harness itself.
//! - [`import_bench`]: `--import`: `account-api import` of a generated legacy
//!   export, twice, with rows/s and the importer's peak memory.
//! - [`webhook_bench`]: `--webhooks`: the operations that publish account
//!   events without a webhook endpoint and with one whose receiver never
//!   answers, their p99 compared.
//! - [`scenarios`]: the seven scenarios, each load prepared and run.
//! - [`targets`]: the targets of issue #6, each a ratio of this run's figures.
//! - [`report`]: the tables, and the report as Markdown and JSON.
//! - [`machine`]: the machine's CPU, cores, memory and kernel, and its load.
//! - [`chart`]: the SVG latency chart.
//!
//! `benches/password_hashing.rs` times the same hash and verify through the
//! server's own `PasswordHasher` (`cargo bench -p load --bench password_hashing`).

#![warn(missing_docs)]

pub mod argon2_reference;
pub mod chart;
pub mod growth;
pub mod idle;
pub mod import_bench;
pub mod instances;
pub mod machine;
pub mod measured;
pub mod oha;
pub mod paths;
pub mod profile;
pub mod report;
pub mod scenarios;
pub mod seed;
pub mod server;
pub mod targets;
pub mod webhook_bench;
