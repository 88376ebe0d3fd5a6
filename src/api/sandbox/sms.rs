//! `GET /sandbox/sms`: every SMS code the sandbox "sent", newest first.

use poem::web::Data;
use poem_openapi::{Object, OpenApi};

use super::{
    SandboxTags,
    replies::{SandboxFailure, SandboxSms},
};
use crate::{
    api::envelope::{Answer, reply_union, success_envelope},
    sandbox::Sandbox,
};

/// The inbox.
#[derive(Debug, Object)]
pub struct SandboxInbox {
    /// 全部短信, 最新在前 (every message, newest first)
    pub messages: Vec<SandboxSms>,
}

success_envelope!(
    /// The inbox.
    SandboxInboxSuccess,
    SandboxInbox,
    "获取成功"
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
