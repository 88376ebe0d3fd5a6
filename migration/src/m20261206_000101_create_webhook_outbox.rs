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
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

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
        manager
            .create_index(
                Index::create()
                    .name(EVENT_ID_INDEX)
                    .table(WebhookEvents::Table)
                    .col(WebhookEvents::EventId)
                    .unique()
                    .to_owned(),
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
        manager
            .create_index(
                Index::create()
                    .name(DUE_INDEX)
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::State)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(ORDER_INDEX)
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::Endpoint)
                    .col(WebhookDeliveries::AccountId)
                    .col(WebhookDeliveries::State)
                    .col(WebhookDeliveries::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(EVENT_INDEX)
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EventId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WebhookEvents::Table).to_owned())
            .await
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
