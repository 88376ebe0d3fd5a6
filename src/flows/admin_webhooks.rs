//! What operators do with webhook deliveries through the admin API: list
//! them by endpoint and state with their attempts (and one delivery with
//! each attempt's status and timing), replay dead ones (one, or all of an
//! endpoint), and send an endpoint a test event. Every change is one
//! transaction with its audit row, which names the admin token.

use chrono::{DateTime, Utc};

use super::error::FlowError;
use crate::{
    domain::{AccountEvent, account_event::WebhookTest},
    state::AppState,
    store::{
        self,
        audit::{self, Kind, Subject},
        webhooks::{self, AttemptRow, DeliveryRow, EventRow, NewEvent, Subscription},
    },
};

pub use crate::store::webhooks::{DEAD, DELIVERED, PENDING};

/// One delivery of an event to an endpoint, with its attempts so far.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The stored delivery: its endpoint, account, state (`pending`,
    /// `delivered` or `dead`), attempts, last outcome and times.
    pub row: DeliveryRow,
    /// Its event's `webhook-id` (`msg_…`), not the row's `event_id` key.
    pub event_id: String,
    /// Its event's type.
    pub event_type: String,
}

fn delivery((row, event): (DeliveryRow, Option<EventRow>)) -> Delivery {
    let (event_id, event_type) = event
        .map(|event| (event.event_id, event.event_type))
        .unwrap_or_default();
    Delivery {
        row,
        event_id,
        event_type,
    }
}

/// The newest `limit` deliveries, of `endpoint` and in `delivery_state`
/// when given.
pub async fn list(
    state: &AppState,
    endpoint: Option<&str>,
    delivery_state: Option<&str>,
    limit: u64,
) -> Result<Vec<Delivery>, FlowError> {
    let rows = webhooks::list_deliveries(&state.db, endpoint, delivery_state, limit).await?;
    Ok(rows.into_iter().map(delivery).collect())
}

/// One attempt of a delivery.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Its number on the delivery's retry schedule (1 for the first; a
    /// replay starts again at 1).
    pub attempt: i32,
    /// When the request was started.
    pub started_at: DateTime<Utc>,
    /// How long it took, to the answer's status or the failure.
    pub duration_ms: i64,
    /// The HTTP status of the answer, when one came.
    pub status: Option<i32>,
    /// Why it failed; `None` when the endpoint accepted it.
    pub error: Option<String>,
    /// Whether another attempt followed it on the schedule.
    pub will_retry: bool,
}

fn attempt(row: AttemptRow) -> Attempt {
    Attempt {
        attempt: row.attempt,
        started_at: row.started_at,
        duration_ms: row.duration_ms,
        status: row.status,
        error: row.error,
        will_retry: row.will_retry,
    }
}

/// A delivery with every attempt made, oldest first.
#[derive(Debug, Clone)]
pub struct DeliveryDetail {
    /// The delivery.
    pub delivery: Delivery,
    /// Its attempts, oldest first.
    pub attempts: Vec<Attempt>,
}

/// The delivery `id`, with its attempts.
pub async fn get(state: &AppState, id: i64) -> Result<Option<DeliveryDetail>, FlowError> {
    let Some(row) = webhooks::delivery_by_id(&state.db, id).await? else {
        return Ok(None);
    };
    let attempts = webhooks::attempts_of(&state.db, id).await?;
    Ok(Some(DeliveryDetail {
        delivery: delivery(row),
        attempts: attempts.into_iter().map(attempt).collect(),
    }))
}

/// How replaying one delivery ended.
#[derive(Debug, PartialEq, Eq)]
pub enum ReplayOutcome {
    /// It is pending again, due now.
    Replayed,
    /// It is not dead (pending or delivered): nothing changed.
    NotDead,
    /// There is no such delivery.
    NoSuchDelivery,
}

/// Puts the dead delivery `id` back to pending, by the admin token `admin`.
pub async fn replay_one(
    state: &AppState,
    admin: &str,
    id: i64,
) -> Result<ReplayOutcome, FlowError> {
    let txn = store::begin_write(&state.db).await?;
    if webhooks::delivery_by_id(&txn, id).await?.is_none() {
        return Ok(ReplayOutcome::NoSuchDelivery);
    }
    if replay_dead(state, &txn, admin, Some(id), None).await? == 0 {
        return Ok(ReplayOutcome::NotDead);
    }
    txn.commit().await?;
    Ok(ReplayOutcome::Replayed)
}

/// Puts every dead delivery (of `endpoint` when given) back to pending, by
/// the admin token `admin`; how many.
pub async fn replay_all(
    state: &AppState,
    admin: &str,
    endpoint: Option<&str>,
) -> Result<u64, FlowError> {
    let txn = store::begin_write(&state.db).await?;
    let replayed = replay_dead(state, &txn, admin, None, endpoint).await?;
    txn.commit().await?;
    Ok(replayed)
}

/// Puts the dead deliveries (`id`, or every one of `endpoint`, or every
/// one) back to pending in `txn`, due now, with the audit row of the
/// admin token `admin` when there were any; how many.
async fn replay_dead(
    state: &AppState,
    txn: &store::Transaction,
    admin: &str,
    id: Option<i64>,
    endpoint: Option<&str>,
) -> Result<u64, FlowError> {
    let replayed = webhooks::replay_dead(txn, id, endpoint, Utc::now()).await?;
    if replayed > 0 {
        audit::record_admin_on(
            txn,
            state.clock.now(),
            Kind::AdminWebhookReplay,
            admin,
            &Subject::default(),
        )
        .await?;
    }
    Ok(replayed)
}

/// The configured endpoints' URLs.
pub fn endpoints(state: &AppState) -> Vec<String> {
    state
        .policy
        .events
        .subscriptions
        .iter()
        .map(|s| s.endpoint.clone())
        .collect()
}

/// Sends a `webhook.test` event to the configured `endpoint` (whatever
/// types it subscribes to), by the admin token `admin`: its `webhook-id`,
/// `None` when no such endpoint is configured.
pub async fn send_test(
    state: &AppState,
    admin: &str,
    endpoint: &str,
) -> Result<Option<String>, FlowError> {
    if !endpoints(state).iter().any(|e| e == endpoint) {
        return Ok(None);
    }
    let now = state.clock.now();
    let event = AccountEvent::Test(WebhookTest {
        requested_by: admin.to_owned(),
    });
    let only = [Subscription {
        endpoint: endpoint.to_owned(),
        events: None,
    }];
    let new = NewEvent {
        event_type: event.event_type().to_owned(),
        account_id: None,
        data: event.data(),
    };
    let txn = store::begin_write(&state.db).await?;
    let written = webhooks::enqueue(&txn, &only, new, now).await?;
    audit::record_admin_on(
        &txn,
        now,
        Kind::AdminWebhookTest,
        admin,
        &Subject::default(),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(written.event_id))
}
