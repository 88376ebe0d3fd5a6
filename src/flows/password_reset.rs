//! The password reset: `verify_code` checks the reset code and opens a
//! window for the client that verified it; `forget_password` sets the new
//! password through that window, and attempts without one are limited.

use super::{
    error::FlowError,
    events,
    refusals::{count_refusal, hashing_place},
};
use crate::{
    domain::{
        AccountEvent, ClientIp, CodePurpose, Password, Phone, account_event::UserPasswordReset,
    },
    state::AppState,
    store::{
        self, LockKey,
        audit::{self, Actor, Kind, Outcome},
        codes::{self, CodeAttempt},
        limits::{self, RetryAfter},
        sessions, users,
    },
};

/// The outcome of a password reset.
#[derive(Debug, PartialEq, Eq)]
pub enum ResetOutcome {
    /// No account has this phone.
    NotRegistered,
    /// The phone's account is disabled; nothing changed.
    Disabled,
    /// Verification is on and this client has no verified reset window for
    /// the phone (none is open, or another client opened it).
    NotVerified,
    /// Verification is on, the client's window is open, but the `code` sent
    /// along is not the one that opened it.
    WrongCode,
    /// Too many attempts without a verified window, for the phone or from the
    /// client's address.
    RateLimited(RetryAfter),
    /// Every hashing thread is busy and the queue is full; nothing changed.
    Busy,
    /// The password is changed and every session of the user revoked.
    Changed,
}

/// A password reset request, validated.
#[derive(Debug)]
pub struct PasswordReset<'a> {
    /// The account's phone.
    pub phone: &'a Phone,
    /// The new password.
    pub password: &'a Password,
    /// The reset code, when the app sends it along (checked only with
    /// verification on, against the code that opened the window).
    pub code: Option<&'a str>,
}

/// Sets a new password and revokes every session of the account.
///
/// With verification on it needs the window `verify_code` opened for this
/// client (and, when `code` is sent, that code), and uses it up; a
/// successful reset also lifts a login lockout. Attempts without such a
/// window change nothing, are counted per phone and per address, and past
/// the limit answer 429 — before any hashing, so polling costs no Argon2.
pub async fn reset_password(
    state: &AppState,
    request: PasswordReset<'_>,
    client: Option<&ClientIp>,
) -> Result<ResetOutcome, FlowError> {
    let phone = request.phone;
    let actor = Actor {
        phone: Some(phone.as_str()),
        client,
        device: None,
    };
    let Some(user) = users::by_phone(&state.db, phone).await? else {
        audit::record(
            &state.db,
            state.clock.now(),
            Kind::PasswordReset,
            Outcome::Refused,
            &actor,
        )
        .await?;
        return Ok(ResetOutcome::NotRegistered);
    };
    if user.disabled_at.is_some() {
        let now = state.clock.now();
        audit::record(
            &state.db,
            now,
            Kind::PasswordReset,
            Outcome::Refused,
            &actor,
        )
        .await?;
        return Ok(ResetOutcome::Disabled);
    }
    let verifies = state.policy.verifies_codes();
    if verifies
        && let Some(refusal) = refuse_unverified_reset(state, &request, client, &actor).await?
    {
        return Ok(refusal);
    }
    let Some(ticket) = hashing_place(state, Kind::PasswordReset, &actor).await? else {
        return Ok(ResetOutcome::Busy);
    };
    let password_hash = ticket.hash(request.password).await?;
    let now = state.clock.now();
    let txn = store::begin_write(&state.db).await?;
    if verifies && !codes::consume_reset_window(&txn, phone, client, now).await? {
        // Another reset used the window while this one hashed.
        txn.rollback().await?;
        audit::record(
            &state.db,
            now,
            Kind::PasswordReset,
            Outcome::NoWindow,
            &actor,
        )
        .await?;
        return Ok(ResetOutcome::NotVerified);
    }
    users::set_password_hash(&txn, &user.id, password_hash, now).await?;
    let sessions_revoked = sessions::revoke_all(&txn, &user.id, now).await?;
    audit::record(&txn, now, Kind::PasswordReset, Outcome::Success, &actor).await?;
    let event = AccountEvent::PasswordReset(UserPasswordReset {
        user_id: user.id.clone(),
        sessions_revoked,
    });
    events::publish(state, &txn, event, now).await?;
    txn.commit().await?;
    Ok(ResetOutcome::Changed)
}

