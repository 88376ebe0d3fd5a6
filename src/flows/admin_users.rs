//! What support staff do to accounts through the admin API: search them
//! page by page, look at one, disable and enable it, end its sessions,
//! delete it. Every change is one transaction with its audit row, which
//! names the admin token.

use chrono::{DateTime, Utc};

use super::{
    admin_cursor::{self, BadCursor},
    error::FlowError,
    events,
};
use crate::{
    domain::{
        AccountEvent,
        account_event::{RevokeReason, SessionRevoked, UserDeleted, UserDisabled, UserEnabled},
    },
    state::AppState,
    store::{
        self,
        admin_users::{self, After},
        audit::{self, Kind},
    },
};

pub use crate::store::{
    admin_users::{Application, AuditEvent, UserFilter, application_states},
    sessions::Session,
    users::User,
};

/// How many recent audit events one user's page shows.
pub const RECENT_EVENTS: u64 = 20;

/// A page of a search, and the cursor of the next one (`None` on the last).
#[derive(Debug)]
pub struct Page {
    /// The users of the page, in the search's order.
    pub users: Vec<User>,
    /// The opaque cursor of the next page.
    pub next_cursor: Option<String>,
}

/// The opaque cursor after `user` in a search of `filter`'s order.
fn cursor_after(filter: &UserFilter, user: &User) -> String {
    let key = if filter.by_phone() {
        format!("p{}", user.phone)
    } else {
        format!("i{}", user.id)
    };
    admin_cursor::encode(&key)
}

/// Where the cursor `text` says a page starts, in `filter`'s order.
fn read_cursor(filter: &UserFilter, text: &str) -> Result<After, BadCursor> {
    let key = admin_cursor::decode(text)?;
    let plain = |rest: &str, len: usize, ok: fn(u8) -> bool| {
        !rest.is_empty() && rest.len() <= len && rest.bytes().all(ok)
    };
    match (key.split_at_checked(1), filter.by_phone()) {
        (Some(("p", phone)), true) if plain(phone, 20, |b| b.is_ascii_digit()) => {
            Ok(After::Phone(phone.to_owned()))
        }
        (Some(("i", id)), false) if plain(id, 32, |b| b.is_ascii_hexdigit()) => {
            Ok(After::Id(id.to_owned()))
        }
        _ => Err(BadCursor),
    }
}

/// The page of `limit` users matching `filter` from `cursor`.
pub async fn search(
    state: &AppState,
    filter: &UserFilter,
    cursor: Option<&str>,
    limit: u64,
) -> Result<Result<Page, BadCursor>, FlowError> {
    let after = match cursor.map(|text| read_cursor(filter, text)).transpose() {
        Ok(after) => after,
        Err(bad) => return Ok(Err(bad)),
    };
    // One more than the page tells whether another page follows.
    let mut users = admin_users::search(&state.db, filter, after.as_ref(), limit + 1).await?;
    let more = users.len() as u64 > limit;
    users.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = match (more, users.last()) {
        (true, Some(last)) => Some(cursor_after(filter, last)),
        _ => None,
    };
    Ok(Ok(Page { users, next_cursor }))
}

/// One account with what support staff look at.
#[derive(Debug)]
pub struct UserDetail {
    /// The account.
    pub user: User,
    /// Its stored sessions (live, expired, revoked), newest first.
    pub sessions: Vec<Session>,
    /// Its latest application.
    pub application: Option<Application>,
    /// Its recent audit events, newest first.
    pub events: Vec<AuditEvent>,
}

/// The account `user_id` with its sessions, application and recent events.
pub async fn detail(state: &AppState, user_id: &str) -> Result<Option<UserDetail>, FlowError> {
    let Some(user) = admin_users::by_id(&state.db, user_id).await? else {
        return Ok(None);
    };
    let sessions = admin_users::sessions_of(&state.db, user_id).await?;
    let application = admin_users::latest_application(&state.db, user_id).await?;
    let events = admin_users::recent_events(&state.db, user_id, &user.phone, RECENT_EVENTS).await?;
    Ok(Some(UserDetail {
        user,
        sessions,
        application,
        events,
    }))
}

