//! SMS verification codes: generated, stored as an HMAC, handed to the sender,
//! checked with a bounded number of tries, and the password-reset window.

use chrono::{DateTime, Duration, Utc};
use entity::sms_codes;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::Expr, sea_query::ExprTrait, sea_query::OnConflict,
};
use sha2::Sha256;

use super::{
    AppState, ServiceError, accounts,
    audit::{self, Actor, Kind, outcome},
    limits::{self, RetryAfter},
};
use crate::{
    database,
    domain::{ClientIp, Expect, Phone},
};

/// How long a code stays valid.
pub const CODE_LIFETIME: Duration = Duration::minutes(5);
/// How long a verified reset code keeps the password-reset window open.
pub const RESET_WINDOW: Duration = Duration::minutes(10);
/// After this long without a send, a phone's count of wrong tries starts over.
pub const TRIES_RESET_AFTER: Duration = Duration::days(1);

/// The secret codes are hashed under: a 6-digit code's plain hash is reversed
/// by trying all million codes, an HMAC without the key is not.
pub struct CodeKey(Vec<u8>);

impl CodeKey {
    /// A fresh random 32-byte key.
    pub fn random() -> Self {
        let mut key = vec![0u8; 32];
        getrandom::fill(&mut key).expect("the OS random source works");
        Self(key)
    }

    /// A key from secret bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    fn mac(&self, phone: &Phone, purpose: Expect, code: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes a key of any length");
        mac.update(phone.as_str().as_bytes());
        mac.update(if purpose == Expect::Registered {
            b":1:"
        } else {
            b":0:"
        });
        mac.update(code.as_bytes());
        mac
    }

    /// The stored form of `code` sent to `phone` for `purpose`.
    pub fn hash(&self, phone: &Phone, purpose: Expect, code: &str) -> String {
        hex::encode(self.mac(phone, purpose, code).finalize().into_bytes())
    }

    /// Whether `code` is the one stored as `stored` (compared in constant time).
    pub fn matches(&self, phone: &Phone, purpose: Expect, code: &str, stored: &str) -> bool {
        hex::decode(stored)
            .is_ok_and(|stored| self.mac(phone, purpose, code).verify_slice(&stored).is_ok())
    }
}

/// A new 6-digit code from the operating system's cryptographic RNG, uniform
/// over 000000..=999999.
pub fn generate_code() -> String {
    // Reject the top of the u32 range so every code is equally likely.
    const LIMIT: u32 = u32::MAX - u32::MAX % 1_000_000;
    loop {
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes).expect("the OS random source works");
        let value = u32::from_le_bytes(bytes);
        if value < LIMIT {
            return format!("{:06}", value % 1_000_000);
        }
    }
}

/// The outcome of a send request.
#[derive(Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// expect=0 but the phone is registered.
    AlreadyRegistered,
    /// expect=1 but the phone is not registered.
    NotRegistered,
    /// A send limit refused it; nothing was sent.
    RateLimited(RetryAfter),
    /// A new code is stored and was handed to the sender.
    Sent,
    /// A test number: its fixed code is stored, nothing was sent.
    TestNumber,
}

/// Sends a new code to `phone` for `purpose`, superseding any earlier one.
///
/// Order of checks: registration against `purpose` (-1), then the limits
/// (429), so a refused request never spends a send. Test numbers skip the
/// limits and the sender.
pub async fn send_code(
    state: &AppState,
    phone: &Phone,
    purpose: Expect,
    client: Option<&ClientIp>,
) -> Result<SendOutcome, ServiceError> {
    let actor = Actor {
        phone: Some(phone.as_str()),
        client,
        device: None,
    };
    let registered = accounts::phone_registered(state, phone).await?;
    let now = state.clock.now();
    let refusal = match (purpose, registered) {
        (Expect::Unregistered, true) => Some(SendOutcome::AlreadyRegistered),
        (Expect::Registered, false) => Some(SendOutcome::NotRegistered),
        _ => None,
    };
    if let Some(refusal) = refusal {
        audit::record(&state.db, now, Kind::SmsSend, outcome::REFUSED, &actor).await?;
        return Ok(refusal);
    }

    if let Some(fixed_code) = state.policy.test_code(phone, now) {
        let txn = database::begin_write(&state.db).await?;
        store_code(&txn, state, phone, purpose, fixed_code, now).await?;
        audit::record(&txn, now, Kind::SmsSend, outcome::TEST_NUMBER, &actor).await?;
        txn.commit().await?;
        return Ok(SendOutcome::TestNumber);
    }

    let code = generate_code();
    let limits = &state.policy.limits;
    if let Some(wait) =
        limits::take_from_daily_budget(&state.db, limits.daily_sms_budget, now).await?
    {
        audit::record(&state.db, now, Kind::SmsSend, outcome::RATE_LIMITED, &actor).await?;
        return Ok(SendOutcome::RateLimited(wait));
    }
    let txn = database::begin_write(&state.db).await?;
    // Serializes this phone's and this address's check-then-insert, across
    // instances too, so no two can both take a window's last send.
    database::lock_keys(&txn, &limits::send_lock_keys(phone.as_str(), client)).await?;
    if let Some(wait) = limits::check_send(&txn, limits, phone.as_str(), client, now).await? {
        txn.rollback().await?;
        limits::return_to_daily_budget(&state.db, now).await?;
        audit::record(&state.db, now, Kind::SmsSend, outcome::RATE_LIMITED, &actor).await?;
        return Ok(SendOutcome::RateLimited(wait));
    }
    let code_id = store_code(&txn, state, phone, purpose, &code, now).await?;
    let event = audit::record(&txn, now, Kind::SmsSend, outcome::SENT, &actor).await?;
    txn.commit().await?;

    if let Err(err) = state.sms_sender.send(phone, &code).await {
        // The code never reached the phone: withdraw it and do not count the send.
        withdraw(&state.db, code_id, now).await?;
        audit::set_outcome(&state.db, event, outcome::FAILED).await?;
        limits::return_to_daily_budget(&state.db, now).await?;
        return Err(err.into());
    }
    Ok(SendOutcome::Sent)
}

