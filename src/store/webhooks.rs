//! The webhook outbox: account events written in the transaction of the
//! change they describe, one delivery row per subscribed endpoint, and the
//! claims, outcomes (each attempt kept, with its timing) and operator views
//! of those deliveries.
//!
//! A delivery is made in order per endpoint and account: it is not claimed
//! while an earlier delivery (lower id) of the same endpoint and account is
//! still `pending`. Several instances share the work by claiming rows for a
//! while (`claimed_by`, `claimed_until`): on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`, on SQLite under its one write lock. A claim
//! that outlives its instance expires and the delivery is claimed again (at
//! least once).

use chrono::{DateTime, Utc};
use entity::{
    webhook_deliveries as deliveries, webhook_delivery_attempts as attempts,
    webhook_events as events,
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement, UpdateMany,
    sea_query::{Expr, ExprTrait, Query},
};

use super::begin_write;

/// A delivery waiting for its (next) attempt.
pub const PENDING: &str = "pending";
/// A delivery the endpoint accepted (2xx).
pub const DELIVERED: &str = "delivered";
/// A delivery given up: refused for good (a 4xx other than 429), or still
/// failing after the last retry of its schedule.
pub const DEAD: &str = "dead";

/// An event to write: its type, the account it concerns, and its `data`.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// `user.registered`, ...
    pub event_type: String,
    /// The account (`users.id`) it concerns; its deliveries keep its order.
    pub account_id: Option<String>,
    /// The `data` object of the payload: ids and states, never a secret.
    pub data: serde_json::Value,
}

/// What an endpoint needs to know to receive events: its key (URL) and the
/// event types it subscribes to (`None`: all).
#[derive(Debug, Clone)]
pub struct Subscription {
    /// The endpoint's URL, its key in `webhook_deliveries.endpoint`.
    pub endpoint: String,
    /// The types it receives; every type when `None`.
    pub events: Option<Vec<String>>,
}

impl Subscription {
    fn wants(&self, event_type: &str) -> bool {
        self.events
            .as_ref()
            .is_none_or(|types| types.iter().any(|t| t == event_type))
    }
}

/// Where events go: the endpoints and the types they subscribe to, and
/// whether an event no endpoint receives is kept all the same (the sandbox
/// shows every event it would send).
#[derive(Debug, Clone, Default)]
pub struct Routing {
    /// The configured endpoints' subscriptions.
    pub subscriptions: Vec<Subscription>,
    /// Whether events no endpoint subscribes to are written too.
    pub record_unsubscribed: bool,
}

impl Routing {
    /// Whether an event of `event_type` is written at all.
    pub fn keeps(&self, event_type: &str) -> bool {
        self.record_unsubscribed || self.subscriptions.iter().any(|s| s.wants(event_type))
    }
}

/// As [`enqueue`], when `routing` keeps events of its type: nothing is
/// written for an event no endpoint receives (outside the sandbox).
pub async fn enqueue_routed(
    txn: &DatabaseTransaction,
    routing: &Routing,
    event: NewEvent,
    now: DateTime<Utc>,
) -> Result<Option<WrittenEvent>, DbErr> {
    if !routing.keeps(&event.event_type) {
        return Ok(None);
    }
    enqueue(txn, &routing.subscriptions, event, now)
        .await
        .map(Some)
}

/// A written event: its public id and its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenEvent {
    /// `msg_…`, the `webhook-id` of its deliveries.
    pub event_id: String,
    /// The body its deliveries send.
    pub payload: String,
    /// How many deliveries were written (subscribed endpoints).
    pub deliveries: usize,
}

