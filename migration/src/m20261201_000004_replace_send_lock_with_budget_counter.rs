//! Replaces the one `service_locks` row every SMS send of every instance
//! queued on with `sms_budget_days`: a counter per UTC day of the sends the
//! whole service made, taken with one atomic conditional increment. The
//! per-phone and per-address checks are serialized by locks keyed by the
//! phone and the address instead (PostgreSQL advisory locks), so sends for
//! different phones never wait on each other.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261124_000002_create_audit_and_locks::create_service_locks, schema_steps::drop_table,
};

/// The migration that replaces the send lock with the budget counter.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SmsBudgetDays::Table)
                    .col(string_len(SmsBudgetDays::Day, 10).primary_key())
                    .col(big_integer(SmsBudgetDays::Sends))
                    .to_owned(),
            )
            .await?;
        drop_table(manager, ServiceLocks::Table).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_service_locks(manager).await?;
        drop_table(manager, SmsBudgetDays::Table).await
    }
}

/// Identifiers of the `sms_budget_days` table.
#[derive(DeriveIden)]
enum SmsBudgetDays {
    Table,
    Day,
    Sends,
}

/// Identifiers of the `service_locks` table used here.
#[derive(DeriveIden)]
enum ServiceLocks {
    Table,
}
