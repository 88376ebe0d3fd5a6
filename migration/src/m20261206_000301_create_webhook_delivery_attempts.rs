//! Creates `webhook_delivery_attempts`: one row per attempt of a webhook
//! delivery (when it started, how long it took, the HTTP status or why no
//! answer came, and whether another attempt follows), written by the worker
//! in the transaction that records the delivery's new state, so operators
//! see every attempt and not only the last.
//!
//! Indexed by `(delivery_id, id)`: one delivery's attempts in order, and
//! the purge's deletion of a delivery's attempts. Deleted with their
//! delivery.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration that creates `webhook_delivery_attempts`.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// One delivery's attempts, in order.
pub const DELIVERY_INDEX: &str = "idx_webhook_delivery_attempts_delivery_id_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveryAttempts::Table)
                    .col(big_pk_auto(WebhookDeliveryAttempts::Id))
                    .col(big_integer(WebhookDeliveryAttempts::DeliveryId))
                    .col(integer(WebhookDeliveryAttempts::Attempt))
                    .col(timestamp_with_time_zone(WebhookDeliveryAttempts::StartedAt))
                    .col(big_integer(WebhookDeliveryAttempts::DurationMs))
                    .col(integer_null(WebhookDeliveryAttempts::Status))
                    .col(text_null(WebhookDeliveryAttempts::Error))
                    .col(boolean(WebhookDeliveryAttempts::WillRetry))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_delivery_attempts_delivery_id")
                            .from(
                                WebhookDeliveryAttempts::Table,
                                WebhookDeliveryAttempts::DeliveryId,
                            )
                            .to(WebhookDeliveries::Table, WebhookDeliveries::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(DELIVERY_INDEX)
                    .table(WebhookDeliveryAttempts::Table)
                    .col(WebhookDeliveryAttempts::DeliveryId)
                    .col(WebhookDeliveryAttempts::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(WebhookDeliveryAttempts::Table)
                    .to_owned(),
            )
            .await
    }
}

/// Identifiers of the `webhook_delivery_attempts` table.
#[derive(DeriveIden)]
enum WebhookDeliveryAttempts {
    Table,
    Id,
    DeliveryId,
    Attempt,
    StartedAt,
    DurationMs,
    Status,
    Error,
    WillRetry,
}

/// Identifiers of the `webhook_deliveries` table used here.
#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
}
