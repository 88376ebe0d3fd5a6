//! The `sms_budget_days` table: how many SMS codes the whole service sent
//! on each UTC day, the counter the daily budget is taken from.

use sea_orm::entity::prelude::*;

/// The sends of one UTC day.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_budget_days")]
pub struct Model {
    /// The day, `YYYY-MM-DD` (UTC).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(10))"
    )]
    pub day: String,
    /// Sends counted against that day's budget.
    pub sends: i64,
}

/// `sms_budget_days` has no foreign keys.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
