//! Accounts as support staff see them: searched page by page with a
//! keyset cursor (every filter served by an index), disabled and enabled,
//! deleted with what hangs off them.

use chrono::{DateTime, Utc};
use entity::{applications, audit_events, sessions, sms_codes, users};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, LikeExpr, Query, SelectStatement},
};

/// An application row as support staff see it.
pub type Application = applications::Model;
/// An audit event as support staff see it.
pub type AuditEvent = audit_events::Model;

/// The stored states of an application (-1, 0, 1).
pub mod application_states {
    pub use entity::applications::{STATE_APPROVED, STATE_PENDING, STATE_REJECTED};
}

/// The filters of a user search; all given ones apply.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Exactly this phone.
    pub phone: Option<String>,
    /// Phones starting with these digits.
    pub phone_prefix: Option<String>,
    /// Names containing this text.
    pub name: Option<String>,
    /// Members of this enterprise.
    pub enterprise_id: Option<i64>,
    /// Users whose latest application is in this state (-1, 0, 1).
    pub application_state: Option<i16>,
}

/// Where a page of a search starts: after this key, in the order of the
/// search (by phone when a phone filter is given, by user id otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    /// After this phone.
    Phone(String),
    /// After this user id.
    Id(String),
}

impl UserFilter {
    /// Whether the search runs in phone order (a phone filter uses the
    /// phone's index; every other in user id order).
    pub fn by_phone(&self) -> bool {
        self.phone.is_some() || self.phone_prefix.is_some()
    }
}

/// The first string after every string starting with `prefix` of digits,
/// if there is one (`"139"` → `"14"`; `"99"` → none).
fn past_prefix(prefix: &str) -> Option<String> {
    let mut digits = prefix.as_bytes().to_vec();
    while let Some(last) = digits.pop() {
        if last < b'9' {
            digits.push(last + 1);
            return Some(String::from_utf8(digits).expect("ASCII digits"));
        }
    }
    None
}

/// `text` as a LIKE pattern matching itself anywhere, `\` escaping.
pub(super) fn contains_pattern(text: &str) -> LikeExpr {
    let mut escaped = String::with_capacity(text.len() + 2);
    escaped.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    LikeExpr::new(escaped).escape('\\')
}

/// `SELECT a.user_id FROM applications a WHERE a.state = state AND NOT
/// EXISTS (a newer application of a.user_id)`: the users whose latest
/// application is in `state`, a range of the `(state, user_id)` index.
fn latest_in_state(state: i16) -> SelectStatement {
    let (a, b) = (Alias::new("a"), Alias::new("b"));
    let newer = Query::select()
        .expr(Expr::value(1))
        .from_as(applications::Entity, b.clone())
        .and_where(
            Expr::col((b.clone(), applications::Column::UserId))
                .equals((a.clone(), applications::Column::UserId)),
        )
        .and_where(
            Expr::col((b, applications::Column::Id))
                .gt(Expr::col((a.clone(), applications::Column::Id))),
        )
        .to_owned();
    Query::select()
        .column((a.clone(), applications::Column::UserId))
        .from_as(applications::Entity, a.clone())
        .and_where(Expr::col((a, applications::Column::State)).eq(state))
        .and_where(Expr::exists(newer).not())
        .to_owned()
}

