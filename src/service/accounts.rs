//! Accounts: registration, login, password reset and what login reports.

use chrono::{DateTime, Utc};
use entity::{applications, enterprises, sessions, users};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, SqlErr, TransactionTrait, sea_query::Expr,
};

use super::{AppState, ServiceError, sessions as session_store, sessions::Token};
use crate::domain::{DeviceId, Name, Password, Phone};

/// Whether an account exists for `phone`.
pub async fn is_registered(db: &impl ConnectionTrait, phone: &Phone) -> Result<bool, DbErr> {
    let count = users::Entity::find()
        .filter(users::Column::Phone.eq(phone.as_str()))
        .count(db)
        .await?;
    Ok(count > 0)
}

/// A registration request, validated.
#[derive(Debug)]
pub struct Registration {
    /// The new account's phone.
    pub phone: Phone,
    /// Its display name.
    pub name: Name,
    /// Its password.
    pub password: Password,
    /// The device it is bound to.
    pub device: DeviceId,
}

/// The outcome of a registration.
#[derive(Debug)]
pub enum RegisterOutcome {
    /// The phone already has an account.
    PhoneTaken,
    /// The account exists and a session is open.
    Registered {
        /// The new user's id.
        user_id: String,
        /// The trimmed name stored.
        name: String,
        /// The session's token.
        token: Token,
    },
}

/// Creates an account bound to the device and opens its first session.
///
/// Two concurrent registrations of one phone: the unique index on
/// `users.phone` lets exactly one insert through; the other is `PhoneTaken`.
pub async fn register(
    state: &AppState,
    request: Registration,
) -> Result<RegisterOutcome, ServiceError> {
    // Cheap early answer for the common case; the unique index is the real guard.
    if is_registered(&state.db, &request.phone).await? {
        return Ok(RegisterOutcome::PhoneTaken);
    }
    let password_hash = state.hasher.hash(&request.password).await?;
    let user_id = uuid::Uuid::new_v4().simple().to_string();
    let now = Utc::now();
    let user = users::ActiveModel {
        id: Set(user_id.clone()),
        phone: Set(request.phone.as_str().to_owned()),
        name: Set(request.name.as_str().to_owned()),
        password_hash: Set(password_hash),
        device_identifier: Set(request.device.as_str().to_owned()),
        enterprise_id: Set(None),
        permissions: Set(serde_json::Value::Array(Vec::new())),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let txn = state.db.begin().await?;
    match users::Entity::insert(user)
        .exec_without_returning(&txn)
        .await
    {
        Ok(_) => {}
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Ok(RegisterOutcome::PhoneTaken);
        }
        Err(err) => return Err(err.into()),
    }
    let token = session_store::open(&txn, &user_id, &request.device, now).await?;
    txn.commit().await?;
    Ok(RegisterOutcome::Registered {
        user_id,
        name: request.name.as_str().to_owned(),
        token,
    })
}

/// What login (and `/me`) report about an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountView {
    /// The user's id.
    pub user_id: String,
    /// The display name.
    pub name: String,
    /// The enterprise the user belongs to, if any.
    pub enterprise_id: Option<i64>,
    /// Permission strings.
    pub permissions: Vec<String>,
    /// The latest application to join an enterprise, if any.
    pub latest_application: Option<ApplicationView>,
}

/// A user's application to join an enterprise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationView {
    /// The enterprise applied to.
    pub enterprise_id: i64,
    /// Its name.
    pub enterprise_name: String,
    /// -1 rejected, 0 pending, 1 approved.
    pub state: i16,
}

/// The outcome of a login.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Unknown phone or wrong password (one answer for both).
    WrongCredentials,
    /// A new session is open.
    LoggedIn {
        /// The account.
        account: AccountView,
        /// The new session's token.
        token: Token,
        /// Whether the device differs from the one the account was bound to.
        change_device: bool,
    },
}

/// Checks the password, moves the device binding when it changed and opens a session.
pub async fn login(
    state: &AppState,
    phone: &Phone,
    password: &Password,
    device: &DeviceId,
) -> Result<LoginOutcome, ServiceError> {
    let user = users::Entity::find()
        .filter(users::Column::Phone.eq(phone.as_str()))
        .one(&state.db)
        .await?;
    // An unknown phone is checked against a dummy hash: the same work, the same time.
    let stored_hash = user.as_ref().map(|user| user.password_hash.clone());
    let matches = state.hasher.verify(password, stored_hash).await?;
    let Some(user) = user.filter(|_| matches) else {
        return Ok(LoginOutcome::WrongCredentials);
    };
    let change_device = user.device_identifier != device.as_str();
    let now = Utc::now();
    let txn = state.db.begin().await?;
    if change_device {
        users::Entity::update_many()
            .col_expr(
                users::Column::DeviceIdentifier,
                Expr::value(device.as_str()),
            )
            .col_expr(users::Column::UpdatedAt, Expr::value(now))
            .filter(users::Column::Id.eq(user.id.as_str()))
            .exec(&txn)
            .await?;
    }
    let token = session_store::open(&txn, &user.id, device, now).await?;
    txn.commit().await?;
    let account = account_view(&state.db, user).await?;
    Ok(LoginOutcome::LoggedIn {
        account,
        token,
        change_device,
    })
}

/// The view of `user` with its permissions and latest application.
pub async fn account_view(
    db: &impl ConnectionTrait,
    user: users::Model,
) -> Result<AccountView, ServiceError> {
    let permissions = serde_json::from_value::<Vec<String>>(user.permissions.clone())
        .map_err(|err| ServiceError::Corrupt(format!("permissions of user {}: {err}", user.id)))?;
    let latest = applications::Entity::find()
        .filter(applications::Column::UserId.eq(user.id.as_str()))
        .order_by_desc(applications::Column::Id)
        .find_also_related(enterprises::Entity)
        .one(db)
        .await?;
    let latest_application = match latest {
        None => None,
        Some((application, enterprise)) => {
            let enterprise = enterprise.ok_or_else(|| {
                ServiceError::Corrupt(format!("application {} has no enterprise", application.id))
            })?;
            Some(ApplicationView {
                enterprise_id: enterprise.id,
                enterprise_name: enterprise.name,
                state: application.state,
            })
        }
    };
    Ok(AccountView {
        user_id: user.id,
        name: user.name,
        enterprise_id: user.enterprise_id,
        permissions,
        latest_application,
    })
}

/// The outcome of a password reset.
#[derive(Debug, PartialEq, Eq)]
pub enum ResetOutcome {
    /// No account has this phone.
    NotRegistered,
    /// The password is changed and every session of the user revoked.
    Changed,
}

/// Sets a new password and revokes every session of the account.
pub async fn reset_password(
    state: &AppState,
    phone: &Phone,
    password: &Password,
) -> Result<ResetOutcome, ServiceError> {
    let Some(user) = users::Entity::find()
        .filter(users::Column::Phone.eq(phone.as_str()))
        .one(&state.db)
        .await?
    else {
        return Ok(ResetOutcome::NotRegistered);
    };
    let password_hash = state.hasher.hash(password).await?;
    let now = Utc::now();
    let txn = state.db.begin().await?;
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user.id.as_str()))
        .exec(&txn)
        .await?;
    revoke_all_sessions(&txn, &user.id, now).await?;
    txn.commit().await?;
    Ok(ResetOutcome::Changed)
}

/// Marks every live session of `user_id` revoked at `now`.
async fn revoke_all_sessions(
    db: &impl ConnectionTrait,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(Some(now)))
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
