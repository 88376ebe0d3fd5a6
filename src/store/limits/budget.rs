//! The daily SMS budget of the whole service: one counter row per UTC day,
//! taken with one atomic conditional increment.

use chrono::{DateTime, Duration, Utc};
use entity::sms_budget_days;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};

use super::*;

/// The counter row of the UTC day of `now`.
fn budget_day(now: DateTime<Utc>) -> String {
    now.date_naive().format("%Y-%m-%d").to_string()
}

/// Takes one send from the daily budget of the whole service (UTC days),
/// or says how long until the next day when it is used up.
///
/// One conditional increment, committed at once: concurrent sends never
/// hold a lock on the counter while they check their own limits.
pub async fn take_from_daily_budget(
    db: &impl ConnectionTrait,
    budget: u32,
    now: DateTime<Utc>,
) -> Result<Option<RetryAfter>, DbErr> {
    // Scoped: its `max` would shadow `Ord::max` in the rest of the module.
    use sea_orm::sea_query::ExprTrait;
    let row = sms_budget_days::ActiveModel {
        day: Set(budget_day(now)),
        sends: Set(1),
    };
    let counted = sms_budget_days::Entity::insert(row)
        .on_conflict(
            OnConflict::column(sms_budget_days::Column::Day)
                .value(
                    sms_budget_days::Column::Sends,
                    Expr::col((sms_budget_days::Entity, sms_budget_days::Column::Sends)).add(1),
                )
                .action_and_where(
                    Expr::col((sms_budget_days::Entity, sms_budget_days::Column::Sends))
                        .lt(i64::from(budget)),
                )
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    if counted > 0 {
        return Ok(None);
    }
    tracing::error!(budget, "daily SMS budget exhausted: refusing all sends");
    let next_day = (now.date_naive() + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .map_or(now + Duration::days(1), |midnight| midnight.and_utc());
    Ok(Some(RetryAfter(next_day - now)))
}

/// Gives back a send taken from the day's budget that was not made.
pub async fn return_to_daily_budget(
    db: &impl ConnectionTrait,
    taken_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::ExprTrait;
    sms_budget_days::Entity::update_many()
        .col_expr(
            sms_budget_days::Column::Sends,
            Expr::col(sms_budget_days::Column::Sends).sub(1),
        )
        .filter(sms_budget_days::Column::Day.eq(budget_day(taken_at)))
        .filter(sms_budget_days::Column::Sends.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes the budget counters of days before yesterday; how many.
pub async fn purge_budget_days(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let deleted = sms_budget_days::Entity::delete_many()
        .filter(sms_budget_days::Column::Day.lt(budget_day(now - Duration::days(1))))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
