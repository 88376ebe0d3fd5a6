//! The six operations of the original document, each method its own operation.
//!
//! Every operation only extracts; the shared function below it calls the
//! service and maps the outcome to the endpoint's envelope.

use poem::web::Data;
use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
};

use super::{
    ApiTags,
    client_address::ClientAddress,
    envelopes::{
        Answer, Envelope, LoginData, LoginReply, LoginSuccess, RegisterData, RegisterReply,
        RegisterSuccess, SendSmsAnswer, SendSmsCode, SendSmsReply, StatusReply,
    },
    form_or_json::FormOrJson,
    messages,
    wire_types::{Apply, ApplyDetails, ApplyState, Code, EmptyObject},
};
use crate::{
    domain::{DeviceId, Expect, Mobile, Name, Password, Phone, SmsCodeInput},
    metrics,
    service::{
        AppState, ServiceError,
        accounts::{
            self, AccountView, LoginOutcome, PasswordReset, RegisterOutcome, Registration,
            ResetOutcome, VerifyOutcome,
        },
        sms_codes::{self, SendOutcome},
    },
};

/// The account operations of the original v4.0 document.
pub struct AccountApi;

/// The body of `POST sendsms`.
#[derive(Debug, Object)]
pub struct SendSmsForm {
    #[oai(default)]
    expect: Expect,
}

/// The fields of `register`.
#[derive(Debug, Object)]
pub struct RegisterForm {
    phone: Phone,
    name: Name,
    password: Password,
    device_identifier: DeviceId,
    code: Option<SmsCodeInput>,
}

/// The fields of `login`.
#[derive(Debug, Object)]
pub struct LoginForm {
    phone: Phone,
    password: Password,
    device_identifier: DeviceId,
}

/// The fields of `forget_password`.
#[derive(Debug, Object)]
pub struct ForgetPasswordForm {
    phone: Phone,
    password: Password,
    code: Option<SmsCodeInput>,
}

#[OpenApi(prefix_path = "/api/v4.0", tag = "ApiTags::Account")]
impl AccountApi {
    /// 发送短信验证码 (send an SMS verification code)
    ///
    /// 为了节约短信数量, 目前不发送短信, 注册和忘记密码不校验。
    /// To save SMS quota the default mode sends nothing and checks no code; a
    /// new 6-digit code is still generated, stored hashed for 5 minutes and
    /// handed to the configured sender (the development sender logs it).
    ///
    /// Answers `{"code": "200", "msg": "发送成功"}` — the code is a **string**
    /// here, and there is no `data`. `"-1"`: expect=0 and the phone is already
    /// registered (`手机号已经被注册`), or expect=1 and it is not (`手机号未注册`).
    /// `"429"` `操作太频繁，请稍后再试`, with `Retry-After`, when a send limit is
    /// reached (per phone 1 a minute, 5 an hour, 10 a day; per client address
    /// 20 an hour; a daily budget for the whole service); nothing is sent then.
    #[oai(path = "/sendsms/:mobile", method = "post", operation_id = "sendsms")]
    async fn sendsms(
        &self,
        state: Data<&AppState>,
        client: ClientAddress,
        /// 手机号, 1开头的11位数字 (mobile number, 11 digits starting with 1)
        mobile: Path<Mobile>,
        body: FormOrJson<SendSmsForm>,
    ) -> SendSmsAnswer {
        send_sms(&state, mobile.phone(), body.into_inner().expect, &client).await
    }

    /// 发送短信验证码, GET (send an SMS verification code; GET form)
    ///
    /// The same as `POST sendsms`, with `expect` in the query string, as in the
    /// original example `/api/v4.0/sendsms/13126939916?expect=1`.
    #[oai(path = "/sendsms/:mobile", method = "get", operation_id = "sendsmsGet")]
    async fn sendsms_get(
        &self,
        state: Data<&AppState>,
        client: ClientAddress,
        /// 手机号, 1开头的11位数字 (mobile number, 11 digits starting with 1)
        mobile: Path<Mobile>,
        /// 0(默认)期望没注册(用于注册), 1期望注册过(用于忘记密码) (0, the default: for sign-up; 1: for a password reset)
        #[oai(default)]
        expect: Query<Expect>,
    ) -> SendSmsAnswer {
        send_sms(&state, mobile.phone(), *expect, &client).await
    }

