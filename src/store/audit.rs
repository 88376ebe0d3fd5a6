//! The audit ledger: every send, registration, login, lockout, reset,
//! logout and session revocation, with time, phone, client address and
//! device — never a secret; and the requests refused by a limit, counted
//! per key per hour rather than written one by one.

use chrono::{DateTime, Duration, DurationRound, Utc};
use entity::{audit_events, audit_refusals};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, OnConflict},
};

use crate::domain::ClientIp;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An SMS code send request.
    SmsSend,
    /// A registration.
    Register,
    /// A login attempt.
    Login,
    /// A phone's login was locked after too many wrong passwords.
    Lockout,
    /// A password reset (`forget_password`).
    PasswordReset,
    /// A password-reset code checked by `verify_code`.
    VerifyCode,
    /// A logout.
    Logout,
    /// A session revoked through `sessions/revoke` (its device is the
    /// revoked session's).
    SessionRevoke,
    /// An admin disabled an account (and ended its sessions).
    AdminDisable,
    /// An admin enabled a disabled account.
    AdminEnable,
    /// An admin ended every session of an account.
    AdminRevokeSessions,
    /// An admin deleted an account: the tombstone, with its user id and no phone.
    AdminDelete,
    /// An admin created an enterprise.
    AdminEnterpriseCreate,
    /// An admin renamed an enterprise.
    AdminEnterpriseRename,
    /// An admin deleted an enterprise.
    AdminEnterpriseDelete,
    /// An admin approved an application (the user became a member).
    AdminApprove,
    /// An admin rejected an application.
    AdminReject,
    /// An admin set an account's permissions.
    AdminPermissions,
    /// An admin removed an account from its enterprise.
    AdminRemoveMembership,
    /// An admin put dead webhook deliveries back to pending.
    AdminWebhookReplay,
    /// An admin sent a test event to a webhook endpoint.
    AdminWebhookTest,
    /// A user applied to join an enterprise.
    Apply,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SmsSend => "sms_send",
            Self::Register => "register",
            Self::Login => "login",
            Self::Lockout => "lockout",
            Self::PasswordReset => "password_reset",
            Self::VerifyCode => "verify_code",
            Self::Logout => "logout",
            Self::SessionRevoke => "session_revoke",
            Self::AdminDisable => "admin_disable",
            Self::AdminEnable => "admin_enable",
            Self::AdminRevokeSessions => "admin_revoke_sessions",
            Self::AdminDelete => "admin_delete",
            Self::AdminEnterpriseCreate => "admin_enterprise_create",
            Self::AdminEnterpriseRename => "admin_enterprise_rename",
            Self::AdminEnterpriseDelete => "admin_enterprise_delete",
            Self::AdminApprove => "admin_approve",
            Self::AdminReject => "admin_reject",
            Self::AdminPermissions => "admin_permissions",
            Self::AdminRemoveMembership => "admin_remove_membership",
            Self::AdminWebhookReplay => "admin_webhook_replay",
            Self::AdminWebhookTest => "admin_webhook_test",
            Self::Apply => "apply",
        }
    }
}

/// How an event ended, as stored in `audit_events.outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An SMS code was handed to the sender (counts against the send limits).
    Sent,
    /// The sender failed; the code was withdrawn.
    Failed,
    /// A test number: nothing sent, no limit counted.
    TestNumber,
    /// Refused by a limit or lockout (before refusals were counted in
    /// `audit_refusals`; no longer written).
    RateLimited,
    /// The action succeeded.
    Success,
    /// A wrong password (counts towards the lockout).
    WrongPassword,
    /// A wrong or dead SMS code (a password reset's `code` other than the
    /// verified one counts towards the reset attempt limits).
    WrongCode,
    /// A password reset without a verified reset window of this client
    /// (counts towards the reset attempt limits).
    NoWindow,
    /// A login whose password is being verified: reserved before hashing, so
    /// it counts towards the lockout until it turns into `success` or
    /// `wrong_password`.
    Verifying,
    /// Refused because the phone is (not) registered.
    Refused,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::TestNumber => "test_number",
            Self::RateLimited => "rate_limited",
            Self::Success => "success",
            Self::WrongPassword => "wrong_password",
            Self::WrongCode => "wrong_code",
            Self::NoWindow => "no_window",
            Self::Verifying => "verifying",
            Self::Refused => "refused",
        }
    }
}

/// Who did it.
#[derive(Debug, Clone, Default)]
pub struct Actor<'a> {
    /// The phone concerned.
    pub phone: Option<&'a str>,
    /// The client.
    pub client: Option<&'a ClientIp>,
    /// The device identifier sent.
    pub device: Option<&'a str>,
}

/// The row of an event of `kind` and `outcome` by `actor`.
fn actor_event(
    now: DateTime<Utc>,
    kind: Kind,
    outcome: Outcome,
    actor: &Actor<'_>,
) -> audit_events::ActiveModel {
    audit_events::ActiveModel {
        created_at: Set(now),
        kind: Set(kind.as_str().to_owned()),
        outcome: Set(outcome.as_str().to_owned()),
        phone: Set(actor.phone.map(str::to_owned)),
        client_ip: Set(actor.client.map(ClientIp::address)),
        client_network: Set(actor.client.map(ClientIp::network)),
        device: Set(actor.device.map(str::to_owned)),
        ..Default::default()
    }
}

/// Appends an event and returns its id.
pub async fn record(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    kind: Kind,
    outcome: Outcome,
    actor: &Actor<'_>,
) -> Result<i64, DbErr> {
    Ok(
        audit_events::Entity::insert(actor_event(now, kind, outcome, actor))
            .exec(db)
            .await?
            .last_insert_id,
    )
}

