//! Creates `imported_password_hashes`: for each account brought across by
//! `account-api import`, the scheme of the legacy hash it still holds (NULL
//! once a login re-hashed it with Argon2id) and a digest of the hash the file
//! gave (so that re-running the import after the cutover recognises the
//! account's password as unchanged without keeping the legacy hash itself).
//!
//! A partial index holds only the accounts still on a legacy hash, so
//! `/metrics` counts them (`account_api_legacy_password_hashes`) by reading
//! that index alone, however many accounts have moved on.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_steps::{drop_table, foreign_key};

/// The migration that creates `imported_password_hashes`.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The partial index of the accounts still on a legacy hash.
pub const LEGACY_INDEX: &str = "idx_imported_password_hashes_legacy";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ImportedPasswordHashes::Table)
                    .col(string_len(ImportedPasswordHashes::UserId, 32).primary_key())
                    .col(string_len_null(ImportedPasswordHashes::Scheme, 32))
                    .col(string_len_null(ImportedPasswordHashes::SourceDigest, 64))
                    .foreign_key(&mut foreign_key(
                        "fk_imported_password_hashes_user_id",
                        (
                            ImportedPasswordHashes::Table,
                            ImportedPasswordHashes::UserId,
                        ),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // The same statement on both backends (sea-query writes no partial index).
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX {LEGACY_INDEX} ON imported_password_hashes (scheme) \
                 WHERE scheme IS NOT NULL"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, ImportedPasswordHashes::Table).await
    }
}

/// Identifiers of the `imported_password_hashes` table.
#[derive(DeriveIden)]
enum ImportedPasswordHashes {
    Table,
    UserId,
    Scheme,
    SourceDigest,
}

/// Identifiers of the `users` table used here.
#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
