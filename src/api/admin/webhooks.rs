//! `/admin/v1/webhooks`: operators' view of account-event deliveries —
//! the configured endpoints, deliveries by endpoint and state with their
//! attempts (one delivery with each attempt's status and timing),
//! replaying dead ones, and a test event.

use poem::web::Data;
use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{
    AdminTags,
    auth::AdminAuth,
    paging::page_limit,
    problem::{AdminError, AdminReply},
    wire::time,
};
use crate::{
    flows::admin_webhooks::{self, Attempt, DEAD, DELIVERED, Delivery, PENDING, ReplayOutcome},
    state::AppState,
};

/// The webhook operations.
pub struct WebhooksApi;

#[OpenApi(prefix_path = "/admin/v1", tag = "AdminTags::Webhooks")]
impl WebhooksApi {
    /// List the webhook endpoints
    ///
    /// The `[[webhooks]]` endpoints of the configuration file, with how
    /// many deliveries of each are pending, delivered and dead.
    #[oai(
        path = "/webhooks/endpoints",
        method = "get",
        operation_id = "listWebhookEndpoints"
    )]
    async fn endpoints(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
    ) -> AdminReply<Json<EndpointList>> {
        AdminReply(
            async {
                auth.admin(&state).await?;
                let items = admin_webhooks::endpoints(&state)
                    .into_iter()
                    .map(|url| EndpointItem { url })
                    .collect();
                Ok(Json(EndpointList { items }))
            }
            .await,
        )
    }

    /// List deliveries
    ///
    /// The newest deliveries (of `endpoint`, in `state`, when given), each
    /// with its attempts: how many, the last one's HTTP status, error and
    /// time, and when the next is due or when it was delivered.
    #[oai(
        path = "/webhooks/deliveries",
        method = "get",
        operation_id = "listWebhookDeliveries"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// Only this endpoint's (its configured URL).
        endpoint: Query<Option<String>>,
        /// Only deliveries in this state: `pending`, `delivered` or `dead`.
        #[oai(name = "state")]
        state_filter: Query<Option<String>>,
        /// How many, 1 to 500 (default 50).
        limit: Query<Option<u32>>,
    ) -> AdminReply<Json<DeliveryList>> {
        AdminReply(
            async {
                auth.admin(&state).await?;
                let wanted = state_filter.0.as_deref();
                if let Some(wanted) = wanted
                    && ![PENDING, DELIVERED, DEAD].contains(&wanted)
                {
                    return Err(AdminError::bad_field(
                        "state",
                        "must be pending, delivered or dead",
                    ));
                }
                let limit = page_limit(limit.0)?;
                match admin_webhooks::list(&state, endpoint.0.as_deref(), wanted, limit).await {
                    Ok(deliveries) => Ok(Json(DeliveryList {
                        items: deliveries.iter().map(DeliveryItem::from).collect(),
                    })),
                    Err(err) => Err(AdminError::internal("listWebhookDeliveries", &err)),
                }
            }
            .await,
        )
    }

    /// Look at one delivery
    ///
    /// The delivery, with every attempt made, oldest first: when it
    /// started, how long it took, the HTTP status or why no answer came,
    /// and whether another attempt followed.
    #[oai(
        path = "/webhooks/deliveries/:delivery_id",
        method = "get",
        operation_id = "getWebhookDelivery"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// The delivery's id.
        delivery_id: Path<i64>,
    ) -> AdminReply<Json<DeliveryDetail>> {
        AdminReply(
            async {
                auth.admin(&state).await?;
                match admin_webhooks::get(&state, delivery_id.0).await {
                    Ok(Some(detail)) => Ok(Json(DeliveryDetail::from(&detail))),
                    Ok(None) => Err(no_such_delivery(delivery_id.0)),
                    Err(err) => Err(AdminError::internal("getWebhookDelivery", &err)),
                }
            }
            .await,
        )
    }

    /// Replay a dead delivery
    ///
    /// Puts it back to pending, due now, its attempts counted from zero on
    /// the endpoint's schedule (with the same `webhook-id`). 409 when it is
    /// not dead.
    #[oai(
        path = "/webhooks/deliveries/:delivery_id/replay",
        method = "post",
        operation_id = "replayWebhookDelivery"
    )]
    async fn replay(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// The delivery's id.
        delivery_id: Path<i64>,
    ) -> AdminReply<Json<Replayed>> {
        AdminReply(
            async {
                let admin = auth.admin(&state).await?;
                match admin_webhooks::replay_one(&state, &admin.name, delivery_id.0).await {
                    Ok(ReplayOutcome::Replayed) => Ok(Json(Replayed { replayed: 1 })),
                    Ok(ReplayOutcome::NotDead) => Err(AdminError::conflict(format!(
                        "delivery {} is not dead",
                        delivery_id.0
                    ))),
                    Ok(ReplayOutcome::NoSuchDelivery) => Err(no_such_delivery(delivery_id.0)),
                    Err(err) => Err(AdminError::internal("replayWebhookDelivery", &err)),
                }
            }
            .await,
        )
    }

    /// Replay every dead delivery
    ///
    /// Every dead delivery (of `endpoint`, when given) back to pending, due
    /// now: after a receiver's outage.
    #[oai(
        path = "/webhooks/deliveries/replay",
        method = "post",
        operation_id = "replayDeadWebhookDeliveries"
    )]
    async fn replay_all(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// Only this endpoint's (its configured URL).
        endpoint: Query<Option<String>>,
    ) -> AdminReply<Json<Replayed>> {
        AdminReply(
            async {
                let admin = auth.admin(&state).await?;
                match admin_webhooks::replay_all(&state, &admin.name, endpoint.0.as_deref()).await {
                    Ok(replayed) => Ok(Json(Replayed { replayed })),
                    Err(err) => Err(AdminError::internal("replayDeadWebhookDeliveries", &err)),
                }
            }
            .await,
        )
    }

    /// Send a test event
    ///
    /// A `webhook.test` event to the configured endpoint `url`, whatever
    /// types it subscribes to, signed and retried like any other; follow it
    /// in the deliveries. 404 when no such endpoint is configured.
    #[oai(
        path = "/webhooks/test",
        method = "post",
        operation_id = "sendWebhookTest"
    )]
    async fn test(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        body: Json<TestRequest>,
    ) -> AdminReply<Json<TestSent>> {
        AdminReply(
            async {
                let admin = auth.admin(&state).await?;
                match admin_webhooks::send_test(&state, &admin.name, &body.0.url).await {
                    Ok(Some(event_id)) => Ok(Json(TestSent { event_id })),
                    Ok(None) => Err(AdminError::not_found(format!(
                        "no webhook endpoint {} is configured",
                        body.0.url
                    ))),
                    Err(err) => Err(AdminError::internal("sendWebhookTest", &err)),
                }
            }
            .await,
        )
    }
}