/// Stores `code` as the live code of (`phone`, `purpose`) and returns the row id.
///
/// A resend keeps the count of wrong tries unless the last send is older
/// than [`TRIES_RESET_AFTER`], so resending does not buy more guesses.
async fn store_code(
    db: &impl ConnectionTrait,
    state: &AppState,
    phone: &Phone,
    purpose: Expect,
    code: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let previous = find(db, phone, purpose).await?;
    let reset_tries = previous
        .as_ref()
        .is_none_or(|row| row.created_at < now - TRIES_RESET_AFTER);
    let row = sms_codes::ActiveModel {
        phone: Set(phone.as_str().to_owned()),
        purpose: Set(purpose.as_number()),
        code_hash: Set(state.code_key.hash(phone, purpose, code)),
        created_at: Set(now),
        expires_at: Set(now + CODE_LIFETIME),
        failed_tries: Set(0),
        consumed_at: Set(None),
        reset_window_expires_at: Set(None),
        reset_window_client: Set(None),
        ..Default::default()
    };
    let mut replaced = vec![
        sms_codes::Column::CodeHash,
        sms_codes::Column::CreatedAt,
        sms_codes::Column::ExpiresAt,
        sms_codes::Column::ConsumedAt,
        sms_codes::Column::ResetWindowExpiresAt,
        sms_codes::Column::ResetWindowClient,
    ];
    if reset_tries {
        replaced.push(sms_codes::Column::FailedTries);
    }
    sms_codes::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([sms_codes::Column::Phone, sms_codes::Column::Purpose])
                .update_columns(replaced)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let stored = find(db, phone, purpose)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the code just stored".to_owned()))?;
    Ok(stored.id)
}

async fn find(
    db: &impl ConnectionTrait,
    phone: &Phone,
    purpose: Expect,
) -> Result<Option<sms_codes::Model>, DbErr> {
    sms_codes::Entity::find()
        .filter(sms_codes::Column::Phone.eq(phone.as_str()))
        .filter(sms_codes::Column::Purpose.eq(purpose.as_number()))
        .one(db)
        .await
}

