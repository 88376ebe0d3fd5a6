//! The `sessions` table: login sessions, stored by the SHA-256 of their token.

use sea_orm::entity::prelude::*;

/// One login session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// Auto-incremented primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// SHA-256 of the session token as 64 lowercase hex characters; unique.
    #[sea_orm(unique, column_type = "String(StringLen::N(64))")]
    pub token_hash: String,
    /// The session's user (`users.id`, 32 hex characters); deleted with the user.
    #[sea_orm(indexed, column_type = "String(StringLen::N(32))")]
    pub user_id: String,
    /// Identifier of the device the session was opened from.
    pub device_identifier: String,
    /// When the session was opened (UTC).
    pub created_at: DateTimeUtc,
    /// When the session stops being valid (UTC).
    pub expires_at: DateTimeUtc,
    /// When the session was revoked (UTC), or `None` while it has not been.
    pub revoked_at: Option<DateTimeUtc>,
    /// When the session last authenticated a request (UTC), rewritten at
    /// most once a minute; its `created_at` until then.
    pub last_used_at: DateTimeUtc,
}

/// Foreign keys of `sessions`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `sessions.user_id` → `users.id` (ON DELETE CASCADE).
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
