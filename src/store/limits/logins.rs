//! The login lockout per phone and the wrong passwords per client address,
//! counted from the ledger's login events.

use chrono::{DateTime, Duration, Utc};
use entity::audit_events;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, QueryFilter, QueryOrder};

use super::*;

/// Wrong passwords, and logins whose password is still being verified (a
/// reservation counts as a failure until it ends, so however many logins
/// arrive at once, no more passwords are verified than the lockout allows).
fn login_failures() -> sea_orm::Select<audit_events::Entity> {
    events(Kind::Login, &[Outcome::WrongPassword, Outcome::Verifying])
}

/// Whether login for `phone` is locked at `now`, and for how long.
///
/// Locked for the lockout time from the moment the failure count within one
/// window reaches the limit; a successful password reset clears it. Call it
/// inside the transaction that reserves the attempt, under the phone's lock.
pub async fn login_lockout(
    db: &impl ConnectionTrait,
    limits: &LimitSettings,
    phone: &str,
    now: DateTime<Utc>,
) -> Result<Option<RetryAfter>, DbErr> {
    let window = Duration::minutes(i64::from(limits.login_lockout_minutes));
    let last_reset = events(Kind::PasswordReset, &[Outcome::Success])
        .filter(audit_events::Column::Phone.eq(phone))
        .order_by_desc(audit_events::Column::CreatedAt)
        .one(db)
        .await?
        .map(|event| event.created_at);
    let since = last_reset.map_or(now - window * 2, |reset| reset.max(now - window * 2));
    let failures = times(
        db,
        login_failures().filter(audit_events::Column::Phone.eq(phone)),
        since,
        limits.login_max_failures,
    )
    .await?;
    // `failures` is newest first: locked when the newest `max` failures fit in
    // one window and the lockout from the newest has not run out.
    match (failures.first(), failures.last()) {
        (Some(&newest), Some(&oldest))
            if failures.len() as u32 >= limits.login_max_failures
                && newest - oldest <= window
                && newest + window > now =>
        {
            Ok(Some(RetryAfter(newest + window - now)))
        }
        _ => Ok(None),
    }
}

/// Whether `client` has had too many wrong passwords (over all phones) in
/// the last hour, and for how long. Call it where [`login_lockout`] is called.
pub async fn login_failures_from(
    db: &impl ConnectionTrait,
    limits: &LimitSettings,
    client: &ClientIp,
    now: DateTime<Utc>,
) -> Result<Option<RetryAfter>, DbErr> {
    let from_client =
        login_failures().filter(audit_events::Column::ClientNetwork.eq(client.network()));
    wait_in_hour(
        db,
        from_client,
        limits.login_failures_per_address_per_hour,
        now,
    )
    .await
}
