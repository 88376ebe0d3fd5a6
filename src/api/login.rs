//! `login`: check the password, move the device binding, open a session
//! (POST and GET). Its `data` (`account_data.rs`) is `/me`'s too.

use poem::web::Data;
use poem_openapi::OpenApi;

use super::{
    account_data::{LoginData, login_data},
    client_address::ClientAddress,
    document::ApiTags,
    envelope::{Answer, reply_union, status_envelope, success_envelope, too_busy},
    messages,
    request_fields::{FormOrJson, QueryFields, request_object},
    wire_types::code_set,
};
use crate::{
    domain::{DeviceId, Password, Phone},
    flows::login::{LoginOutcome, login},
    state::AppState,
};

request_object! {
    /// The fields of `login`.
    pub struct LoginForm {
        /// 手机号, 1开头的11位数字 (mainland mobile number, 11 digits starting with 1)
        pub phone: Phone,
        /// 密码, 前端不加密, 6-14位 (password in clear over TLS, 6 to 14 characters)
        pub password: Password,
        /// 设备唯一标示, 1-128个字符, 不含控制字符 (opaque identifier of the device, 1 to 128 characters, no control characters)
        pub device_identifier: DeviceId,
    }
}

/// `login`'s operations.
pub struct LoginApi;

#[OpenApi(prefix_path = super::document::BASE_PATH, tag = "ApiTags::Account")]
impl LoginApi {
    /// 登录 (log in)
    ///
    /// -1 `手机号或密码错误` for an unknown phone or a wrong password (the same
    /// answer for both); -1 `账号已停用` for the right password of an account
    /// support staff disabled; 429 `操作太频繁，请稍后再试` with `Retry-After` after 5
    /// wrong passwords for the phone in 15 minutes (for 15 minutes; however
    /// many logins arrive at once, no more than 5 passwords are checked), or
    /// after 100 wrong passwords from one client address in an hour; 429
    /// with `Retry-After: 1` when the server is too busy hashing passwords.
    /// On success a new session is opened on the device;
    /// `change_device` is true when the device differs from the one the account
    /// was bound to, and the binding moves to it. `enterprise_id` is a
    /// **string** here (`"-1"` when none); `apply` is the latest application
    /// to join an enterprise, `{}` when none.
    #[oai(path = "/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&AppState>,
        client: ClientAddress,
        body: FormOrJson<LoginForm>,
    ) -> Answer<LoginReply> {
        answer(&state, body.into_inner(), &client).await
    }

    /// 登录, GET (log in; GET form)
    ///
    /// The same as `POST login`, with the fields in the query string, as in the
    /// original example.
    #[oai(path = "/login", method = "get", operation_id = "loginGet")]
    async fn login_get(
        &self,
        state: Data<&AppState>,
        client: ClientAddress,
        fields: QueryFields<LoginForm>,
    ) -> Answer<LoginReply> {
        answer(&state, fields.into_inner(), &client).await
    }
}

async fn answer(state: &AppState, form: LoginForm, client: &ClientAddress) -> Answer<LoginReply> {
    let outcome = login(
        state,
        &form.phone,
        &form.password,
        &form.device_identifier,
        client.get(),
    )
    .await;
    match outcome {
        Ok(LoginOutcome::WrongCredentials) => {
            Answer::ok(LoginReply::failure(-1, messages::WRONG_CREDENTIALS))
        }
        Ok(LoginOutcome::Disabled) => {
            Answer::ok(LoginReply::failure(-1, messages::ACCOUNT_DISABLED))
        }
        Ok(LoginOutcome::Busy) => too_busy(LoginReply::failure),
        Ok(LoginOutcome::Locked(wait)) => Answer::rate_limited(
            LoginReply::failure(429, messages::TOO_MANY_REQUESTS),
            wait.seconds(),
        ),
        Ok(LoginOutcome::LoggedIn {
            account,
            token,
            change_device,
        }) => Answer::ok(LoginReply::Success(LoginSuccess::new(
            messages::LOGGED_IN,
            login_data(account, token.reveal(), change_device),
        ))),
        Err(err) => Answer::failed("login", &err),
    }
}

code_set!(
    /// Failure codes of login.
    LoginFailureCodes = [-1, 400, 429],
    "-1 手机号或密码错误; 400 参数错误; 429 操作太频繁 \
     (-1 unknown phone or wrong password; 400 bad parameter; 429 rate limited)"
);

success_envelope!(
    /// A successful login.
    LoginSuccess,
    LoginData,
    "登录成功",
    example = "登录成功"
);

status_envelope!(
    /// A refused login.
    LoginFailure,
    LoginFailureCodes,
    "-1 手机号或密码错误, 400 参数错误, 429 操作太频繁",
    example = (-1, "手机号或密码错误")
);

reply_union!(
    /// The answer of login: success with the account, or a failure.
    LoginReply,
    LoginSuccess,
    LoginFailure
);
