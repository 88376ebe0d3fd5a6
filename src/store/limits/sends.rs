//! SMS sends per phone (minute, hour, day) and per client address, counted
//! from the ledger's send events.

use chrono::{DateTime, Duration, Utc};
use entity::audit_events;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, QueryFilter};

use super::*;

/// Checks the per-phone send limits (minute, hour, day) for `phone` at `now`.
///
/// Call it inside the transaction that holds [`phone_send_lock_key`], so two
/// instances cannot both take the last send of a window for one phone.
pub async fn check_phone_sends(
    db: &impl ConnectionTrait,
    limits: &LimitSettings,
    phone: &str,
    now: DateTime<Utc>,
) -> Result<Option<RetryAfter>, DbErr> {
    let day = Duration::days(1);
    let phone_times = times(
        db,
        sends().filter(audit_events::Column::Phone.eq(phone)),
        now - day,
        limits
            .sends_per_phone_per_day
            .max(limits.sends_per_phone_per_hour),
    )
    .await?;
    let mut longest = None;
    for (limit, window) in [
        (limits.sends_per_phone_per_minute, Duration::seconds(60)),
        (limits.sends_per_phone_per_hour, Duration::hours(1)),
        (limits.sends_per_phone_per_day, day),
    ] {
        longest = RetryAfter::longest(
            longest,
            wait_for_window(phone_times.clone(), limit, window, now),
        );
    }
    Ok(longest)
}

/// Checks the per-address send limit (an hour) for `client` at `now`.
///
/// Call it inside the transaction that holds [`address_send_lock_key`],
/// as late as it can be (just before the send's audit row is written), so
/// the address's lock is held only for this read, that write and the commit:
/// every send from one address passes through that lock one at a time.
pub async fn check_address_sends(
    db: &impl ConnectionTrait,
    limits: &LimitSettings,
    client: &ClientIp,
    now: DateTime<Utc>,
) -> Result<Option<RetryAfter>, DbErr> {
    let from_client = sends().filter(audit_events::Column::ClientNetwork.eq(client.network()));
    wait_in_hour(db, from_client, limits.sends_per_address_per_hour, now).await
}

/// The sends that reached a phone (or are being made).
fn sends() -> sea_orm::Select<audit_events::Entity> {
    events(Kind::SmsSend, &[Outcome::Sent])
}
