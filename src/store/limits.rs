//! Abuse limits, counted from the audit ledger in the database so that every
//! instance on one database enforces the same totals.

use chrono::{DateTime, Duration, Utc};
use entity::{audit_events, sms_budget_days};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, OnConflict},
};

use super::audit::{Kind, outcome};
use crate::{domain::ClientIp, settings::LimitSettings};

/// The limit behind a refusal (a 429), as metrics and the refusal counts
/// of the audit ledger name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Sends per phone (a minute, an hour, a day).
    SendsPerPhone,
    /// Sends per client address an hour.
    SendsPerAddress,
    /// The whole service's sends a day.
    DailySmsBudget,
    /// A code killed by its wrong tries, while it stays dead.
    DeadCode,
    /// A phone's login locked after wrong passwords.
    LoginLockout,
    /// Wrong passwords per client address an hour.
    LoginFailuresPerAddress,
    /// Unverified password resets per phone an hour.
    ResetAttemptsPerPhone,
    /// Unverified password resets per client address an hour.
    ResetAttemptsPerAddress,
    /// Every hashing thread busy and the queue full.
    HashQueue,
}

impl Limit {
    /// Every limit, for listing them.
    pub const ALL: [Self; 9] = [
        Self::SendsPerPhone,
        Self::SendsPerAddress,
        Self::DailySmsBudget,
        Self::DeadCode,
        Self::LoginLockout,
        Self::LoginFailuresPerAddress,
        Self::ResetAttemptsPerPhone,
        Self::ResetAttemptsPerAddress,
        Self::HashQueue,
    ];

    /// Its name in metrics and in `audit_refusals.limit_name`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendsPerPhone => "sends_per_phone",
            Self::SendsPerAddress => "sends_per_address",
            Self::DailySmsBudget => "daily_sms_budget",
            Self::DeadCode => "dead_code",
            Self::LoginLockout => "login_lockout",
            Self::LoginFailuresPerAddress => "login_failures_per_address",
            Self::ResetAttemptsPerPhone => "reset_attempts_per_phone",
            Self::ResetAttemptsPerAddress => "reset_attempts_per_address",
            Self::HashQueue => "hash_queue",
        }
    }
}

/// A refusal and when to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, rounded up and at least 1, for the `Retry-After` header.
    pub fn seconds(self) -> u64 {
        let millis = u64::try_from(self.0.num_milliseconds()).unwrap_or(0);
        millis.div_ceil(1000).max(1)
    }
}

/// How long until fewer than `limit` of `times` (any order) fall in the
/// `window` before some moment; `None` when below the limit now.
fn wait_for_window(
    mut times: Vec<DateTime<Utc>>,
    limit: u32,
    window: Duration,
    now: DateTime<Utc>,
) -> Option<RetryAfter> {
    if limit == 0 {
        // Refused at start-up; never an index out of bounds here.
        return Some(RetryAfter(window));
    }
    times.retain(|time| *time > now - window);
    let limit = limit as usize;
    if times.len() < limit {
        return None;
    }
    times.sort();
    // Once the oldest `len - limit + 1` have left the window, one more fits.
    let frees_at = times[times.len() - limit] + window;
    Some(RetryAfter(frees_at - now))
}

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
    events(Kind::SmsSend, &[outcome::SENT])
}

/// The events of `kind` that ended with one of `outcomes`.
fn events(kind: Kind, outcomes: &[&str]) -> sea_orm::Select<audit_events::Entity> {
    audit_events::Entity::find()
        .filter(audit_events::Column::Kind.eq(kind.as_str()))
        .filter(audit_events::Column::Outcome.is_in(outcomes.iter().copied()))
}

