//! Prometheus metrics of the process, served as text at `/metrics`.
//!
//! Process-wide by nature, so they live in one registry for the process;
//! several servers in one process (tests) add to the same counters.

use std::sync::LazyLock;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

/// The registry every metric below is registered in.
static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::new);

pub(crate) fn registered<M: prometheus::core::Collector + Clone + 'static>(metric: M) -> M {
    REGISTRY
        .register(Box::new(metric.clone()))
        .expect("each metric is registered once");
    metric
}

/// Requests answered, by operation and HTTP status.
pub static REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    registered(
        IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests answered, by operation and status",
            ),
            &["operation", "status"],
        )
        .expect("valid metric"),
    )
});

/// Request latency, by operation.
pub static LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    registered(
        HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from request to response, by operation",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["operation"],
        )
        .expect("valid metric"),
    )
});

/// Password hashes and verifications running or waiting for a core.
pub static HASHES_IN_FLIGHT: LazyLock<IntGauge> = LazyLock::new(|| {
    registered(
        IntGauge::new(
            "password_hashes_in_flight",
            "Argon2id hashes and verifications running or queued",
        )
        .expect("valid metric"),
    )
});

/// Time of each Argon2id hash and verification on its hashing thread (the
/// queue wait before it is not counted), by `kind` (`hash`, `verify`, and
/// `verify_legacy` for an imported hash of another scheme).
pub static HASHING: LazyLock<HistogramVec> = LazyLock::new(|| {
    registered(
        HistogramVec::new(
            HistogramOpts::new(
                "password_hashing_seconds",
                "Time of one Argon2id hash or verification on its thread, by kind",
            )
            .buckets(vec![0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0]),
            &["kind"],
        )
        .expect("valid metric"),
    )
});

/// SMS send requests, by outcome (`sent`, `failed`, `test_number`, `rate_limited`, `refused`).
pub static SMS_SENDS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    registered(
        IntCounterVec::new(
            Opts::new("sms_sends_total", "SMS send requests, by outcome"),
            &["outcome"],
        )
        .expect("valid metric"),
    )
});

/// Requests refused by a limit (answered 429), by `limit` (`sends_per_phone`,
/// `sends_per_address`, `daily_sms_budget`, `dead_code`, `login_lockout`,
/// `login_failures_per_address`, `reset_attempts_per_phone`,
/// `reset_attempts_per_address`, `hash_queue`).
pub static REFUSALS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    registered(
        IntCounterVec::new(
            Opts::new(
                "rate_limited_requests_total",
                "Requests refused by a limit (answered 429), by limit",
            ),
            &["limit"],
        )
        .expect("valid metric"),
    )
});

/// Connections refused with the 503 envelope at accept, by the `cap` they
/// were over (`max_connections`, `max_connections_per_address`).
pub static CONNECTIONS_REFUSED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    registered(
        IntCounterVec::new(
            Opts::new(
                "http_connections_refused_total",
                "Connections refused with 503 at accept, by the cap they were over",
            ),
            &["cap"],
        )
        .expect("valid metric"),
    )
});

/// Connections closed because an answer made no progress for
/// `--write-timeout-secs` (the client read none of it).
pub static WRITE_TIMEOUTS: LazyLock<IntCounter> = LazyLock::new(|| {
    registered(
        IntCounter::new(
            "http_write_timeouts_total",
            "Connections closed because their answer made no progress for --write-timeout-secs",
        )
        .expect("valid metric"),
    )
});

/// Requests whose client address was taken from the connection's peer
/// although `--trust-forwarded-for` is on, by `reason`: `missing` (no
/// forwarded header, or no `for=` in its last element) or `unparsable`
/// (its right-most entry is no address, or an obfuscated one such as
/// `for=_hidden` or `for=unknown`).
pub static CLIENT_ADDRESS_FALLBACKS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    registered(
        IntCounterVec::new(
            Opts::new(
                "client_address_fallbacks_total",
                "Requests whose trusted forwarded header named no usable client address, \
                 so the peer address was used, by reason",
            ),
            &["reason"],
        )
        .expect("valid metric"),
    )
});