    /// 检查手机号是否被注册 (is this phone registered?)
    ///
    /// 注册或忘记密码时, 当用户输入完账号时, 用于给用户提示。
    /// Used to hint the user once the phone is typed, at sign-up or password
    /// reset. With expect=0: 200 `手机号未注册` when free, -1 `手机号已经被注册`
    /// when taken. With expect=1: 200 `手机号已注册` when registered, -1
    /// `手机号未注册` when not. `data` is always `""`.
    #[oai(
        path = "/isregister/:phone",
        method = "get",
        operation_id = "isregister"
    )]
    async fn isregister(
        &self,
        state: Data<&AppState>,
        /// 手机号, 1开头的11位数字 (mobile number, 11 digits starting with 1)
        phone: Path<Phone>,
        /// 期望返回结果: 1是期望注册过(用于忘记密码), 0(默认)是期望没注册(用于注册) (what the caller expects)
        #[oai(default)]
        expect: Query<Expect>,
    ) -> Answer<StatusReply> {
        let registered = match accounts::phone_registered(&state, &phone).await {
            Ok(registered) => registered,
            Err(err) => return internal_error("isregister", &err.into()),
        };
        let (code, msg) = match (*expect, registered) {
            (Expect::Unregistered, false) => (200, messages::PHONE_NOT_REGISTERED),
            (Expect::Unregistered, true) => (-1, messages::PHONE_TAKEN),
            (Expect::Registered, true) => (200, messages::PHONE_REGISTERED),
            (Expect::Registered, false) => (-1, messages::PHONE_NOT_REGISTERED),
        };
        Answer::ok(StatusReply::new(code, msg))
    }

    /// 注册 (register)
    ///
    /// Creates the account, binds it to `device_identifier` and opens a
    /// session whose token is returned. -1 `手机号已经被注册` when the phone is
    /// taken (also for the loser of two concurrent registrations); -2
    /// `验证码错误` for a wrong SMS code when verification is on (by default
    /// the code is not checked); 429 with `Retry-After: 1` when the server is
    /// too busy hashing passwords. `enterprise_id` is the **number** -1 here.
    #[oai(path = "/register", method = "post", operation_id = "register")]
    async fn register(
        &self,
        state: Data<&AppState>,
        client: ClientAddress,
        body: FormOrJson<RegisterForm>,
    ) -> Answer<RegisterReply> {
        register(&state, body.into_inner(), &client).await
    }

    /// 注册, GET (register; GET form)
    ///
    /// The same as `POST register`, with the fields in the query string, as in
    /// the original example.
    #[oai(path = "/register", method = "get", operation_id = "registerGet")]
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per documented query parameter"
    )]
    async fn register_get(
        &self,
        state: Data<&AppState>,
        client: ClientAddress,
        /// 手机号 (mobile number, 11 digits starting with 1)
        phone: Query<Phone>,
        /// 姓名 (display name, 1 to 32 characters)
        name: Query<Name>,
        /// 密码, 前端不加密, 6-14位 (password, 6 to 14 characters)
        password: Query<Password>,
        /// 设备唯一标示 (device identifier)
        device_identifier: Query<DeviceId>,
        /// 验证码, 服务器暂时不校验 (SMS code; not checked while verification is off)
        code: Query<Option<SmsCodeInput>>,
    ) -> Answer<RegisterReply> {
        let form = RegisterForm {
            phone: phone.0,
            name: name.0,
            password: password.0,
            device_identifier: device_identifier.0,
            code: code.0,
        };
        register(&state, form, &client).await
    }

    /// 登录 (log in)
    ///
    /// -1 `手机号或密码错误` for an unknown phone or a wrong password (the same
    /// answer for both); 429 `操作太频繁，请稍后再试` with `Retry-After` after 5
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
        login(&state, body.into_inner(), &client).await
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
        /// 手机号 (mobile number, 11 digits starting with 1)
        phone: Query<Phone>,
        /// 密码, 前端不加密 (password, 6 to 14 characters)
        password: Query<Password>,
        /// 设备唯一标示 (device identifier)
        device_identifier: Query<DeviceId>,
    ) -> Answer<LoginReply> {
        let form = LoginForm {
            phone: phone.0,
            password: password.0,
            device_identifier: device_identifier.0,
        };
        login(&state, form, &client).await
    }

    /// 验证验证码, 忘记密码第一步 (check the SMS code: password reset, step 1)
    ///
    /// With verification off (the default) always 200 `验证码正确`; the
    /// original example sends no code at all. With verification on, `code`
    /// must be the live password-reset code (sent with expect=1): 200 opens a
    /// single-use 10-minute reset window for this client (its address; an
    /// IPv6 address's /64) alone, -1 `验证码错误` otherwise; a code dies after
    /// 5 wrong tries.
    #[oai(path = "/verify_code", method = "get", operation_id = "verifyCode")]
    async fn verify_code(
        &self,
        state: Data<&AppState>,
        client: ClientAddress,
        /// 手机号 (mobile number, 11 digits starting with 1)
        phone: Query<Phone>,
        /// 短信验证码 (SMS code; not checked while verification is off)
        code: Query<Option<SmsCodeInput>>,
    ) -> Answer<StatusReply> {
        let code = match checked_code(&state, code.0.as_ref()) {
            Ok(code) => code,
            Err(msg) => return Answer::ok(StatusReply::bad_request(msg)),
        };
        match accounts::verify_reset_code(&state, &phone, code, client.get()).await {
            Ok(VerifyOutcome::Correct) => Answer::ok(StatusReply::new(200, messages::CODE_CORRECT)),
            Ok(VerifyOutcome::Wrong) => Answer::ok(StatusReply::new(-1, messages::WRONG_CODE)),
            Err(err) => internal_error("verify_code", &err),
        }
    }

    /// 忘记密码第二步 (set a new password: password reset, step 2)
    ///
    /// -1 `手机号未注册` when no account has the phone. With verification on,
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
        forget_password(&state, body.into_inner(), &client).await
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
        /// 手机号 (mobile number, 11 digits starting with 1)
        phone: Query<Phone>,
        /// 新密码, 6-14位 (the new password, 6 to 14 characters)
        password: Query<Password>,
        /// 短信验证码, 可选: 给出时须为验证过的那个 (optional: when given, the code verify_code accepted)
        code: Query<Option<SmsCodeInput>>,
    ) -> Answer<StatusReply> {
        let form = ForgetPasswordForm {
            phone: phone.0,
            password: password.0,
            code: code.0,
        };
        forget_password(&state, form, &client).await
    }
}

