//! Adds what production mode needs: `audit_events` (the ledger of sends,
//! registrations, logins, lockouts, resets and logouts, which the abuse limits
//! count from), `service_locks` (rows whose update serializes the checks of
//! a limit across instances) and `server_secrets` (generated secrets shared by
//! every instance on one database), plus an index to purge expired sessions.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_steps::{create_index, drop_index, drop_table};

/// The migration that creates the audit, lock and secret tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The lock row taken by every SMS send while it checks the send limits.
pub const SMS_SEND_LOCK: &str = "sms_send";

/// The indexes the per-phone and per-address limits counted with at first;
/// the migration that replaced them restores them in its `down`.
pub(crate) const LIMIT_INDEXES: [(&str, [AuditEvents; 3]); 2] = [
    (
        "idx_audit_events_kind_phone_created_at",
        [
            AuditEvents::Kind,
            AuditEvents::Phone,
            AuditEvents::CreatedAt,
        ],
    ),
    (
        "idx_audit_events_kind_client_ip_created_at",
        [
            AuditEvents::Kind,
            AuditEvents::ClientIp,
            AuditEvents::CreatedAt,
        ],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(big_pk_auto(AuditEvents::Id))
                    .col(timestamp_with_time_zone(AuditEvents::CreatedAt))
                    .col(string_len(AuditEvents::Kind, 32))
                    .col(string_len(AuditEvents::Outcome, 32))
                    .col(string_len_null(AuditEvents::Phone, 20))
                    .col(string_len_null(AuditEvents::ClientIp, 64))
                    .col(string_null(AuditEvents::Device))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in LIMIT_INDEXES {
            create_index(manager, name, AuditEvents::Table, columns).await?;
        }
        create_index(
            manager,
            "idx_audit_events_kind_outcome_created_at",
            AuditEvents::Table,
            [
                AuditEvents::Kind,
                AuditEvents::Outcome,
                AuditEvents::CreatedAt,
            ],
        )
        .await?;

        create_service_locks(manager).await?;

        manager
            .create_table(
                Table::create()
                    .table(ServerSecrets::Table)
                    .col(string_len(ServerSecrets::Name, 64).primary_key())
                    .col(text(ServerSecrets::Value))
                    .col(timestamp_with_time_zone(ServerSecrets::CreatedAt))
                    .to_owned(),
            )
            .await?;

        create_index(
            manager,
            "idx_sessions_expires_at",
            Sessions::Table,
            [Sessions::ExpiresAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, "idx_sessions_expires_at", Sessions::Table).await?;
        drop_table(manager, ServerSecrets::Table).await?;
        drop_table(manager, ServiceLocks::Table).await?;
        drop_table(manager, AuditEvents::Table).await
    }
}

/// Creates `service_locks` with its one row, [`SMS_SEND_LOCK`]; also what
/// the `down` of the migration that replaced it restores.
pub(crate) async fn create_service_locks(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(ServiceLocks::Table)
                .col(string_len(ServiceLocks::Name, 64).primary_key())
                .col(timestamp_with_time_zone_null(ServiceLocks::TouchedAt))
                .to_owned(),
        )
        .await?;
    manager
        .exec_stmt(
            Query::insert()
                .into_table(ServiceLocks::Table)
                .columns([ServiceLocks::Name])
                .values_panic([SMS_SEND_LOCK.into()])
                .to_owned(),
        )
        .await
}

/// Identifiers of the `audit_events` table.
#[derive(DeriveIden)]
pub(crate) enum AuditEvents {
    Table,
    Id,
    CreatedAt,
    Kind,
    Outcome,
    Phone,
    ClientIp,
    Device,
}

/// Identifiers of the `service_locks` table.
#[derive(DeriveIden)]
enum ServiceLocks {
    Table,
    Name,
    TouchedAt,
}

/// Identifiers of the `server_secrets` table.
#[derive(DeriveIden)]
enum ServerSecrets {
    Table,
    Name,
    Value,
    CreatedAt,
}

/// Identifiers of the `sessions` table used here.
#[derive(DeriveIden)]
enum Sessions {
    Table,
    ExpiresAt,
}
