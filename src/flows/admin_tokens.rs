//! The admin tokens as the operator manages them (`account-api
//! admin-token create | list | revoke`), and as the admin API checks them.

use super::error::FlowError;
use crate::store::{
    Database as DatabaseConnection,
    admin_tokens::{self, AdminToken},
};
use chrono::{DateTime, Utc};

/// Why a token was not created.
#[derive(Debug, PartialEq, Eq)]
pub enum CreateRefusal {
    /// The name is not one a token may have; what is wrong with it.
    BadName(String),
    /// A token of that name exists.
    NameTaken,
}

/// Creates a token named `name`, to show the operator once.
pub async fn create(
    db: &DatabaseConnection,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Result<AdminToken, CreateRefusal>, FlowError> {
    if let Err(problem) = admin_tokens::check_name(name) {
        return Ok(Err(CreateRefusal::BadName(problem)));
    }
    Ok(admin_tokens::create(db, name, now)
        .await?
        .ok_or(CreateRefusal::NameTaken))
}

/// A token as listed: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedToken {
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a request, to the minute.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Every token, by name.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<ListedToken>, FlowError> {
    Ok(admin_tokens::list(db)
        .await?
        .into_iter()
        .map(|token| ListedToken {
            name: token.name,
            created_at: token.created_at,
            last_used_at: token.last_used_at,
        })
        .collect())
}

/// Revokes the token named `name` (at once, on every instance); whether
/// there was one.
pub async fn revoke(db: &DatabaseConnection, name: &str) -> Result<bool, FlowError> {
    Ok(admin_tokens::revoke(db, name).await?)
}

/// The name of the admin token `token`, if it is a live one; its use is
/// recorded (to the minute).
pub async fn authenticate(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, FlowError> {
    Ok(admin_tokens::authenticate(db, token, now)
        .await?
        .map(|token| token.name))
}
