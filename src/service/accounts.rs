//! Accounts: registration, login, password reset, and the session's account.

use entity::{applications, enterprises, users};
use std::sync::LazyLock;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select, SelectExt, SqlErr, sea_query::Expr,
};

use super::{
    AppState, ServiceError,
    audit::{self, Actor, Kind, outcome},
    limits::{self, RetryAfter},
    sessions::{self, Token},
    sms_codes,
};
use crate::{
    database,
    domain::{ClientIp, DeviceId, Expect, Name, Password, Phone},
    password_hasher::HashError,
};

/// Whether an account exists for `phone`, asked through `db`.
pub async fn is_registered(db: &impl ConnectionTrait, phone: &Phone) -> Result<bool, DbErr> {
    users_with_phone(phone.as_str()).exists(db).await
}

/// Whether an account exists for `phone`: the hottest query of the API (apps
/// ask it while the user types), so it runs on a held lookup connection when
/// there is one (SQLite), and through the pool otherwise.
pub async fn phone_registered(state: &AppState, phone: &Phone) -> Result<bool, DbErr> {
    /// `SELECT 1 FROM users WHERE phone = ?`, as SeaORM writes it for SQLite.
    static SQL: LazyLock<String> = LazyLock::new(|| {
        users_with_phone("")
            .select_only()
            .expr(Expr::cust("1"))
            .build(DbBackend::Sqlite)
            .sql
    });
    match state.lookups.exists(SQL.as_str(), phone.as_str()).await {
        Some(Ok(registered)) => Ok(registered),
        Some(Err(err)) => {
            tracing::warn!(error = %err, "lookup connection failed; asking through the pool");
            is_registered(&state.db, phone).await
        }
        None => is_registered(&state.db, phone).await,
    }
}

