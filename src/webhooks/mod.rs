//! Account events delivered to webhook endpoints, signed per Standard
//! Webhooks, at least once and in order per endpoint and account.
//!
//! The flows write events with [`crate::store::webhooks::enqueue`] in the
//! transaction of their change (the outbox); the worker of [`delivery`]
//! claims due deliveries, POSTs them signed ([`signing`]), and records the
//! outcome, retrying on its endpoint's schedule.
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
