//! `GET /sandbox/sms`: every SMS code the sandbox "sent", newest first.

use poem::web::Data;
use poem_openapi::{Enum, Object, OpenApi};

use super::SandboxTags;
use crate::{
    api::envelope::{Answer, reply_union, status_envelope, success_envelope},
    domain::CodePurpose,
    sandbox::{Sandbox, inbox::InboxMessage},
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

/// The inbox.
#[derive(Debug, Object)]
pub struct SandboxInbox {
    /// 全部短信, 最新在前 (every message, newest first)
    pub messages: Vec<SandboxSms>,
}

crate::api::wire_types::code_set!(
    /// Codes of the sandbox's failures.
    SandboxFailureCodes = [-1, 400],
    "-1 见msg; 400 参数错误 (-1 see msg; 400 bad parameter)"
);

success_envelope!(
    /// The inbox.
    SandboxInboxSuccess,
    SandboxInbox,
    "获取成功"
);

status_envelope!(
    /// A refused sandbox request.
    SandboxFailure,
    SandboxFailureCodes,
    "-1 见msg, 400 参数错误"
);

reply_union!(
    /// The answer of `GET /sandbox/sms`.
    SandboxInboxReply,
    SandboxInboxSuccess,
    SandboxFailure
);

/// `GET /sandbox/sms`.
pub struct SandboxSmsApi;

#[OpenApi(prefix_path = super::SANDBOX_PATH, tag = "SandboxTags::Sandbox")]
impl SandboxSmsApi {
    /// 沙箱: 收件箱 (sandbox: every SMS "sent")
    ///
    /// Every code the sandbox "sent" (to no phone), newest first, with its
    /// phone, purpose and time: what an end-to-end test reads instead of a
    /// phone.
    #[oai(path = "/sms", method = "get", operation_id = "sandboxSms")]
    async fn sms(&self, sandbox: Data<&Sandbox>) -> Answer<SandboxInboxReply> {
        let messages = sandbox
            .inbox
            .newest_first()
            .into_iter()
            .map(SandboxSms::from)
            .collect();
        Answer::ok(SandboxInboxReply::Success(SandboxInboxSuccess::new(
            "获取成功",
            SandboxInbox { messages },
        )))
    }
}
