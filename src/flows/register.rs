//! `register`: a new account bound to its device, with its first session.

use super::{error::FlowError, events, refusals::hashing_place};
use crate::{
    domain::{
        AccountEvent, ClientIp, CodePurpose, DeviceId, Name, Password, Phone,
        account_event::UserRegistered,
    },
    state::AppState,
    store::{
        self,
        audit::{self, Actor, Kind, Outcome},
        codes::{self, CodeAttempt},
        sessions::{self, Token},
        users::{self, NewUser},
    },
};

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
    /// The sign-up code's six digits (checked only with verification on).
    pub code: Option<String>,
}

/// The outcome of a registration.
#[derive(Debug)]
pub enum RegisterOutcome {
    /// The phone already has an account.
    PhoneTaken,
    /// Every hashing thread is busy and the queue is full; nothing was done.
    Busy,
    /// Verification is on and the code is not the live sign-up code.
    WrongCode,
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
    client: Option<&ClientIp>,
) -> Result<RegisterOutcome, FlowError> {
    let actor = Actor {
        phone: Some(request.phone.as_str()),
        client,
        device: Some(request.device.as_str()),
    };
    let refused = async |outcome: Outcome| {
        audit::record(
            &state.db,
            state.clock.now(),
            Kind::Register,
            outcome,
            &actor,
        )
        .await
    };
    // Cheap early answer for the common case; the unique index is the real guard.
    if users::is_registered(&state.db, &state.lookups, &request.phone).await? {
        refused(Outcome::Refused).await?;
        return Ok(RegisterOutcome::PhoneTaken);
    }
    // A place in the hashing queue before the code is used up: a busy
    // answer leaves the code for the retry.
    let Some(ticket) = hashing_place(state, Kind::Register, &actor).await? else {
        return Ok(RegisterOutcome::Busy);
    };
    if state.policy.verifies_codes() {
        let attempt = CodeAttempt {
            phone: &request.phone,
            purpose: CodePurpose::SignUp,
            code: request.code.as_deref().unwrap_or_default(),
            client,
        };
        let rules = state.policy.code_rules();
        let now = state.clock.now();
        if !codes::use_code(&state.db, &state.code_key, attempt, rules, now).await? {
            refused(Outcome::WrongCode).await?;
            return Ok(RegisterOutcome::WrongCode);
        }
    }
    let password_hash = ticket.hash(&request.password).await?;
    let user_id = uuid::Uuid::new_v4().simple().to_string();
    let now = state.clock.now();
    let user = NewUser {
        id: &user_id,
        phone: &request.phone,
        name: &request.name,
        password_hash,
        device: &request.device,
    };
    let txn = store::begin_write(&state.db).await?;
    if !users::insert(&txn, user, now).await? {
        drop(txn);
        refused(Outcome::Refused).await?;
        return Ok(RegisterOutcome::PhoneTaken);
    }
    let lifetime = state.policy.session_lifetime;
    let token = sessions::open(&txn, &user_id, &request.device, now, lifetime).await?;
    // A new account has no other session: the cap holds (imported accounts
    // are capped at their next login).
    audit::record(&txn, now, Kind::Register, Outcome::Success, &actor).await?;
    let event = AccountEvent::Registered(UserRegistered {
        user_id: user_id.clone(),
        phone: request.phone.as_str().to_owned(),
        device_id: request.device.as_str().to_owned(),
    });
    events::publish(state, &txn, event, now).await?;
    txn.commit().await?;
    Ok(RegisterOutcome::Registered {
        user_id,
        name: request.name.as_str().to_owned(),
        token,
    })
}