async fn withdraw(
    db: &impl ConnectionTrait,
    code_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    sms_codes::Entity::update_many()
        .col_expr(sms_codes::Column::ExpiresAt, Expr::value(now))
        .col_expr(sms_codes::Column::ConsumedAt, Expr::value(Some(now)))
        .filter(sms_codes::Column::Id.eq(code_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Uses the live code of (`phone`, `purpose`) if `code` is it.
///
/// A wrong code counts a try; after the limit the code is dead. A right
/// code is used once: it is marked consumed, and for a reset code the
/// password-reset window opens for `client` alone. Returns whether `code`
/// was accepted.
pub async fn use_code(
    state: &AppState,
    phone: &Phone,
    purpose: Expect,
    code: &str,
    client: Option<&ClientIp>,
) -> Result<bool, DbErr> {
    let now = state.clock.now();
    let Some(row) = find(&state.db, phone, purpose).await? else {
        return Ok(false);
    };
    let max_tries = i32::try_from(state.policy.limits.code_max_tries).unwrap_or(i32::MAX);
    if row.failed_tries >= max_tries || row.consumed_at.is_some() || row.expires_at <= now {
        return Ok(false);
    }
    if !state.code_key.matches(phone, purpose, code, &row.code_hash) {
        sms_codes::Entity::update_many()
            .col_expr(
                sms_codes::Column::FailedTries,
                Expr::col(sms_codes::Column::FailedTries).add(1),
            )
            .filter(sms_codes::Column::Id.eq(row.id))
            .exec(&state.db)
            .await?;
        return Ok(false);
    }
    let opens_window = purpose == Expect::Registered;
    let window = opens_window.then(|| now + RESET_WINDOW);
    let window_client = client.filter(|_| opens_window).map(ClientIp::network);
    // Conditional on the row being unused and unchanged: of two concurrent
    // uses of one code, one wins.
    let used = sms_codes::Entity::update_many()
        .col_expr(sms_codes::Column::ConsumedAt, Expr::value(Some(now)))
        .col_expr(sms_codes::Column::ResetWindowExpiresAt, Expr::value(window))
        .col_expr(
            sms_codes::Column::ResetWindowClient,
            Expr::value(window_client),
        )
        .filter(sms_codes::Column::Id.eq(row.id))
        .filter(sms_codes::Column::ConsumedAt.is_null())
        .filter(sms_codes::Column::CodeHash.eq(row.code_hash.as_str()))
        .filter(sms_codes::Column::FailedTries.lt(max_tries))
        .exec(&state.db)
        .await?;
    Ok(used.rows_affected == 1)
}

/// An open password-reset window.
#[derive(Debug)]
pub struct ResetWindow {
    /// The stored form of the code that opened it.
    code_hash: String,
}

impl ResetWindow {
    /// Whether `code` is the code that opened the window.
    pub fn opened_by(&self, state: &AppState, phone: &Phone, code: &str) -> bool {
        state
            .code_key
            .matches(phone, Expect::Registered, code, &self.code_hash)
    }
}

/// The network a window is bound to, as stored (`None` for an unknown client).
fn window_client(client: Option<&ClientIp>) -> Option<String> {
    client.map(ClientIp::network)
}

/// The password-reset window of `phone` that `client` opened, if it is open
/// at `now` (without closing it). A window opened by another client is none.
pub async fn reset_window(
    db: &impl ConnectionTrait,
    phone: &Phone,
    client: Option<&ClientIp>,
    now: DateTime<Utc>,
) -> Result<Option<ResetWindow>, DbErr> {
    let row = find(db, phone, Expect::Registered).await?;
    Ok(row
        .filter(|row| row.reset_window_expires_at.is_some_and(|end| end > now))
        .filter(|row| row.reset_window_client == window_client(client))
        .map(|row| ResetWindow {
            code_hash: row.code_hash,
        }))
}

/// Closes the open password-reset window of `phone` that `client` opened,
/// if there is one; whether there was. Of two resets racing for one
/// window, one closes it.
pub async fn consume_reset_window(
    db: &impl ConnectionTrait,
    phone: &Phone,
    client: Option<&ClientIp>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut closing = sms_codes::Entity::update_many()
        .col_expr(
            sms_codes::Column::ResetWindowExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            sms_codes::Column::ResetWindowClient,
            Expr::value(Option::<String>::None),
        )
        .filter(sms_codes::Column::Phone.eq(phone.as_str()))
        .filter(sms_codes::Column::Purpose.eq(Expect::Registered.as_number()))
        .filter(sms_codes::Column::ResetWindowExpiresAt.gt(now));
    closing = match window_client(client) {
        Some(network) => closing.filter(sms_codes::Column::ResetWindowClient.eq(network)),
        None => closing.filter(sms_codes::Column::ResetWindowClient.is_null()),
    };
    Ok(closing.exec(db).await?.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_ascii_digits() {
        for _ in 0..1000 {
            let code = generate_code();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn the_stored_hash_depends_on_key_phone_purpose_and_code() {
        let key = CodeKey::random();
        let phone = Phone::parse("13126939916").unwrap();
        let other = Phone::parse("13126939917").unwrap();
        let hash = key.hash(&phone, Expect::Unregistered, "123456");
        assert_eq!(hash, key.hash(&phone, Expect::Unregistered, "123456"));
        assert_ne!(hash, key.hash(&phone, Expect::Registered, "123456"));
        assert_ne!(hash, key.hash(&other, Expect::Unregistered, "123456"));
        assert_ne!(hash, key.hash(&phone, Expect::Unregistered, "123457"));
        assert_ne!(
            hash,
            CodeKey::random().hash(&phone, Expect::Unregistered, "123456")
        );
        assert!(!hash.contains("123456"));
    }

    #[test]
    fn a_code_matches_only_its_own_hash() {
        let key = CodeKey::random();
        let phone = Phone::parse("13126939916").unwrap();
        let stored = key.hash(&phone, Expect::Registered, "123456");
        assert!(key.matches(&phone, Expect::Registered, "123456", &stored));
        assert!(!key.matches(&phone, Expect::Registered, "123457", &stored));
        assert!(!key.matches(&phone, Expect::Unregistered, "123456", &stored));
        assert!(!key.matches(&phone, Expect::Registered, "123456", "not hex"));
    }
}
