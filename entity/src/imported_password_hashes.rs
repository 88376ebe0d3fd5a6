//! The `imported_password_hashes` table: what an import left to know about
//! an account's password hash.

use sea_orm::entity::prelude::*;

/// The imported password hash of one account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "imported_password_hashes")]
pub struct Model {
    /// The account (`users.id`); deleted with it.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(32))"
    )]
    pub user_id: String,
    /// The scheme of the legacy hash the account still holds (a
    /// `LegacyScheme` name such as `werkzeug_pbkdf2_sha256`), or `None` once
    /// a login replaced it with an Argon2id hash of today's parameters.
    /// Indexed where not NULL.
    #[sea_orm(column_type = "String(StringLen::N(32))", nullable)]
    pub scheme: Option<String>,
    /// SHA-256 (hex) of the account id and the hash the import file gave,
    /// kept through the re-hash at login so that a re-import of the same
    /// file finds the password unchanged; `None` once the password itself
    /// changed (a reset).
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub source_digest: Option<String>,
}

/// Foreign keys of `imported_password_hashes`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `imported_password_hashes.user_id` → `users.id` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Users,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
