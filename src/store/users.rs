//! Accounts as stored: found by phone, created, their password and device
//! binding changed, and the view login and `/me` report.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use entity::{applications, enterprises, imported_password_hashes, users};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, SelectExt, SqlErr, sea_query::Expr,
};

use super::error::StoreError;
use crate::{
    database::LookupConnections,
    domain::{DeviceId, Name, Phone},
};

/// A stored account (a row of `users`).
pub type User = users::Model;

/// The users with `phone` (at most one: the column is unique).
fn with_phone(phone: &str) -> Select<users::Entity> {
    users::Entity::find().filter(users::Column::Phone.eq(phone))
}

/// The account of `phone`, if there is one.
pub async fn by_phone(
    db: &impl ConnectionTrait,
    phone: &Phone,
) -> Result<Option<users::Model>, DbErr> {
    with_phone(phone.as_str()).one(db).await
}

/// Whether an account exists for `phone`: the hottest query of the API (apps
/// ask it while the user types), so it runs on a held lookup connection when
/// there is one (SQLite), and through `db` otherwise.
pub async fn is_registered(
    db: &impl ConnectionTrait,
    lookups: &LookupConnections,
    phone: &Phone,
) -> Result<bool, DbErr> {
    /// `SELECT 1 FROM users WHERE phone = ?`, as SeaORM writes it for SQLite.
    static SQL: LazyLock<String> = LazyLock::new(|| {
        with_phone("")
            .select_only()
            .expr(Expr::cust("1"))
            .build(DbBackend::Sqlite)
            .sql
    });
    match lookups.exists(SQL.as_str(), phone.as_str()).await {
        Some(Ok(registered)) => Ok(registered),
        Some(Err(err)) => {
            tracing::warn!(error = %err, "lookup connection failed; asking through the pool");
            with_phone(phone.as_str()).exists(db).await
        }
        None => with_phone(phone.as_str()).exists(db).await,
    }
}

/// Whether the account of `phone` is disabled (support staff stopped it).
pub async fn is_disabled(db: &impl ConnectionTrait, phone: &Phone) -> Result<bool, DbErr> {
    with_phone(phone.as_str())
        .filter(users::Column::DisabledAt.is_not_null())
        .exists(db)
        .await
}

/// A new account, as [`insert`] stores it.
#[derive(Debug)]
pub struct NewUser<'a> {
    /// Its id, 32 lowercase hex characters.
    pub id: &'a str,
    /// Its phone.
    pub phone: &'a Phone,
    /// Its display name.
    pub name: &'a Name,
    /// The PHC string of its password.
    pub password_hash: String,
    /// The device it is bound to.
    pub device: &'a DeviceId,
}

/// Inserts `user`; `false` when the phone is taken (the unique index on
/// `users.phone` decides between concurrent registrations).
pub async fn insert(
    db: &impl ConnectionTrait,
    user: NewUser<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let row = users::ActiveModel {
        id: Set(user.id.to_owned()),
        phone: Set(user.phone.as_str().to_owned()),
        name: Set(user.name.as_str().to_owned()),
        password_hash: Set(user.password_hash),
        device_identifier: Set(user.device.as_str().to_owned()),
        enterprise_id: Set(None),
        permissions: Set(serde_json::Value::Array(Vec::new())),
        created_at: Set(now),
        updated_at: Set(now),
        disabled_at: Set(None),
    };
    match users::Entity::insert(row).exec_without_returning(db).await {
        Ok(_) => Ok(true),
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Ok(false)
        }
        Err(err) => Err(err),
    }
}

/// Replaces the password hash of `user_id` with a new password's: what an
/// import left to know about the old one goes (the account holds no legacy
/// hash, and a re-import's hash is no longer this password's).
pub async fn set_password_hash(
    db: &impl ConnectionTrait,
    user_id: &str,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    imported_password_hashes::Entity::delete_many()
        .filter(imported_password_hashes::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// How many accounts still hold a legacy password hash (imported, and not
/// re-hashed by a login since): read from a partial index of those alone.
pub async fn count_legacy_hashes(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    imported_password_hashes::Entity::find()
        .filter(imported_password_hashes::Column::Scheme.is_not_null())
        .count(db)
        .await
}

/// Binds `user_id` to `device`, and replaces its password hash when a new
/// one is given (a login re-hashing a legacy hash or outdated parameters):
/// the account then holds no legacy hash, though the digest of the hash it
/// was imported with stays (the password is the same).
pub async fn bind_device(
    db: &impl ConnectionTrait,
    user_id: &str,
    device: &DeviceId,
    rehashed: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut update = users::Entity::update_many()
        .col_expr(
            users::Column::DeviceIdentifier,
            Expr::value(device.as_str()),
        )
        .col_expr(users::Column::UpdatedAt, Expr::value(now));
    let was_rehashed = rehashed.is_some();
    if let Some(hash) = rehashed {
        update = update.col_expr(users::Column::PasswordHash, Expr::value(hash));
    }
    update
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    if was_rehashed {
        imported_password_hashes::Entity::update_many()
            .col_expr(
                imported_password_hashes::Column::Scheme,
                Expr::value(Option::<String>::None),
            )
            .filter(imported_password_hashes::Column::UserId.eq(user_id))
            .exec(db)
            .await?;
    }
    Ok(())
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

/// The view of `user` with its permissions and latest application.
pub async fn account_view(
    db: &impl ConnectionTrait,
    user: users::Model,
) -> Result<AccountView, StoreError> {
    let permissions = serde_json::from_value::<Vec<String>>(user.permissions.clone())
        .map_err(|err| StoreError::Corrupt(format!("permissions of user {}: {err}", user.id)))?;
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
                StoreError::Corrupt(format!("application {} has no enterprise", application.id))
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
