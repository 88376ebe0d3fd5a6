//! The JSON envelopes `{code, msg, data}` each operation answers with.
//!
//! One schema per endpoint: `sendsms` sends its code as a string and no
//! `data`; every other endpoint sends a numeric code and always `data` (the
//! documented object on success, `""` otherwise). Where success carries an
//! object, the envelope is a `oneOf` of a success object (code 200 only) and a
//! failure object (`data: ""`), so generated clients narrow on `code`.

use poem_openapi::{
    ApiResponse, Enum, Object, Union,
    payload::Json,
    types::{Example, ToJSON},
};

use super::{
    bad_request,
    messages::INTERNAL_ERROR,
    wire_types::{Apply, ApplyDetails, Code, EmptyObject, EmptyString, code_set},
};

code_set!(
    /// Codes of isregister, verify_code and forget_password.
    StatusCodes = [200, -1, 400, 429],
    "200 成功; -1 见msg; 400 参数错误; 429 操作太频繁 \
     (200 success; -1 refused, see msg; 400 bad parameter; 429 rate limited)"
);
code_set!(
    /// The one success code.
    SuccessCode = [200],
    "200 成功 (success)"
);
code_set!(
    /// Failure codes of register.
    RegisterFailureCodes = [-1, -2, 400, 429],
    "-1 手机号注册过; -2 验证码错误; 400 参数错误; 429 操作太频繁 \
     (-1 phone already registered; -2 wrong SMS code; 400 bad parameter; 429 rate limited)"
);
code_set!(
    /// Failure codes of login.
    LoginFailureCodes = [-1, 400, 429],
    "-1 手机号或密码错误; 400 参数错误; 429 操作太频繁 \
     (-1 unknown phone or wrong password; 400 bad parameter; 429 rate limited)"
);
code_set!(
    /// Codes sent with an HTTP error status.
    TransportCodes = [404, 405, 408, 413, 500],
    "与HTTP状态码相同 (the HTTP status: 404 unknown path, 405 method not allowed, \
     408 body not received in time, 413 body over 64 KiB, 500 internal failure)"
);

/// An envelope that can say "bad parameter" (code 400), for the shared 400 handler.
pub trait Envelope: ToJSON + Send + Sync + 'static {
    /// The envelope for a request whose parameters did not parse.
    fn bad_request(msg: String) -> Self;
}

/// `{code, msg, data: ""}` of isregister, verify_code and forget_password.
#[derive(Debug, Object)]
#[oai(example)]
pub struct StatusReply {
    /// 200 成功, 其余见msg (200 success; anything else: show msg)
    pub code: Code<StatusCodes>,
    /// 提示信息 (message the app may show)
    pub msg: String,
    /// 总是空字符串 (always "")
    pub data: EmptyString,
}

/// The original document's example.
impl Example for StatusReply {
    fn example() -> Self {
        // isregister with expect=0 for a registered phone
        Self::new(-1, "手机号已经被注册")
    }
}

impl StatusReply {
    /// A reply with `code` and `msg`.
    pub fn new(code: i32, msg: &str) -> Self {
        Self {
            code: Code::new(code),
            msg: msg.to_owned(),
            data: EmptyString,
        }
    }
}

