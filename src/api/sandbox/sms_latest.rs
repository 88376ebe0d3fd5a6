//! `GET /sandbox/sms/{phone}/latest`: the newest code sent to one phone.

use poem::web::Data;
use poem_openapi::OpenApi;

use super::{
    SandboxTags,
    replies::{SandboxFailure, SandboxSms},
};
use crate::{
    api::{
        envelope::{Answer, reply_union, success_envelope},
        request_fields::Path,
    },
    domain::Phone,
    sandbox::Sandbox,
};

success_envelope!(
    /// The newest SMS of a phone.
    SandboxSmsSuccess,
    SandboxSms,
    "获取成功"
);

reply_union!(
    /// The answer of `GET /sandbox/sms/{phone}/latest`.
    SandboxSmsReply,
    SandboxSmsSuccess,
    SandboxFailure
);

/// `GET /sandbox/sms/{phone}/latest`.
pub struct SandboxSmsLatestApi;

#[OpenApi(prefix_path = super::SANDBOX_PATH, tag = "SandboxTags::Sandbox")]
impl SandboxSmsLatestApi {
    /// 沙箱: 某手机号最新的验证码 (sandbox: the newest code of a phone)
    ///
    /// The newest SMS sent to `phone`: its `code` is what the app's user
    /// would type. -1 `没有发给该手机号的短信` when none was sent.
    #[oai(
        path = "/sms/:phone/latest",
        method = "get",
        operation_id = "sandboxSmsLatest"
    )]
    async fn latest(
        &self,
        sandbox: Data<&Sandbox>,
        /// 手机号, 1开头的11位数字 (mainland mobile number, 11 digits starting with 1)
        phone: Path<Phone>,
    ) -> Answer<SandboxSmsReply> {
        match sandbox.inbox.latest_for(phone.as_str()) {
            Some(message) => Answer::ok(SandboxSmsReply::Success(SandboxSmsSuccess::new(
                "获取成功",
                SandboxSms::from(message),
            ))),
            None => Answer::ok(SandboxSmsReply::failure(
                -1,
                "没有发给该手机号的短信 (no SMS was sent to this phone)",
            )),
        }
    }
}
