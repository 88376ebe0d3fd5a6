//! Admin tokens: `adm_` and 256 random bits in hex, handed to the operator
//! once and stored only as their SHA-256, under a unique name; when each
//! was last used, to the minute.

use chrono::{DateTime, Utc};
use entity::admin_tokens;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    SqlErr, sea_query::Expr,
};

use super::sessions::{LAST_USED_RESOLUTION, hash_token};

/// What every admin token starts with, so that one is recognised in a
/// configuration or a leak report.
pub const PREFIX: &str = "adm_";

/// The longest name of an admin token.
pub const MAX_NAME_LEN: usize = 64;

/// An admin token: [`PREFIX`] and 32 random bytes as 64 lowercase hex characters.
#[derive(Clone)]
pub struct AdminToken(String);

impl AdminToken {
    /// A new token from the operating system's cryptographic RNG.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random source works");
        Self(format!("{PREFIX}{}", hex::encode(bytes)))
    }

    /// The token, to show the operator once.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// What is stored: the SHA-256 of the token, in hex.
    pub fn hash(&self) -> String {
        hash_token(&self.0)
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(..)")
    }
}

/// Whether `name` may name an admin token: 1 to [`MAX_NAME_LEN`] ASCII
/// letters, digits, `.`, `_`, `-` or `@`; what is wrong otherwise.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(format!("must be 1 to {MAX_NAME_LEN} characters"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
    {
        return Err("may hold only ASCII letters, digits, '.', '_', '-' and '@'".to_owned());
    }
    Ok(())
}

/// Stores a new token named `name`; `None` when the name is taken.
pub async fn create(
    db: &impl ConnectionTrait,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Option<AdminToken>, DbErr> {
    let token = AdminToken::generate();
    let row = admin_tokens::ActiveModel {
        name: Set(name.to_owned()),
        token_hash: Set(token.hash()),
        created_at: Set(now),
        last_used_at: Set(None),
        ..Default::default()
    };
    match admin_tokens::Entity::insert(row)
        .exec_without_returning(db)
        .await
    {
        Ok(_) => Ok(Some(token)),
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Every token, by name.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<admin_tokens::Model>, DbErr> {
    admin_tokens::Entity::find()
        .order_by_asc(admin_tokens::Column::Name)
        .all(db)
        .await
}

/// Deletes the token named `name`; whether there was one.
pub async fn revoke(db: &impl ConnectionTrait, name: &str) -> Result<bool, DbErr> {
    let deleted = admin_tokens::Entity::delete_many()
        .filter(admin_tokens::Column::Name.eq(name))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// The token presented, if it is one, with its use at `now` recorded (at
/// most once a [`LAST_USED_RESOLUTION`]).
pub async fn authenticate(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<admin_tokens::Model>, DbErr> {
    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    let Some(found) = admin_tokens::Entity::find()
        .filter(admin_tokens::Column::TokenHash.eq(hash_token(token)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if found
        .last_used_at
        .is_none_or(|used| used < now - LAST_USED_RESOLUTION)
    {
        admin_tokens::Entity::update_many()
            .col_expr(admin_tokens::Column::LastUsedAt, Expr::value(Some(now)))
            .filter(admin_tokens::Column::Id.eq(found.id))
            .exec(db)
            .await?;
    }
    Ok(Some(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_the_prefix_and_64_lowercase_hex_and_differ() {
        let first = AdminToken::generate();
        let second = AdminToken::generate();
        let hex = first.reveal().strip_prefix(PREFIX).expect("the prefix");
        assert_eq!(hex.len(), 64);
        assert!(
            hex.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_ne!(first.reveal(), second.reveal());
        assert_eq!(first.hash(), hash_token(first.reveal()));
        assert!(!format!("{first:?}").contains(first.reveal()));
    }

    #[test]
    fn names_are_short_and_plain() {
        assert_eq!(check_name("alice@support"), Ok(()));
        assert_eq!(check_name("ops-1.night_shift"), Ok(()));
        for bad in ["", "has space", "名字", &"a".repeat(65), "semi;colon"] {
            assert!(check_name(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