/// The refusal of a reset whose client has no verified window (or sent
/// another code), recorded and counted; `None` when the window is there.
///
/// Under the phone's and the address's locks, so concurrent attempts are
/// counted one after the other and never exceed the limits.
async fn refuse_unverified_reset(
    state: &AppState,
    request: &PasswordReset<'_>,
    client: Option<&ClientIp>,
    actor: &Actor<'_>,
) -> Result<Option<ResetOutcome>, FlowError> {
    let now = state.clock.now();
    let window = codes::reset_window(&state.db, request.phone, client, now).await?;
    let failure = match window {
        Some(window)
            if request
                .code
                .is_none_or(|code| window.opened_by(&state.code_key, request.phone, code)) =>
        {
            return Ok(None);
        }
        Some(_) => (Outcome::WrongCode, ResetOutcome::WrongCode),
        None => (Outcome::NoWindow, ResetOutcome::NotVerified),
    };
    let mut keys = vec![LockKey::resets_of(request.phone)];
    if let Some(client) = client {
        keys.push(LockKey::resets_from(client));
    }
    let txn = store::begin_write(&state.db).await?;
    store::lock_keys(&txn, &keys).await?;
    let limits = &state.policy.limits;
    let limited = limits::reset_attempts(&txn, limits, request.phone.as_str(), client, now).await?;
    if limited.is_none() {
        audit::record(&txn, now, Kind::PasswordReset, failure.0, actor).await?;
    }
    txn.commit().await?;
    Ok(Some(match limited {
        Some((wait, limit)) => {
            // Counted outside the locks: it counts towards nothing.
            count_refusal(state, now, Kind::PasswordReset, limit, actor).await?;
            ResetOutcome::RateLimited(wait)
        }
        None => failure.1,
    }))
}

/// The outcome of `verify_code`.
#[derive(Debug, PartialEq, Eq)]
pub enum VerifyOutcome {
    /// The code was right (or verification is off): the reset window is open
    /// for this client.
    Correct,
    /// Wrong, expired, used or dead code.
    Wrong,
    /// The phone's account is disabled; the code was not checked.
    Disabled,
}

/// Checks a password-reset code and opens the reset window for `client`.
pub async fn verify_reset_code(
    state: &AppState,
    phone: &Phone,
    code: Option<&str>,
    client: Option<&ClientIp>,
) -> Result<VerifyOutcome, FlowError> {
    if users::is_disabled(&state.db, phone).await? {
        return Ok(VerifyOutcome::Disabled);
    }
    if !state.policy.verifies_codes() {
        return Ok(VerifyOutcome::Correct);
    }
    let attempt = CodeAttempt {
        phone,
        purpose: CodePurpose::PasswordReset,
        code: code.unwrap_or_default(),
        client,
    };
    let rules = state.policy.code_rules();
    let now = state.clock.now();
    let correct = codes::use_code(&state.db, &state.code_key, attempt, rules, now).await?;
    let actor = Actor {
        phone: Some(phone.as_str()),
        client,
        device: None,
    };
    let recorded = if correct {
        Outcome::Success
    } else {
        Outcome::WrongCode
    };
    audit::record(
        &state.db,
        state.clock.now(),
        Kind::VerifyCode,
        recorded,
        &actor,
    )
    .await?;
    Ok(if correct {
        VerifyOutcome::Correct
    } else {
        VerifyOutcome::Wrong
    })
}
