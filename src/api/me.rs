//! `me`: the account of the presented session (an extension; GET).

use poem::web::Data;
use poem_openapi::OpenApi;

use super::{
    account_data::{LoginData, login_data},
    document::ApiTags,
    envelope::{Answer, reply_union, status_envelope, success_envelope},
    messages,
    session_token::{SessionFailureCodes, SessionToken},
};
use crate::{flows::sessions::session_account, state::AppState};

/// `/me`'s operation.
pub struct MeApi;

#[OpenApi(prefix_path = super::document::BASE_PATH, tag = "ApiTags::Extensions")]
impl MeApi {
    /// 当前会话的账号 (the account of the presented session)
    ///
    /// Not in the original document. Answers the account in the login `data`
    /// shape, with the presented token and `change_device` false; code 401
    /// `登录已失效，请重新登录` when the token is missing, unknown, expired or
    /// revoked.
    #[oai(path = "/me", method = "get", operation_id = "me")]
    async fn me(&self, state: Data<&AppState>, token: SessionToken) -> Answer<MeReply> {
        let Some(token) = token.token() else {
            return Answer::ok(session_invalid());
        };
        match session_account(&state, token).await {
            Ok(Some(account)) => Answer::ok(MeReply::Success(MeSuccess::new(
                messages::FETCHED,
                login_data(account, token, false),
            ))),
            Ok(None) => Answer::ok(session_invalid()),
            Err(err) => Answer::failed("me", &err),
        }
    }
}

fn session_invalid() -> MeReply {
    MeReply::failure(401, messages::SESSION_INVALID)
}

success_envelope!(
    /// The session's account (`/me`): `data` is the login `data` of the account,
    /// with the presented token and `change_device` false.
    MeSuccess,
    LoginData,
    "获取成功"
);

status_envelope!(
    /// A refused `/me`.
    MeFailure,
    SessionFailureCodes,
    "401 登录已失效, 400 参数错误, 429 操作太频繁"
);

reply_union!(
    /// The answer of `/me`.
    MeReply,
    MeSuccess,
    MeFailure
);
