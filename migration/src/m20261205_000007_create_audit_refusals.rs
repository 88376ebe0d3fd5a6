//! Creates `audit_refusals`: requests refused by a limit (a 429: send
//! limits, the daily budget, a dead code, the login lockout, wrong
//! passwords per address, unverified resets, the full hashing queue),
//! counted in one row per limit, kind, phone and client network per UTC
//! hour instead of one `audit_events` row each, so a flood of refused
//! requests costs the database a bounded number of rows.
//!
//! The unique index is the upsert's conflict target and, by its leading
//! `window_start`, serves the retention purge.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_steps::{create_unique_index, drop_table};

/// The migration that creates `audit_refusals`.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The unique index of one counter: window, kind, limit, phone, network.
pub const KEY_INDEX: &str = "idx_audit_refusals_window_key";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditRefusals::Table)
                    .col(big_pk_auto(AuditRefusals::Id))
                    .col(timestamp_with_time_zone(AuditRefusals::WindowStart))
                    .col(string_len(AuditRefusals::Kind, 32))
                    .col(string_len(AuditRefusals::LimitName, 32))
                    .col(string_len(AuditRefusals::Phone, 20))
                    .col(string_len(AuditRefusals::ClientNetwork, 64))
                    .col(big_integer(AuditRefusals::Count))
                    .col(timestamp_with_time_zone(AuditRefusals::FirstAt))
                    .col(timestamp_with_time_zone(AuditRefusals::LastAt))
                    .to_owned(),
            )
            .await?;
        create_unique_index(
            manager,
            KEY_INDEX,
            AuditRefusals::Table,
            [
                AuditRefusals::WindowStart,
                AuditRefusals::Kind,
                AuditRefusals::LimitName,
                AuditRefusals::Phone,
                AuditRefusals::ClientNetwork,
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, AuditRefusals::Table).await
    }
}

/// Identifiers of the `audit_refusals` table.
#[derive(DeriveIden)]
enum AuditRefusals {
    Table,
    Id,
    WindowStart,
    Kind,
    LimitName,
    Phone,
    ClientNetwork,
    Count,
    FirstAt,
    LastAt,
}
