//! SMS codes as stored: one live code per phone and purpose, kept as an
//! HMAC, used once within a bounded number of tries; and the password-reset
//! window a verified reset code opens for the client that verified it.

use chrono::{DateTime, Duration, Utc};
use entity::sms_codes;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::Expr, sea_query::ExprTrait, sea_query::OnConflict,
};

use super::secrets::CodeKey;
use crate::domain::{ClientIp, CodePurpose, Phone};

/// How long a code stays valid.
pub const CODE_LIFETIME: Duration = Duration::minutes(5);
/// How long a verified reset code keeps the password-reset window open.
pub const RESET_WINDOW: Duration = Duration::minutes(10);
/// After this long without a send, a phone's count of wrong tries starts over.
pub const TRIES_RESET_AFTER: Duration = Duration::days(1);

/// How many wrong tries kill a code, and for how long a killed code stays
/// dead (from its last counted wrong try).
#[derive(Debug, Clone, Copy)]
pub struct CodeRules {
    /// Wrong tries after which the code is dead.
    pub max_tries: u32,
    /// How long a dead code stays dead after its last wrong try.
    pub dead_for: Duration,
}

impl CodeRules {
    fn max_tries(self) -> i32 {
        i32::try_from(self.max_tries).unwrap_or(i32::MAX)
    }

    /// Whether `row`'s code was killed by its wrong tries.
    fn is_dead(self, row: &sms_codes::Model) -> bool {
        row.failed_tries >= self.max_tries()
    }

    /// How long `row`'s code stays dead after `now`; `None` when it is not
    /// dead, or its dead state has ended.
    fn dead_wait(self, row: &sms_codes::Model, now: DateTime<Utc>) -> Option<Duration> {
        let last_failed = row.last_failed_at.filter(|_| self.is_dead(row))?;
        let ends = last_failed + self.dead_for;
        (ends > now).then(|| ends - now)
    }
}

/// A code presented by a client, for [`use_code`].
#[derive(Debug, Clone, Copy)]
pub struct CodeAttempt<'a> {
    /// The phone it was sent to.
    pub phone: &'a Phone,
    /// What it is presented for.
    pub purpose: CodePurpose,
    /// The code as sent.
    pub code: &'a str,
    /// Who presents it: a reset window opens for this client alone.
    pub client: Option<&'a ClientIp>,
}

/// How long the code of (`phone`, `purpose`) stays dead after `now`; `None`
/// when it is not dead (or was never sent), or its dead state has ended.
pub async fn dead_wait(
    db: &impl ConnectionTrait,
    phone: &Phone,
    purpose: CodePurpose,
    rules: CodeRules,
    now: DateTime<Utc>,
) -> Result<Option<Duration>, DbErr> {
    Ok(find(db, phone, purpose)
        .await?
        .and_then(|row| rules.dead_wait(&row, now)))
}

/// What [`store`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// The code is stored in the row with this id.
    Code(i64),
    /// Nothing: the earlier code is dead for this much longer.
    Dead(Duration),
}

/// Stores `code` as the live code of (`phone`, `purpose`), unless the
/// earlier code is dead.
///
/// A resend keeps the count of wrong tries unless the last send is older
/// than [`TRIES_RESET_AFTER`], so resending does not buy more guesses; a
/// code whose dead state has ended is replaced by one with no wrong tries.
pub async fn store(
    db: &impl ConnectionTrait,
    key: &CodeKey,
    phone: &Phone,
    purpose: CodePurpose,
    code: &str,
    rules: CodeRules,
    now: DateTime<Utc>,
) -> Result<Stored, DbErr> {
    let previous = find(db, phone, purpose).await?;
    if let Some(wait) = previous.as_ref().and_then(|row| rules.dead_wait(row, now)) {
        return Ok(Stored::Dead(wait));
    }
    let reset_tries = previous
        .as_ref()
        .is_none_or(|row| row.created_at < now - TRIES_RESET_AFTER || rules.is_dead(row));
    let row = sms_codes::ActiveModel {
        phone: Set(phone.as_str().to_owned()),
        purpose: Set(stored_purpose(purpose)),
        code_hash: Set(key.hash(phone, purpose, code)),
        created_at: Set(now),
        expires_at: Set(now + CODE_LIFETIME),
        failed_tries: Set(0),
        consumed_at: Set(None),
        reset_window_expires_at: Set(None),
        reset_window_client: Set(None),
        last_failed_at: Set(None),
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
        replaced.push(sms_codes::Column::LastFailedAt);
    }
    let column = |column| Expr::col((sms_codes::Entity, column));
    // The read above decided; this keeps a code killed since (by a wrong
    // try committed meanwhile on another connection) from being replaced.
    let still_alive = column(sms_codes::Column::FailedTries)
        .lt(rules.max_tries())
        .or(column(sms_codes::Column::LastFailedAt).is_null())
        .or(column(sms_codes::Column::LastFailedAt).lte(now - rules.dead_for));
    let written = sms_codes::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([sms_codes::Column::Phone, sms_codes::Column::Purpose])
                .update_columns(replaced)
                .action_and_where(still_alive)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let stored = find(db, phone, purpose)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the code just stored".to_owned()))?;
    if written == 0 {
        let wait = rules.dead_wait(&stored, now);
        return Ok(Stored::Dead(wait.unwrap_or(Duration::seconds(1))));
    }
    Ok(Stored::Code(stored.id))
}

