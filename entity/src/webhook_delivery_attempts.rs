//! The `webhook_delivery_attempts` table: each attempt of a webhook
//! delivery, written with the delivery's new state in one transaction.

use sea_orm::entity::prelude::*;

/// One attempt to deliver an event to an endpoint.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_delivery_attempts")]
pub struct Model {
    /// Auto-incremented primary key; orders a delivery's attempts.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The delivery (`webhook_deliveries.id`).
    pub delivery_id: i64,
    /// Its number on the delivery's retry schedule (1 for the first; a
    /// replay starts again at 1).
    pub attempt: i32,
    /// When the request was started.
    pub started_at: DateTimeUtc,
    /// How long it took, to the answer's status or the failure.
    pub duration_ms: i64,
    /// The HTTP status of the answer, when one came.
    pub status: Option<i32>,
    /// Why it failed (`HTTP 503`, `timeout`, `connection error`, ...): never
    /// a secret or the body. `None` when the endpoint accepted it.
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// Whether another attempt follows on the schedule.
    pub will_retry: bool,
}

/// The delivery attempted.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `delivery_id` → `webhook_deliveries.id`, deleted with it.
    #[sea_orm(
        belongs_to = "super::webhook_deliveries::Entity",
        from = "Column::DeliveryId",
        to = "super::webhook_deliveries::Column::Id",
        on_delete = "Cascade"
    )]
    WebhookDeliveries,
}

impl Related<super::webhook_deliveries::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::WebhookDeliveries.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
