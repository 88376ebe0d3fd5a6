//! The `admin_tokens` table: the tokens the admin API accepts, stored only
//! as the SHA-256 of the token, each under a name that audit rows cite.

use sea_orm::entity::prelude::*;

/// The name of the column holding the SHA-256 of a token: the one place it
/// is written, for lists of columns whose values are never logged.
pub const HASH_COLUMN: &str = "token_hash";

/// One admin token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_tokens")]
pub struct Model {
    /// Auto-incremented primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The name the operator gave it (`admin-token create --name`); unique.
    #[sea_orm(unique, column_type = "String(StringLen::N(64))")]
    pub name: String,
    /// SHA-256 of the token as 64 lowercase hex characters; unique. Its
    /// column name is [`HASH_COLUMN`].
    #[sea_orm(unique, column_type = "String(StringLen::N(64))")]
    pub token_hash: String,
    /// When it was created (UTC).
    pub created_at: DateTimeUtc,
    /// When it last authenticated a request (UTC), to the minute; `None`
    /// until it has.
    pub last_used_at: Option<DateTimeUtc>,
}

/// `admin_tokens` has no foreign keys.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_column_is_named_once() {
        assert_eq!(Column::TokenHash.as_str(), HASH_COLUMN);
    }
}