/// The name of the gauge of accounts still on a legacy password hash,
/// counted from the database at each scrape (see [`render_with`]).
pub const LEGACY_PASSWORD_HASHES: &str = "account_api_legacy_password_hashes";

/// The text exposition of every metric, and the gauge of accounts still on
/// a legacy password hash when the database answered (`None`: left out).
///
/// That gauge is counted per scrape from the server's own database (several
/// servers in one process, as in tests, each report their own), so it is
/// written here rather than kept in the process-wide registry.
pub fn render_with(legacy_password_hashes: Option<u64>) -> String {
    let mut text = render();
    if let Some(count) = legacy_password_hashes {
        text.push_str(&format!(
            "# HELP {LEGACY_PASSWORD_HASHES} Accounts still holding a password hash imported \
             from the legacy server (re-hashed with Argon2id at their next login)\n\
             # TYPE {LEGACY_PASSWORD_HASHES} gauge\n\
             {LEGACY_PASSWORD_HASHES} {count}\n"
        ));
    }
    text
}

/// The text exposition of every metric.
pub fn render() -> String {
    // Touch each metric so it is listed even before its first use.
    LazyLock::force(&REQUESTS);
    LazyLock::force(&LATENCY);
    LazyLock::force(&HASHES_IN_FLIGHT);
    LazyLock::force(&HASHING);
    LazyLock::force(&SMS_SENDS);
    LazyLock::force(&REFUSALS);
    LazyLock::force(&CONNECTIONS_REFUSED);
    LazyLock::force(&WRITE_TIMEOUTS);
    LazyLock::force(&CLIENT_ADDRESS_FALLBACKS);
    let mut text = Vec::new();
    TextEncoder::new()
        .encode(&REGISTRY.gather(), &mut text)
        .expect("text encoding of gathered metrics succeeds");
    String::from_utf8(text).expect("the text format is UTF-8")
}

/// Counts one more of something while alive (e.g. a hash in flight).
pub struct InFlight(&'static LazyLock<IntGauge>);

impl InFlight {
    /// Adds one to `gauge` until dropped.
    pub fn enter(gauge: &'static LazyLock<IntGauge>) -> Self {
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_in_flight_guard_counts_while_alive() {
        static GAUGE: LazyLock<IntGauge> =
            LazyLock::new(|| IntGauge::new("test_gauge", "test").unwrap());
        {
            let _first = InFlight::enter(&GAUGE);
            let _second = InFlight::enter(&GAUGE);
            assert_eq!(GAUGE.get(), 2);
        }
        assert_eq!(GAUGE.get(), 0);
    }

    #[test]
    fn every_metric_is_exposed_in_the_text_format() {
        // A labelled family without a child is left out of the text format,
        // and no request is served in this process: give each one a child.
        REQUESTS.with_label_values(&["test", "200"]).inc();
        LATENCY.with_label_values(&["test"]).observe(0.001);
        SMS_SENDS.with_label_values(&["sent"]).inc();
        REFUSALS.with_label_values(&["login_lockout"]).inc();
        CONNECTIONS_REFUSED
            .with_label_values(&["max_connections_per_address"])
            .inc();
        CLIENT_ADDRESS_FALLBACKS
            .with_label_values(&["unparsable"])
            .inc();
        let text = render();
        assert!(
            text.contains("# TYPE http_write_timeouts_total counter"),
            "{text}"
        );
        assert!(
            text.contains("http_connections_refused_total{cap=\"max_connections_per_address\"}"),
            "{text}"
        );
        assert!(
            text.contains("client_address_fallbacks_total{reason=\"unparsable\"}"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE password_hashes_in_flight gauge"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE http_requests_total counter"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE http_request_duration_seconds histogram"),
            "{text}"
        );
        assert!(text.contains("sms_sends_total{outcome=\"sent\"}"), "{text}");
        assert!(
            text.contains("rate_limited_requests_total{limit=\"login_lockout\"}"),
            "{text}"
        );
    }
}