/// The code row of (`phone`, `purpose`), if one was ever sent.
async fn find(
    db: &impl ConnectionTrait,
    phone: &Phone,
    purpose: CodePurpose,
) -> Result<Option<sms_codes::Model>, DbErr> {
    sms_codes::Entity::find()
        .filter(sms_codes::Column::Phone.eq(phone.as_str()))
        .filter(sms_codes::Column::Purpose.eq(stored_purpose(purpose)))
        .one(db)
        .await
}

/// Makes code `code_id` unusable: the sender never delivered it.
pub async fn withdraw(
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
/// A wrong code counts a try (and its time); after `rules.max_tries` the
/// code is dead. A right
/// code is used once: it is marked consumed, and for a reset code the
/// password-reset window opens for `client` alone. Returns whether `code`
/// was accepted.
pub async fn use_code(
    db: &impl ConnectionTrait,
    key: &CodeKey,
    attempt: CodeAttempt<'_>,
    rules: CodeRules,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let CodeAttempt {
        phone,
        purpose,
        code,
        client,
    } = attempt;
    let Some(row) = find(db, phone, purpose).await? else {
        return Ok(false);
    };
    let max_tries = rules.max_tries();
    if rules.is_dead(&row) || row.consumed_at.is_some() || row.expires_at <= now {
        return Ok(false);
    }
    if !key.matches(phone, purpose, code, &row.code_hash) {
        // Conditional: tries beyond the limit (concurrent ones) are not
        // counted, and so do not move the end of the dead state.
        sms_codes::Entity::update_many()
            .col_expr(
                sms_codes::Column::FailedTries,
                Expr::col(sms_codes::Column::FailedTries).add(1),
            )
            .col_expr(sms_codes::Column::LastFailedAt, Expr::value(Some(now)))
            .filter(sms_codes::Column::Id.eq(row.id))
            .filter(sms_codes::Column::FailedTries.lt(max_tries))
            .exec(db)
            .await?;
        return Ok(false);
    }
    let opens_window = purpose == CodePurpose::PasswordReset;
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
        .exec(db)
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
    pub fn opened_by(&self, key: &CodeKey, phone: &Phone, code: &str) -> bool {
        key.matches(phone, CodePurpose::PasswordReset, code, &self.code_hash)
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
    let row = find(db, phone, CodePurpose::PasswordReset).await?;
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
        .filter(sms_codes::Column::Purpose.eq(stored_purpose(CodePurpose::PasswordReset)))
        .filter(sms_codes::Column::ResetWindowExpiresAt.gt(now));
    closing = match window_client(client) {
        Some(network) => closing.filter(sms_codes::Column::ResetWindowClient.eq(network)),
        None => closing.filter(sms_codes::Column::ResetWindowClient.is_null()),
    };
    Ok(closing.exec(db).await?.rows_affected == 1)
}

/// A code's purpose as stored in `sms_codes.purpose`.
fn stored_purpose(purpose: CodePurpose) -> i16 {
    match purpose {
        CodePurpose::SignUp => sms_codes::PURPOSE_SIGN_UP,
        CodePurpose::PasswordReset => sms_codes::PURPOSE_PASSWORD_RESET,
    }
}
