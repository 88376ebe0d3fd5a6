//! `enterprises`: the enterprises a user can apply to join, for the app's
//! picker (an extension; GET).

use poem::web::Data;
use poem_openapi::{Object, OpenApi, types::Example};

use super::{
    document::ApiTags,
    envelope::{Answer, reply_union, status_envelope, success_envelope},
    messages,
    request_fields::{QueryFields, request_object},
    session_token::{SessionFailureCodes, SessionToken},
};
use crate::{
    domain::Name,
    flows::applications::{EnterpriseChoice, enterprises},
    state::AppState,
};

request_object! {
    /// The query fields of `enterprises`.
    pub struct EnterprisesQuery {
        /// 企业名称包含的文字, 可选 (text the enterprise's name contains; optional: all when absent)
        pub name: Option<Name>,
    }
}

/// `/enterprises`' operation.
pub struct EnterprisesApi;

#[OpenApi(prefix_path = super::document::BASE_PATH, tag = "ApiTags::Extensions")]
impl EnterprisesApi {
    /// 可申请加入的企业 (the enterprises a user can apply to join)
    ///
    /// Not in the original document. Answers, for the app's picker, the
    /// first 50 enterprises (in id order) whose name contains `name` (all
    /// when it is absent): narrow a long list with `name`. Each has the `id`
    /// that `applications` takes. Code 401 `登录已失效，请重新登录` when the
    /// token is missing, unknown, expired or revoked.
    #[oai(path = "/enterprises", method = "get", operation_id = "enterprises")]
    async fn enterprises(
        &self,
        state: Data<&AppState>,
        token: SessionToken,
        fields: QueryFields<EnterprisesQuery>,
    ) -> Answer<EnterprisesReply> {
        let query = fields.into_inner();
        let Some(token) = token.token() else {
            return Answer::ok(session_invalid());
        };
        match enterprises(&state, token, query.name.as_ref()).await {
            Ok(Some(found)) => Answer::ok(EnterprisesReply::Success(EnterprisesSuccess::new(
                messages::FETCHED,
                EnterprisesData {
                    enterprises: found.into_iter().map(EnterpriseEntry::from).collect(),
                },
            ))),
            Ok(None) => Answer::ok(session_invalid()),
            Err(err) => Answer::failed("enterprises", &err),
        }
    }
}

fn session_invalid() -> EnterprisesReply {
    EnterprisesReply::failure(401, messages::SESSION_INVALID)
}

/// One enterprise.
#[derive(Debug, Object)]
#[oai(example)]
pub struct EnterpriseEntry {
    /// 企业id, 申请时使用 (the enterprise's id, what `applications` takes)
    pub id: i64,
    /// 企业名称 (the enterprise's name)
    pub name: String,
}

impl From<EnterpriseChoice> for EnterpriseEntry {
    fn from(choice: EnterpriseChoice) -> Self {
        Self {
            id: choice.id,
            name: choice.name,
        }
    }
}

/// The original document's enterprise.
impl Example for EnterpriseEntry {
    fn example() -> Self {
        Self {
            id: 1,
            name: "apple".to_owned(),
        }
    }
}

/// `data` of `enterprises`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct EnterprisesData {
    /// 名称匹配的企业, 按id排列, 最多50个 (the matching enterprises in id order, at most 50)
    pub enterprises: Vec<EnterpriseEntry>,
}

/// An example: one enterprise.
impl Example for EnterprisesData {
    fn example() -> Self {
        Self {
            enterprises: vec![EnterpriseEntry::example()],
        }
    }
}

success_envelope!(
    /// The enterprises (`/enterprises`).
    EnterprisesSuccess,
    EnterprisesData,
    "获取成功",
    example = "获取成功"
);

status_envelope!(
    /// A refused `/enterprises`.
    EnterprisesFailure,
    SessionFailureCodes,
    "401 登录已失效, 400 参数错误, 429 操作太频繁"
);

reply_union!(
    /// The answer of `/enterprises`.
    EnterprisesReply,
    EnterprisesSuccess,
    EnterprisesFailure
);
