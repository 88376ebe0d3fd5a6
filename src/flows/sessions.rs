//! Sessions of the extensions: the account of a token (`/me`), the live
//! sessions of its account (`/sessions`), revoking some of them
//! (`/sessions/revoke`), and logout.
//!
//! Every one of them authenticates the presented token first, and records
//! that its session was used (at most once a minute: see
//! [`sessions::touch`]).

use chrono::{DateTime, Utc};

use super::{account::Account, error::FlowError, events};
use crate::{
    domain::{
        AccountEvent, ClientIp,
        account_event::{RevokeReason, SessionRevoked},
    },
    state::AppState,
    store::{
        self, LockKey,
        audit::{self, Actor, Kind, Outcome},
        sessions, users,
    },
};

/// One live session of an account, as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSession {
    /// The session's row id, what `sessions/revoke` takes.
    pub id: i64,
    /// The device the session was opened from.
    pub device_identifier: String,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a request, to the minute.
    pub last_used_at: DateTime<Utc>,
    /// Whether it is the session of the presented token.
    pub current: bool,
}

/// Which sessions of the account to revoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeTarget {
    /// The session with this id (the current one included: a logout).
    One(i64),
    /// Every live session but the current one.
    Others,
}

/// How a revocation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeOutcome {
    /// The presented token is unknown, expired or revoked.
    SessionInvalid,
    /// The id is not a live session of this account: nothing was revoked.
    NoSuchSession,
    /// This many sessions were revoked.
    Revoked(u64),
}

/// The live session of a presented token and its user, after recording
/// that the session was used at `now`; `None` when the token is unknown,
/// expired or revoked.
async fn authenticated(
    state: &AppState,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<(sessions::Session, users::User)>, FlowError> {
    let Some((session, user)) = sessions::authenticate(&state.db, token, now).await? else {
        return Ok(None);
    };
    sessions::touch(&state.db, session.id, now).await?;
    Ok(Some((session, user)))
}

/// The account of a presented session token; `None` when the token is
/// unknown, expired or revoked.
pub async fn session_account(state: &AppState, token: &str) -> Result<Option<Account>, FlowError> {
    match authenticated(state, token, state.clock.now()).await? {
        Some((_, user)) => Ok(Some(Account::from_view(
            users::account_view(&state.db, user).await?,
        )?)),
        None => Ok(None),
    }
}

/// The live sessions of the account of a presented token, newest first;
/// `None` when the token is unknown, expired or revoked.
pub async fn live_sessions(
    state: &AppState,
    token: &str,
) -> Result<Option<Vec<LiveSession>>, FlowError> {
    let now = state.clock.now();
    let Some((current, user)) = authenticated(state, token, now).await? else {
        return Ok(None);
    };
    let live = sessions::live_of(&state.db, &user.id, now).await?;
    Ok(Some(
        live.into_iter()
            .map(|session| LiveSession {
                current: session.id == current.id,
                id: session.id,
                device_identifier: session.device_identifier,
                created_at: session.created_at,
                last_used_at: session.last_used_at,
            })
            .collect(),
    ))
}

/// Revokes `target` among the live sessions of the account of a presented
/// token in one statement, auditing each revocation; another account's
/// session is never touched.
pub async fn revoke_sessions(
    state: &AppState,
    token: &str,
    target: RevokeTarget,
    client: Option<&ClientIp>,
) -> Result<RevokeOutcome, FlowError> {
    let now = state.clock.now();
    let Some((current, user)) = authenticated(state, token, now).await? else {
        return Ok(RevokeOutcome::SessionInvalid);
    };
    let txn = store::begin_write(&state.db).await?;
    store::lock_keys(&txn, &[LockKey::sessions_of(&user.id)]).await?;
    let live = sessions::live_of(&txn, &user.id, now).await?;
    let chosen: Vec<&sessions::Session> = live
        .iter()
        .filter(|session| match target {
            RevokeTarget::One(id) => session.id == id,
            RevokeTarget::Others => session.id != current.id,
        })
        .collect();
    let ids: Vec<i64> = chosen.iter().map(|session| session.id).collect();
    let revoked = sessions::revoke_many_of(&txn, &user.id, &ids, now).await?;
    // A session logged out meanwhile (another connection) is neither
    // counted nor audited twice: audit what this statement revoked.
    let revoked_now = match revoked == ids.len() as u64 {
        true => chosen.into_iter().cloned().collect(),
        false => sessions::revoked_at(&txn, &user.id, &ids, now).await?,
    };
    let actors: Vec<Actor> = revoked_now
        .iter()
        .map(|session| Actor {
            phone: Some(user.phone.as_str()),
            client,
            device: Some(session.device_identifier.as_str()),
        })
        .collect();
    audit::record_each(&txn, now, Kind::SessionRevoke, Outcome::Success, &actors).await?;
    if !revoked_now.is_empty() {
        let event = AccountEvent::SessionRevoked(SessionRevoked {
            user_id: user.id.clone(),
            session_ids: revoked_now.iter().map(|session| session.id).collect(),
            reason: RevokeReason::User,
        });
        events::publish(state, &txn, event, now).await?;
    }
    txn.commit().await?;
    Ok(match target {
        RevokeTarget::One(_) if revoked == 0 => RevokeOutcome::NoSuchSession,
        _ => RevokeOutcome::Revoked(revoked),
    })
}

/// Revokes a presented session token; whether it was a live session.
pub async fn logout(
    state: &AppState,
    token: &str,
    client: Option<&ClientIp>,
) -> Result<bool, FlowError> {
    let now = state.clock.now();
    let Some((session, user)) = authenticated(state, token, now).await? else {
        return Ok(false);
    };
    let txn = store::begin_write(&state.db).await?;
    let revoked = sessions::revoke(&txn, token, now).await?;
    if revoked {
        let actor = Actor {
            phone: Some(user.phone.as_str()),
            client,
            device: Some(session.device_identifier.as_str()),
        };
        audit::record(&txn, now, Kind::Logout, Outcome::Success, &actor).await?;
        let event = AccountEvent::SessionRevoked(SessionRevoked {
            user_id: user.id.clone(),
            session_ids: vec![session.id],
            reason: RevokeReason::Logout,
        });
        events::publish(state, &txn, event, now).await?;
    }
    txn.commit().await?;
    Ok(revoked)
}
