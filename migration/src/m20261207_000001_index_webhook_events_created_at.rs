//! Indexes `webhook_events.created_at`, so that the hourly purge of
//! delivered events finds those past the retention by a range of the index
//! instead of reading the whole outbox every hour.

use sea_orm_migration::prelude::*;

use crate::schema_steps::{create_index, drop_index};

/// The events by the time they were written.
pub const CREATED_AT_INDEX: &str = "idx_webhook_events_created_at";

/// The migration that indexes `webhook_events.created_at`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [WebhookEvents::CreatedAt];
        create_index(manager, CREATED_AT_INDEX, WebhookEvents::Table, columns).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, CREATED_AT_INDEX, WebhookEvents::Table).await
    }
}

/// Identifiers of the `webhook_events` table used here.
#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    CreatedAt,
}
