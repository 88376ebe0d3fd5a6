//! `isregister/{phone}`: is this phone registered? (GET)

use poem::web::Data;
use poem_openapi::OpenApi;

use super::{
    document::ApiTags,
    envelope::{Answer, StatusReply},
    messages,
    request_fields::{Path, QueryFields, request_object},
};
use crate::{
    domain::{Expect, Phone},
    flows::phone_status,
    state::AppState,
};

request_object! {
    /// The query fields of `isregister`.
    pub struct IsRegisterQuery {
        /// 期望: 0(默认)是期望没注册(用于注册), 1是期望注册过(用于忘记密码) (0, the default: the phone should not be registered yet, for sign-up; 1: it should be registered, for a password reset)
        #[oai(default)]
        pub expect: Expect,
    }
}

/// `isregister`'s operation.
pub struct IsRegisterApi;

#[OpenApi(prefix_path = super::document::BASE_PATH, tag = "ApiTags::Account")]
impl IsRegisterApi {
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
        /// 手机号, 1开头的11位数字 (mainland mobile number, 11 digits starting with 1)
        phone: Path<Phone>,
        fields: QueryFields<IsRegisterQuery>,
    ) -> Answer<StatusReply> {
        let registered = match phone_status::is_registered(&state, &phone).await {
            Ok(registered) => registered,
            Err(err) => return Answer::failed("isregister", &err.into()),
        };
        let (code, msg) = match (fields.into_inner().expect, registered) {
            (Expect::Unregistered, false) => (200, messages::PHONE_NOT_REGISTERED),
            (Expect::Unregistered, true) => (-1, messages::PHONE_TAKEN),
            (Expect::Registered, true) => (200, messages::PHONE_REGISTERED),
            (Expect::Registered, false) => (-1, messages::PHONE_NOT_REGISTERED),
        };
        Answer::ok(StatusReply::new(code, msg))
    }
}
