//! The delivery worker: a tokio task that claims due deliveries, POSTs each
//! signed to its endpoint, and records the outcome. It runs beside the
//! server and shares nothing with request handling but the database pool,
//! so a slow or dead receiver never holds up a request. Each endpoint has a
//! loop of its own, which claims a batch of that endpoint's deliveries and
//! waits for them all: a receiver that never answers holds up its own
//! deliveries (for the request timeout), never another endpoint's.
//!
//! An attempt succeeds on a 2xx. A timeout, a connection error, a 5xx or a
//! 429 is retried after the next delay of the endpoint's schedule (plus up
//! to 10 % jitter); when the schedule is spent the delivery is dead. Any
//! other answer (a 4xx, a 3xx: redirects are not followed) is never
//! retried: the delivery is dead at once, its status recorded. Each
//! attempt is kept (its start, duration, status or error, and whether it
//! is retried) in the transaction that records the delivery's new state.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio::{sync::watch, task::JoinHandle};

use super::{
    metrics,
    signing::{ID_HEADER, SIGNATURE_HEADER, Signer, TIMESTAMP_HEADER},
};
use crate::{
    settings::WebhookEndpoint,
    store::webhooks::{self as outbox, AfterFailure, AttemptTiming, Claimed, Subscription},
};

/// One configured endpoint, ready to sign for.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Its URL (and key).
    pub url: String,
    /// Its keys.
    pub signer: Signer,
    /// The delays before each retry.
    pub retry_schedule: Vec<Duration>,
}

impl Endpoint {
    /// The endpoint of a (validated) configuration entry.
    pub fn from_settings(settings: &WebhookEndpoint) -> Result<Self, String> {
        Ok(Self {
            url: settings.url.clone(),
            signer: Signer::new(settings.keys()?),
            retry_schedule: settings
                .retry_schedule_secs
                .iter()
                .map(|secs| Duration::from_secs(*secs))
                .collect(),
        })
    }
}

/// What [`outbox::enqueue`] needs of the configured endpoints.
pub fn subscriptions(endpoints: &[WebhookEndpoint]) -> Vec<Subscription> {
    endpoints
        .iter()
        .map(|e| Subscription {
            endpoint: e.url.clone(),
            events: e.events.clone(),
        })
        .collect()
}

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// This instance's name in `claimed_by` (unique per process).
    pub instance: String,
    /// How long to wait when nothing is due.
    pub poll_interval: Duration,
    /// The deadline of one request.
    pub request_timeout: Duration,
    /// How long a claim holds; another instance takes the delivery over
    /// after it (so it must exceed `request_timeout`).
    pub lease: Duration,
    /// Most deliveries of one endpoint claimed (and sent concurrently) at once.
    pub batch: u64,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            instance: format!(
                "{}-{}",
                std::process::id(),
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            ),
            poll_interval: Duration::from_secs(1),
            request_timeout: Duration::from_secs(10),
            lease: Duration::from_secs(60),
            batch: 32,
        }
    }
}

/// The running worker: stop it with [`WorkerHandle::stop`].
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl WorkerHandle {
    /// Stops the worker after the attempts under way, and waits for it.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }

    /// Stops the worker, waiting at most `grace` for the attempts under
    /// way; after it they are abandoned (their claims expire and the
    /// deliveries are made again: at least once).
    pub async fn stop_within(mut self, grace: Duration) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(grace, &mut self.task).await.is_err() {
            self.task.abort();
            tracing::warn!("webhooks: attempts under way at the stop were abandoned");
        }
    }
}

/// Starts the worker delivering to `endpoints` from `db`.
pub fn spawn(
    db: DatabaseConnection,
    endpoints: Vec<Endpoint>,
    options: WorkerOptions,
) -> Result<WorkerHandle, String> {
    // The TLS crypto provider of the whole process; one already chosen is kept.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(options.request_timeout)
        .connect_timeout(options.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "account-api/",
            env!("CARGO_PKG_VERSION"),
            " webhooks"
        ))
        .build()
        .map_err(|err| format!("cannot build the webhook HTTP client: {err}"))?;
    let (stop, stopped) = watch::channel(false);
    let worker = Arc::new(Worker {
        db,
        endpoints,
        client,
        options,
    });
    let task = tokio::spawn(worker.run(stopped));
    Ok(WorkerHandle { stop, task })
}

struct Worker {
    db: DatabaseConnection,
    endpoints: Vec<Endpoint>,
    client: reqwest::Client,
    options: WorkerOptions,
}

/// The outcome of one attempt.
enum Attempt {
    Accepted(u16),
    Retriable(Option<u16>, String),
    Refused(u16),
}

impl Worker {
    /// One loop per endpoint, until stopped.
    async fn run(self: Arc<Self>, stopped: watch::Receiver<bool>) {
        let mut loops = tokio::task::JoinSet::new();
        for index in 0..self.endpoints.len() {
            loops.spawn(Arc::clone(&self).run_endpoint(index, stopped.clone()));
        }
        while loops.join_next().await.is_some() {}
    }

