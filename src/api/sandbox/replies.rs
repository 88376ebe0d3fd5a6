//! What several sandbox operations answer: an SMS of the inbox, the clock's
//! reading, and a refusal.

use poem_openapi::{Enum, Object};

use crate::{
    api::envelope::{reply_union, status_envelope, success_envelope},
    domain::CodePurpose,
    sandbox::{clock::ClockReading, inbox::InboxMessage},
};

/// 用途 (what a code is for: `sign_up` for register, `password_reset` for verify_code)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case", rename = "SandboxCodePurpose")]
pub enum PurposeName {
    /// Sent with `expect=0`, for `register`.
    SignUp,
    /// Sent with `expect=1`, for `verify_code`.
    PasswordReset,
}

/// One SMS the sandbox "sent".
#[derive(Debug, Object)]
pub struct SandboxSms {
    /// 手机号 (the phone it went to)
    pub phone: String,
    /// 验证码 (the 6-digit code, to type into the app)
    pub code: String,
    // A bare `$ref`: `SandboxCodePurpose` describes itself.
    #[allow(missing_docs, reason = "a bare `$ref`")]
    pub purpose: PurposeName,
    /// 发送时间, 按沙箱时钟 (when it was sent, by the sandbox's clock, RFC 3339 UTC)
    pub sent_at: String,
}

impl From<InboxMessage> for SandboxSms {
    fn from(message: InboxMessage) -> Self {
        Self {
            phone: message.phone,
            code: message.code,
            purpose: match message.purpose {
                CodePurpose::SignUp => PurposeName::SignUp,
                CodePurpose::PasswordReset => PurposeName::PasswordReset,
            },
            sent_at: message
                .sent_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }
}

crate::api::wire_types::code_set!(
    /// Codes of the sandbox's failures.
    SandboxFailureCodes = [-1, 400],
    "-1 见msg; 400 参数错误 (-1 see msg; 400 bad parameter)"
);

status_envelope!(
    /// A refused sandbox request.
    SandboxFailure,
    SandboxFailureCodes,
    "-1 见msg, 400 参数错误"
);

/// The sandbox's clock.
#[derive(Debug, Object)]
pub struct SandboxClockData {
    /// 沙箱时间 (the time every operation sees, RFC 3339 UTC)
    pub now: String,
    /// 比系统时间快多少秒 (how many seconds ahead of the system time it is)
    pub offset_seconds: f64,
    /// 是否停止 (whether it stands still until moved)
    pub frozen: bool,
}

impl From<ClockReading> for SandboxClockData {
    fn from(reading: ClockReading) -> Self {
        Self {
            now: reading
                .now
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            offset_seconds: reading.offset.num_milliseconds() as f64 / 1000.0,
            frozen: reading.frozen,
        }
    }
}

success_envelope!(
    /// The sandbox's clock.
    SandboxClockSuccess,
    SandboxClockData,
    "获取成功"
);

reply_union!(
    /// The answer of the clock operations.
    SandboxClockReply,
    SandboxClockSuccess,
    SandboxFailure
);

impl SandboxClockReply {
    /// The clock's `reading`.
    pub fn reading(reading: ClockReading) -> Self {
        Self::Success(SandboxClockSuccess::new("获取成功", reading.into()))
    }
}