fn no_such_delivery(id: i64) -> AdminError {
    AdminError::not_found(format!("no webhook delivery {id}"))
}

/// A configured endpoint.
#[derive(Debug, Object)]
pub struct EndpointItem {
    /// Its URL (its key in the deliveries).
    pub url: String,
}

/// The configured endpoints.
#[derive(Debug, Object)]
pub struct EndpointList {
    /// Every `[[webhooks]]` endpoint, in the configuration's order.
    pub items: Vec<EndpointItem>,
}

/// One delivery of an event to an endpoint.
#[derive(Debug, Object)]
pub struct DeliveryItem {
    /// The delivery's id.
    pub id: i64,
    /// The event's id, its `webhook-id` (`msg_…`).
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// The account it concerns; null for a test event.
    pub account_id: Option<String>,
    /// The endpoint's URL.
    pub endpoint: String,
    /// `pending` (waiting for an attempt), `delivered` or `dead` (refused
    /// with a 4xx other than 429, or failing after its last retry).
    pub state: String,
    /// Attempts made.
    pub attempts: i32,
    /// The last attempt's HTTP status; null when none answered.
    pub last_status: Option<i32>,
    /// Why the last attempt failed (`HTTP 503`, `timeout`, `connection
    /// error`, ...); null when it did not.
    pub last_error: Option<String>,
    /// When the last attempt was made; null before the first.
    pub last_attempt_at: Option<String>,
    /// When the next attempt is due (pending only); null otherwise.
    pub next_attempt_at: Option<String>,
    /// When the endpoint accepted it; null until it has.
    pub delivered_at: Option<String>,
    /// When its event was written.
    pub created_at: String,
}

