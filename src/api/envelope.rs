//! The JSON envelope `{code, msg, data}` every numeric-code operation
//! answers with, the HTTP answer around it ([`Answer`]), and the macros
//! each endpoint declares its own envelopes with.
//!
//! One schema per endpoint: every endpoint but `sendsms` sends a numeric
//! code and always `data` (the documented object on success, `""`
//! otherwise). Where success carries an object, the envelope is a `oneOf` of
//! a success object (code 200 only) and a failure object (`data: ""`), so
//! generated clients narrow on `code`. Envelopes of one shape come from one
//! macro: [`status_envelope!`] (`data: ""`), [`success_envelope!`] (`data`
//! an object) and [`reply_union!`] (the two as one answer).

use poem_openapi::{ApiResponse, payload::Json, types::ToJSON};

use super::{
    bad_request,
    messages::{INTERNAL_ERROR, TOO_MANY_REQUESTS},
    wire_types::code_set,
};
use crate::flows::FlowError;

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
    /// Codes sent with an HTTP error status.
    TransportCodes = [404, 405, 408, 413, 500],
    "与HTTP状态码相同 (the HTTP status: 404 unknown path, 405 method not allowed, \
     408 body not received in time, 413 body over 64 KiB, 500 internal failure)"
);

/// Declares an envelope `{code, msg, data: ""}` whose codes are `$codes`,
/// with a constructor `new(code, msg)`; with `example = (code, msg)`, the
/// schema carries that example.
macro_rules! status_envelope {
    ($(#[$doc:meta])* $name:ident, $codes:ty, $code_doc:literal) => {
        $crate::api::envelope::status_envelope!(@define [] $(#[$doc])* $name, $codes, $code_doc);
    };
    ($(#[$doc:meta])* $name:ident, $codes:ty, $code_doc:literal, example = ($code:literal, $msg:literal)) => {
        $crate::api::envelope::status_envelope!(@define [#[oai(example)]] $(#[$doc])* $name, $codes, $code_doc);

        /// An example.
        impl poem_openapi::types::Example for $name {
            fn example() -> Self {
                Self::new($code, $msg)
            }
        }
    };
    (@define [$($example:tt)*] $(#[$doc:meta])* $name:ident, $codes:ty, $code_doc:literal) => {
        $(#[$doc])*
        #[derive(Debug, poem_openapi::Object)]
        $($example)*
        pub struct $name {
            #[doc = $code_doc]
            pub code: $crate::api::wire_types::Code<$codes>,
            /// 提示信息 (message the app may show)
            pub msg: String,
            /// 总是空字符串 (always "")
            pub data: $crate::api::wire_types::EmptyString,
        }

        impl $name {
            /// The envelope with `code` and `msg`.
            pub fn new(code: i32, msg: &str) -> Self {
                Self {
                    code: $crate::api::wire_types::Code::new(code),
                    msg: msg.to_owned(),
                    data: $crate::api::wire_types::EmptyString,
                }
            }
        }
    };
}
pub(crate) use status_envelope;

/// Declares a success envelope `{code: 200, msg, data: $data}`; with
/// `example`, the schema carries the example of `$data` with that `msg`.
macro_rules! success_envelope {
    ($(#[$doc:meta])* $name:ident, $data:ty, $msg_doc:literal) => {
        $crate::api::envelope::success_envelope!(@define [] $(#[$doc])* $name, $data, $msg_doc);
    };
    ($(#[$doc:meta])* $name:ident, $data:ty, $msg_doc:literal, example = $msg:literal) => {
        $crate::api::envelope::success_envelope!(@define [#[oai(example)]] $(#[$doc])* $name, $data, $msg_doc);

        /// The original document's example.
        impl poem_openapi::types::Example for $name {
            fn example() -> Self {
                Self::new($msg, <$data as poem_openapi::types::Example>::example())
            }
        }
    };
    (@define [$($example:tt)*] $(#[$doc:meta])* $name:ident, $data:ty, $msg_doc:literal) => {
        $(#[$doc])*
        #[derive(Debug, poem_openapi::Object)]
        $($example)*
        pub struct $name {
            /// 200 成功 (success)
            pub code: $crate::api::wire_types::Code<$crate::api::envelope::SuccessCode>,
            #[doc = $msg_doc]
            pub msg: String,
            // A bare `$ref` (no field doc): a description beside it would wrap
            // it in `allOf`, which openapi-python-client cannot read.
            pub data: $data,
        }

        impl $name {
            /// The success envelope with `msg` and `data`.
            pub fn new(msg: &str, data: $data) -> Self {
                Self {
                    code: $crate::api::wire_types::Code::new(200),
                    msg: msg.to_owned(),
                    data,
                }
            }
        }
    };
}
pub(crate) use success_envelope;

/// Declares the answer `$name` of an endpoint whose success carries an
/// object: a `oneOf` of `$success` (code 200) and `$failure` (any other).
macro_rules! reply_union {
    ($(#[$doc:meta])* $name:ident, $success:ident, $failure:ident) => {
        $(#[$doc])*
        #[derive(Debug, poem_openapi::Union)]
        #[oai(one_of)]
        pub enum $name {
            /// code 200
            Success($success),
            /// any other code
            Failure($failure),
        }

        impl $name {
            /// A refusal with `code` and `msg`.
            pub fn failure(code: i32, msg: &str) -> Self {
                Self::Failure($failure::new(code, msg))
            }
        }

        impl $crate::api::envelope::Envelope for $name {
            fn bad_request(msg: String) -> Self {
                Self::failure(400, &msg)
            }
        }
    };
}
pub(crate) use reply_union;

status_envelope!(
    /// `{code, msg, data: ""}` of isregister, verify_code and forget_password.
    StatusReply,
    StatusCodes,
    "200 成功, 其余见msg (200 success; anything else: show msg)",
    // isregister with expect=0 for a registered phone: the original's example.
    example = (-1, "手机号已经被注册")
);

impl Envelope for StatusReply {
    fn bad_request(msg: String) -> Self {
        Self::new(400, &msg)
    }
}

status_envelope!(
    /// The envelope of a transport-level failure (HTTP 404, 405, 408, 413, 500).
    TransportFailure,
    TransportCodes,
    "与HTTP状态码相同 (same as the HTTP status)",
    example = (500, "服务器内部错误")
);

/// An envelope that can say "bad parameter" (code 400), for the shared 400 handler.
pub trait Envelope: ToJSON + Send + Sync + 'static {
    /// The envelope for a request whose parameters did not parse.
    fn bad_request(msg: String) -> Self;
}

/// `Cache-Control` of every business answer: none may be kept by a proxy or
/// a browser (register, login and `/me` carry a token and account data).
pub const NO_STORE: &str = "no-store";

/// `Retry-After` when every hashing thread is busy and the queue is full.
pub const BUSY_RETRY_AFTER: u64 = 1;

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

    /// The HTTP 500 answer, after logging `err` of `operation` with its causes.
    pub fn failed(operation: &str, err: &FlowError) -> Self {
        log_failure(operation, err);
        Self::InternalError(Json(TransportFailure::new(500, INTERNAL_ERROR)))
    }
}

/// The code-429 answer of an operation whose hashing queue is full.
pub fn too_busy<T: Envelope>(envelope: impl FnOnce(i32, &str) -> T) -> Answer<T> {
    Answer::rate_limited(envelope(429, TOO_MANY_REQUESTS), BUSY_RETRY_AFTER)
}

fn bad_request_answer<T: Envelope>(err: poem::Error) -> Answer<T> {
    Answer::ok(T::bad_request(bad_request::message(&err)))
}

/// Logs `err` of `operation` with its cause chain (the client sees only `服务器内部错误`).
pub fn log_failure(operation: &str, err: &FlowError) {
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    tracing::error!(operation, error = %chain, "request failed");
}