/// The users matching `filter` after `after`, at most `limit`, in the
/// search's order.
pub async fn search(
    db: &impl ConnectionTrait,
    filter: &UserFilter,
    after: Option<&After>,
    limit: u64,
) -> Result<Vec<users::Model>, DbErr> {
    let mut condition = Condition::all();
    if let Some(phone) = &filter.phone {
        condition = condition.add(users::Column::Phone.eq(phone.as_str()));
    }
    if let Some(prefix) = &filter.phone_prefix {
        condition = condition.add(users::Column::Phone.gte(prefix.as_str()));
        if let Some(end) = past_prefix(prefix) {
            condition = condition.add(users::Column::Phone.lt(end));
        }
    }
    if let Some(name) = &filter.name {
        condition = condition.add(users::Column::Name.like(contains_pattern(name)));
    }
    if let Some(enterprise) = filter.enterprise_id {
        condition = condition.add(users::Column::EnterpriseId.eq(enterprise));
    }
    if let Some(state) = filter.application_state {
        // Users whose latest application (the greatest id) is in `state`,
        // found from the (state, user_id) index.
        condition = condition.add(users::Column::Id.in_subquery(latest_in_state(state)));
    }
    match after {
        Some(After::Phone(phone)) => {
            condition = condition.add(users::Column::Phone.gt(phone.as_str()));
        }
        Some(After::Id(id)) => condition = condition.add(users::Column::Id.gt(id.as_str())),
        None => {}
    }
    let order = if filter.by_phone() {
        users::Column::Phone
    } else {
        users::Column::Id
    };
    users::Entity::find()
        .filter(condition)
        .order_by_asc(order)
        .limit(limit)
        .all(db)
        .await
}

/// The account `user_id`, if there is one.
pub async fn by_id(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find_by_id(user_id.to_owned()).one(db).await
}

/// Every session of `user_id` still stored (live, expired or revoked), newest first.
pub async fn sessions_of(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Vec<sessions::Model>, DbErr> {
    sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user_id))
        .order_by_desc(sessions::Column::Id)
        .all(db)
        .await
}

/// The latest application of `user_id`, if any.
pub async fn latest_application(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Option<applications::Model>, DbErr> {
    applications::Entity::find()
        .filter(applications::Column::UserId.eq(user_id))
        .order_by_desc(applications::Column::Id)
        .one(db)
        .await
}

/// The newest `limit` audit events of the account `user_id` of `phone`:
/// those naming its phone and the admin actions on it, newest first.
pub async fn recent_events(
    db: &impl ConnectionTrait,
    user_id: &str,
    phone: &str,
    limit: u64,
) -> Result<Vec<audit_events::Model>, DbErr> {
    let mut events = Vec::new();
    for (column, value) in [
        (audit_events::Column::Phone, phone),
        (audit_events::Column::UserId, user_id),
    ] {
        events.extend(
            audit_events::Entity::find()
                .filter(column.eq(value))
                .order_by_desc(audit_events::Column::Id)
                .limit(limit)
                .all(db)
                .await?,
        );
    }
    events.sort_by_key(|event| std::cmp::Reverse(event.id));
    events.dedup_by_key(|event| event.id);
    events.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(events)
}

/// Sets whether `user_id` is disabled (from `now`); whether it changed.
pub async fn set_disabled(
    db: &impl ConnectionTrait,
    user_id: &str,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let update = users::Entity::update_many().filter(users::Column::Id.eq(user_id));
    let update = if disabled {
        // An account already disabled keeps the time it was first disabled.
        update
            .filter(users::Column::DisabledAt.is_null())
            .col_expr(users::Column::DisabledAt, Expr::value(Some(now)))
    } else {
        update
            .filter(users::Column::DisabledAt.is_not_null())
            .col_expr(
                users::Column::DisabledAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
    };
    let updated = update
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .exec(db)
        .await?;
    Ok(updated.rows_affected > 0)
}

/// Deletes the account `user`: its sessions, its codes, its applications
/// and itself.
pub async fn delete(db: &impl ConnectionTrait, user: &users::Model) -> Result<(), DbErr> {
    sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user.id.as_str()))
        .exec(db)
        .await?;
    applications::Entity::delete_many()
        .filter(applications::Column::UserId.eq(user.id.as_str()))
        .exec(db)
        .await?;
    sms_codes::Entity::delete_many()
        .filter(sms_codes::Column::Phone.eq(user.phone.as_str()))
        .exec(db)
        .await?;
    users::Entity::delete_by_id(user.id.clone())
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_a_prefix_is_its_last_digit_counted_up() {
        assert_eq!(past_prefix("139").as_deref(), Some("14"));
        assert_eq!(past_prefix("1389").as_deref(), Some("139"));
        assert_eq!(past_prefix("199").as_deref(), Some("2"));
        assert_eq!(past_prefix("99"), None);
    }
}
