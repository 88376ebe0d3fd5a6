//! The audit ledger: every send, registration, login, lockout, reset and
//! logout, with time, phone, client address and device — never a secret.

use chrono::{DateTime, Utc};
use entity::audit_events;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

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
    /// A password reset.
    PasswordReset,
    /// A logout.
    Logout,
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
            Self::Logout => "logout",
        }
    }
}

/// Stored outcomes.
pub mod outcome {
    /// An SMS code was handed to the sender (counts against the send limits).
    pub const SENT: &str = "sent";
    /// The sender failed; the code was withdrawn.
    pub const FAILED: &str = "failed";
    /// A test number: nothing sent, no limit counted.
    pub const TEST_NUMBER: &str = "test_number";
    /// Refused by a limit or lockout.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// The action succeeded.
    pub const SUCCESS: &str = "success";
    /// A wrong password (counts towards the lockout).
    pub const WRONG_PASSWORD: &str = "wrong_password";
    /// A wrong or dead SMS code, or no verified reset window.
    pub const WRONG_CODE: &str = "wrong_code";
    /// Refused because the phone is (not) registered.
    pub const REFUSED: &str = "refused";
}

/// Who did it.
#[derive(Debug, Clone, Default)]
pub struct Actor<'a> {
    /// The phone concerned.
    pub phone: Option<&'a str>,
    /// The client's address.
    pub client_ip: Option<&'a str>,
    /// The device identifier sent.
    pub device: Option<&'a str>,
}

/// Appends an event and returns its id.
pub async fn record(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    kind: Kind,
    outcome: &str,
    actor: &Actor<'_>,
) -> Result<i64, DbErr> {
    let event = audit_events::ActiveModel {
        created_at: Set(now),
        kind: Set(kind.as_str().to_owned()),
        outcome: Set(outcome.to_owned()),
        phone: Set(actor.phone.map(str::to_owned)),
        client_ip: Set(actor.client_ip.map(str::to_owned)),
        device: Set(actor.device.map(str::to_owned)),
        ..Default::default()
    };
    Ok(audit_events::Entity::insert(event)
        .exec(db)
        .await?
        .last_insert_id)
}
