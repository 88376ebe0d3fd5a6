//! The `server_secrets` table: secrets generated once and shared by every
//! instance on one database (used when no secret is configured and the
//! database is not a local SQLite file).

use sea_orm::entity::prelude::*;

/// One named secret.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "server_secrets")]
pub struct Model {
    /// The secret's name.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub name: String,
    /// The secret, hex-encoded.
    #[sea_orm(column_type = "Text")]
    pub value: String,
    /// When it was generated (UTC).
    pub created_at: DateTimeUtc,
}

/// `server_secrets` has no foreign keys.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