    /// Claims the due deliveries of endpoint `index`, a batch at a time.
    async fn run_endpoint(self: Arc<Self>, index: usize, mut stopped: watch::Receiver<bool>) {
        loop {
            if *stopped.borrow() {
                return;
            }
            let now = Utc::now();
            let lease = chrono::Duration::from_std(self.options.lease).unwrap_or_default();
            let claimed = outbox::claim_due(
                &self.db,
                &self.endpoints[index].url,
                now,
                &self.options.instance,
                now + lease,
                self.options.batch,
            )
            .await;
            let idle = match claimed {
                Ok(batch) if !batch.is_empty() => {
                    let mut attempts = tokio::task::JoinSet::new();
                    for delivery in batch {
                        let worker = Arc::clone(&self);
                        attempts.spawn(async move { worker.deliver(index, delivery).await });
                    }
                    while attempts.join_next().await.is_some() {}
                    false
                }
                Ok(_) => {
                    if let Ok(pending) = outbox::count_in_state(&self.db, outbox::PENDING).await {
                        metrics::PENDING.set(i64::try_from(pending).unwrap_or(i64::MAX));
                    }
                    true
                }
                Err(err) => {
                    tracing::warn!(error = %err, "webhooks: cannot claim deliveries");
                    true
                }
            };
            if idle {
                tokio::select! {
                    () = tokio::time::sleep(self.options.poll_interval) => {}
                    _ = stopped.changed() => return,
                }
            }
        }
    }

    async fn deliver(&self, index: usize, delivery: Claimed) {
        let endpoint = &self.endpoints[index];
        let started_at = Utc::now();
        let started = Instant::now();
        let outcome = self.attempt(endpoint, &delivery).await;
        let timing = AttemptTiming {
            started_at,
            duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        };
        let now = Utc::now();
        let recorded = match outcome {
            Attempt::Accepted(status) => {
                metrics::DELIVERED.inc();
                metrics::LATENCY
                    .observe((now - delivery.created_at).num_milliseconds().max(0) as f64 / 1000.0);
                outbox::mark_delivered(&self.db, delivery.delivery_id, status, timing, now).await
            }
            Attempt::Refused(status) => {
                metrics::FAILED.inc();
                metrics::DEAD.inc();
                tracing::warn!(
                    endpoint = %endpoint.url,
                    event = %delivery.event_id,
                    status,
                    "webhooks: the endpoint refused the event; not retried"
                );
                outbox::mark_failed(
                    &self.db,
                    delivery.delivery_id,
                    Some(status),
                    &format!("refused with HTTP {status} (not retried)"),
                    AfterFailure::Dead,
                    timing,
                    now,
                )
                .await
            }
            Attempt::Retriable(status, error) => {
                metrics::FAILED.inc();
                let next = next_attempt(&endpoint.retry_schedule, delivery.attempts, now);
                if next == AfterFailure::Dead {
                    metrics::DEAD.inc();
                    tracing::warn!(
                        endpoint = %endpoint.url,
                        event = %delivery.event_id,
                        error = %error,
                        "webhooks: the retry schedule is spent; dead-lettered"
                    );
                }
                outbox::mark_failed(
                    &self.db,
                    delivery.delivery_id,
                    status,
                    &error,
                    next,
                    timing,
                    now,
                )
                .await
            }
        };
        if let Err(err) = recorded {
            // The claim expires and the delivery is made again: at least once.
            tracing::warn!(error = %err, "webhooks: cannot record a delivery's outcome");
        }
    }

    async fn attempt(&self, endpoint: &Endpoint, delivery: &Claimed) -> Attempt {
        let timestamp = Utc::now().timestamp();
        let signature =
            endpoint
                .signer
                .sign(&delivery.event_id, timestamp, delivery.payload.as_bytes());
        let sent = self
            .client
            .post(&endpoint.url)
            .header("content-type", "application/json")
            .header(ID_HEADER, &delivery.event_id)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(delivery.payload.clone())
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = response.status();
                // The body is not needed; dropping the response closes it.
                if status.is_success() {
                    Attempt::Accepted(status.as_u16())
                } else if status.is_server_error() || status.as_u16() == 429 {
                    Attempt::Retriable(Some(status.as_u16()), format!("HTTP {}", status.as_u16()))
                } else {
                    Attempt::Refused(status.as_u16())
                }
            }
            Err(err) => {
                let kind = if err.is_timeout() {
                    "timeout"
                } else if err.is_connect() {
                    "connection error"
                } else {
                    "request error"
                };
                Attempt::Retriable(None, kind.to_owned())
            }
        }
    }
}

/// After the failed attempt number `attempts + 1`: the next delay of
/// `schedule` plus up to 10 % jitter, or dead when it is spent.
fn next_attempt(schedule: &[Duration], attempts: i32, now: DateTime<Utc>) -> AfterFailure {
    let Some(delay) = usize::try_from(attempts)
        .ok()
        .and_then(|index| schedule.get(index))
    else {
        return AfterFailure::Dead;
    };
    let jitter_ms = (delay.as_millis() / 10) as u64;
    let random = (uuid::Uuid::new_v4().as_u128() as u64) % (jitter_ms + 1);
    let delay = *delay + Duration::from_millis(random);
    AfterFailure::RetryAt(now + chrono::Duration::from_std(delay).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_followed_with_bounded_jitter_then_dead() {
        let schedule = [Duration::from_secs(5), Duration::from_secs(300)];
        let now = Utc::now();
        for _ in 0..50 {
            let AfterFailure::RetryAt(first) = next_attempt(&schedule, 0, now) else {
                panic!("a retry after the first failure")
            };
            let wait = (first - now).num_milliseconds();
            assert!((5000..=5500).contains(&wait), "{wait} ms");
            let AfterFailure::RetryAt(second) = next_attempt(&schedule, 1, now) else {
                panic!("a retry after the second failure")
            };
            let wait = (second - now).num_milliseconds();
            assert!((300_000..=330_000).contains(&wait), "{wait} ms");
        }
        assert_eq!(next_attempt(&schedule, 2, now), AfterFailure::Dead);
    }
}
