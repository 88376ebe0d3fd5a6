//! Enterprises and their members: created, renamed and deleted by support
//! staff, listed with their member counts, searched by name for the app's
//! picker; a user made a member (with permissions) or removed.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{enterprises, users};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, Func},
};

use super::admin_users::contains_pattern;

/// A stored enterprise (a row of `enterprises`).
pub type Enterprise = enterprises::Model;

/// Adds the enterprise `name`; the stored row.
pub async fn insert(
    db: &impl ConnectionTrait,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Enterprise, DbErr> {
    let row = enterprises::ActiveModel {
        name: Set(name.to_owned()),
        created_at: Set(now),
        ..Default::default()
    };
    let id = enterprises::Entity::insert(row)
        .exec(db)
        .await?
        .last_insert_id;
    Ok(Enterprise {
        id,
        name: name.to_owned(),
        created_at: now,
    })
}

/// The enterprise `id`, if there is one.
pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<Enterprise>, DbErr> {
    enterprises::Entity::find_by_id(id).one(db).await
}

/// Renames the enterprise `id`; whether there is one.
pub async fn rename(db: &impl ConnectionTrait, id: i64, name: &str) -> Result<bool, DbErr> {
    let updated = enterprises::Entity::update_many()
        .filter(enterprises::Column::Id.eq(id))
        .col_expr(enterprises::Column::Name, Expr::value(name))
        .exec(db)
        .await?;
    Ok(updated.rows_affected > 0)
}

/// Deletes the enterprise `id` (its applications go with it); whether
/// there was one.
pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let deleted = enterprises::Entity::delete_by_id(id).exec(db).await?;
    Ok(deleted.rows_affected > 0)
}

/// Whether the enterprise `id` has a member (from the `(enterprise_id, id)` index).
pub async fn has_members(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let member = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::EnterpriseId.eq(id))
        .limit(1)
        .into_tuple::<String>()
        .one(db)
        .await?;
    Ok(member.is_some())
}

/// The enterprises after the id `after` whose names contain `name` (all
/// when `None`), at most `limit`, in id order.
pub async fn page(
    db: &impl ConnectionTrait,
    name: Option<&str>,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<Enterprise>, DbErr> {
    let mut condition = Condition::all();
    if let Some(name) = name {
        condition = condition.add(enterprises::Column::Name.like(contains_pattern(name)));
    }
    if let Some(after) = after {
        condition = condition.add(enterprises::Column::Id.gt(after));
    }
    enterprises::Entity::find()
        .filter(condition)
        .order_by_asc(enterprises::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// How many members each of the enterprises `ids` has (those with none
/// are absent), counted from the `(enterprise_id, id)` index.
pub async fn member_counts(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, u64>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Option<i64>, i64)> = users::Entity::find()
        .select_only()
        .column(users::Column::EnterpriseId)
        .column_as(
            Expr::from(Func::count(Expr::col(users::Column::Id))),
            "members",
        )
        .filter(users::Column::EnterpriseId.is_in(ids.iter().copied()))
        .group_by(users::Column::EnterpriseId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, members)| Some((id?, u64::try_from(members).unwrap_or(0))))
        .collect())
}

/// Makes `user_id` a member of `enterprise_id` (`None`: of none) with
/// `permissions`; whether the account exists.
pub async fn set_membership(
    db: &impl ConnectionTrait,
    user_id: &str,
    enterprise_id: Option<i64>,
    permissions: &[String],
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    update_user(db, user_id, Some(enterprise_id), permissions, now).await
}

/// Sets the permissions of `user_id`; whether the account exists.
pub async fn set_permissions(
    db: &impl ConnectionTrait,
    user_id: &str,
    permissions: &[String],
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    update_user(db, user_id, None, permissions, now).await
}

/// Sets the permissions of `user_id` and, when `enterprise_id` is given, its
/// enterprise; whether the account exists.
async fn update_user(
    db: &impl ConnectionTrait,
    user_id: &str,
    enterprise_id: Option<Option<i64>>,
    permissions: &[String],
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut update = users::Entity::update_many().filter(users::Column::Id.eq(user_id));
    if let Some(enterprise_id) = enterprise_id {
        update = update.col_expr(users::Column::EnterpriseId, Expr::value(enterprise_id));
    }
    let updated = update
        .col_expr(
            users::Column::Permissions,
            Expr::value(serde_json::json!(permissions)),
        )
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .exec(db)
        .await?;
    Ok(updated.rows_affected > 0)
}
