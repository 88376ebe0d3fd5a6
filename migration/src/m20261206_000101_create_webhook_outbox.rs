//! Creates the webhook outbox: `webhook_events` (one row per account event,
//! written in the transaction of the change it describes) and
//! `webhook_deliveries` (one row per event and subscribed endpoint, with its
//! state, attempts and the claim of the instance delivering it).
//!
//! Indexes: the claim query's `(state, next_attempt_at)`, and
//! `(endpoint, account_id, state, id)` for "is an earlier delivery of this
//! endpoint and account still pending?" (per-account order) and the
//! operators' listing by endpoint and state.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_steps::{create_index, create_unique_index, drop_table};

/// The migration that creates `webhook_events` and `webhook_deliveries`.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The claim query's index: due pending deliveries.
pub const DUE_INDEX: &str = "idx_webhook_deliveries_state_next_attempt_at";
/// Per-endpoint, per-account order of deliveries.
pub const ORDER_INDEX: &str = "idx_webhook_deliveries_endpoint_account_state_id";
/// The deliveries of one event.
pub const EVENT_INDEX: &str = "idx_webhook_deliveries_event_id";
/// Events by public id (unique).
pub const EVENT_ID_INDEX: &str = "idx_webhook_events_event_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEvents::Table)
                    .col(big_pk_auto(WebhookEvents::Id))
                    .col(string_len(WebhookEvents::EventId, 64))
                    .col(string_len(WebhookEvents::EventType, 64))
                    .col(string_len_null(WebhookEvents::AccountId, 32))
                    .col(text(WebhookEvents::Payload))
                    .col(timestamp_with_time_zone(WebhookEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        create_unique_index(
            manager,
            EVENT_ID_INDEX,
            WebhookEvents::Table,
            [WebhookEvents::EventId],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(big_pk_auto(WebhookDeliveries::Id))
                    .col(big_integer(WebhookDeliveries::EventId))
                    .col(text(WebhookDeliveries::Endpoint))
                    .col(string_len_null(WebhookDeliveries::AccountId, 32))
                    .col(string_len(WebhookDeliveries::State, 16))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(integer_null(WebhookDeliveries::LastStatus))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::LastAttemptAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .col(string_len_null(WebhookDeliveries::ClaimedBy, 64))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::ClaimedUntil,
                    ))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    // Written out: unlike the keys `schema_steps::foreign_key`
                    // builds, this one was released without `ON UPDATE`.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_deliveries_event_id")
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EventId)
                            .to(WebhookEvents::Table, WebhookEvents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            DUE_INDEX,
            WebhookDeliveries::Table,
            [WebhookDeliveries::State, WebhookDeliveries::NextAttemptAt],
        )
        .await?;
        create_index(
            manager,
            ORDER_INDEX,
            WebhookDeliveries::Table,
            [
                WebhookDeliveries::Endpoint,
                WebhookDeliveries::AccountId,
                WebhookDeliveries::State,
                WebhookDeliveries::Id,
            ],
        )
        .await?;
        create_index(
            manager,
            EVENT_INDEX,
            WebhookDeliveries::Table,
            [WebhookDeliveries::EventId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, WebhookDeliveries::Table).await?;
        drop_table(manager, WebhookEvents::Table).await
    }
}

/// Identifiers of the `webhook_events` table.
#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    Id,
    EventId,
    EventType,
    AccountId,
    Payload,
    CreatedAt,
}

/// Identifiers of the `webhook_deliveries` table.
#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EventId,
    Endpoint,
    AccountId,
    State,
    Attempts,
    NextAttemptAt,
    LastStatus,
    LastError,
    LastAttemptAt,
    DeliveredAt,
    ClaimedBy,
    ClaimedUntil,
    CreatedAt,
}
