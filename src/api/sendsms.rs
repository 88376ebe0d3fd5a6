//! `sendsms/{mobile}`: send an SMS verification code (POST and GET).
//!
//! The one endpoint whose `code` is a string (`"200"`) and which has no
//! `data`, as in the original; its transport failures keep that style too.

use poem::web::Data;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, payload::Json, types::Example};

use super::{
    bad_request,
    client_address::ClientAddress,
    document::ApiTags,
    envelope::{NO_STORE, log_failure},
    messages,
    request_fields::{FormOrJson, Path, QueryFields, request_object},
};
use crate::{
    domain::{Expect, Mobile},
    flows::send_code::{SendOutcome, send_code},
    metrics,
    state::AppState,
};

request_object! {
    /// The fields of `sendsms`.
    pub struct SendSmsForm {
        /// 期望: 0(默认)是期望没注册(用于注册), 1是期望注册过(用于忘记密码) (0, the default: the phone should not be registered yet, for sign-up; 1: it should be registered, for a password reset)
        #[oai(default)]
        pub expect: Expect,
    }
}

/// `sendsms`'s operations.
pub struct SendSmsApi;

#[OpenApi(prefix_path = super::document::BASE_PATH, tag = "ApiTags::Account")]
impl SendSmsApi {
    /// 发送短信验证码 (send an SMS verification code)
    ///
    /// 为了节约短信数量, 目前不发送短信, 注册和忘记密码不校验。
    /// To save SMS quota the default mode sends nothing and checks no code; a
    /// new 6-digit code is still generated, stored hashed for 5 minutes and
    /// handed to the configured sender (the development sender logs it).
    ///
    /// Answers `{"code": "200", "msg": "发送成功"}` — the code is a **string**
    /// here, and there is no `data`. `"-1"`: expect=0 and the phone is already
    /// registered (`手机号已经被注册`), or expect=1 and it is not (`手机号未注册`)
    /// or its account is disabled (`账号已停用`).
    /// `"429"` `操作太频繁，请稍后再试`, with `Retry-After`, when a send limit is
    /// reached (per phone 1 a minute, 5 an hour, 10 a day; per client address
    /// 20 an hour; a daily budget for the whole service); nothing is sent then.
    #[oai(path = "/sendsms/:mobile", method = "post", operation_id = "sendsms")]
    async fn sendsms(
        &self,
        state: Data<&AppState>,
        client: ClientAddress,
        /// 手机号, 1开头的11位数字 (mainland mobile number, 11 digits starting with 1)
        mobile: Path<Mobile>,
        body: FormOrJson<SendSmsForm>,
    ) -> SendSmsAnswer {
        send_sms(&state, &mobile, body.into_inner(), &client).await
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
        /// 手机号, 1开头的11位数字 (mainland mobile number, 11 digits starting with 1)
        mobile: Path<Mobile>,
        fields: QueryFields<SendSmsForm>,
    ) -> SendSmsAnswer {
        send_sms(&state, &mobile, fields.into_inner(), &client).await
    }
}

async fn send_sms(
    state: &AppState,
    mobile: &Mobile,
    form: SendSmsForm,
    client: &ClientAddress,
) -> SendSmsAnswer {
    let outcome = send_code(state, mobile.phone(), form.expect, client.get()).await;
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
        Ok(SendOutcome::Disabled) => (
            SendSmsCode::Refused,
            messages::ACCOUNT_DISABLED,
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
    #[allow(missing_docs, reason = "a bare `$ref`: see above")]
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
    #[allow(missing_docs, reason = "a bare `$ref`: see above")]
    pub code: SendSmsTransportCode,
    /// 提示信息 (message the app may show)
    pub msg: String,
}

/// An example.
impl Example for SendSmsTransportFailure {
    fn example() -> Self {
        Self {
            code: SendSmsTransportCode::InternalError,
            msg: messages::INTERNAL_ERROR.to_owned(),
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
            msg: messages::INTERNAL_ERROR.to_owned(),
        }))
    }
}

fn bad_request_sendsms(err: poem::Error) -> SendSmsAnswer {
    SendSmsAnswer::ok(
        SendSmsReply::new(SendSmsCode::BadParameter, &bad_request::message(&err)),
        None,
    )
}
