//! The `webhook_events` table: the outbox of account events, written in the
//! transaction of the change each describes, delivered by the webhook worker
//! to every endpoint that subscribes to its type (`webhook_deliveries`).

use sea_orm::entity::prelude::*;

/// One account event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_events")]
pub struct Model {
    /// Auto-incremented primary key; orders the events.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The event's public id (`msg_` and 32 hex characters), sent as
    /// `webhook-id`: the same on every attempt, so a receiver can drop
    /// duplicates.
    #[sea_orm(unique, column_type = "String(StringLen::N(64))")]
    pub event_id: String,
    /// The event type, e.g. `user.registered`.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub event_type: String,
    /// The account the event concerns (a `users.id`), when it concerns one;
    /// deliveries of one account are made in order. No foreign key: the
    /// event of a deleted account outlives it.
    #[sea_orm(column_type = "String(StringLen::N(32))", nullable)]
    pub account_id: Option<String>,
    /// The body sent, JSON: `{"type": …, "timestamp": …, "data": {…}}`.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// When the event was written.
    pub created_at: DateTimeUtc,
}

/// The deliveries of the event.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// One row per endpoint that subscribes to the event's type.
    #[sea_orm(has_many = "super::webhook_deliveries::Entity")]
    WebhookDeliveries,
}

impl Related<super::webhook_deliveries::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::WebhookDeliveries.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
