//! Abuse limits, counted from the audit ledger in the database so that every
//! instance on one database enforces the same totals; one file per limit:
//!
//! - [`sends`]: SMS sends per phone (minute, hour, day) and per client address;
//! - [`budget`]: the whole service's SMS sends per UTC day (a counter);
//! - [`logins`]: the login lockout per phone and wrong passwords per address;
//! - [`resets`]: password resets attempted without a verified window.
//!
//! Here: what a refusal is ([`Limit`], [`RetryAfter`]) and the window
//! arithmetic they share.

mod budget;
mod logins;
mod resets;
mod sends;

use chrono::{DateTime, Duration, Utc};
use entity::audit_events;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::audit::{Kind, Outcome};
use crate::{domain::ClientIp, settings::LimitSettings};

pub use budget::{purge_budget_days, return_to_daily_budget, take_from_daily_budget};
pub use logins::{login_failures_from, login_lockout};
pub use resets::reset_attempts;
pub use sends::{check_address_sends, check_phone_sends};

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

/// The events of `kind` that ended with one of `outcomes`.
fn events(kind: Kind, outcomes: &[Outcome]) -> sea_orm::Select<audit_events::Entity> {
    audit_events::Entity::find()
        .filter(audit_events::Column::Kind.eq(kind.as_str()))
        .filter(
            audit_events::Column::Outcome.is_in(outcomes.iter().map(|outcome| outcome.as_str())),
        )
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
