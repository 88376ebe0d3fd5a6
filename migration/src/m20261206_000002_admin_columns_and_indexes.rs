//! What the admin API needs of the existing tables: `users.disabled_at`
//! (a disabled account logs in no more); `audit_events.admin_token` (the
//! name of the admin token behind an admin action) and
//! `audit_events.user_id` (the account an admin action concerned, which
//! outlives the account: a deletion's tombstone keeps it and no phone);
//! and an index for each filter of the admin user search and each lookup
//! of an account's recent events.

use sea_orm_migration::{prelude::*, schema::*};

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
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::DisabledAt))
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per ALTER TABLE.
        for column in [
            string_len_null(AuditEvents::AdminToken, 64),
            string_len_null(AuditEvents::UserId, 32),
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
        let indexes = [
            Index::create()
                .name(USERS_ENTERPRISE)
                .table(Users::Table)
                .col(Users::EnterpriseId)
                .col(Users::Id)
                .to_owned(),
            Index::create()
                .name(APPLICATIONS_STATE)
                .table(Applications::Table)
                .col(Applications::State)
                .col(Applications::UserId)
                .to_owned(),
            Index::create()
                .name(AUDIT_USER)
                .table(AuditEvents::Table)
                .col(AuditEvents::UserId)
                .col(AuditEvents::Id)
                .to_owned(),
            Index::create()
                .name(AUDIT_PHONE)
                .table(AuditEvents::Table)
                .col(AuditEvents::Phone)
                .col(AuditEvents::Id)
                .to_owned(),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drops = [
            Index::drop()
                .name(AUDIT_PHONE)
                .table(AuditEvents::Table)
                .to_owned(),
            Index::drop()
                .name(AUDIT_USER)
                .table(AuditEvents::Table)
                .to_owned(),
            Index::drop()
                .name(APPLICATIONS_STATE)
                .table(Applications::Table)
                .to_owned(),
            Index::drop()
                .name(USERS_ENTERPRISE)
                .table(Users::Table)
                .to_owned(),
        ];
        for drop in drops {
            manager.drop_index(drop).await?;
        }
        for column in [AuditEvents::UserId, AuditEvents::AdminToken] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEvents::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::DisabledAt)
                    .to_owned(),
            )
            .await
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