/// How long until fewer than `limit` events of `query` fall in the last
/// hour; `None` when below the limit now.
///
/// Reads one row, the `limit`-th newest in the hour: the window frees a
/// place when that one leaves it. However many events the window holds,
/// none of them is sent to the server or decoded.
async fn wait_in_hour(
    db: &impl ConnectionTrait,
    query: sea_orm::Select<audit_events::Entity>,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<Option<RetryAfter>, DbErr> {
    let hour = Duration::hours(1);
    if limit == 0 {
        // Refused at start-up; the same answer as `wait_for_window`.
        return Ok(Some(RetryAfter(hour)));
    }
    let last_counted = newest_first(query, now - hour)
        .offset(u64::from(limit - 1))
        .limit(1)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await?;
    Ok(last_counted.map(|time| RetryAfter(time + hour - now)))
}

/// The lock a send takes first: its phone's.
pub fn phone_send_lock_key(phone: &str) -> String {
    format!("send:phone:{phone}")
}

/// The lock a send takes last, after its phone's: its client network's.
/// Always in that order, so two sends never wait for each other in a circle.
pub fn address_send_lock_key(client: &ClientIp) -> String {
    format!("send:network:{}", client.network())
}

/// The counter row of the UTC day of `now`.
fn budget_day(now: DateTime<Utc>) -> String {
    now.date_naive().format("%Y-%m-%d").to_string()
}

/// Takes one send from the daily budget of the whole service (UTC days),
/// or says how long until the next day when it is used up.
///
/// One conditional increment, committed at once: concurrent sends never
/// hold a lock on the counter while they check their own limits.
pub async fn take_from_daily_budget(
    db: &impl ConnectionTrait,
    budget: u32,
    now: DateTime<Utc>,
) -> Result<Option<RetryAfter>, DbErr> {
    // Scoped: its `max` would shadow `Ord::max` in the rest of the module.
    use sea_orm::sea_query::ExprTrait;
    let row = sms_budget_days::ActiveModel {
        day: Set(budget_day(now)),
        sends: Set(1),
    };
    let counted = sms_budget_days::Entity::insert(row)
        .on_conflict(
            OnConflict::column(sms_budget_days::Column::Day)
                .value(
                    sms_budget_days::Column::Sends,
                    Expr::col((sms_budget_days::Entity, sms_budget_days::Column::Sends)).add(1),
                )
                .action_and_where(
                    Expr::col((sms_budget_days::Entity, sms_budget_days::Column::Sends))
                        .lt(i64::from(budget)),
                )
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    if counted > 0 {
        return Ok(None);
    }
    tracing::error!(budget, "daily SMS budget exhausted: refusing all sends");
    let next_day = (now.date_naive() + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .map_or(now + Duration::days(1), |midnight| midnight.and_utc());
    Ok(Some(RetryAfter(next_day - now)))
}

/// Gives back a send taken from the day's budget that was not made.
pub async fn return_to_daily_budget(
    db: &impl ConnectionTrait,
    taken_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::ExprTrait;
    sms_budget_days::Entity::update_many()
        .col_expr(
            sms_budget_days::Column::Sends,
            Expr::col(sms_budget_days::Column::Sends).sub(1),
        )
        .filter(sms_budget_days::Column::Day.eq(budget_day(taken_at)))
        .filter(sms_budget_days::Column::Sends.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes the budget counters of days before yesterday; how many.
pub async fn purge_budget_days(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let deleted = sms_budget_days::Entity::delete_many()
        .filter(sms_budget_days::Column::Day.lt(budget_day(now - Duration::days(1))))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

impl RetryAfter {
    /// The longer wait of two, either of which may be none.
    fn longest(a: Option<Self>, b: Option<Self>) -> Option<Self> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.0 > a.0 { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    /// This wait, or `other` when that is longer.
    pub fn longest_with(self, other: Option<Self>) -> Self {
        Self::longest(Some(self), other).unwrap_or(self)
    }
}

/// The times of the newest `most` events of `query` after `since`.
async fn times(
    db: &impl ConnectionTrait,
    query: sea_orm::Select<audit_events::Entity>,
    since: DateTime<Utc>,
    most: u32,
) -> Result<Vec<DateTime<Utc>>, DbErr> {
    newest_first(query, since)
        .limit(u64::from(most))
        .into_tuple::<DateTime<Utc>>()
        .all(db)
        .await
}

/// The creation times alone of `query`'s events after `since`, newest first.
fn newest_first(
    query: sea_orm::Select<audit_events::Entity>,
    since: DateTime<Utc>,
) -> sea_orm::Select<audit_events::Entity> {
    query
        .filter(audit_events::Column::CreatedAt.gt(since))
        .select_only()
        .column(audit_events::Column::CreatedAt)
        .order_by_desc(audit_events::Column::CreatedAt)
}

/// Wrong passwords, and logins whose password is still being verified (a
/// reservation counts as a failure until it ends, so however many logins
/// arrive at once, no more passwords are verified than the lockout allows).
fn login_failures() -> sea_orm::Select<audit_events::Entity> {
    events(Kind::Login, &[outcome::WRONG_PASSWORD, outcome::VERIFYING])
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
    let last_reset = events(Kind::PasswordReset, &[outcome::SUCCESS])
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

/// Password resets attempted without a verified window (or with another
/// code than the verified one).
fn unverified_resets() -> sea_orm::Select<audit_events::Entity> {
    events(
        Kind::PasswordReset,
        &[outcome::NO_WINDOW, outcome::WRONG_CODE],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_under_its_limit_lets_the_request_through() {
        let now = Utc::now();
        let times = vec![now - Duration::seconds(30)];
        assert_eq!(wait_for_window(times, 2, Duration::seconds(60), now), None);
    }

    #[test]
    fn a_full_window_says_when_the_oldest_send_leaves_it() {
        let now = Utc::now();
        let times = vec![now - Duration::seconds(10), now - Duration::seconds(40)];
        assert_eq!(
            wait_for_window(times, 2, Duration::seconds(60), now),
            Some(RetryAfter(Duration::seconds(20)))
        );
    }

    #[test]
    fn sends_older_than_the_window_do_not_count() {
        let now = Utc::now();
        let times = vec![now - Duration::seconds(61), now - Duration::hours(2)];
        assert_eq!(wait_for_window(times, 1, Duration::seconds(60), now), None);
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        assert_eq!(RetryAfter(Duration::milliseconds(200)).seconds(), 1);
        assert_eq!(RetryAfter(Duration::seconds(59)).seconds(), 59);
        assert_eq!(RetryAfter(Duration::milliseconds(59_001)).seconds(), 60);
    }
}