/// Writes `event` and one pending delivery per endpoint of `subscriptions`
/// that subscribes to its type, in `txn` (the transaction of the change it
/// describes: if that rolls back, nothing is sent). Call it from the flows
/// with the configured endpoints (`AppState`'s, once wired).
pub async fn enqueue(
    txn: &DatabaseTransaction,
    subscriptions: &[Subscription],
    event: NewEvent,
    now: DateTime<Utc>,
) -> Result<WrittenEvent, DbErr> {
    let event_id = format!("msg_{}", uuid::Uuid::new_v4().simple());
    let payload = serde_json::json!({
        "type": event.event_type,
        "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": event.data,
    })
    .to_string();
    let row = events::ActiveModel {
        event_id: Set(event_id.clone()),
        event_type: Set(event.event_type.clone()),
        account_id: Set(event.account_id.clone()),
        payload: Set(payload.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    // Due at once. `now` is the server's clock, which a sandbox or a test
    // may have moved ahead; the worker claims by the wall clock.
    let due = std::cmp::Ord::min(now, Utc::now());
    let mut written = 0;
    for subscription in subscriptions.iter().filter(|s| s.wants(&event.event_type)) {
        deliveries::ActiveModel {
            event_id: Set(row.id),
            endpoint: Set(subscription.endpoint.clone()),
            account_id: Set(event.account_id.clone()),
            state: Set(PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(due),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        written += 1;
    }
    Ok(WrittenEvent {
        event_id,
        payload,
        deliveries: written,
    })
}

/// A delivery claimed for one attempt, with what the request needs.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// `webhook_deliveries.id`.
    pub delivery_id: i64,
    /// The endpoint's URL.
    pub endpoint: String,
    /// `msg_…`.
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// The body.
    pub payload: String,
    /// Attempts before this one.
    pub attempts: i32,
    /// When the event was written.
    pub created_at: DateTime<Utc>,
}

/// Claims up to `limit` due deliveries to `endpoint` for `instance` until
/// `claimed_until`: pending, due at `now`, not claimed by a live claim, and
/// the first pending one of their endpoint and account.
pub async fn claim_due(
    db: &DatabaseConnection,
    endpoint: &str,
    now: DateTime<Utc>,
    instance: &str,
    claimed_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Claimed>, DbErr> {
    let backend = db.get_database_backend();
    let txn = begin_write(db).await?;
    let lock = if backend == DbBackend::Postgres {
        " FOR UPDATE OF d SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "SELECT d.id FROM webhook_deliveries d \
         WHERE d.endpoint = $2 AND d.state = 'pending' AND d.next_attempt_at <= $1 \
         AND (d.claimed_until IS NULL OR d.claimed_until <= $1) \
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e \
           WHERE e.endpoint = d.endpoint AND e.account_id = d.account_id \
           AND e.state = 'pending' AND e.id < d.id) \
         ORDER BY d.next_attempt_at, d.id LIMIT {limit}{lock}"
    );
    let sql = if backend == DbBackend::Postgres {
        sql
    } else {
        sql.replace('$', "?")
    };
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [now.into(), endpoint.into()],
        ))
        .await?;
    let ids: Vec<i64> = rows
        .iter()
        .map(|row| row.try_get_by_index::<i64>(0))
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        txn.commit().await?;
        return Ok(Vec::new());
    }
    deliveries::Entity::update_many()
        .col_expr(deliveries::Column::ClaimedBy, Expr::value(instance))
        .col_expr(deliveries::Column::ClaimedUntil, Expr::value(claimed_until))
        .filter(deliveries::Column::Id.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    let found = deliveries::Entity::find()
        .filter(deliveries::Column::Id.is_in(ids))
        .find_also_related(events::Entity)
        .order_by_asc(deliveries::Column::Id)
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(found
        .into_iter()
        .filter_map(|(delivery, event)| {
            let event = event?;
            Some(Claimed {
                delivery_id: delivery.id,
                endpoint: delivery.endpoint,
                event_id: event.event_id,
                event_type: event.event_type,
                payload: event.payload,
                attempts: delivery.attempts,
                created_at: event.created_at,
            })
        })
        .collect())
}

/// When an attempt was started and how long it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptTiming {
    /// When the request was started.
    pub started_at: DateTime<Utc>,
    /// From then to its answer's status or its failure, in milliseconds.
    pub duration_ms: i64,
}