/// The users with `phone` (at most one: the column is unique).
fn users_with_phone(phone: &str) -> Select<users::Entity> {
    users::Entity::find().filter(users::Column::Phone.eq(phone))
}

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
) -> Result<RegisterOutcome, ServiceError> {
    let actor = Actor {
        phone: Some(request.phone.as_str()),
        client,
        device: Some(request.device.as_str()),
    };
    // Cheap early answer for the common case; the unique index is the real guard.
    if phone_registered(state, &request.phone).await? {
        audit::record(
            &state.db,
            state.clock.now(),
            Kind::Register,
            outcome::REFUSED,
            &actor,
        )
        .await?;
        return Ok(RegisterOutcome::PhoneTaken);
    }
    // A place in the hashing queue before the code is used up: a busy
    // answer leaves the code for the retry.
    let ticket = match state.hasher.admit() {
        Ok(ticket) => ticket,
        Err(HashError::Busy) => return Ok(RegisterOutcome::Busy),
        Err(err) => return Err(err.into()),
    };
    if state.policy.verifies_codes() {
        let code = request.code.as_deref().unwrap_or_default();
        if !sms_codes::use_code(state, &request.phone, Expect::Unregistered, code, client).await? {
            audit::record(
                &state.db,
                state.clock.now(),
                Kind::Register,
                outcome::WRONG_CODE,
                &actor,
            )
            .await?;
            return Ok(RegisterOutcome::WrongCode);
        }
    }
    let password_hash = ticket.hash(&request.password).await?;
    let user_id = uuid::Uuid::new_v4().simple().to_string();
    let now = state.clock.now();
    let user = users::ActiveModel {
        id: Set(user_id.clone()),
        phone: Set(request.phone.as_str().to_owned()),
        name: Set(request.name.as_str().to_owned()),
        password_hash: Set(password_hash),
        device_identifier: Set(request.device.as_str().to_owned()),
        enterprise_id: Set(None),
        permissions: Set(serde_json::Value::Array(Vec::new())),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let txn = database::begin_write(&state.db).await?;
    match users::Entity::insert(user)
        .exec_without_returning(&txn)
        .await
    {
        Ok(_) => {}
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            drop(txn);
            audit::record(&state.db, now, Kind::Register, outcome::REFUSED, &actor).await?;
            return Ok(RegisterOutcome::PhoneTaken);
        }
        Err(err) => return Err(err.into()),
    }
    let token = sessions::open(
        &txn,
        &user_id,
        &request.device,
        now,
        state.policy.session_lifetime,
    )
    .await?;
    audit::record(&txn, now, Kind::Register, outcome::SUCCESS, &actor).await?;
    txn.commit().await?;
    Ok(RegisterOutcome::Registered {
        user_id,
        name: request.name.as_str().to_owned(),
        token,
    })
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
    /// A new session is open.
    LoggedIn {
        /// The account.
        account: AccountView,
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
) -> Result<LoginOutcome, ServiceError> {
    let actor = Actor {
        phone: Some(phone.as_str()),
        client,
        device: Some(device.as_str()),
    };
    let ticket = match state.hasher.admit() {
        Ok(ticket) => ticket,
        Err(HashError::Busy) => return Ok(LoginOutcome::Busy),
        Err(err) => return Err(err.into()),
    };
    let reservation = match reserve_login(state, phone, client, &actor).await? {
        Ok(reservation) => reservation,
        Err(wait) => return Ok(LoginOutcome::Locked(wait)),
    };
    let verified = verify_password(state, ticket, phone, password).await;
    let user = match verified {
        Ok(user) => user,
        Err(err) => {
            // Not a wrong password: the reservation stops counting.
            let _ = audit::set_outcome(&state.db, reservation, outcome::FAILED).await;
            return Err(err);
        }
    };
    let now = state.clock.now();
    let Some(user) = user else {
        audit::set_outcome(&state.db, reservation, outcome::WRONG_PASSWORD).await?;
        let limits = &state.policy.limits;
        if limits::login_lockout(&state.db, limits, phone.as_str(), now)
            .await?
            .is_some()
        {
            audit::record(&state.db, now, Kind::Lockout, outcome::SUCCESS, &actor).await?;
        }
        return Ok(LoginOutcome::WrongCredentials);
    };
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
    let txn = database::begin_write(&state.db).await?;
    if change_device || rehashed.is_some() {
        let mut update = users::Entity::update_many()
            .col_expr(
                users::Column::DeviceIdentifier,
                Expr::value(device.as_str()),
            )
            .col_expr(users::Column::UpdatedAt, Expr::value(now));
        if let Some(hash) = rehashed {
            update = update.col_expr(users::Column::PasswordHash, Expr::value(hash));
        }
        update
            .filter(users::Column::Id.eq(user.id.as_str()))
            .exec(&txn)
            .await?;
    }
    let token = sessions::open(&txn, &user.id, device, now, state.policy.session_lifetime).await?;
    audit::set_outcome(&txn, reservation, outcome::SUCCESS).await?;
    txn.commit().await?;
    let account = account_view(&state.db, user).await?;
    Ok(LoginOutcome::LoggedIn {
        account,
        token,
        change_device,
    })
}

/// Reserves one password verification for `phone` from `client`: the id of
/// its `verifying` event, or how long until one is allowed.
async fn reserve_login(
    state: &AppState,
    phone: &Phone,
    client: Option<&ClientIp>,
    actor: &Actor<'_>,
) -> Result<Result<i64, RetryAfter>, ServiceError> {
    let limits = &state.policy.limits;
    let mut keys = vec![format!("login:phone:{}", phone.as_str())];
    if let Some(client) = client {
        keys.push(format!("login:network:{}", client.network()));
    }
    let txn = database::begin_write(&state.db).await?;
    database::lock_keys(&txn, &keys).await?;
    let now = state.clock.now();
    let mut refusal = limits::login_lockout(&txn, limits, phone.as_str(), now).await?;
    if refusal.is_none()
        && let Some(client) = client
    {
        refusal = limits::login_failures_from(&txn, limits, client, now).await?;
    }
    let reservation = match refusal {
        Some(wait) => {
            audit::record(&txn, now, Kind::Login, outcome::RATE_LIMITED, actor).await?;
            Err(wait)
        }
        None => Ok(audit::record(&txn, now, Kind::Login, outcome::VERIFYING, actor).await?),
    };
    txn.commit().await?;
    Ok(reservation)
}

/// The account of `phone` if `password` is its password. An unknown phone
/// is checked against a dummy hash: the same work, the same time.
async fn verify_password(
    state: &AppState,
    ticket: crate::password_hasher::HashTicket,
    phone: &Phone,
    password: &Password,
) -> Result<Option<users::Model>, ServiceError> {
    let user = users_with_phone(phone.as_str()).one(&state.db).await?;
    let stored_hash = user.as_ref().map(|user| user.password_hash.clone());
    let matches = ticket.verify(password, stored_hash).await?;
    Ok(user.filter(|_| matches))
}

/// The view of `user` with its permissions and latest application.
pub async fn account_view(
    db: &impl ConnectionTrait,
    user: users::Model,
) -> Result<AccountView, ServiceError> {
    let permissions = serde_json::from_value::<Vec<String>>(user.permissions.clone())
        .map_err(|err| ServiceError::Corrupt(format!("permissions of user {}: {err}", user.id)))?;
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
                ServiceError::Corrupt(format!("application {} has no enterprise", application.id))
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

/// The account of a presented session token; `None` when the token is
/// unknown, expired or revoked.
pub async fn session_account(
    state: &AppState,
    token: &str,
) -> Result<Option<AccountView>, ServiceError> {
    match sessions::authenticate(&state.db, token, state.clock.now()).await? {
        Some((_, user)) => Ok(Some(account_view(&state.db, user).await?)),
        None => Ok(None),
    }
}

/// Revokes a presented session token; whether it was a live session.
pub async fn logout(
    state: &AppState,
    token: &str,
    client: Option<&ClientIp>,
) -> Result<bool, ServiceError> {
    let now = state.clock.now();
    let Some((session, user)) = sessions::authenticate(&state.db, token, now).await? else {
        return Ok(false);
    };
    let revoked = sessions::revoke(&state.db, token, now).await?;
    if revoked {
        let actor = Actor {
            phone: Some(user.phone.as_str()),
            client,
            device: Some(session.device_identifier.as_str()),
        };
        audit::record(&state.db, now, Kind::Logout, outcome::SUCCESS, &actor).await?;
    }
    Ok(revoked)
}

/// The outcome of a password reset.
#[derive(Debug, PartialEq, Eq)]
pub enum ResetOutcome {
    /// No account has this phone.
    NotRegistered,
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
) -> Result<ResetOutcome, ServiceError> {
    let phone = request.phone;
    let actor = Actor {
        phone: Some(phone.as_str()),
        client,
        device: None,
    };
    let Some(user) = users_with_phone(phone.as_str()).one(&state.db).await? else {
        audit::record(
            &state.db,
            state.clock.now(),
            Kind::PasswordReset,
            outcome::REFUSED,
            &actor,
        )
        .await?;
        return Ok(ResetOutcome::NotRegistered);
    };
    let verifies = state.policy.verifies_codes();
    if verifies
        && let Some(refusal) = refuse_unverified_reset(state, &request, client, &actor).await?
    {
        return Ok(refusal);
    }
    let ticket = match state.hasher.admit() {
        Ok(ticket) => ticket,
        Err(HashError::Busy) => return Ok(ResetOutcome::Busy),
        Err(err) => return Err(err.into()),
    };
    let password_hash = ticket.hash(request.password).await?;
    let now = state.clock.now();
    let txn = database::begin_write(&state.db).await?;
    if verifies && !sms_codes::consume_reset_window(&txn, phone, client, now).await? {
        // Another reset used the window while this one hashed.
        txn.rollback().await?;
        audit::record(
            &state.db,
            now,
            Kind::PasswordReset,
            outcome::NO_WINDOW,
            &actor,
        )
        .await?;
        return Ok(ResetOutcome::NotVerified);
    }
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user.id.as_str()))
        .exec(&txn)
        .await?;
    sessions::revoke_all(&txn, &user.id, now).await?;
    audit::record(&txn, now, Kind::PasswordReset, outcome::SUCCESS, &actor).await?;
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
) -> Result<Option<ResetOutcome>, ServiceError> {
    let now = state.clock.now();
    let window = sms_codes::reset_window(&state.db, request.phone, client, now).await?;
    let failure = match window {
        Some(window)
            if request
                .code
                .is_none_or(|code| window.opened_by(state, request.phone, code)) =>
        {
            return Ok(None);
        }
        Some(_) => (outcome::WRONG_CODE, ResetOutcome::WrongCode),
        None => (outcome::NO_WINDOW, ResetOutcome::NotVerified),
    };
    let mut keys = vec![format!("reset:phone:{}", request.phone.as_str())];
    if let Some(client) = client {
        keys.push(format!("reset:network:{}", client.network()));
    }
    let txn = database::begin_write(&state.db).await?;
    database::lock_keys(&txn, &keys).await?;
    let limits = &state.policy.limits;
    let refusal =
        match limits::reset_attempts(&txn, limits, request.phone.as_str(), client, now).await? {
            Some(wait) => {
                audit::record(&txn, now, Kind::PasswordReset, outcome::RATE_LIMITED, actor).await?;
                ResetOutcome::RateLimited(wait)
            }
            None => {
                audit::record(&txn, now, Kind::PasswordReset, failure.0, actor).await?;
                failure.1
            }
        };
    txn.commit().await?;
    Ok(Some(refusal))
}

/// The outcome of `verify_code`.
#[derive(Debug, PartialEq, Eq)]
pub enum VerifyOutcome {
    /// The code was right (or verification is off): the reset window is open
    /// for this client.
    Correct,
    /// Wrong, expired, used or dead code.
    Wrong,
}

/// Checks a password-reset code and opens the reset window for `client`.
pub async fn verify_reset_code(
    state: &AppState,
    phone: &Phone,
    code: Option<&str>,
    client: Option<&ClientIp>,
) -> Result<VerifyOutcome, ServiceError> {
    if !state.policy.verifies_codes() {
        return Ok(VerifyOutcome::Correct);
    }
    let code = code.unwrap_or_default();
    let correct = sms_codes::use_code(state, phone, Expect::Registered, code, client).await?;
    let actor = Actor {
        phone: Some(phone.as_str()),
        client,
        device: None,
    };
    let recorded = if correct {
        outcome::SUCCESS
    } else {
        outcome::WRONG_CODE
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

/// Deletes expired and long-revoked sessions; how many.
pub async fn purge_sessions(state: &AppState) -> Result<u64, DbErr> {
    sessions::purge(&state.db, state.clock.now()).await
}
