//! Adds `sms_codes.last_failed_at`: when the last counted wrong try against
//! the code was made. A code killed by its wrong tries stays dead for a
//! fixed time from that try, during which no new code is sent for its phone
//! and purpose. Existing rows have none: a code that is dead already ends
//! its dead state at once (the next send gives a fresh code).

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_steps::{add_column, drop_column};

/// The migration that adds `sms_codes.last_failed_at`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            SmsCodes::Table,
            timestamp_with_time_zone_null(SmsCodes::LastFailedAt),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, SmsCodes::Table, SmsCodes::LastFailedAt).await
    }
}

/// Identifiers of the `sms_codes` table used here.
#[derive(DeriveIden)]
enum SmsCodes {
    Table,
    LastFailedAt,
}