async fn send_sms(
    state: &AppState,
    phone: &Phone,
    expect: Expect,
    client: &ClientAddress,
) -> SendSmsAnswer {
    let outcome = sms_codes::send_code(state, phone, expect, client.get()).await;
    let (code, msg, retry_after, counted_as) = match outcome {
        Ok(SendOutcome::Sent) => (SendSmsCode::Sent, messages::SENT, None, "sent"),
        Ok(SendOutcome::TestNumber) => (SendSmsCode::Sent, messages::SENT, None, "test_number"),
        Ok(SendOutcome::AlreadyRegistered) => {
            (SendSmsCode::Refused, messages::PHONE_TAKEN, None, "refused")
        }
        Ok(SendOutcome::NotRegistered) => (
            SendSmsCode::Refused,
            messages::PHONE_NOT_REGISTERED,
            None,
            "refused",
        ),
        Ok(SendOutcome::RateLimited(wait)) => (
            SendSmsCode::TooManyRequests,
            messages::TOO_MANY_REQUESTS,
            Some(wait.seconds()),
            "rate_limited",
        ),
        Err(err) => {
            metrics::SMS_SENDS.with_label_values(&["failed"]).inc();
            log_failure("sendsms", &err);
            return SendSmsAnswer::internal_error();
        }
    };
    metrics::SMS_SENDS.with_label_values(&[counted_as]).inc();
    SendSmsAnswer::ok(SendSmsReply::new(code, msg), retry_after)
}

/// The six digits of `code` when verification is on (`None` when off), or
/// the 400 message for a missing or malformed code.
fn checked_code<'a>(
    state: &AppState,
    code: Option<&'a SmsCodeInput>,
) -> Result<Option<&'a str>, String> {
    if !state.policy.verifies_codes() {
        return Ok(None);
    }
    let reason = match code.map(SmsCodeInput::digits) {
        Some(Ok(digits)) => return Ok(Some(digits)),
        Some(Err(invalid)) => invalid,
        None => crate::domain::MISSING,
    };
    Err(format!("{}: code {reason}", messages::BAD_PARAMETER))
}

async fn register(
    state: &AppState,
    form: RegisterForm,
    client: &ClientAddress,
) -> Answer<RegisterReply> {
    let code = match checked_code(state, form.code.as_ref()) {
        Ok(code) => code.map(str::to_owned),
        Err(msg) => return Answer::ok(RegisterReply::bad_request(msg)),
    };
    let registration = Registration {
        phone: form.phone,
        name: form.name,
        password: form.password,
        device: form.device_identifier,
        code,
    };
    match accounts::register(state, registration, client.get()).await {
        Ok(RegisterOutcome::PhoneTaken) => {
            Answer::ok(RegisterReply::failure(-1, messages::PHONE_TAKEN))
        }
        Ok(RegisterOutcome::Busy) => Answer::rate_limited(
            RegisterReply::failure(429, messages::TOO_MANY_REQUESTS),
            BUSY_RETRY_AFTER,
        ),
        Ok(RegisterOutcome::WrongCode) => {
            Answer::ok(RegisterReply::failure(-2, messages::WRONG_CODE))
        }
        Ok(RegisterOutcome::Registered {
            user_id,
            name,
            token,
        }) => Answer::ok(RegisterReply::Success(RegisterSuccess {
            code: Code::new(200),
            msg: messages::REGISTERED.to_owned(),
            data: RegisterData {
                change_device: false,
                enterprise_id: -1,
                token: token.reveal().to_owned(),
                user_id,
                name,
                pemissions: Vec::new(),
                apply: EmptyObject,
            },
        })),
        Err(err) => internal_error("register", &err),
    }
}

