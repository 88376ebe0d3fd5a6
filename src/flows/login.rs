//! `login`: a password checked within the lockout, the device binding
//! moved, a new session opened.

use super::{
    account::Account,
    error::FlowError,
    events,
    refusals::{count_refusal, hashing_place},
};
use crate::{
    domain::{AccountEvent, ClientIp, DeviceId, Password, Phone, account_event::UserLoggedIn},
    password_hasher::{HashError, HashTicket},
    state::AppState,
    store::{
        self, LockKey,
        audit::{self, Actor, Kind, Outcome},
        limits::{self, Limit, RetryAfter},
        sessions::{self, Token},
        users,
    },
};

/// The outcome of a login.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Unknown phone or wrong password (one answer for both).
    WrongCredentials,
    /// Too many wrong passwords for the phone, or from the client's address:
    /// login is refused; no password was checked.
    Locked(RetryAfter),
    /// Every hashing thread is busy and the queue is full; nothing was checked.
    Busy,
    /// The password is right but support staff disabled the account.
    Disabled,
    /// A new session is open.
    LoggedIn {
        /// The account.
        account: Account,
        /// The new session's token.
        token: Token,
        /// Whether the device differs from the one the account was bound to.
        change_device: bool,
    },
}

/// Checks the password, moves the device binding when it changed and opens a session.
///
/// The attempt is reserved before any hashing: under the phone's and the
/// address's locks, a transaction checks the lockout and the address's
/// wrong passwords (each counting reservations still being verified) and
/// records a `verifying` event, which then turns into `success` or
/// `wrong_password`. So however many logins arrive at once, on however many
/// instances, no more passwords are verified than the lockout allows.
/// Unknown phones count failures and lock like known ones, so neither the
/// answer nor the lockout tells whether a phone is registered.
pub async fn login(
    state: &AppState,
    phone: &Phone,
    password: &Password,
    device: &DeviceId,
    client: Option<&ClientIp>,
) -> Result<LoginOutcome, FlowError> {
    let actor = Actor {
        phone: Some(phone.as_str()),
        client,
        device: Some(device.as_str()),
    };
    let Some(ticket) = hashing_place(state, Kind::Login, &actor).await? else {
        return Ok(LoginOutcome::Busy);
    };
    let reservation = match reserve_login(state, phone, client, &actor).await? {
        Ok(reservation) => reservation,
        Err((wait, limit)) => {
            let now = state.clock.now();
            count_refusal(state, now, Kind::Login, limit, &actor).await?;
            return Ok(LoginOutcome::Locked(wait));
        }
    };
    let verified = verify_password(state, ticket, phone, password).await;
    let user = match verified {
        Ok(user) => user,
        Err(err) => {
            // Not a wrong password: the reservation stops counting.
            let _ = audit::set_outcome(&state.db, reservation, Outcome::Failed).await;
            return Err(err);
        }
    };
    let now = state.clock.now();
    let Some(user) = user else {
        audit::set_outcome(&state.db, reservation, Outcome::WrongPassword).await?;
        let limits = &state.policy.limits;
        if limits::login_lockout(&state.db, limits, phone.as_str(), now)
            .await?
            .is_some()
        {
            audit::record(&state.db, now, Kind::Lockout, Outcome::Success, &actor).await?;
        }
        return Ok(LoginOutcome::WrongCredentials);
    };
    if user.disabled_at.is_some() {
        audit::set_outcome(&state.db, reservation, Outcome::Refused).await?;
        return Ok(LoginOutcome::Disabled);
    }
    // Re-hashing old parameters is a courtesy: when the queue is full it
    // waits for the next login rather than refusing this one.
    let rehashed = match state.hasher.needs_rehash(&user.password_hash) {
        true => match state.hasher.hash(password).await {
            Ok(hash) => Some(hash),
            Err(HashError::Busy) => None,
            Err(err) => return Err(err.into()),
        },
        false => None,
    };
    let change_device = user.device_identifier != device.as_str();
    let txn = store::begin_write(&state.db).await?;
    if change_device || rehashed.is_some() {
        users::bind_device(&txn, &user.id, device, rehashed, now).await?;
    }
    let token = open_session(state, &txn, &user.id, device, now).await?;
    audit::set_outcome(&txn, reservation, Outcome::Success).await?;
    let event = AccountEvent::LoggedIn(UserLoggedIn {
        user_id: user.id.clone(),
        device_id: device.as_str().to_owned(),
        change_device,
    });
    events::publish(state, &txn, event, now).await?;
    txn.commit().await?;
    let account = Account::from_view(users::account_view(&state.db, user).await?)?;
    Ok(LoginOutcome::LoggedIn {
        account,
        token,
        change_device,
    })
}

/// Opens a session for `user_id` within the cap of live sessions per
/// account, ending the oldest beyond it. Under the account's lock, so
/// concurrent logins of one account, on any instance, never leave more
/// live sessions than the cap.
async fn open_session(
    state: &AppState,
    txn: &store::Transaction,
    user_id: &str,
    device: &DeviceId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Token, FlowError> {
    store::lock_keys(txn, &[LockKey::sessions_of(user_id)]).await?;
    let token = sessions::open(txn, user_id, device, now, state.policy.session_lifetime).await?;
    let cap = state.policy.limits.max_sessions_per_account;
    sessions::keep_newest(txn, user_id, cap, now).await?;
    Ok(token)
}

/// Reserves one password verification for `phone` from `client`: the id of
/// its `verifying` event, or how long until one is allowed and the limit
/// that says so.
async fn reserve_login(
    state: &AppState,
    phone: &Phone,
    client: Option<&ClientIp>,
    actor: &Actor<'_>,
) -> Result<Result<i64, (RetryAfter, Limit)>, FlowError> {
    let limits = &state.policy.limits;
    let mut keys = vec![LockKey::logins_of(phone)];
    if let Some(client) = client {
        keys.push(LockKey::logins_from(client));
    }
    let txn = store::begin_write(&state.db).await?;
    store::lock_keys(&txn, &keys).await?;
    let now = state.clock.now();
    let mut refusal = limits::login_lockout(&txn, limits, phone.as_str(), now)
        .await?
        .map(|wait| (wait, Limit::LoginLockout));
    if refusal.is_none()
        && let Some(client) = client
    {
        refusal = limits::login_failures_from(&txn, limits, client, now)
            .await?
            .map(|wait| (wait, Limit::LoginFailuresPerAddress));
    }
    let reservation = match refusal {
        // Counted by the caller, outside the locks: it counts towards nothing.
        Some(refusal) => Err(refusal),
        None => Ok(audit::record(&txn, now, Kind::Login, Outcome::Verifying, actor).await?),
    };
    txn.commit().await?;
    Ok(reservation)
}

/// The account of `phone` if `password` is its password. An unknown phone
/// is checked against a dummy hash: the same work, the same time.
async fn verify_password(
    state: &AppState,
    ticket: HashTicket,
    phone: &Phone,
    password: &Password,
) -> Result<Option<users::User>, FlowError> {
    let user = users::by_phone(&state.db, phone).await?;
    let stored_hash = user.as_ref().map(|user| user.password_hash.clone());
    let matches = ticket.verify(password, stored_hash).await?;
    Ok(user.filter(|_| matches))
}
