//! `sendsms`: a new 6-digit code for a phone, within the send limits, handed
//! to the configured sender.

use super::{error::FlowError, refusals::count_refusal};
use crate::{
    domain::{ClientIp, CodePurpose, Expect, Phone},
    sms_sender::SmsMessage,
    state::AppState,
    store::{
        self, LockKey,
        audit::{self, Actor, Kind, Outcome},
        codes::{self, Stored},
        limits::{self, Limit, RetryAfter},
        users,
    },
};

/// The outcome of a send request.
#[derive(Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// expect=0 but the phone is registered.
    AlreadyRegistered,
    /// expect=1 but the phone is not registered.
    NotRegistered,
    /// expect=1 and the phone's account is disabled: no reset code.
    Disabled,
    /// A send limit refused it; nothing was sent.
    RateLimited(RetryAfter),
    /// A new code is stored and was handed to the sender.
    Sent,
    /// A test number: its fixed code is stored, nothing was sent.
    TestNumber,
}

/// Sends a new code to `phone` for what `expect` says it is for (sign-up
/// or password reset), superseding any earlier one.
///
/// Order of checks: registration against `expect` (-1), then the limits
/// (429): first whether the earlier code is dead (killed by its wrong tries,
/// for a fixed time after the last one), then the daily budget and the
/// phone's and the address's sends; so a refused request never spends a
/// send. Test numbers skip the send limits and the sender, not a dead code.
pub async fn send_code(
    state: &AppState,
    phone: &Phone,
    expect: Expect,
    client: Option<&ClientIp>,
) -> Result<SendOutcome, FlowError> {
    let actor = Actor {
        phone: Some(phone.as_str()),
        client,
        device: None,
    };
    let registered = users::is_registered(&state.db, &state.lookups, phone).await?;
    let now = state.clock.now();
    let refusal = match (expect, registered) {
        (Expect::Unregistered, true) => Some(SendOutcome::AlreadyRegistered),
        (Expect::Registered, false) => Some(SendOutcome::NotRegistered),
        (Expect::Registered, true) if users::is_disabled(&state.db, phone).await? => {
            Some(SendOutcome::Disabled)
        }
        _ => None,
    };
    if let Some(refusal) = refusal {
        audit::record(&state.db, now, Kind::SmsSend, Outcome::Refused, &actor).await?;
        return Ok(refusal);
    }

    let purpose = CodePurpose::from(expect);
    let key = &state.code_key;
    let rules = state.policy.code_rules();
    let test_code = state.policy.test_code(phone, now);
    if let Some(dead) = codes::dead_wait(&state.db, phone, purpose, rules, now).await? {
        let mut wait = RetryAfter(dead);
        if test_code.is_none() {
            // Plain reads (a refusal takes nothing), so Retry-After is the
            // longest of every limit in the way.
            let limits = &state.policy.limits;
            let phone_wait = limits::check_phone_sends(&state.db, limits, phone.as_str(), now);
            wait = wait.longest_with(phone_wait.await?);
            if let Some(client) = client {
                let address_wait = limits::check_address_sends(&state.db, limits, client, now);
                wait = wait.longest_with(address_wait.await?);
            }
        }
        count_refusal(state, now, Kind::SmsSend, Limit::DeadCode, &actor).await?;
        return Ok(SendOutcome::RateLimited(wait));
    }
    if let Some(fixed_code) = test_code {
        let txn = store::begin_write(&state.db).await?;
        if let Stored::Dead(wait) =
            codes::store(&txn, key, phone, purpose, fixed_code, rules, now).await?
        {
            txn.rollback().await?;
            count_refusal(state, now, Kind::SmsSend, Limit::DeadCode, &actor).await?;
            return Ok(SendOutcome::RateLimited(RetryAfter(wait)));
        }
        audit::record(&txn, now, Kind::SmsSend, Outcome::TestNumber, &actor).await?;
        txn.commit().await?;
        return Ok(SendOutcome::TestNumber);
    }

    let code = generate_code();
    let limits = &state.policy.limits;
    if let Some(wait) =
        limits::take_from_daily_budget(&state.db, limits.daily_sms_budget, now).await?
    {
        count_refusal(state, now, Kind::SmsSend, Limit::DailySmsBudget, &actor).await?;
        return Ok(SendOutcome::RateLimited(wait));
    }
    let txn = store::begin_write(&state.db).await?;
    // Serializes this phone's check-then-insert, across instances too, so no
    // two can both take a window's last send.
    store::lock_keys(&txn, &[LockKey::sends_to(phone)]).await?;
    if let Some(wait) = limits::check_phone_sends(&txn, limits, phone.as_str(), now).await? {
        txn.rollback().await?;
        // The address's wait too (a plain read: a refusal takes nothing), so
        // Retry-After is the longest of every limit in the way.
        let address_wait = match client {
            Some(client) => limits::check_address_sends(&state.db, limits, client, now).await?,
            None => None,
        };
        let wait = wait.longest_with(address_wait);
        return refuse_send(state, now, &actor, Limit::SendsPerPhone, wait).await;
    }
    let code_id = match codes::store(&txn, key, phone, purpose, &code, rules, now).await? {
        Stored::Code(id) => id,
        Stored::Dead(wait) => {
            // Killed by a wrong try since the check above.
            txn.rollback().await?;
            return refuse_send(state, now, &actor, Limit::DeadCode, RetryAfter(wait)).await;
        }
    };
    if let Some(client) = client {
        // Last, and only for the address's read and the audit row that
        // counts there: every send from one address waits for this lock.
        store::lock_keys(&txn, &[LockKey::sends_from(client)]).await?;
        if let Some(wait) = limits::check_address_sends(&txn, limits, client, now).await? {
            txn.rollback().await?;
            return refuse_send(state, now, &actor, Limit::SendsPerAddress, wait).await;
        }
    }
    let event = audit::record(&txn, now, Kind::SmsSend, Outcome::Sent, &actor).await?;
    txn.commit().await?;

    let message = SmsMessage {
        phone,
        code: &code,
        purpose,
    };
    if let Err(err) = state.sms_sender.send(message).await {
        // The code never reached the phone: withdraw it and do not count the send.
        codes::withdraw(&state.db, code_id, now).await?;
        audit::set_outcome(&state.db, event, Outcome::Failed).await?;
        limits::return_to_daily_budget(&state.db, now).await?;
        return Err(err.into());
    }
    Ok(SendOutcome::Sent)
}

/// A send refused by `limit` after it took from the daily budget: the
/// budget gets it back and the refusal is counted.
async fn refuse_send(
    state: &AppState,
    now: chrono::DateTime<chrono::Utc>,
    actor: &Actor<'_>,
    limit: Limit,
    wait: RetryAfter,
) -> Result<SendOutcome, FlowError> {
    limits::return_to_daily_budget(&state.db, now).await?;
    count_refusal(state, now, Kind::SmsSend, limit, actor).await?;
    Ok(SendOutcome::RateLimited(wait))
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
}
