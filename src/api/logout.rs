//! `logout`: revoke the presented session (an extension; POST).

use poem::web::Data;
use poem_openapi::OpenApi;

use super::{
    client_address::ClientAddress,
    document::ApiTags,
    envelope::{Answer, Envelope, status_envelope},
    messages,
    session_token::SessionToken,
    wire_types::code_set,
};
use crate::{flows::sessions::logout, state::AppState};

/// `/logout`'s operation.
pub struct LogoutApi;

#[OpenApi(prefix_path = super::document::BASE_PATH, tag = "ApiTags::Extensions")]
impl LogoutApi {
    /// 退出登录 (log out)
    ///
    /// Not in the original document. Revokes the presented token: 200
    /// `退出成功`; code 401 when it is missing, unknown, expired or already
    /// revoked.
    #[oai(path = "/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        state: Data<&AppState>,
        client: ClientAddress,
        token: SessionToken,
    ) -> Answer<LogoutReply> {
        let Some(token) = token.token() else {
            return Answer::ok(LogoutReply::new(401, messages::SESSION_INVALID));
        };
        match logout(&state, token, client.get()).await {
            Ok(true) => Answer::ok(LogoutReply::new(200, messages::LOGGED_OUT)),
            Ok(false) => Answer::ok(LogoutReply::new(401, messages::SESSION_INVALID)),
            Err(err) => Answer::failed("logout", &err),
        }
    }
}

code_set!(
    /// Codes of logout.
    LogoutCodes = [200, 400, 401, 429],
    "200 成功; 401 登录已失效 (token missing, unknown, expired or revoked); 400 参数错误; 429 操作太频繁"
);

status_envelope!(
    /// `{code, msg, data: ""}` of logout.
    LogoutReply,
    LogoutCodes,
    "200 成功, 401 登录已失效, 400 参数错误, 429 操作太频繁"
);

impl Envelope for LogoutReply {
    fn bad_request(msg: String) -> Self {
        Self::new(400, &msg)
    }
}
