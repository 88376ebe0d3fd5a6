//! `applications`: apply to join an enterprise (an extension; POST).

use poem::web::Data;
use poem_openapi::OpenApi;

use super::{
    account_data::apply_details,
    client_address::ClientAddress,
    document::ApiTags,
    envelope::{Answer, reply_union, status_envelope, success_envelope},
    messages,
    request_fields::{FormOrJson, request_object},
    session_token::SessionToken,
    wire_types::{ApplyDetails, code_set},
};
use crate::{
    domain::EnterpriseId,
    flows::applications::{ApplyOutcome, apply},
    state::AppState,
};

request_object! {
    /// The fields of `applications`.
    pub struct ApplicationForm {
        /// 申请加入的企业id, 见GET enterprises (the id of the enterprise to join, as `GET enterprises` lists it)
        pub enterprise_id: EnterpriseId,
    }
}

/// `/applications`' operation.
pub struct ApplicationsApi;

#[OpenApi(prefix_path = super::document::BASE_PATH, tag = "ApiTags::Extensions")]
impl ApplicationsApi {
    /// 申请加入企业 (apply to join an enterprise)
    ///
    /// Not in the original document. Applies, for the presented token's
    /// account, to join `enterprise_id`: 200 `申请已提交` with the new
    /// application in `data`, as `apply` shows it (`apply_state` `"0"`);
    /// the next `login` and `/me` show it in `apply`. One pending
    /// application at a time: -1 `已有待审核的申请` while one is pending;
    /// applying again after a rejection is allowed. -1 `已是该企业成员` for
    /// the enterprise the account is a member of, -1 `企业不存在` for an
    /// unknown id; 400 naming `enterprise_id` when it is missing or not a
    /// positive integer; code 401 `登录已失效，请重新登录` when the token is
    /// missing, unknown, expired or revoked.
    #[oai(path = "/applications", method = "post", operation_id = "applications")]
    async fn applications(
        &self,
        state: Data<&AppState>,
        client: ClientAddress,
        token: SessionToken,
        body: FormOrJson<ApplicationForm>,
    ) -> Answer<ApplicationReply> {
        let enterprise_id = body.into_inner().enterprise_id;
        let Some(token) = token.token() else {
            return Answer::ok(session_invalid());
        };
        match apply(&state, token, enterprise_id.get(), client.get()).await {
            Ok(ApplyOutcome::Applied(application)) => Answer::ok(ApplicationReply::Success(
                ApplicationSuccess::new(messages::APPLIED, apply_details(application)),
            )),
            Ok(ApplyOutcome::AlreadyPending) => {
                Answer::ok(ApplicationReply::failure(-1, messages::APPLICATION_PENDING))
            }
            Ok(ApplyOutcome::AlreadyMember) => {
                Answer::ok(ApplicationReply::failure(-1, messages::ALREADY_MEMBER))
            }
            Ok(ApplyOutcome::NoSuchEnterprise) => {
                Answer::ok(ApplicationReply::failure(-1, messages::NO_SUCH_ENTERPRISE))
            }
            Ok(ApplyOutcome::SessionInvalid) => Answer::ok(session_invalid()),
            Err(err) => Answer::failed("applications", &err),
        }
    }
}

fn session_invalid() -> ApplicationReply {
    ApplicationReply::failure(401, messages::SESSION_INVALID)
}

code_set!(
    /// Failure codes of `applications`.
    ApplicationFailureCodes = [-1, 400, 401, 429],
    "-1 已有待审核的申请 / 已是该企业成员 / 企业不存在; 401 登录已失效 (token missing, \
     unknown, expired or revoked); 400 参数错误; 429 操作太频繁"
);

success_envelope!(
    /// The application is made: `data` is it, as `apply` shows it.
    ApplicationSuccess,
    ApplyDetails,
    "申请已提交",
    example = "申请已提交"
);

status_envelope!(
    /// A refused `applications`.
    ApplicationFailure,
    ApplicationFailureCodes,
    "-1 已有待审核的申请 / 已是该企业成员 / 企业不存在, 401 登录已失效, 400 参数错误, 429 操作太频繁"
);

reply_union!(
    /// The answer of `applications`.
    ApplicationReply,
    ApplicationSuccess,
    ApplicationFailure
);
