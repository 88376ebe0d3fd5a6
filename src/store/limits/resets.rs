//! Password resets attempted without a verified window, per phone and per
//! client address.

use chrono::{DateTime, Utc};
use entity::audit_events;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, QueryFilter};

use super::*;

/// Password resets attempted without a verified window (or with another
/// code than the verified one).
fn unverified_resets() -> sea_orm::Select<audit_events::Entity> {
    events(
        Kind::PasswordReset,
        &[Outcome::NoWindow, Outcome::WrongCode],
    )
}

/// Whether `phone`, or `client`, has used up its password reset attempts
/// without a verified window for the hour, for how long, and which of the
/// two holds it back longest. Call it inside the transaction that records
/// the attempt, under the phone's and the client's locks.
pub async fn reset_attempts(
    db: &impl ConnectionTrait,
    limits: &LimitSettings,
    phone: &str,
    client: Option<&ClientIp>,
    now: DateTime<Utc>,
) -> Result<Option<(RetryAfter, Limit)>, DbErr> {
    let of_phone = unverified_resets().filter(audit_events::Column::Phone.eq(phone));
    let phone_wait = wait_in_hour(db, of_phone, limits.reset_attempts_per_phone_per_hour, now)
        .await?
        .map(|wait| (wait, Limit::ResetAttemptsPerPhone));
    let Some(client) = client else {
        return Ok(phone_wait);
    };
    let from_client =
        unverified_resets().filter(audit_events::Column::ClientNetwork.eq(client.network()));
    let limit = limits.reset_attempts_per_address_per_hour;
    let address_wait = wait_in_hour(db, from_client, limit, now)
        .await?
        .map(|wait| (wait, Limit::ResetAttemptsPerAddress));
    Ok(match (phone_wait, address_wait) {
        (Some(phone), Some(address)) if address.0.0 > phone.0.0 => Some(address),
        (phone, address) => phone.or(address),
    })
}
