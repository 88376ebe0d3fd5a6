//! The `sms_codes` table: the one live SMS code per phone and purpose.
//!
//! `(phone, purpose)` is unique, so a new code replaces the old one with an
//! upsert (`ON CONFLICT (phone, purpose)`). The row also holds the
//! password-reset window opened by a verified reset code.

use sea_orm::entity::prelude::*;

/// `purpose` of a sign-up code.
pub const PURPOSE_SIGN_UP: i16 = 0;
/// `purpose` of a password-reset code.
pub const PURPOSE_PASSWORD_RESET: i16 = 1;

/// The live SMS code of one phone for one purpose.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_codes")]
pub struct Model {
    /// Auto-incremented primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Phone number the code was sent to, 11 digits; unique together with `purpose`.
    #[sea_orm(unique_key = "phone_purpose", column_type = "String(StringLen::N(20))")]
    pub phone: String,
    /// Purpose: 0 sign-up, 1 password reset (see the `PURPOSE_*` constants).
    #[sea_orm(unique_key = "phone_purpose")]
    pub purpose: i16,
    /// HMAC-SHA256 of the code as 64 lowercase hex characters.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub code_hash: String,
    /// When the code was sent (UTC).
    pub created_at: DateTimeUtc,
    /// When the code stops being accepted (UTC).
    pub expires_at: DateTimeUtc,
    /// Number of wrong codes submitted against this code.
    pub failed_tries: i32,
    /// When the code was used (UTC), or `None` while it is unused.
    pub consumed_at: Option<DateTimeUtc>,
    /// End of the password-reset window opened by this code (UTC), or `None` if none is open.
    pub reset_window_expires_at: Option<DateTimeUtc>,
    /// The client network (see `audit_events.client_network`) that opened the
    /// reset window: only it may use the window.
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub reset_window_client: Option<String>,
    /// When the last counted wrong try was made (UTC): a code killed by its
    /// wrong tries stays dead for a fixed time from it.
    pub last_failed_at: Option<DateTimeUtc>,
}

/// `sms_codes` has no foreign keys.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
