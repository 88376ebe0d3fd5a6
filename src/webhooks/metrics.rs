//! The webhook worker's metrics, in the process registry of
//! [`crate::metrics`] (served at `/metrics`).

use std::sync::LazyLock;

use prometheus::{Histogram, HistogramOpts, IntCounter, IntGauge};

use crate::metrics::registered;

/// Deliveries waiting for an attempt (refreshed by the worker when idle).
pub static PENDING: LazyLock<IntGauge> = LazyLock::new(|| {
    registered(
        IntGauge::new(
            "webhook_deliveries_pending",
            "Webhook deliveries waiting for an attempt",
        )
        .expect("valid metric"),
    )
});

/// Deliveries an endpoint accepted.
pub static DELIVERED: LazyLock<IntCounter> = LazyLock::new(|| {
    registered(
        IntCounter::new(
            "webhook_deliveries_delivered_total",
            "Webhook deliveries an endpoint accepted (2xx)",
        )
        .expect("valid metric"),
    )
});

/// Failed attempts (a timeout, a connection error, a non-2xx answer).
pub static FAILED: LazyLock<IntCounter> = LazyLock::new(|| {
    registered(
        IntCounter::new(
            "webhook_delivery_failures_total",
            "Failed webhook delivery attempts (retried or dead-lettered)",
        )
        .expect("valid metric"),
    )
});

/// Deliveries dead-lettered.
pub static DEAD: LazyLock<IntCounter> = LazyLock::new(|| {
    registered(
        IntCounter::new(
            "webhook_deliveries_dead_total",
            "Webhook deliveries given up (a 4xx other than 429, or the retry schedule ran out)",
        )
        .expect("valid metric"),
    )
});

/// Time from an event's commit to its acceptance by an endpoint.
pub static LATENCY: LazyLock<Histogram> = LazyLock::new(|| {
    registered(
        Histogram::with_opts(
            HistogramOpts::new(
                "webhook_delivery_latency_seconds",
                "Time from an event being written to an endpoint accepting it",
            )
            .buckets(vec![
                0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0, 7200.0,
                36000.0,
            ]),
        )
        .expect("valid metric"),
    )
});
