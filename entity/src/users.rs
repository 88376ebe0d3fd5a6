//! The `users` table: one row per account.

use sea_orm::entity::prelude::*;

/// One account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// Primary key: 32 lowercase hex characters chosen by the application (not auto-incremented).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(32))"
    )]
    pub id: String,
    /// Phone number, 11 digits; unique among users.
    #[sea_orm(unique, column_type = "String(StringLen::N(20))")]
    pub phone: String,
    /// Display name of the user.
    pub name: String,
    /// Argon2id password hash as a PHC string (`$argon2id$v=19$...`).
    #[sea_orm(column_type = "Text")]
    pub password_hash: String,
    /// Identifier of the device the account is bound to.
    pub device_identifier: String,
    /// Enterprise the user belongs to, if any (set to NULL when that enterprise is deleted).
    pub enterprise_id: Option<i64>,
    /// Permissions of the user: a JSON array of permission strings.
    pub permissions: Json,
    /// When the account was created (UTC).
    pub created_at: DateTimeUtc,
    /// When the account was last changed (UTC).
    pub updated_at: DateTimeUtc,
    /// When support staff disabled the account (UTC), or `None` while it is
    /// enabled: a disabled account cannot log in, and its sessions ended.
    pub disabled_at: Option<DateTimeUtc>,
}

/// Foreign keys of `users` and tables that refer to it.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `users.enterprise_id` → `enterprises.id` (ON DELETE SET NULL).
    #[sea_orm(
        belongs_to = "super::enterprises::Entity",
        from = "Column::EnterpriseId",
        to = "super::enterprises::Column::Id",
        on_update = "NoAction",
        on_delete = "SetNull"
    )]
    Enterprises,
    /// Applications made by this user.
    #[sea_orm(has_many = "super::applications::Entity")]
    Applications,
    /// Sessions of this user.
    #[sea_orm(has_many = "super::sessions::Entity")]
    Sessions,
}

impl Related<super::enterprises::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Enterprises.def()
    }
}

impl Related<super::applications::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Applications.def()
    }
}

impl Related<super::sessions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Sessions.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