/// Appends the event of an admin action: `kind` on the account `user_id`
/// (of `phone`, unless it is to be forgotten), by the admin token named
/// `admin_token`.
pub async fn record_admin(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    kind: Kind,
    admin_token: &str,
    user_id: &str,
    phone: Option<&str>,
) -> Result<(), DbErr> {
    let subject = Subject {
        user_id: Some(user_id),
        phone,
        ..Subject::default()
    };
    record_admin_on(db, now, kind, admin_token, &subject).await
}

/// What an admin action concerned: an account (by id, and its phone
/// unless it is to be forgotten), an enterprise, an application.
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject<'a> {
    /// The account.
    pub user_id: Option<&'a str>,
    /// The account's phone.
    pub phone: Option<&'a str>,
    /// The enterprise.
    pub enterprise_id: Option<i64>,
    /// The application.
    pub application_id: Option<i64>,
}

/// Appends the event of an admin action: `kind` on `subject`, by the admin
/// token named `admin_token`.
pub async fn record_admin_on(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    kind: Kind,
    admin_token: &str,
    subject: &Subject<'_>,
) -> Result<(), DbErr> {
    let event = audit_events::ActiveModel {
        created_at: Set(now),
        kind: Set(kind.as_str().to_owned()),
        outcome: Set(Outcome::Success.as_str().to_owned()),
        phone: Set(subject.phone.map(str::to_owned)),
        admin_token: Set(Some(admin_token.to_owned())),
        user_id: Set(subject.user_id.map(str::to_owned)),
        enterprise_id: Set(subject.enterprise_id),
        application_id: Set(subject.application_id),
        ..Default::default()
    };
    insert_all(db, vec![event]).await
}

/// Appends one event of `kind` and `outcome` per actor, in one statement.
pub async fn record_each(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    kind: Kind,
    outcome: Outcome,
    actors: &[Actor<'_>],
) -> Result<(), DbErr> {
    let events = actors
        .iter()
        .map(|actor| actor_event(now, kind, outcome, actor))
        .collect();
    insert_all(db, events).await
}

/// Appends `events` in one statement (none: no statement).
async fn insert_all(
    db: &impl ConnectionTrait,
    events: Vec<audit_events::ActiveModel>,
) -> Result<(), DbErr> {
    if events.is_empty() {
        return Ok(());
    }
    audit_events::Entity::insert_many(events)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Changes the outcome of event `id` (a reservation that ended, a send that failed).
pub async fn set_outcome(
    db: &impl ConnectionTrait,
    id: i64,
    outcome: Outcome,
) -> Result<(), DbErr> {
    audit_events::Entity::update_many()
        .col_expr(audit_events::Column::Outcome, Expr::value(outcome.as_str()))
        .filter(audit_events::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The window refusals are counted in: a row per key per UTC hour.
pub const REFUSAL_WINDOW: Duration = Duration::hours(1);

/// Counts one request of `kind` that `limit` refused (a 429) in the row of
/// its phone and client network for the hour of `now`.
///
/// One upsert: however many refusals arrive at once, on however many
/// instances, each adds exactly one to the count, and a flood of them adds
/// one row per key per hour.
pub async fn record_refusal(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    kind: Kind,
    limit: &str,
    actor: &Actor<'_>,
) -> Result<(), DbErr> {
    let window_start = now.duration_trunc(REFUSAL_WINDOW).unwrap_or(now);
    let row = audit_refusals::ActiveModel {
        window_start: Set(window_start),
        kind: Set(kind.as_str().to_owned()),
        limit_name: Set(limit.to_owned()),
        phone: Set(actor.phone.unwrap_or_default().to_owned()),
        client_network: Set(actor.client.map(ClientIp::network).unwrap_or_default()),
        count: Set(1),
        first_at: Set(now),
        last_at: Set(now),
        ..Default::default()
    };
    audit_refusals::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                audit_refusals::Column::WindowStart,
                audit_refusals::Column::Kind,
                audit_refusals::Column::LimitName,
                audit_refusals::Column::Phone,
                audit_refusals::Column::ClientNetwork,
            ])
            .value(
                audit_refusals::Column::Count,
                Expr::col((audit_refusals::Entity, audit_refusals::Column::Count)).add(1),
            )
            .update_column(audit_refusals::Column::LastAt)
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Events deleted by one statement of [`purge_older_than`], so that a purge
/// of millions of rows never holds the write lock for long.
const PURGE_BATCH: u64 = 1_000;

/// Deletes every event older than `cutoff`, and the refusal counts of hours
/// that began before it, in batches; how many events.
pub async fn purge_older_than(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
) -> Result<u64, DbErr> {
    purge_in_batches::<audit_refusals::Entity>(
        db,
        audit_refusals::Column::Id,
        audit_refusals::Column::WindowStart,
        cutoff,
    )
    .await?;
    purge_in_batches::<audit_events::Entity>(
        db,
        audit_events::Column::Id,
        audit_events::Column::CreatedAt,
        cutoff,
    )
    .await
}

/// Deletes every row of `E` whose `time` is before `cutoff`,
/// [`PURGE_BATCH`] rows (the oldest, by their `id`) a statement; how many.
async fn purge_in_batches<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: E::Column,
    time: E::Column,
    cutoff: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut deleted = 0;
    loop {
        let batch = E::find()
            .select_only()
            .column(id)
            .filter(time.lt(cutoff))
            .order_by_asc(time)
            .limit(PURGE_BATCH)
            .into_tuple::<i64>()
            .all(db)
            .await?;
        if batch.is_empty() {
            return Ok(deleted);
        }
        let result = E::delete_many().filter(id.is_in(batch)).exec(db).await?;
        deleted += result.rows_affected;
    }
}