/// Disables (and ends every session of) or enables `user_id`, by the
/// admin token `admin`; the account as it is now, `None` if there is none.
pub async fn set_disabled(
    state: &AppState,
    admin: &str,
    user_id: &str,
    disabled: bool,
) -> Result<Option<User>, FlowError> {
    let txn = store::begin_write(&state.db).await?;
    store::lock_keys(&txn, &[store::LockKey::sessions_of(user_id)]).await?;
    let now = state.clock.now();
    let Some(user) = admin_users::by_id(&txn, user_id).await? else {
        return Ok(None);
    };
    let changed = admin_users::set_disabled(&txn, user_id, disabled, now).await?;
    let (kind, event) = if disabled {
        let sessions_revoked = store::sessions::revoke_all(&txn, user_id, now).await?;
        let event = AccountEvent::Disabled(UserDisabled {
            user_id: user_id.to_owned(),
            sessions_revoked,
        });
        (Kind::AdminDisable, event)
    } else {
        let event = AccountEvent::Enabled(UserEnabled {
            user_id: user_id.to_owned(),
        });
        (Kind::AdminEnable, event)
    };
    audit::record_admin(&txn, now, kind, admin, user_id, Some(&user.phone)).await?;
    // Disabling a disabled account (or enabling an enabled one) is no event.
    if changed {
        events::publish(state, &txn, event, now).await?;
    }
    let user = admin_users::by_id(&txn, user_id).await?;
    txn.commit().await?;
    Ok(user)
}

/// Ends every live session of `user_id`, by the admin token `admin`; how
/// many were live, `None` if there is no such account.
pub async fn revoke_sessions(
    state: &AppState,
    admin: &str,
    user_id: &str,
) -> Result<Option<u64>, FlowError> {
    let txn = store::begin_write(&state.db).await?;
    store::lock_keys(&txn, &[store::LockKey::sessions_of(user_id)]).await?;
    let now = state.clock.now();
    let Some(user) = admin_users::by_id(&txn, user_id).await? else {
        return Ok(None);
    };
    let live: Vec<i64> = store::sessions::live_of(&txn, user_id, now)
        .await?
        .into_iter()
        .map(|session| session.id)
        .collect();
    store::sessions::revoke_all(&txn, user_id, now).await?;
    audit::record_admin(
        &txn,
        now,
        Kind::AdminRevokeSessions,
        admin,
        user_id,
        Some(&user.phone),
    )
    .await?;
    let revoked = live.len() as u64;
    if !live.is_empty() {
        let event = AccountEvent::SessionRevoked(SessionRevoked {
            user_id: user_id.to_owned(),
            session_ids: live,
            reason: RevokeReason::Admin,
        });
        events::publish(state, &txn, event, now).await?;
    }
    txn.commit().await?;
    Ok(Some(revoked))
}

/// When an account was deleted.
#[derive(Debug)]
pub struct Deleted {
    /// The moment of the deletion.
    pub at: DateTime<Utc>,
}

/// Deletes `user_id` with its sessions, codes and applications, by the
/// admin token `admin`, leaving a tombstone (user id, time, admin token,
/// no phone) in the audit; `None` if there is no such account.
pub async fn delete(
    state: &AppState,
    admin: &str,
    user_id: &str,
) -> Result<Option<Deleted>, FlowError> {
    let txn = store::begin_write(&state.db).await?;
    store::lock_keys(&txn, &[store::LockKey::sessions_of(user_id)]).await?;
    let now = state.clock.now();
    let Some(user) = admin_users::by_id(&txn, user_id).await? else {
        return Ok(None);
    };
    admin_users::delete(&txn, &user).await?;
    audit::record_admin(&txn, now, Kind::AdminDelete, admin, user_id, None).await?;
    let event = AccountEvent::Deleted(UserDeleted {
        user_id: user_id.to_owned(),
    });
    events::publish(state, &txn, event, now).await?;
    txn.commit().await?;
    Ok(Some(Deleted { at: now }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_is_read_back_only_in_the_order_it_was_made_for() {
        let user = User {
            id: "0123456789abcdef0123456789abcdef".to_owned(),
            phone: "13800000001".to_owned(),
            name: "n".to_owned(),
            password_hash: String::new(),
            device_identifier: String::new(),
            enterprise_id: None,
            permissions: serde_json::json!([]),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            disabled_at: None,
        };
        let by_id = UserFilter::default();
        let by_phone = UserFilter {
            phone_prefix: Some("138".to_owned()),
            ..UserFilter::default()
        };
        let cursor = cursor_after(&by_id, &user);
        assert_eq!(read_cursor(&by_id, &cursor), Ok(After::Id(user.id.clone())));
        assert_eq!(read_cursor(&by_phone, &cursor), Err(BadCursor));
        let cursor = cursor_after(&by_phone, &user);
        assert_eq!(
            read_cursor(&by_phone, &cursor),
            Ok(After::Phone(user.phone.clone()))
        );
        for bad in ["", "zz", "69", &hex::encode("i'; DROP TABLE users")] {
            assert_eq!(read_cursor(&by_id, bad), Err(BadCursor), "{bad}");
        }
    }
}
