//! The sandbox's data on demand: the initial data restored, and a user's
//! enterprise application put in any state `login` can report.

use chrono::{DateTime, Utc};
use entity::{
    applications, audit_events, enterprises, sessions, sms_budget_days, sms_codes, users,
    webhook_deliveries, webhook_events,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    TransactionTrait, sea_query::Expr,
};

use crate::{
    demo::{self, DemoUser},
    flows::FlowError,
    password_hasher::PasswordHasher,
};

/// Deletes every account, session, code, audit event, enterprise and
/// account event, then
/// loads the demo data again (the key SMS codes are hashed under stays).
pub async fn reset(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
) -> Result<Vec<DemoUser>, FlowError> {
    let txn = db.begin().await?;
    webhook_deliveries::Entity::delete_many().exec(&txn).await?;
    webhook_events::Entity::delete_many().exec(&txn).await?;
    sessions::Entity::delete_many().exec(&txn).await?;
    applications::Entity::delete_many().exec(&txn).await?;
    users::Entity::delete_many().exec(&txn).await?;
    enterprises::Entity::delete_many().exec(&txn).await?;
    sms_codes::Entity::delete_many().exec(&txn).await?;
    audit_events::Entity::delete_many().exec(&txn).await?;
    sms_budget_days::Entity::delete_many().exec(&txn).await?;
    txn.commit().await?;
    demo::load(db, hasher).await
}

/// The state of a user's application to join an enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationState {
    /// Never applied: `apply` is `{}`.
    None,
    /// Applied and waiting: `apply_state` `"0"`.
    Pending,
    /// Approved: `apply_state` `"1"`, the user is a member with permissions.
    Approved,
    /// Rejected: `apply_state` `"-1"`.
    Rejected,
}

/// What [`set_application`] is asked to do.
#[derive(Debug, Clone)]
pub struct ApplicationChange<'a> {
    /// The user's phone.
    pub phone: &'a str,
    /// The state to put the application in.
    pub state: ApplicationState,
    /// The enterprise applied to, by name (created when missing).
    pub enterprise: &'a str,
    /// The user's permissions once approved.
    pub permissions: Vec<String>,
}

/// Puts the application of `change.phone` in `change.state`, as its latest
/// (none: every application removed); `false` when no account has the phone.
pub async fn set_application(
    db: &DatabaseConnection,
    change: ApplicationChange<'_>,
    now: DateTime<Utc>,
) -> Result<bool, FlowError> {
    let txn = db.begin().await?;
    let Some(user) = users::Entity::find()
        .filter(users::Column::Phone.eq(change.phone))
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    let enterprise_id = enterprise_named(&txn, change.enterprise, now).await?;
    applications::Entity::delete_many()
        .filter(applications::Column::UserId.eq(user.id.as_str()))
        .exec(&txn)
        .await?;
    let stored_state = match change.state {
        ApplicationState::None => None,
        ApplicationState::Pending => Some(0),
        ApplicationState::Approved => Some(1),
        ApplicationState::Rejected => Some(-1),
    };
    if let Some(state) = stored_state {
        let application = applications::ActiveModel {
            user_id: Set(user.id.clone()),
            enterprise_id: Set(enterprise_id),
            state: Set(state),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        applications::Entity::insert(application).exec(&txn).await?;
    }
    let approved = change.state == ApplicationState::Approved;
    let permissions = if approved {
        change.permissions
    } else {
        Vec::new()
    };
    users::Entity::update_many()
        .col_expr(
            users::Column::EnterpriseId,
            Expr::value(approved.then_some(enterprise_id)),
        )
        .col_expr(
            users::Column::Permissions,
            Expr::value(serde_json::json!(permissions)),
        )
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user.id.as_str()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(true)
}

/// The id of the enterprise `name`, created when there is none.
async fn enterprise_named(
    db: &impl ConnectionTrait,
    name: &str,
    now: DateTime<Utc>,
) -> Result<i64, FlowError> {
    if let Some(enterprise) = enterprises::Entity::find()
        .filter(enterprises::Column::Name.eq(name))
        .one(db)
        .await?
    {
        return Ok(enterprise.id);
    }
    let enterprise = enterprises::ActiveModel {
        name: Set(name.to_owned()),
        created_at: Set(now),
        ..Default::default()
    };
    Ok(enterprises::Entity::insert(enterprise)
        .exec(db)
        .await?
        .last_insert_id)
}
