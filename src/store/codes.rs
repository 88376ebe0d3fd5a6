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

/// Stores `code` as the live code of (`phone`, `purpose`) and returns the row id.
///
/// A resend keeps the count of wrong tries unless the last send is older
/// than [`TRIES_RESET_AFTER`], so resending does not buy more guesses.
pub async fn store(
    db: &impl ConnectionTrait,
    key: &CodeKey,
    phone: &Phone,
    purpose: CodePurpose,
    code: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let previous = find(db, phone, purpose).await?;
    let reset_tries = previous
        .as_ref()
        .is_none_or(|row| row.created_at < now - TRIES_RESET_AFTER);
    let row = sms_codes::ActiveModel {
        phone: Set(phone.as_str().to_owned()),
        purpose: Set(purpose.as_stored()),
        code_hash: Set(key.hash(phone, purpose, code)),
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

/// The code row of (`phone`, `purpose`), if one was ever sent.
async fn find(
    db: &impl ConnectionTrait,
    phone: &Phone,
    purpose: CodePurpose,
) -> Result<Option<sms_codes::Model>, DbErr> {
    sms_codes::Entity::find()
        .filter(sms_codes::Column::Phone.eq(phone.as_str()))
        .filter(sms_codes::Column::Purpose.eq(purpose.as_stored()))
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
/// A wrong code counts a try; after the limit the code is dead. A right
/// code is used once: it is marked consumed, and for a reset code the
/// password-reset window opens for `client` alone. Returns whether `code`
/// was accepted.
pub async fn use_code(
    db: &impl ConnectionTrait,
    key: &CodeKey,
    attempt: CodeAttempt<'_>,
    max_tries: u32,
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
    let max_tries = i32::try_from(max_tries).unwrap_or(i32::MAX);
    if row.failed_tries >= max_tries || row.consumed_at.is_some() || row.expires_at <= now {
        return Ok(false);
    }
    if !key.matches(phone, purpose, code, &row.code_hash) {
        sms_codes::Entity::update_many()
            .col_expr(
                sms_codes::Column::FailedTries,
                Expr::col(sms_codes::Column::FailedTries).add(1),
            )
            .filter(sms_codes::Column::Id.eq(row.id))
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
        .filter(sms_codes::Column::Purpose.eq(CodePurpose::PasswordReset.as_stored()))
        .filter(sms_codes::Column::ResetWindowExpiresAt.gt(now));
    closing = match window_client(client) {
        Some(network) => closing.filter(sms_codes::Column::ResetWindowClient.eq(network)),
        None => closing.filter(sms_codes::Column::ResetWindowClient.is_null()),
    };
    Ok(closing.exec(db).await?.rows_affected == 1)
}
