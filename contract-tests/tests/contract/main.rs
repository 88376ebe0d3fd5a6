//! The contract suite against the real server, started in process on port 0
//! with a fresh database per test: SQLite files, then (`postgres`) the whole
//! binary again on PostgreSQL, one new schema per test.
//!
//! # Layout
//!
//! - `server`: the in-process server; `binary`: the `contract-tests` binary run.
//! - `operations`: every operation and encoding of the committed document,
//!   256 generated requests each (`PROPTEST_CASES` to change), every answer
//!   checked against the document.
//! - `model`: random sequences of operations against the server and the
//!   reference model of the contract (`contract_tests::model`), compared at
//!   every step, once with SMS verification off (the default) and once with
//!   it on (on a manual clock, reading the codes sent from a recording
//!   sender), each case from client addresses of its own in 127.0.0.0/8.
//! - `model_remote`: `contract-tests --model` through the binary against
//!   `account-api sandbox`, against the server with verification off, and
//!   against a deployment that lies in well-formed answers (it must fail).
//! - `self_test`: the checker run against deliberately wrong servers (a
//!   mutating proxy, `proxy`, in front of the real one) must report every
//!   fault.
//! - `reports`: the binary's JUnit and coverage files, read back and
//!   compared with the answers the proxy relayed; `--min-coverage`.
//! - `diff`: the breaking-change gate (`contract-tests diff`): the committed
//!   document against `openapi/released/4.0.json`, and each rule on
//!   documents broken on purpose.
//! - `compare`: `contract-tests compare` between two servers: alike with
//!   the same settings; a planted difference (a login lockout the old one
//!   lacked) caught, shrunk, reported, and accepted by an `--allow` file.
//! - `readme`: the CI recipes of `contract-tests/README.md` call the binary as it parses.
//! - `postgres`: every test above once more on PostgreSQL
//!   (`TEST_POSTGRES_URL`), from the same `cargo test`.

mod binary;
mod compare;
mod diff;
mod model;
mod model_remote;
mod operations;
mod postgres;
mod proxy;
mod readme;
mod reports;
mod self_test;
mod server;
