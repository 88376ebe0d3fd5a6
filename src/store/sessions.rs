//! Sessions: random tokens handed to the app, stored only as SHA-256 hashes,
//! valid until they expire or are revoked; when each was last used, to the
//! minute; the live sessions of an account, and revoking them.

use chrono::{DateTime, Duration, Utc};
use entity::{sessions, users};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, sea_query::Expr,
};
use sha2::{Digest, Sha256};

use crate::domain::DeviceId;

/// A stored session (a row of `sessions`).
pub type Session = sessions::Model;

/// How long revoked sessions are kept (for the record) before the purge removes them.
pub const KEEP_REVOKED: Duration = Duration::days(1);

/// How stale `last_used_at` may grow before a request rewrites it: a session
/// used all the time is written once a minute, not once a request.
pub const LAST_USED_RESOLUTION: Duration = Duration::minutes(1);

/// A session token: 128 random bits as 32 lowercase hex characters.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// A new token from the operating system's cryptographic RNG.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the OS random source works");
        Self(hex::encode(bytes))
    }

    /// The token to hand to the app.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// What is stored: the SHA-256 of the token, in hex.
    pub fn hash(&self) -> String {
        hash_token(&self.0)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

/// The SHA-256 of a presented token, in hex, as stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Opens a session for `user_id` on `device`, valid for `lifetime`, and returns its token.
pub async fn open(
    db: &impl ConnectionTrait,
    user_id: &str,
    device: &DeviceId,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<Token, DbErr> {
    let token = Token::generate();
    let session = sessions::ActiveModel {
        token_hash: Set(token.hash()),
        user_id: Set(user_id.to_owned()),
        device_identifier: Set(device.as_str().to_owned()),
        created_at: Set(now),
        expires_at: Set(now + lifetime),
        revoked_at: Set(None),
        last_used_at: Set(now),
        ..Default::default()
    };
    sessions::Entity::insert(session)
        .exec_without_returning(db)
        .await?;
    Ok(token)
}

/// The live session of a presented token and its user; `None` when the
/// token is unknown, expired or revoked, or its account is disabled.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<(sessions::Model, users::Model)>, DbErr> {
    let found = sessions::Entity::find()
        .filter(sessions::Column::TokenHash.eq(hash_token(token)))
        .find_also_related(users::Entity)
        .one(db)
        .await?;
    Ok(match found {
        Some((session, Some(user)))
            if session.revoked_at.is_none()
                && session.expires_at > now
                && user.disabled_at.is_none() =>
        {
            Some((session, user))
        }
        _ => None,
    })
}

/// Revokes the session of a presented token; whether a live one was revoked.
pub async fn revoke(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let of_token = live_at(now).add(sessions::Column::TokenHash.eq(hash_token(token)));
    Ok(revoke_where(db, of_token, now).await? > 0)
}

/// Records that session `id` was used at `now`, unless it was within the
/// last [`LAST_USED_RESOLUTION`]; whether the row was written.
///
/// One conditional UPDATE: of concurrent requests on one session, one
/// writes and the others find the time already fresh.
pub async fn touch(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let touched = sessions::Entity::update_many()
        .col_expr(sessions::Column::LastUsedAt, Expr::value(now))
        .filter(sessions::Column::Id.eq(id))
        .filter(sessions::Column::LastUsedAt.lt(now - LAST_USED_RESOLUTION))
        .exec(db)
        .await?;
    Ok(touched.rows_affected > 0)
}

/// The live sessions of `user_id` (neither expired nor revoked at `now`),
/// newest first.
pub async fn live_of(
    db: &impl ConnectionTrait,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<sessions::Model>, DbErr> {
    sessions::Entity::find()
        .filter(live(user_id, now))
        .order_by_desc(sessions::Column::CreatedAt)
        .order_by_desc(sessions::Column::Id)
        .all(db)
        .await
}

/// The filter of the live sessions at `now`: neither revoked nor expired.
fn live_at(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(sessions::Column::RevokedAt.is_null())
        .add(sessions::Column::ExpiresAt.gt(now))
}

/// The filter of the live sessions of `user_id` at `now`.
fn live(user_id: &str, now: DateTime<Utc>) -> Condition {
    live_at(now).add(sessions::Column::UserId.eq(user_id))
}

/// Marks the sessions of `condition` revoked at `now`, in one statement;
/// how many.
async fn revoke_where(
    db: &impl ConnectionTrait,
    condition: Condition,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let revoked = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(Some(now)))
        .filter(condition)
        .exec(db)
        .await?;
    Ok(revoked.rows_affected)
}

/// Ends every live session of `user_id` but the newest `cap`, in one
/// statement; how many it ended. Call it after [`open`], in the same
/// transaction, under the account's lock ([`account_lock_key`]), so that
/// concurrent logins never leave more than `cap` live sessions.
pub async fn keep_newest(
    db: &impl ConnectionTrait,
    user_id: &str,
    cap: u32,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let newest = sessions::Entity::find()
        .select_only()
        .column(sessions::Column::Id)
        .filter(live(user_id, now))
        .order_by_desc(sessions::Column::CreatedAt)
        .order_by_desc(sessions::Column::Id)
        .limit(u64::from(cap))
        .into_query();
    let older = live(user_id, now).add(sessions::Column::Id.not_in_subquery(newest));
    revoke_where(db, older, now).await
}

/// Revokes the sessions `ids` that are live sessions of `user_id`, in one
/// statement; how many it revoked.
pub async fn revoke_many_of(
    db: &impl ConnectionTrait,
    user_id: &str,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    let listed = live(user_id, now).add(sessions::Column::Id.is_in(ids.iter().copied()));
    revoke_where(db, listed, now).await
}

/// The sessions `ids` of `user_id` revoked at exactly `now`.
pub async fn revoked_at(
    db: &impl ConnectionTrait,
    user_id: &str,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<Vec<sessions::Model>, DbErr> {
    sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::Id.is_in(ids.iter().copied()))
        .filter(sessions::Column::RevokedAt.eq(now))
        .all(db)
        .await
}

/// Marks every live session of `user_id` revoked at `now`; how many.
pub async fn revoke_all(
    db: &impl ConnectionTrait,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    revoke_where(db, live(user_id, now), now).await
}

/// Deletes sessions that expired, or were revoked more than [`KEEP_REVOKED`] ago; how many.
pub async fn purge(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let deleted = sessions::Entity::delete_many()
        .filter(
            Condition::any()
                .add(sessions::Column::ExpiresAt.lte(now))
                .add(sessions::Column::RevokedAt.lte(now - KEEP_REVOKED)),
        )
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_32_lowercase_hex_and_differ() {
        let first = Token::generate();
        let second = Token::generate();
        assert_eq!(first.reveal().len(), 32);
        assert!(
            first
                .reveal()
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_ne!(first.reveal(), second.reveal());
    }

    #[test]
    fn the_stored_hash_is_sha256_of_the_token() {
        let token = Token::generate();
        assert_eq!(token.hash().len(), 64);
        assert_ne!(token.hash(), token.reveal());
        assert_eq!(token.hash(), hash_token(token.reveal()));
        assert!(!format!("{token:?}").contains(token.reveal()));
    }
}
