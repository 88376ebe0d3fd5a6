//! The `webhook_deliveries` table: one row per event and endpoint, its state
//! (`pending`, `delivered`, `dead`), its attempts and the claim of the
//! instance delivering it.

use sea_orm::entity::prelude::*;

/// The delivery of one event to one endpoint.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    /// Auto-incremented primary key; within an endpoint and an account,
    /// deliveries are made in its order.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The event (`webhook_events.id`).
    pub event_id: i64,
    /// The endpoint, keyed by its configured URL.
    #[sea_orm(column_type = "Text")]
    pub endpoint: String,
    /// The event's account (copied from the event), the ordering key.
    #[sea_orm(column_type = "String(StringLen::N(32))", nullable)]
    pub account_id: Option<String>,
    /// `pending`, `delivered` or `dead`.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub state: String,
    /// Attempts made so far.
    pub attempts: i32,
    /// When the next attempt is due (while pending).
    pub next_attempt_at: DateTimeUtc,
    /// The HTTP status of the last attempt, when it got one.
    pub last_status: Option<i32>,
    /// Why the last attempt failed (no secret, no body).
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// When the last attempt was made.
    pub last_attempt_at: Option<DateTimeUtc>,
    /// When the endpoint accepted it.
    pub delivered_at: Option<DateTimeUtc>,
    /// The instance that claimed it for an attempt.
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub claimed_by: Option<String>,
    /// Until when the claim holds; after it (an instance died mid-delivery)
    /// another instance may claim it again.
    pub claimed_until: Option<DateTimeUtc>,
    /// When the row was written (with its event).
    pub created_at: DateTimeUtc,
}

/// The event delivered, and the attempts made.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `event_id` → `webhook_events.id`, deleted with it.
    #[sea_orm(
        belongs_to = "super::webhook_events::Entity",
        from = "Column::EventId",
        to = "super::webhook_events::Column::Id",
        on_delete = "Cascade"
    )]
    WebhookEvents,
    /// One row per attempt.
    #[sea_orm(has_many = "super::webhook_delivery_attempts::Entity")]
    WebhookDeliveryAttempts,
}

impl Related<super::webhook_events::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::WebhookEvents.def()
    }
}

impl Related<super::webhook_delivery_attempts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::WebhookDeliveryAttempts.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