impl Envelope for StatusReply {
    fn bad_request(msg: String) -> Self {
        Self {
            code: Code::new(400),
            msg,
            data: EmptyString,
        }
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

/// `data` of a successful login: the account and its new session.
#[derive(Debug, Object)]
#[oai(example)]
pub struct LoginData {
    // A bare `$ref` (no field doc): a description beside it would wrap it in
    // `allOf`, which openapi-python-client cannot read. `Apply` describes itself.
    pub apply: Apply,
    /// 是否更换设备 (true when this device differs from the one the account was bound to)
    pub change_device: bool,
    /// 企业id, "-1" 表示没有企业; 此处为字符串 (enterprise id in decimal, "-1" for none; a string here)
    pub enterprise_id: String,
    /// 令牌, 32位十六进制 (session token, 32 lowercase hex characters)
    pub token: String,
    /// 用户id, 32位十六进制 (user id, 32 lowercase hex characters)
    pub user_id: String,
    /// 用户姓名 (display name)
    pub name: String,
    /// 用户权限 (sic: the original's spelling of "permissions")
    pub pemissions: Vec<String>,
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

/// The original document's example.
impl Example for LoginData {
    fn example() -> Self {
        Self {
            apply: Apply::Latest(ApplyDetails::example()),
            change_device: false,
            enterprise_id: "-1".to_owned(),
            token: "5a2dd48054d694b0fcaeef1ecca767a2".to_owned(),
            user_id: "f223fa5c92e846349031b0eb06868478".to_owned(),
            name: "asdasd".to_owned(),
            pemissions: Vec::new(),
        }
    }
}

/// A successful registration.
#[derive(Debug, Object)]
#[oai(example)]
pub struct RegisterSuccess {
    /// 200 成功 (success)
    pub code: Code<SuccessCode>,
    /// 注册成功
    pub msg: String,
    // Bare `$ref`s for object fields too: `RegisterData` describes itself.
    pub data: RegisterData,
}

/// The original document's example.
impl Example for RegisterSuccess {
    fn example() -> Self {
        Self {
            code: Code::new(200),
            msg: "注册成功".to_owned(),
            data: RegisterData::example(),
        }
    }
}

/// A refused registration.
#[derive(Debug, Object)]
#[oai(example)]
pub struct RegisterFailure {
    /// -1 手机号注册过, -2 验证码错误, 400 参数错误, 429 操作太频繁
    pub code: Code<RegisterFailureCodes>,
    /// 提示信息 (message the app may show)
    pub msg: String,
    /// 总是空字符串 (always "")
    pub data: EmptyString,
}

/// An example.
impl Example for RegisterFailure {
    fn example() -> Self {
        Self {
            code: Code::new(-1),
            msg: "手机号已经被注册".to_owned(),
            data: EmptyString,
        }
    }
}

/// The answer of register: success with the account, or a failure.
#[derive(Debug, Union)]
#[oai(one_of)]
pub enum RegisterReply {
    /// code 200
    Success(RegisterSuccess),
    /// any other code
    Failure(RegisterFailure),
}

impl RegisterReply {
    /// A refusal with `code` and `msg`.
    pub fn failure(code: i32, msg: &str) -> Self {
        Self::Failure(RegisterFailure {
            code: Code::new(code),
            msg: msg.to_owned(),
            data: EmptyString,
        })
    }
}

impl Envelope for RegisterReply {
    fn bad_request(msg: String) -> Self {
        Self::Failure(RegisterFailure {
            code: Code::new(400),
            msg,
            data: EmptyString,
        })
    }
}

/// A successful login.
#[derive(Debug, Object)]
#[oai(example)]
pub struct LoginSuccess {
    /// 200 成功 (success)
    pub code: Code<SuccessCode>,
    /// 登录成功
    pub msg: String,
    // A bare `$ref`: `LoginData` describes itself.
    pub data: LoginData,
}

/// The original document's example.
impl Example for LoginSuccess {
    fn example() -> Self {
        Self {
            code: Code::new(200),
            msg: "登录成功".to_owned(),
            data: LoginData::example(),
        }
    }
}

/// A refused login.
#[derive(Debug, Object)]
#[oai(example)]
pub struct LoginFailure {
    /// -1 手机号或密码错误, 400 参数错误, 429 操作太频繁
    pub code: Code<LoginFailureCodes>,
    /// 提示信息 (message the app may show)
    pub msg: String,
    /// 总是空字符串 (always "")
    pub data: EmptyString,
}

/// An example.
impl Example for LoginFailure {
    fn example() -> Self {
        Self {
            code: Code::new(-1),
            msg: "手机号或密码错误".to_owned(),
            data: EmptyString,
        }
    }
}

/// The answer of login: success with the account, or a failure.
#[derive(Debug, Union)]
#[oai(one_of)]
pub enum LoginReply {
    /// code 200
    Success(LoginSuccess),
    /// any other code
    Failure(LoginFailure),
}

impl LoginReply {
    /// A refusal with `code` and `msg`.
    pub fn failure(code: i32, msg: &str) -> Self {
        Self::Failure(LoginFailure {
            code: Code::new(code),
            msg: msg.to_owned(),
            data: EmptyString,
        })
    }
}

impl Envelope for LoginReply {
    fn bad_request(msg: String) -> Self {
        Self::failure(400, &msg)
    }
}

code_set!(
    /// Failure codes of the session extensions.
    SessionFailureCodes = [400, 401, 429],
    "401 登录已失效 (token missing, unknown, expired or revoked); 400 参数错误; 429 操作太频繁"
);
code_set!(
    /// Codes of logout.
    LogoutCodes = [200, 400, 401, 429],
    "200 成功; 401 登录已失效 (token missing, unknown, expired or revoked); 400 参数错误; 429 操作太频繁"
);

/// The session's account (`/me`): `data` is the login `data` of the account,
/// with the presented token and `change_device` false.
#[derive(Debug, Object)]
pub struct MeSuccess {
    /// 200 成功 (success)
    pub code: Code<SuccessCode>,
    /// 获取成功
    pub msg: String,
    // A bare `$ref`: `LoginData` describes itself.
    pub data: LoginData,
}

/// A refused `/me`.
#[derive(Debug, Object)]
pub struct MeFailure {
    /// 401 登录已失效, 400 参数错误, 429 操作太频繁
    pub code: Code<SessionFailureCodes>,
    /// 提示信息 (message the app may show)
    pub msg: String,
    /// 总是空字符串 (always "")
    pub data: EmptyString,
}

/// The answer of `/me`.
#[derive(Debug, Union)]
#[oai(one_of)]
pub enum MeReply {
    /// code 200
    Success(MeSuccess),
    /// any other code
    Failure(MeFailure),
}

impl Envelope for MeReply {
    fn bad_request(msg: String) -> Self {
        Self::Failure(MeFailure {
            code: Code::new(400),
            msg,
            data: EmptyString,
        })
    }
}

/// `{code, msg, data: ""}` of logout.
#[derive(Debug, Object)]
pub struct LogoutReply {
    /// 200 成功, 401 登录已失效, 400 参数错误, 429 操作太频繁
    pub code: Code<LogoutCodes>,
    /// 提示信息 (message the app may show)
    pub msg: String,
    /// 总是空字符串 (always "")
    pub data: EmptyString,
}

impl LogoutReply {
    /// A reply with `code` and `msg`.
    pub fn new(code: i32, msg: &str) -> Self {
        Self {
            code: Code::new(code),
            msg: msg.to_owned(),
            data: EmptyString,
        }
    }
}

impl Envelope for LogoutReply {
    fn bad_request(msg: String) -> Self {
        Self::new(400, &msg)
    }
}

/// The envelope of a transport-level failure (HTTP 404, 405, 408, 413, 500).
#[derive(Debug, Object)]
#[oai(example)]
pub struct TransportFailure {
    /// 与HTTP状态码相同 (same as the HTTP status)
    pub code: Code<TransportCodes>,
    /// 提示信息 (message the app may show)
    pub msg: String,
    /// 总是空字符串 (always "")
    pub data: EmptyString,
}

/// An example.
impl Example for TransportFailure {
    fn example() -> Self {
        Self::new(500, INTERNAL_ERROR)
    }
}

impl TransportFailure {
    /// The envelope for HTTP `status` with `msg`.
    pub fn new(status: u16, msg: &str) -> Self {
        Self {
            code: Code::new(i32::from(status)),
            msg: msg.to_owned(),
            data: EmptyString,
        }
    }
}

/// `Cache-Control` of every business answer: none may be kept by a proxy or
/// a browser (register, login and `/me` carry a token and account data).
const NO_STORE: &str = "no-store";

/// What every numeric-code operation answers.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_request_answer")]
pub enum Answer<T: Envelope> {
    /// 业务结果, 包括参数错误与频率限制, 总是HTTP 200; 请根据code分支
    /// (every business result, bad parameters and rate limits included, comes
    /// with HTTP 200: branch on `code`)
    #[oai(status = 200)]
    Ok(
        Json<T>,
        /// 仅在code为429时: 多少秒后可重试 (with code 429 only: seconds until a retry may succeed)
        #[oai(header = "Retry-After")]
        Option<u64>,
        /// 总是no-store: 应答可能带令牌与账号信息, 不可缓存 (always `no-store`: answers may carry a token or account data and are never cached)
        #[oai(header = "Cache-Control")]
        String,
    ),
    /// 请求体未在时限内收到, 连接随后关闭 (request body not received in time; the connection is closed)
    #[oai(status = 408)]
    RequestTimeout(Json<TransportFailure>),
    /// 请求体超过64 KiB (request body over 64 KiB)
    #[oai(status = 413)]
    PayloadTooLarge(Json<TransportFailure>),
    /// 服务器内部错误 (internal failure)
    #[oai(status = 500)]
    InternalError(Json<TransportFailure>),
}

impl<T: Envelope> Answer<T> {
    /// The HTTP 200 answer `envelope`.
    pub fn ok(envelope: T) -> Self {
        Self::Ok(Json(envelope), None, NO_STORE.to_owned())
    }

    /// The HTTP 200 answer `envelope` (code 429) with `Retry-After: retry_after`.
    pub fn rate_limited(envelope: T, retry_after: u64) -> Self {
        Self::Ok(Json(envelope), Some(retry_after), NO_STORE.to_owned())
    }

    /// The HTTP 500 answer.
    pub fn internal_error() -> Self {
        Self::InternalError(Json(TransportFailure::new(500, INTERNAL_ERROR)))
    }
}

fn bad_request_answer<T: Envelope>(err: poem::Error) -> Answer<T> {
    Answer::ok(T::bad_request(bad_request::message(&err)))
}

/// sendsms的code, 字符串: "200" 发送成功, "-1" 手机号已经被注册/手机号未注册,
/// "400" 参数错误, "429" 操作太频繁 (the string codes of sendsms answered with
/// HTTP 200: "200" sent; "-1" registered or not, against `expect`; "400" bad
/// parameter; "429" rate limited)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "SendSmsCode")]
pub enum SendSmsCode {
    /// 发送成功 (sent)
    #[oai(rename = "200")]
    Sent,
    /// 手机号已经被注册 / 手机号未注册 (registered or not, against `expect`)
    #[oai(rename = "-1")]
    Refused,
    /// 参数错误 (bad parameter)
    #[oai(rename = "400")]
    BadParameter,
    /// 操作太频繁 (rate limited)
    #[oai(rename = "429")]
    TooManyRequests,
}

/// 与HTTP状态码相同, 字符串 (the string codes of sendsms sent with an HTTP
/// error status: the status itself)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "SendSmsTransportCode")]
pub enum SendSmsTransportCode {
    /// 接口不存在 (unknown path)
    #[oai(rename = "404")]
    NotFound,
    /// 请求方法不允许 (method not allowed)
    #[oai(rename = "405")]
    MethodNotAllowed,
    /// 请求超时 (body not received in time)
    #[oai(rename = "408")]
    RequestTimeout,
    /// 请求体过大 (body over 64 KiB)
    #[oai(rename = "413")]
    PayloadTooLarge,
    /// 服务器内部错误 (internal failure)
    #[oai(rename = "500")]
    InternalError,
}

/// `{code, msg}` of sendsms: the code is a string and there is no `data`, as in the original.
#[derive(Debug, Object)]
#[oai(example)]
pub struct SendSmsReply {
    // A bare `$ref` (no field doc): a description beside it would wrap it in
    // `allOf`, which openapi-python-client cannot read. `SendSmsCode` describes itself.
    pub code: SendSmsCode,
    /// 提示信息 (message the app may show)
    pub msg: String,
}

/// The original document's example.
impl Example for SendSmsReply {
    fn example() -> Self {
        Self::new(SendSmsCode::Sent, "发送成功")
    }
}

impl SendSmsReply {
    /// A reply with `code` and `msg`.
    pub fn new(code: SendSmsCode, msg: &str) -> Self {
        Self {
            code,
            msg: msg.to_owned(),
        }
    }
}

/// `{code, msg}` of sendsms with an HTTP error status.
#[derive(Debug, Object)]
#[oai(example)]
pub struct SendSmsTransportFailure {
    // A bare `$ref`: `SendSmsTransportCode` describes itself.
    pub code: SendSmsTransportCode,
    /// 提示信息 (message the app may show)
    pub msg: String,
}

/// An example.
impl Example for SendSmsTransportFailure {
    fn example() -> Self {
        Self {
            code: SendSmsTransportCode::InternalError,
            msg: INTERNAL_ERROR.to_owned(),
        }
    }
}

/// What sendsms answers.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_request_sendsms")]
pub enum SendSmsAnswer {
    /// 业务结果, 总是HTTP 200; 请根据code分支 (every business result comes with HTTP 200: branch on `code`)
    #[oai(status = 200)]
    Ok(
        Json<SendSmsReply>,
        /// 仅在code为"429"时: 多少秒后可重试 (with code "429" only: seconds until a retry may succeed)
        #[oai(header = "Retry-After")]
        Option<u64>,
        /// 总是no-store (always `no-store`: business answers are never cached)
        #[oai(header = "Cache-Control")]
        String,
    ),
    /// 请求体未在时限内收到, 连接随后关闭 (request body not received in time; the connection is closed)
    #[oai(status = 408)]
    RequestTimeout(Json<SendSmsTransportFailure>),
    /// 请求体超过64 KiB (request body over 64 KiB)
    #[oai(status = 413)]
    PayloadTooLarge(Json<SendSmsTransportFailure>),
    /// 服务器内部错误 (internal failure)
    #[oai(status = 500)]
    InternalError(Json<SendSmsTransportFailure>),
}

impl SendSmsAnswer {
    /// The HTTP 200 answer `reply`, with `Retry-After` when rate limited.
    pub fn ok(reply: SendSmsReply, retry_after: Option<u64>) -> Self {
        Self::Ok(Json(reply), retry_after, NO_STORE.to_owned())
    }

    /// The HTTP 500 answer.
    pub fn internal_error() -> Self {
        Self::InternalError(Json(SendSmsTransportFailure {
            code: SendSmsTransportCode::InternalError,
            msg: INTERNAL_ERROR.to_owned(),
        }))
    }
}

fn bad_request_sendsms(err: poem::Error) -> SendSmsAnswer {
    SendSmsAnswer::ok(
        SendSmsReply {
            code: SendSmsCode::BadParameter,
            msg: bad_request::message(&err),
        },
        None,
    )
}
