//! What the admin API needs of the existing tables: `users.disabled_at`
//! (a disabled account logs in no more); `audit_events.admin_token` (the
//! name of the admin token behind an admin action) and
//! `audit_events.user_id` (the account an admin action concerned, which
//! outlives the account: a deletion's tombstone keeps it and no phone);
//! and an index for each filter of the admin user search and each lookup
//! of an account's recent events.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_steps::{add_column, create_index, drop_column, drop_index};

/// The migration that adds the admin API's columns and indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// `users (enterprise_id, id)`: the members of an enterprise, in id order.
pub const USERS_ENTERPRISE: &str = "idx_users_enterprise_id_id";
/// `applications (state, user_id)`: the users with an application in a state.
pub const APPLICATIONS_STATE: &str = "idx_applications_state_user_id";
/// `audit_events (user_id, id)`: an account's recent admin events.
pub const AUDIT_USER: &str = "idx_audit_events_user_id_id";
/// `audit_events (phone, id)`: an account's recent events by its phone.
pub const AUDIT_PHONE: &str = "idx_audit_events_phone_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Users::Table,
            timestamp_with_time_zone_null(Users::DisabledAt),
        )
        .await?;
        add_column(
            manager,
            AuditEvents::Table,
            string_len_null(AuditEvents::AdminToken, 64),
        )
        .await?;
        add_column(
            manager,
            AuditEvents::Table,
            string_len_null(AuditEvents::UserId, 32),
        )
        .await?;
        create_index(
            manager,
            USERS_ENTERPRISE,
            Users::Table,
            [Users::EnterpriseId, Users::Id],
        )
        .await?;
        create_index(
            manager,
            APPLICATIONS_STATE,
            Applications::Table,
            [Applications::State, Applications::UserId],
        )
        .await?;
        create_index(
            manager,
            AUDIT_USER,
            AuditEvents::Table,
            [AuditEvents::UserId, AuditEvents::Id],
        )
        .await?;
        create_index(
            manager,
            AUDIT_PHONE,
            AuditEvents::Table,
            [AuditEvents::Phone, AuditEvents::Id],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, AUDIT_PHONE, AuditEvents::Table).await?;
        drop_index(manager, AUDIT_USER, AuditEvents::Table).await?;
        drop_index(manager, APPLICATIONS_STATE, Applications::Table).await?;
        drop_index(manager, USERS_ENTERPRISE, Users::Table).await?;
        drop_column(manager, AuditEvents::Table, AuditEvents::UserId).await?;
        drop_column(manager, AuditEvents::Table, AuditEvents::AdminToken).await?;
        drop_column(manager, Users::Table, Users::DisabledAt).await
    }
}

/// Identifiers of the `users` table used here.
#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    EnterpriseId,
    DisabledAt,
}

/// Identifiers of the `applications` table used here.
#[derive(DeriveIden)]
enum Applications {
    Table,
    State,
    UserId,
}

/// Identifiers of the `audit_events` table used here.
#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    Phone,
    AdminToken,
    UserId,
}
