//! `register`: create an account bound to its device, with its first
//! session (POST and GET).

use poem::web::Data;
use poem_openapi::{Object, OpenApi, types::Example};

use super::{
    bad_request::checked_code,
    client_address::ClientAddress,
    document::ApiTags,
    envelope::{Answer, Envelope, reply_union, status_envelope, success_envelope, too_busy},
    messages,
    request_fields::{FormOrJson, QueryFields, request_object},
    wire_types::{EmptyObject, code_set},
};
use crate::{
    domain::{DeviceId, Name, Password, Phone, SmsCodeInput},
    flows::register::{RegisterOutcome, Registration, register},
    state::AppState,
};

request_object! {
    /// The fields of `register`.
    pub struct RegisterForm {
        /// 手机号, 1开头的11位数字 (mainland mobile number, 11 digits starting with 1)
        pub phone: Phone,
        /// 姓名, 去掉首尾空白后1-32个字符, 不含控制字符 (display name, 1 to 32 characters after trimming surrounding white space, no control characters)
        pub name: Name,
        /// 密码, 前端不加密, 6-14位 (password in clear over TLS, 6 to 14 characters)
        pub password: Password,
        /// 设备唯一标示, 1-128个字符, 不含控制字符 (opaque identifier of the device, 1 to 128 characters, no control characters)
        pub device_identifier: DeviceId,
        /// 短信验证码, 6位数字; 校验关闭时(默认)服务器不校验 (SMS code, 6 digits; not checked while verification is off, the default)
        pub code: Option<SmsCodeInput>,
    }
}

/// `register`'s operations.
pub struct RegisterApi;

#[OpenApi(prefix_path = super::document::BASE_PATH, tag = "ApiTags::Account")]
impl RegisterApi {
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
        answer(&state, body.into_inner(), &client).await
    }

    /// 注册, GET (register; GET form)
    ///
    /// The same as `POST register`, with the fields in the query string, as in
    /// the original example.
    #[oai(path = "/register", method = "get", operation_id = "registerGet")]
    async fn register_get(
        &self,
        state: Data<&AppState>,
        client: ClientAddress,
        fields: QueryFields<RegisterForm>,
    ) -> Answer<RegisterReply> {
        answer(&state, fields.into_inner(), &client).await
    }
}

async fn answer(
    state: &AppState,
    form: RegisterForm,
    client: &ClientAddress,
) -> Answer<RegisterReply> {
    let code = match checked_code(state.policy.verifies_codes(), form.code.as_ref()) {
        Ok(code) => code.map(str::to_owned),
        Err(bad) => return Answer::ok(RegisterReply::bad_request(bad.message())),
    };
    let registration = Registration {
        phone: form.phone,
        name: form.name,
        password: form.password,
        device: form.device_identifier,
        code,
    };
    match register(state, registration, client.get()).await {
        Ok(RegisterOutcome::PhoneTaken) => {
            Answer::ok(RegisterReply::failure(-1, messages::PHONE_TAKEN))
        }
        Ok(RegisterOutcome::Busy) => too_busy(RegisterReply::failure),
        Ok(RegisterOutcome::WrongCode) => {
            Answer::ok(RegisterReply::failure(-2, messages::WRONG_CODE))
        }
        Ok(RegisterOutcome::Registered {
            user_id,
            name,
            token,
        }) => Answer::ok(RegisterReply::Success(RegisterSuccess::new(
            messages::REGISTERED,
            RegisterData {
                change_device: false,
                enterprise_id: -1,
                token: token.reveal().to_owned(),
                user_id,
                name,
                pemissions: Vec::new(),
                apply: EmptyObject,
            },
        ))),
        Err(err) => Answer::failed("register", &err),
    }
}

/// `data` of a successful registration: the new account and its session;
/// `apply` is always `{}` (no application yet).
#[derive(Debug, Object)]
#[oai(example)]
pub struct RegisterData {
    /// 是否更换设备, 注册时总是false (whether the device changed; always false at registration)
    pub change_device: bool,
    /// 企业id, -1 表示没有企业; 此处为数字 (enterprise id, -1 for none; a number here)
    pub enterprise_id: i64,
    /// 令牌, 32位十六进制 (session token, 32 lowercase hex characters)
    pub token: String,
    /// 用户id, 32位十六进制 (user id, 32 lowercase hex characters)
    pub user_id: String,
    /// 用户姓名 (display name)
    pub name: String,
    /// 用户权限 (sic: the original's spelling of "permissions")
    pub pemissions: Vec<String>,
    // A bare `$ref` (see `LoginData::apply`); always `{}` here.
    pub apply: EmptyObject,
}

/// The original document's example.
impl Example for RegisterData {
    fn example() -> Self {
        Self {
            change_device: false,
            enterprise_id: -1,
            token: "9ea13c9003d53e4e17b0b9aaf1e634b0".to_owned(),
            user_id: "f223fa5c92e846349031b0eb06868478".to_owned(),
            name: "asdasd".to_owned(),
            pemissions: Vec::new(),
            apply: EmptyObject,
        }
    }
}

code_set!(
    /// Failure codes of register.
    RegisterFailureCodes = [-1, -2, 400, 429],
    "-1 手机号注册过; -2 验证码错误; 400 参数错误; 429 操作太频繁 \
     (-1 phone already registered; -2 wrong SMS code; 400 bad parameter; 429 rate limited)"
);

success_envelope!(
    /// A successful registration.
    RegisterSuccess,
    RegisterData,
    "注册成功",
    example = "注册成功"
);

status_envelope!(
    /// A refused registration.
    RegisterFailure,
    RegisterFailureCodes,
    "-1 手机号注册过, -2 验证码错误, 400 参数错误, 429 操作太频繁",
    example = (-1, "手机号已经被注册")
);

reply_union!(
    /// The answer of register: success with the account, or a failure.
    RegisterReply,
    RegisterSuccess,
    RegisterFailure
);
