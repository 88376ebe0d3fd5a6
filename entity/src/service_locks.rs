//! The `service_locks` table: rows updated first in a transaction to
//! serialize a check-then-act across every instance on one database.

use sea_orm::entity::prelude::*;

/// The row every SMS send locks while it checks the send limits.
pub const SMS_SEND: &str = "sms_send";

/// One named lock.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_locks")]
pub struct Model {
    /// The lock's name.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub name: String,
    /// When it was last taken (UTC).
    pub touched_at: Option<DateTimeUtc>,
}

/// `service_locks` has no foreign keys.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
