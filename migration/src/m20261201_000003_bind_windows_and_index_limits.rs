//! Binds the password-reset window to the client that verified it
//! (`sms_codes.reset_window_client`), gives every audit event the client
//! network the per-address limits count by (`audit_events.client_network`:
//! an IPv4 address, or the /64 of an IPv6 one), and replaces the audit
//! indexes with ones that cover what the limit queries filter on (kind,
//! outcome, then phone or network, then time) plus one on time alone for the
//! retention purge; and indexes `sessions.revoked_at`, which the hourly
//! purge of sessions filters on beside `expires_at`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261124_000002_create_audit_and_locks::LIMIT_INDEXES,
    schema_steps::{add_column, create_index, drop_column, drop_index},
};

/// The migration that binds reset windows and indexes the limit queries.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Indexes created: every limit query is a range scan of one of them.
const NEW_INDEXES: [(&str, &[AuditEvents]); 3] = [
    (
        "idx_audit_events_kind_outcome_phone_created_at",
        &[
            AuditEvents::Kind,
            AuditEvents::Outcome,
            AuditEvents::Phone,
            AuditEvents::CreatedAt,
        ],
    ),
    (
        "idx_audit_events_kind_outcome_network_created_at",
        &[
            AuditEvents::Kind,
            AuditEvents::Outcome,
            AuditEvents::ClientNetwork,
            AuditEvents::CreatedAt,
        ],
    ),
    ("idx_audit_events_created_at", &[AuditEvents::CreatedAt]),
];

/// The index the session purge uses for revoked sessions.
const SESSIONS_REVOKED_AT: &str = "idx_sessions_revoked_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            SmsCodes::Table,
            string_len_null(SmsCodes::ResetWindowClient, 64),
        )
        .await?;
        add_column(
            manager,
            AuditEvents::Table,
            string_len_null(AuditEvents::ClientNetwork, 64),
        )
        .await?;
        // Earlier events keep counting for the address they were recorded with.
        manager
            .exec_stmt(
                Query::update()
                    .table(AuditEvents::Table)
                    .value(AuditEvents::ClientNetwork, Expr::col(AuditEvents::ClientIp))
                    .to_owned(),
            )
            .await?;
        // The first limit indexes left `outcome` to be filtered row by row.
        for (name, _) in LIMIT_INDEXES {
            drop_index(manager, name, AuditEvents::Table).await?;
        }
        for (name, columns) in NEW_INDEXES {
            create_index(manager, name, AuditEvents::Table, columns.iter().copied()).await?;
        }
        create_index(
            manager,
            SESSIONS_REVOKED_AT,
            Sessions::Table,
            [Sessions::RevokedAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, SESSIONS_REVOKED_AT, Sessions::Table).await?;
        for (name, _) in NEW_INDEXES {
            drop_index(manager, name, AuditEvents::Table).await?;
        }
        for (name, columns) in LIMIT_INDEXES {
            create_index(manager, name, AuditEvents::Table, columns).await?;
        }
        drop_column(manager, AuditEvents::Table, AuditEvents::ClientNetwork).await?;
        drop_column(manager, SmsCodes::Table, SmsCodes::ResetWindowClient).await
    }
}

/// Identifiers of the `audit_events` table used here.
#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    CreatedAt,
    Kind,
    Outcome,
    Phone,
    ClientIp,
    ClientNetwork,
}

/// Identifiers of the `sms_codes` table used here.
#[derive(DeriveIden)]
enum SmsCodes {
    Table,
    ResetWindowClient,
}

/// Identifiers of the `sessions` table used here.
#[derive(DeriveIden)]
enum Sessions {
    Table,
    RevokedAt,
}
