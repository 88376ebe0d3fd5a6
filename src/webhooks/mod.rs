//! Account events delivered to webhook endpoints, signed per Standard
//! Webhooks, at least once and in order per endpoint and account.
//!
//! The flows write events in the transaction of their change (the outbox);
//! the worker of [`delivery`] claims due deliveries, POSTs them signed
//! ([`signing`]), and records the outcome, retrying on its endpoint's
//! schedule. `serve` (and the sandbox, and test servers) run the worker when
//! `[[webhooks]]` are configured, and stop it with the server.
//!
//! # Publishing an event from a flow
//!
//! One call, in the flow's write transaction, before it commits:
//!
//! ```ignore
//! use crate::domain::{AccountEvent, account_event::UserEnabled};
//! use super::events; // in src/flows/
//!
//! let txn = store::begin_write(&state.db).await?;
//! // ... the change ...
//! let event = AccountEvent::Enabled(UserEnabled { user_id: user_id.to_owned() });
//! events::publish(state, &txn, event, now).await?;
//! txn.commit().await?;
//! ```
//!
//! [`crate::flows::events::publish`] writes it only for the endpoints that
//! subscribe to its type (and always in the sandbox, which lists every
//! event at `GET /sandbox/events`); rolled back, nothing is sent.
//!
//! # A new event type
//!
//! In `src/domain/account_event.rs`: a `data` struct (ids and states,
//! never a password, code or token) deriving `Serialize` and `JsonSchema`,
//! a variant of [`crate::domain::AccountEvent`] with its `type` and account,
//! and an entry of [`crate::domain::account_event::EVENT_KINDS`]; then
//! regenerate `openapi/openapi.json` (its schema and `x-webhooks` entry come
//! from that entry) and publish it from the flow.
//!
//! - [`signing`]: the `webhook-id`, `webhook-timestamp` and
//!   `webhook-signature` headers.
//! - [`delivery`]: the background worker.
//! - [`metrics`]: pending, delivered, failed, dead, latency.
//! - The configuration (`[[webhooks]]`) is
//!   [`crate::settings::WebhookEndpoint`].

pub mod delivery;
pub mod metrics;
pub mod signing;

pub use delivery::{Endpoint, WorkerHandle, WorkerOptions, spawn, subscriptions};
pub use signing::Signer;