async fn login(state: &AppState, form: LoginForm, client: &ClientAddress) -> Answer<LoginReply> {
    let outcome = accounts::login(
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
        Ok(LoginOutcome::Busy) => Answer::rate_limited(
            LoginReply::failure(429, messages::TOO_MANY_REQUESTS),
            BUSY_RETRY_AFTER,
        ),
        Ok(LoginOutcome::Locked(wait)) => Answer::rate_limited(
            LoginReply::failure(429, messages::TOO_MANY_REQUESTS),
            wait.seconds(),
        ),
        Ok(LoginOutcome::LoggedIn {
            account,
            token,
            change_device,
        }) => match login_data(account, token.reveal(), change_device) {
            Ok(data) => Answer::ok(LoginReply::Success(LoginSuccess {
                code: Code::new(200),
                msg: messages::LOGGED_IN.to_owned(),
                data,
            })),
            Err(err) => internal_error("login", &err),
        },
        Err(err) => internal_error("login", &err),
    }
}

/// The login `data` of an account: `enterprise_id` as a string, `apply` as `{}` or three fields.
pub(super) fn login_data(
    account: AccountView,
    token: &str,
    change_device: bool,
) -> Result<LoginData, ServiceError> {
    let apply = match account.latest_application {
        None => Apply::Never,
        Some(application) => Apply::Latest(ApplyDetails {
            apply_eid: application.enterprise_id,
            apply_name: application.enterprise_name,
            apply_state: ApplyState::from_stored(application.state).ok_or_else(|| {
                ServiceError::Corrupt(format!("application state {}", application.state))
            })?,
        }),
    };
    Ok(LoginData {
        apply,
        change_device,
        enterprise_id: account
            .enterprise_id
            .map_or_else(|| "-1".to_owned(), |id| id.to_string()),
        token: token.to_owned(),
        user_id: account.user_id,
        name: account.name,
        pemissions: account.permissions,
    })
}

/// `Retry-After` when every hashing thread is busy and the queue is full.
const BUSY_RETRY_AFTER: u64 = 1;

async fn forget_password(
    state: &AppState,
    form: ForgetPasswordForm,
    client: &ClientAddress,
) -> Answer<StatusReply> {
    // The code is optional here: only a malformed one is refused.
    let code = match form
        .code
        .as_ref()
        .map(|code| checked_code(state, Some(code)))
    {
        None => None,
        Some(Ok(code)) => code,
        Some(Err(msg)) => return Answer::ok(StatusReply::bad_request(msg)),
    };
    let request = PasswordReset {
        phone: &form.phone,
        password: &form.password,
        code,
    };
    match accounts::reset_password(state, request, client.get()).await {
        Ok(ResetOutcome::NotRegistered) => {
            Answer::ok(StatusReply::new(-1, messages::PHONE_NOT_REGISTERED))
        }
        Ok(ResetOutcome::NotVerified) => Answer::ok(StatusReply::new(-1, messages::VERIFY_FIRST)),
        Ok(ResetOutcome::WrongCode) => Answer::ok(StatusReply::new(-1, messages::WRONG_CODE)),
        Ok(ResetOutcome::RateLimited(wait)) => Answer::rate_limited(
            StatusReply::new(429, messages::TOO_MANY_REQUESTS),
            wait.seconds(),
        ),
        Ok(ResetOutcome::Busy) => Answer::rate_limited(
            StatusReply::new(429, messages::TOO_MANY_REQUESTS),
            BUSY_RETRY_AFTER,
        ),
        Ok(ResetOutcome::Changed) => Answer::ok(StatusReply::new(200, messages::PASSWORD_CHANGED)),
        Err(err) => internal_error("forget_password", &err),
    }
}

/// Logs `err` with its cause chain and answers HTTP 500.
pub(super) fn internal_error<T: Envelope>(operation: &str, err: &ServiceError) -> Answer<T> {
    log_failure(operation, err);
    Answer::internal_error()
}

fn log_failure(operation: &str, err: &ServiceError) {
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    tracing::error!(operation, error = %chain, "request failed");
}
