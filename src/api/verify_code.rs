//! `verify_code`: check the password-reset code, step 1 of a reset (GET).

use poem::web::Data;
use poem_openapi::OpenApi;

use super::{
    bad_request::checked_code,
    client_address::ClientAddress,
    document::ApiTags,
    envelope::{Answer, Envelope, StatusReply},
    messages,
    request_fields::{QueryFields, request_object},
};
use crate::{
    domain::{Phone, SmsCodeInput},
    flows::password_reset::{VerifyOutcome, verify_reset_code},
    state::AppState,
};

request_object! {
    /// The query fields of `verify_code`.
    pub struct VerifyCodeQuery {
        /// 手机号, 1开头的11位数字 (mainland mobile number, 11 digits starting with 1)
        pub phone: Phone,
        /// 短信验证码, 6位数字; 校验关闭时(默认)服务器不校验 (SMS code, 6 digits; not checked while verification is off, the default)
        pub code: Option<SmsCodeInput>,
    }
}

/// `verify_code`'s operation.
pub struct VerifyCodeApi;

#[OpenApi(prefix_path = super::document::BASE_PATH, tag = "ApiTags::Account")]
impl VerifyCodeApi {
    /// 验证验证码, 忘记密码第一步 (check the SMS code: password reset, step 1)
    ///
    /// With verification off (the default) always 200 `验证码正确`; the
    /// original example sends no code at all. With verification on, `code`
    /// must be the live password-reset code (sent with expect=1): 200 opens a
    /// single-use 10-minute reset window for this client (its address; an
    /// IPv6 address's /64) alone, -1 `验证码错误` otherwise; a code dies after
    /// 5 wrong tries. -1 `账号已停用` when the phone's account is disabled.
    #[oai(path = "/verify_code", method = "get", operation_id = "verifyCode")]
    async fn verify_code(
        &self,
        state: Data<&AppState>,
        client: ClientAddress,
        fields: QueryFields<VerifyCodeQuery>,
    ) -> Answer<StatusReply> {
        let query = fields.into_inner();
        let code = match checked_code(state.policy.verifies_codes(), query.code.as_ref()) {
            Ok(code) => code,
            Err(bad) => return Answer::ok(StatusReply::bad_request(bad.message())),
        };
        match verify_reset_code(&state, &query.phone, code, client.get()).await {
            Ok(VerifyOutcome::Correct) => Answer::ok(StatusReply::new(200, messages::CODE_CORRECT)),
            Ok(VerifyOutcome::Wrong) => Answer::ok(StatusReply::new(-1, messages::WRONG_CODE)),
            Ok(VerifyOutcome::Disabled) => {
                Answer::ok(StatusReply::new(-1, messages::ACCOUNT_DISABLED))
            }
            Err(err) => Answer::failed("verify_code", &err),
        }
    }
}
