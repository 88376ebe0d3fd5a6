//! What the admin API's enterprises and applications need:
//! `audit_events.enterprise_id` and `audit_events.application_id` (the
//! enterprise and the application an admin action concerned, beside its
//! `user_id`), and the indexes of the application list: `(state, id)` for
//! one state in id order, `(enterprise_id, state, id)` for one enterprise's.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_steps::{add_column, create_index, drop_column, drop_index};

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
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            AuditEvents::Table,
            big_integer_null(AuditEvents::EnterpriseId),
        )
        .await?;
        add_column(
            manager,
            AuditEvents::Table,
            big_integer_null(AuditEvents::ApplicationId),
        )
        .await?;
        create_index(
            manager,
            APPLICATIONS_STATE_ID,
            Applications::Table,
            [Applications::State, Applications::Id],
        )
        .await?;
        create_index(
            manager,
            APPLICATIONS_ENTERPRISE_STATE_ID,
            Applications::Table,
            [
                Applications::EnterpriseId,
                Applications::State,
                Applications::Id,
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(
            manager,
            APPLICATIONS_ENTERPRISE_STATE_ID,
            Applications::Table,
        )
        .await?;
        drop_index(manager, APPLICATIONS_STATE_ID, Applications::Table).await?;
        drop_column(manager, AuditEvents::Table, AuditEvents::ApplicationId).await?;
        drop_column(manager, AuditEvents::Table, AuditEvents::EnterpriseId).await
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
