//! Applications to join an enterprise: made by a user (one pending at a
//! time), listed by state for support staff, decided once.

use chrono::{DateTime, Utc};
use entity::applications::{self, STATE_PENDING};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};

/// A stored application (a row of `applications`).
pub type Application = applications::Model;

/// Adds a pending application of `user_id` to `enterprise_id`.
pub async fn insert(
    db: &impl ConnectionTrait,
    user_id: &str,
    enterprise_id: i64,
    now: DateTime<Utc>,
) -> Result<Application, DbErr> {
    let row = applications::ActiveModel {
        user_id: Set(user_id.to_owned()),
        enterprise_id: Set(enterprise_id),
        state: Set(STATE_PENDING),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let id = applications::Entity::insert(row)
        .exec(db)
        .await?
        .last_insert_id;
    Ok(Application {
        id,
        user_id: user_id.to_owned(),
        enterprise_id,
        state: STATE_PENDING,
        created_at: now,
        updated_at: now,
    })
}

/// The application `id`, if there is one.
pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<Application>, DbErr> {
    applications::Entity::find_by_id(id).one(db).await
}

/// The applications in `state` (of `enterprise_id` when given) after the
/// id `after`, at most `limit`, in id order: a range of the `(state, id)`
/// or `(enterprise_id, state, id)` index.
pub async fn page(
    db: &impl ConnectionTrait,
    state: i16,
    enterprise_id: Option<i64>,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<Application>, DbErr> {
    let mut condition = Condition::all().add(applications::Column::State.eq(state));
    if let Some(enterprise_id) = enterprise_id {
        condition = condition.add(applications::Column::EnterpriseId.eq(enterprise_id));
    }
    if let Some(after) = after {
        condition = condition.add(applications::Column::Id.gt(after));
    }
    applications::Entity::find()
        .filter(condition)
        .order_by_asc(applications::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Moves the application `id` from pending to `state` at `now`; whether
/// it was pending (of any number of concurrent decisions, one finds it so).
pub async fn decide(
    db: &impl ConnectionTrait,
    id: i64,
    state: i16,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let updated = applications::Entity::update_many()
        .filter(applications::Column::Id.eq(id))
        .filter(applications::Column::State.eq(STATE_PENDING))
        .col_expr(applications::Column::State, Expr::value(state))
        .col_expr(applications::Column::UpdatedAt, Expr::value(now))
        .exec(db)
        .await?;
    Ok(updated.rows_affected > 0)
}
