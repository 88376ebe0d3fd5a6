//! `sessions/revoke`: log out one session of the presented session's
//! account, or every other one (an extension; POST).

use poem::web::Data;
use poem_openapi::{Object, OpenApi, types::Example};

use super::{
    bad_request::BadField,
    client_address::ClientAddress,
    document::ApiTags,
    envelope::{Answer, Envelope, reply_union, status_envelope, success_envelope},
    messages,
    request_fields::{FormOrJson, request_object},
    session_token::SessionToken,
    wire_types::code_set,
};
use crate::{
    domain::{Flag, Invalid, SessionId},
    flows::sessions::{RevokeOutcome, RevokeTarget, revoke_sessions},
    state::AppState,
};

request_object! {
    /// The fields of `revokeSessions`: `id` or `others`, not both.
    pub struct RevokeSessionsForm {
        /// 要下线的会话id, 见GET sessions (the id of the session to revoke, as `GET sessions` lists it; the current one included)
        pub id: Option<SessionId>,
        /// 为true时下线本账号的其他所有会话, 保留当前会话 (true: revoke every other live session of this account, keeping the current one)
        pub others: Option<Flag>,
    }
}

/// Why neither `id` nor `others=true` was given.
const NO_TARGET: Invalid =
    Invalid("缺少参数: 应给出id或others=true (missing: give id, or others=true)");
/// Why `id` and `others=true` were both given.
const TWO_TARGETS: Invalid =
    Invalid("不能与others=true同时给出 (give id or others=true, not both)");

impl RevokeSessionsForm {
    /// The sessions the fields choose; a bad combination is a bad `id`.
    fn target(&self) -> Result<RevokeTarget, BadField> {
        let others = self.others.is_some_and(Flag::is_set);
        match (self.id, others) {
            (Some(id), false) => Ok(RevokeTarget::One(id.get())),
            (None, true) => Ok(RevokeTarget::Others),
            (None, false) => Err(BadField::new("id", NO_TARGET)),
            (Some(_), true) => Err(BadField::new("id", TWO_TARGETS)),
        }
    }
}

/// `/sessions/revoke`'s operation.
pub struct RevokeSessionsApi;

#[OpenApi(prefix_path = super::document::BASE_PATH, tag = "ApiTags::Extensions")]
impl RevokeSessionsApi {
    /// 下线已登录的设备 (revoke sessions of this account)
    ///
    /// Not in the original document. With `id`, revokes that live session of
    /// the presented token's account (the presented one included: a logout);
    /// with `others=true`, every other live session of the account, keeping
    /// the presented one. 200 `下线成功` with how many were revoked; -1
    /// `会话不存在或已失效` when `id` is not a live session of this account
    /// (nothing is revoked; another account's session never is); 400 naming
    /// `id` when neither or both are given; code 401 `登录已失效，请重新登录`
    /// when the token is missing, unknown, expired or revoked.
    #[oai(
        path = "/sessions/revoke",
        method = "post",
        operation_id = "revokeSessions"
    )]
    async fn revoke_sessions(
        &self,
        state: Data<&AppState>,
        client: ClientAddress,
        token: SessionToken,
        body: FormOrJson<RevokeSessionsForm>,
    ) -> Answer<RevokeSessionsReply> {
        let target = match body.into_inner().target() {
            Ok(target) => target,
            Err(bad) => return Answer::ok(RevokeSessionsReply::bad_request(bad.message())),
        };
        let Some(token) = token.token() else {
            return Answer::ok(session_invalid());
        };
        match revoke_sessions(&state, token, target, client.get()).await {
            Ok(RevokeOutcome::Revoked(revoked)) => Answer::ok(RevokeSessionsReply::Success(
                RevokeSessionsSuccess::new(messages::SESSIONS_REVOKED, RevokedData { revoked }),
            )),
            Ok(RevokeOutcome::NoSuchSession) => {
                Answer::ok(RevokeSessionsReply::failure(-1, messages::NO_SUCH_SESSION))
            }
            Ok(RevokeOutcome::SessionInvalid) => Answer::ok(session_invalid()),
            Err(err) => Answer::failed("revokeSessions", &err),
        }
    }
}

fn session_invalid() -> RevokeSessionsReply {
    RevokeSessionsReply::failure(401, messages::SESSION_INVALID)
}

/// `data` of `sessions/revoke`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct RevokedData {
    /// 下线的会话数 (how many sessions were revoked)
    pub revoked: u64,
}

/// An example: two other sessions revoked.
impl Example for RevokedData {
    fn example() -> Self {
        Self { revoked: 2 }
    }
}

code_set!(
    /// Failure codes of `sessions/revoke`.
    RevokeFailureCodes = [-1, 400, 401, 429],
    "-1 会话不存在或已失效 (id is no live session of this account); 401 登录已失效 \
     (token missing, unknown, expired or revoked); 400 参数错误; 429 操作太频繁"
);

success_envelope!(
    /// Sessions revoked: `data` says how many.
    RevokeSessionsSuccess,
    RevokedData,
    "下线成功",
    example = "下线成功"
);

status_envelope!(
    /// A refused `sessions/revoke`.
    RevokeSessionsFailure,
    RevokeFailureCodes,
    "-1 会话不存在或已失效, 401 登录已失效, 400 参数错误, 429 操作太频繁"
);

reply_union!(
    /// The answer of `sessions/revoke`.
    RevokeSessionsReply,
    RevokeSessionsSuccess,
    RevokeSessionsFailure
);
