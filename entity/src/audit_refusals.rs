//! The `audit_refusals` table: requests refused by a limit (answered 429),
//! counted in one row per UTC hour, kind, limit, phone and client network
//! rather than one `audit_events` row each, so a flood of refusals adds a
//! bounded number of rows. No limit counts from it.

use sea_orm::entity::prelude::*;

/// The refusals of one key within one hour.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_refusals")]
pub struct Model {
    /// Auto-incremented primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The start of the UTC hour the refusals fell in.
    #[sea_orm(unique_key = "window_key")]
    pub window_start: DateTimeUtc,
    /// What was refused, as `audit_events.kind` (`sms_send`, `login`, ...).
    #[sea_orm(unique_key = "window_key", column_type = "String(StringLen::N(32))")]
    pub kind: String,
    /// The limit that refused it, e.g. `sends_per_phone`, `login_lockout`.
    #[sea_orm(unique_key = "window_key", column_type = "String(StringLen::N(32))")]
    pub limit_name: String,
    /// The phone concerned; empty when none.
    #[sea_orm(unique_key = "window_key", column_type = "String(StringLen::N(20))")]
    pub phone: String,
    /// The client network (as `audit_events.client_network`); empty when unknown.
    #[sea_orm(unique_key = "window_key", column_type = "String(StringLen::N(64))")]
    pub client_network: String,
    /// How many requests of this key the limit refused within the hour.
    pub count: i64,
    /// When the first of them came.
    pub first_at: DateTimeUtc,
    /// When the last of them came.
    pub last_at: DateTimeUtc,
}

/// `audit_refusals` has no foreign keys.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
