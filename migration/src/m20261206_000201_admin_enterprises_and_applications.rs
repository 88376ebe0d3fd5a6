//! What the admin API's enterprises and applications need:
//! `audit_events.enterprise_id` and `audit_events.application_id` (the
//! enterprise and the application an admin action concerned, beside its
//! `user_id`), and the indexes of the application list: `(state, id)` for
//! one state in id order, `(enterprise_id, state, id)` for one enterprise's.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration that adds the audit columns and the application indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// `applications (state, id)`: the applications in a state, in id order.
pub const APPLICATIONS_STATE_ID: &str = "idx_applications_state_id";
/// `applications (enterprise_id, state, id)`: an enterprise's applications
/// in a state, in id order.
pub const APPLICATIONS_ENTERPRISE_STATE_ID: &str = "idx_applications_enterprise_id_state_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            big_integer_null(AuditEvents::EnterpriseId),
            big_integer_null(AuditEvents::ApplicationId),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEvents::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(APPLICATIONS_STATE_ID)
                    .table(Applications::Table)
                    .col(Applications::State)
                    .col(Applications::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(APPLICATIONS_ENTERPRISE_STATE_ID)
                    .table(Applications::Table)
                    .col(Applications::EnterpriseId)
                    .col(Applications::State)
                    .col(Applications::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [APPLICATIONS_ENTERPRISE_STATE_ID, APPLICATIONS_STATE_ID] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(Applications::Table)
                        .to_owned(),
                )
                .await?;
        }
        for column in [AuditEvents::ApplicationId, AuditEvents::EnterpriseId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEvents::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// Identifiers of the `applications` table used here.
#[derive(DeriveIden)]
enum Applications {
    Table,
    Id,
    EnterpriseId,
    State,
}

/// Identifiers of the `audit_events` table used here.
#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    EnterpriseId,
    ApplicationId,
}
