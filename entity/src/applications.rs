//! The `applications` table: a user's applications to join an enterprise.
//!
//! A user's latest application is the one with the greatest `id`
//! (indexed on `(user_id, id)`).

use sea_orm::entity::prelude::*;

/// `state` of a rejected application.
pub const STATE_REJECTED: i16 = -1;
/// `state` of a pending application.
pub const STATE_PENDING: i16 = 0;
/// `state` of an approved application.
pub const STATE_APPROVED: i16 = 1;

/// One application of a user to join an enterprise.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "applications")]
pub struct Model {
    /// Auto-incremented primary key; the greatest id of a user is their latest application.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The applying user (`users.id`, 32 hex characters); deleted with the user.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub user_id: String,
    /// The enterprise applied to (`enterprises.id`); deleted with the enterprise.
    pub enterprise_id: i64,
    /// State: -1 rejected, 0 pending, 1 approved (see the `STATE_*` constants).
    pub state: i16,
    /// When the application was made (UTC).
    pub created_at: DateTimeUtc,
    /// When the application last changed state (UTC).
    pub updated_at: DateTimeUtc,
}

/// Foreign keys of `applications`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `applications.user_id` → `users.id` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Users,
    /// `applications.enterprise_id` → `enterprises.id` (ON DELETE CASCADE).
    #[sea_orm(
        belongs_to = "super::enterprises::Entity",
        from = "Column::EnterpriseId",
        to = "super::enterprises::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Enterprises,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl Related<super::enterprises::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Enterprises.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