/// Records a delivery the endpoint accepted with `status`, and the attempt
/// (`timing`), in one transaction.
pub async fn mark_delivered(
    db: &DatabaseConnection,
    delivery_id: i64,
    status: u16,
    timing: AttemptTiming,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = begin_write(db).await?;
    attempt_ended(Some(status), None, now)
        .col_expr(deliveries::Column::State, Expr::value(DELIVERED))
        .col_expr(deliveries::Column::DeliveredAt, Expr::value(now))
        .filter(deliveries::Column::Id.eq(delivery_id))
        .exec(&txn)
        .await?;
    insert_attempt(&txn, delivery_id, timing, Some(status), None, false).await?;
    txn.commit().await
}

/// What follows a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// Give up: dead-lettered.
    Dead,
}

/// Records a failed attempt (`status` when the endpoint answered, `error`
/// a short reason without secrets, `timing`) and what follows it, in one
/// transaction.
pub async fn mark_failed(
    db: &DatabaseConnection,
    delivery_id: i64,
    status: Option<u16>,
    error: &str,
    next: AfterFailure,
    timing: AttemptTiming,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = begin_write(db).await?;
    let mut update = attempt_ended(status, Some(error), now);
    update = match next {
        AfterFailure::RetryAt(at) => update
            .col_expr(deliveries::Column::State, Expr::value(PENDING))
            .col_expr(deliveries::Column::NextAttemptAt, Expr::value(at)),
        AfterFailure::Dead => update.col_expr(deliveries::Column::State, Expr::value(DEAD)),
    };
    update
        .filter(deliveries::Column::Id.eq(delivery_id))
        .exec(&txn)
        .await?;
    let will_retry = matches!(next, AfterFailure::RetryAt(_));
    insert_attempt(&txn, delivery_id, timing, status, Some(error), will_retry).await?;
    txn.commit().await
}

