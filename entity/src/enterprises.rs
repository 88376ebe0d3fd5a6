//! The `enterprises` table: enterprises that users can apply to join.

use sea_orm::entity::prelude::*;

/// One enterprise.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enterprises")]
pub struct Model {
    /// Auto-incremented primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Display name of the enterprise.
    pub name: String,
    /// When the enterprise was created (UTC).
    pub created_at: DateTimeUtc,
}

/// Tables that refer to `enterprises`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Users whose `enterprise_id` is this enterprise.
    #[sea_orm(has_many = "super::users::Entity")]
    Users,
    /// Applications to join this enterprise.
    #[sea_orm(has_many = "super::applications::Entity")]
    Applications,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl Related<super::applications::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Applications.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
