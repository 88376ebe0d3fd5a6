//! Creates `admin_tokens`: the tokens of the admin API, each under a unique
//! name, stored only as the SHA-256 of the token (unique, the lookup of
//! every admin request).

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_steps::{create_unique_index, drop_table};

/// The migration that creates `admin_tokens`.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The unique index on the names.
pub const NAME_INDEX: &str = "idx_admin_tokens_name";
/// The unique index on the hashes.
pub const HASH_INDEX: &str = "idx_admin_tokens_token_hash";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AdminTokens::Table)
                    .col(big_pk_auto(AdminTokens::Id))
                    .col(string_len(AdminTokens::Name, 64))
                    .col(string_len(AdminTokens::TokenHash, 64))
                    .col(timestamp_with_time_zone(AdminTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(AdminTokens::LastUsedAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            (NAME_INDEX, AdminTokens::Name),
            (HASH_INDEX, AdminTokens::TokenHash),
        ] {
            create_unique_index(manager, name, AdminTokens::Table, [column]).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, AdminTokens::Table).await
    }
}

/// Identifiers of the `admin_tokens` table.
#[derive(DeriveIden)]
enum AdminTokens {
    Table,
    Id,
    Name,
    TokenHash,
    CreatedAt,
    LastUsedAt,
}