/// The update of a delivery whose attempt ended at `now` with `status`
/// (when the endpoint answered) and `error` (when it failed): the attempt
/// counted and the claim released; the caller adds the state that follows.
fn attempt_ended(
    status: Option<u16>,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> UpdateMany<deliveries::Entity> {
    deliveries::Entity::update_many()
        .col_expr(
            deliveries::Column::Attempts,
            Expr::col(deliveries::Column::Attempts).add(1),
        )
        .col_expr(
            deliveries::Column::LastStatus,
            Expr::value(status.map(i32::from)),
        )
        .col_expr(
            deliveries::Column::LastError,
            Expr::value(error.map(str::to_owned)),
        )
        .col_expr(deliveries::Column::LastAttemptAt, Expr::value(now))
        .col_expr(
            deliveries::Column::ClaimedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            deliveries::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
}

/// Writes the attempt just counted on `delivery_id` (after its update, in
/// the same transaction: its number is the delivery's count, which the
/// update's row lock keeps exact when two instances record at once).
/// Nothing when the delivery is gone.
async fn insert_attempt(
    txn: &DatabaseTransaction,
    delivery_id: i64,
    timing: AttemptTiming,
    status: Option<u16>,
    error: Option<&str>,
    will_retry: bool,
) -> Result<(), DbErr> {
    let number: Option<i32> = deliveries::Entity::find_by_id(delivery_id)
        .select_only()
        .column(deliveries::Column::Attempts)
        .into_tuple()
        .one(txn)
        .await?;
    let Some(number) = number else {
        return Ok(());
    };
    attempts::ActiveModel {
        delivery_id: Set(delivery_id),
        attempt: Set(number),
        started_at: Set(timing.started_at),
        duration_ms: Set(std::cmp::Ord::max(timing.duration_ms, 0)),
        status: Set(status.map(i32::from)),
        error: Set(error.map(str::to_owned)),
        will_retry: Set(will_retry),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// The attempts of the delivery `delivery_id`, oldest first.
pub async fn attempts_of(
    db: &impl ConnectionTrait,
    delivery_id: i64,
) -> Result<Vec<attempts::Model>, DbErr> {
    attempts::Entity::find()
        .filter(attempts::Column::DeliveryId.eq(delivery_id))
        .order_by_asc(attempts::Column::Id)
        .all(db)
        .await
}

/// A delivery row, as the store hands it out.
pub type DeliveryRow = deliveries::Model;
/// An event row, as the store hands it out.
pub type EventRow = events::Model;
/// An attempt row, as the store hands it out.
pub type AttemptRow = attempts::Model;

/// Deliveries, newest first, for operators: of `endpoint` and in `state`
/// when given, at most `limit`.
pub async fn list_deliveries(
    db: &impl ConnectionTrait,
    endpoint: Option<&str>,
    state: Option<&str>,
    limit: u64,
) -> Result<Vec<(deliveries::Model, Option<events::Model>)>, DbErr> {
    let mut query = deliveries::Entity::find();
    if let Some(endpoint) = endpoint {
        query = query.filter(deliveries::Column::Endpoint.eq(endpoint));
    }
    if let Some(state) = state {
        query = query.filter(deliveries::Column::State.eq(state));
    }
    query
        .find_also_related(events::Entity)
        .order_by_desc(deliveries::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// How many deliveries are in `state`.
pub async fn count_in_state(db: &impl ConnectionTrait, state: &str) -> Result<u64, DbErr> {
    deliveries::Entity::find()
        .filter(deliveries::Column::State.eq(state))
        .count(db)
        .await
}

/// Puts dead deliveries back to pending, due at `now`, their attempts
/// reset: the one `delivery_id`, or every dead one (of `endpoint` when
/// given) when `None`. Returns how many.
pub async fn replay_dead(
    db: &impl ConnectionTrait,
    delivery_id: Option<i64>,
    endpoint: Option<&str>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut update = deliveries::Entity::update_many()
        .col_expr(deliveries::Column::State, Expr::value(PENDING))
        .col_expr(deliveries::Column::Attempts, Expr::value(0))
        .col_expr(deliveries::Column::NextAttemptAt, Expr::value(now))
        .filter(deliveries::Column::State.eq(DEAD));
    if let Some(id) = delivery_id {
        update = update.filter(deliveries::Column::Id.eq(id));
    }
    if let Some(endpoint) = endpoint {
        update = update.filter(deliveries::Column::Endpoint.eq(endpoint));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// The newest `limit` events written, newest first (the sandbox lists
/// them).
pub async fn recent_events(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<events::Model>, DbErr> {
    events::Entity::find()
        .order_by_desc(events::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The delivery `id` and its event.
pub async fn delivery_by_id(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<(deliveries::Model, Option<events::Model>)>, DbErr> {
    deliveries::Entity::find_by_id(id)
        .find_also_related(events::Entity)
        .one(db)
        .await
}

/// Deletes events written before `before` whose every delivery was
/// delivered (and events no endpoint received: the sandbox's), with their
/// deliveries and the deliveries' attempts, at most 10,000 events at a
/// time; how many events. Pending and dead deliveries stay, with
/// their events, for the worker and for operators' replays.
pub async fn purge_delivered(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    // The events past the retention by a range of their `created_at`
    // index, each checked for an unsettled delivery by one probe of the
    // deliveries' `event_id` index (`NOT IN` over every unsettled delivery
    // would read both tables whole).
    let unsettled = Query::select()
        .expr(Expr::val(1))
        .from(deliveries::Entity)
        .and_where(
            Expr::col((deliveries::Entity, deliveries::Column::EventId))
                .equals((events::Entity, events::Column::Id)),
        )
        .and_where(Expr::col((deliveries::Entity, deliveries::Column::State)).ne(DELIVERED))
        .to_owned();
    let ids: Vec<i64> = events::Entity::find()
        .select_only()
        .column(events::Column::Id)
        .filter(events::Column::CreatedAt.lt(before))
        .filter(Expr::exists(unsettled).not())
        .limit(10_000)
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let their_deliveries = Query::select()
        .column(deliveries::Column::Id)
        .from(deliveries::Entity)
        .and_where(deliveries::Column::EventId.is_in(ids.iter().copied()))
        .to_owned();
    attempts::Entity::delete_many()
        .filter(attempts::Column::DeliveryId.in_subquery(their_deliveries))
        .exec(db)
        .await?;
    deliveries::Entity::delete_many()
        .filter(deliveries::Column::EventId.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    let deleted = events::Entity::delete_many()
        .filter(events::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