impl From<&Delivery> for DeliveryItem {
    fn from(d: &Delivery) -> Self {
        let row = &d.row;
        Self {
            id: row.id,
            event_id: d.event_id.clone(),
            event_type: d.event_type.clone(),
            account_id: row.account_id.clone(),
            endpoint: row.endpoint.clone(),
            state: row.state.clone(),
            attempts: row.attempts,
            last_status: row.last_status,
            last_error: row.last_error.clone(),
            last_attempt_at: row.last_attempt_at.map(time),
            next_attempt_at: (row.state == PENDING).then(|| time(row.next_attempt_at)),
            delivered_at: row.delivered_at.map(time),
            created_at: time(row.created_at),
        }
    }
}

/// One attempt of a delivery.
#[derive(Debug, Object)]
pub struct AttemptItem {
    /// Its number on the delivery's retry schedule: 1 for the first (a
    /// replay starts again at 1).
    pub attempt: i32,
    /// When the request was started.
    pub started_at: String,
    /// How long it took, from the start to the answer's status or the
    /// failure, in milliseconds.
    pub duration_ms: i64,
    /// The answer's HTTP status; null when none came (`timeout`,
    /// `connection error`).
    pub status: Option<i32>,
    /// Why it failed (`HTTP 503`, `timeout`, `connection error`, `refused
    /// with HTTP 400 (not retried)`, ...); null when the endpoint accepted
    /// the event.
    pub error: Option<String>,
    /// Whether another attempt followed on the endpoint's schedule (false
    /// when accepted, refused for good, or after the schedule's last
    /// delay).
    pub will_retry: bool,
}

impl From<&Attempt> for AttemptItem {
    fn from(a: &Attempt) -> Self {
        Self {
            attempt: a.attempt,
            started_at: time(a.started_at),
            duration_ms: a.duration_ms,
            status: a.status,
            error: a.error.clone(),
            will_retry: a.will_retry,
        }
    }
}

/// One delivery with every attempt made.
#[derive(Debug, Object)]
pub struct DeliveryDetail {
    /// The delivery.
    #[oai(flatten)]
    pub delivery: DeliveryItem,
    /// Its attempts, oldest first.
    pub attempt_history: Vec<AttemptItem>,
}

impl From<&admin_webhooks::DeliveryDetail> for DeliveryDetail {
    fn from(d: &admin_webhooks::DeliveryDetail) -> Self {
        Self {
            delivery: DeliveryItem::from(&d.delivery),
            attempt_history: d.attempts.iter().map(AttemptItem::from).collect(),
        }
    }
}

/// Deliveries, newest first.
#[derive(Debug, Object)]
pub struct DeliveryList {
    /// The deliveries.
    pub items: Vec<DeliveryItem>,
}

/// How many dead deliveries are pending again.
#[derive(Debug, Object)]
pub struct Replayed {
    /// Their number.
    pub replayed: u64,
}

/// Which endpoint to test.
#[derive(Debug, Object)]
pub struct TestRequest {
    /// A configured endpoint's URL.
    pub url: String,
}

/// The test event written.
#[derive(Debug, Object)]
pub struct TestSent {
    /// Its `webhook-id` (`msg_…`): find its delivery in the list.
    pub event_id: String,
}
