//! `forget_password`: set a new password through the verified reset
//! window, step 2 of a reset (POST and GET).

use poem::web::Data;
use poem_openapi::OpenApi;

use super::{
    bad_request::checked_code,
    client_address::ClientAddress,
    document::ApiTags,
    envelope::{Answer, Envelope, StatusReply, too_busy},
    messages,
    request_fields::{FormOrJson, QueryFields, request_object},
};
use crate::{
    domain::{Password, Phone, SmsCodeInput},
    flows::password_reset::{PasswordReset, ResetOutcome, reset_password},
    state::AppState,
};

request_object! {
    /// The fields of `forget_password`.
    pub struct ForgetPasswordForm {
        /// 手机号, 1开头的11位数字 (mainland mobile number, 11 digits starting with 1)
        pub phone: Phone,
        /// 新密码, 前端不加密, 6-14位 (the new password in clear over TLS, 6 to 14 characters)
        pub password: Password,
        /// 短信验证码, 可选; 给出时须为verify_code验证过的那个 (optional SMS code: with verification on, when given it must be the code verify_code accepted)
        pub code: Option<SmsCodeInput>,
    }
}

/// `forget_password`'s operations.
pub struct ForgetPasswordApi;

#[OpenApi(prefix_path = super::document::BASE_PATH, tag = "ApiTags::Account")]
impl ForgetPasswordApi {
    /// 忘记密码第二步 (set a new password: password reset, step 2)
    ///
    /// -1 `手机号未注册` when no account has the phone, -1 `账号已停用` when its
    /// account is disabled. With verification on,
    /// -1 `请先验证手机验证码` unless `verify_code` opened a reset window for
    /// this same client (its address; an IPv6 address's /64); when `code` is
    /// sent too, -1 `验证码错误` unless it is the code that opened the window.
    /// Such refused attempts change nothing and are limited to 10 an hour per
    /// phone and 30 per client address: then 429 with `Retry-After`. On
    /// success 200 `修改成功`: the window is used up, every session of the
    /// account is revoked and a login lockout lifted. 429 with
    /// `Retry-After: 1` when the server is too busy hashing passwords.
    #[oai(
        path = "/forget_password",
        method = "post",
        operation_id = "forgetPassword"
    )]
    async fn forget_password(
        &self,
        state: Data<&AppState>,
        client: ClientAddress,
        body: FormOrJson<ForgetPasswordForm>,
    ) -> Answer<StatusReply> {
        answer(&state, body.into_inner(), &client).await
    }

    /// 忘记密码第二步, GET (set a new password; GET form)
    ///
    /// The same as `POST forget_password`, with the fields in the query string,
    /// as in the original example.
    #[oai(
        path = "/forget_password",
        method = "get",
        operation_id = "forgetPasswordGet"
    )]
    async fn forget_password_get(
        &self,
        state: Data<&AppState>,
        client: ClientAddress,
        fields: QueryFields<ForgetPasswordForm>,
    ) -> Answer<StatusReply> {
        answer(&state, fields.into_inner(), &client).await
    }
}

async fn answer(
    state: &AppState,
    form: ForgetPasswordForm,
    client: &ClientAddress,
) -> Answer<StatusReply> {
    // The code is optional here: only a malformed one is refused.
    let code = match form.code.as_ref() {
        None => None,
        Some(code) => match checked_code(state.policy.verifies_codes(), Some(code)) {
            Ok(code) => code,
            Err(bad) => return Answer::ok(StatusReply::bad_request(bad.message())),
        },
    };
    let request = PasswordReset {
        phone: &form.phone,
        password: &form.password,
        code,
    };
    match reset_password(state, request, client.get()).await {
        Ok(ResetOutcome::NotRegistered) => {
            Answer::ok(StatusReply::new(-1, messages::PHONE_NOT_REGISTERED))
        }
        Ok(ResetOutcome::Disabled) => Answer::ok(StatusReply::new(-1, messages::ACCOUNT_DISABLED)),
        Ok(ResetOutcome::NotVerified) => Answer::ok(StatusReply::new(-1, messages::VERIFY_FIRST)),
        Ok(ResetOutcome::WrongCode) => Answer::ok(StatusReply::new(-1, messages::WRONG_CODE)),
        Ok(ResetOutcome::RateLimited(wait)) => Answer::rate_limited(
            StatusReply::new(429, messages::TOO_MANY_REQUESTS),
            wait.seconds(),
        ),
        Ok(ResetOutcome::Busy) => too_busy(StatusReply::new),
        Ok(ResetOutcome::Changed) => Answer::ok(StatusReply::new(200, messages::PASSWORD_CHANGED)),
        Err(err) => Answer::failed("forget_password", &err),
    }
}
