//! Black-box tests of the v4.0 account API: each test starts a real server on
//! 127.0.0.1 port 0 over a fresh database and talks HTTP to it — a SQLite
//! file, or in the PostgreSQL run of this binary a new PostgreSQL schema.
//!
//! Every answer any test receives is also checked against the OpenAPI
//! document the server publishes, by the contract checker of the
//! `contract-tests` crate (see `helpers`), so the suite proves the document
//! tells the truth as a side effect.
//!
//! # Layout
//!
//! - `helpers`: `TestApp` (spawn, database access), `ApiClient` (requests,
//!   each answer checked against the served document) and shared assertions.
//! - One module per endpoint, `bad_requests` (the exact message of every bad
//!   parameter in every encoding), `transport` for what surrounds them, and
//!   `original_examples` for the original document's URLs replayed verbatim.
//! - `slow_clients`: header, body, keep-alive and write deadlines and the
//!   connection caps (total and per address), against clients that
//!   trickle, stall, idle, never read, or open many connections.
//! - Production mode: `verification` (codes on), `limits` (send limits and
//!   login lockout), `sessions` (`/me`, `/logout`, expiry, re-hashing),
//!   `audit` (the ledger, and no secret in the database).
//! - `sandbox` (`account-api sandbox` driven end to end: inbox, clock,
//!   fixtures) and `cors` (pages on other origins).
//! - Attacks, each refused: `dead_codes` (no SMS for a phone whose code
//!   its wrong tries killed, until its lockout ends), `refusal_counts`
//!   (refusals by a limit are counted, not written one by one),
//!   `reset_window` (a verified window is its
//!   verifier's; polling `forget_password`), `forwarded_clients` (behind a
//!   proxy, every form of the forwarded client is its own client; an entry
//!   naming none is counted and warned about), `login_races` (concurrent wrong
//!   passwords, spraying from one address, hashing floods),
//!   `config_file` (the configuration file, checked by its schema and
//!   honoured), `startup_refusals` (settings that make no sense, the unverified mode on
//!   a public address), `database_files` (owner-only files), `query_plans`
//!   (every limit query uses an index; audit retention).
//! - Both backends: `postgres` (this binary again on PostgreSQL),
//!   `concurrency` (many writers at once), `durability` (SIGKILL mid-stream,
//!   then a restart), `database_settings` (pool size, connect timeout),
//!   `database_outage` (the database goes and comes back), `multi_instance`
//!   (two server processes on one database), and `server_process` (the
//!   binary as a child process).
//! - `command_output`: the printing subcommands into a closed pipe.
//! - `statement_log`: the statement log shows no secret.
//! - `webhooks`: the outbox and delivery worker of account events against
//!   a local receiver (signatures, retries, order, rollback, two workers);
//!   `events`: the same end to end, the flows publishing through HTTP, the
//!   binary killed and restarted, two instances.
//! - `layers`: the source keeps the layering of `src/lib.rs` (read with syn).
//! - `admin_tokens`: `admin-token create | list | revoke`; `admin`: the
//!   admin API on its own listener, its tokens, errors, search and changes;
//!   `admin_applications`: enterprises, applications and memberships, and
//!   the user's side of applications, the whole lifecycle.

mod admin;
mod admin_applications;
mod admin_tokens;
mod audit;
mod bad_requests;
mod command_output;
mod concurrency;
mod config_file;
mod cors;
mod database_files;
mod database_outage;
mod database_settings;
mod dead_codes;
mod demo;
mod durability;
mod events;
mod forget_password;
mod forwarded_clients;
mod helpers;
mod import;
mod isregister;
mod layers;
mod legacy_login;
mod lifecycle;
mod limits;
mod login;
mod login_races;
mod multi_instance;
mod observability;
mod original_examples;
mod postgres;
mod query_plans;
mod refusal_counts;
mod register;
mod reset_window;
mod sandbox;
mod sendsms;
mod server_process;
mod sessions;
mod slow_clients;
mod startup_refusals;
mod statement_log;
mod transport;
mod verification;
mod verify_code;
mod webhooks;
