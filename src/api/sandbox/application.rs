//! `POST /sandbox/users/{phone}/application`: put a user's enterprise
//! application in any state `login`'s `apply` reports.

use poem::web::Data;
use poem_openapi::OpenApi;

use super::{SandboxTags, fields::ApplicationStateField};
use crate::{
    api::{
        envelope::{Answer, Envelope, status_envelope},
        request_fields::{FormOrJson, Path, request_object},
        wire_types::code_set,
    },
    domain::Phone,
    sandbox::{
        Sandbox,
        fixtures::{self, ApplicationChange, ApplicationState},
    },
    state::AppState,
};

/// The enterprise applied to when none is named.
const DEFAULT_ENTERPRISE: &str = "apple";

request_object! {
    /// The fields of `sandbox/users/{phone}/application`.
    pub struct SandboxApplicationForm {
        // A bare `$ref`: `SandboxApplicationState` describes itself.
        #[allow(missing_docs, reason = "a bare `$ref`")]
        pub state: ApplicationStateField,
        /// 企业名, 默认apple, 不存在则创建 (the enterprise, by name; apple when absent; created when missing)
        pub enterprise: Option<String>,
        /// 批准后的权限, 逗号分隔 (the permissions once approved, comma-separated)
        pub permissions: Option<String>,
    }
}

code_set!(
    /// Codes of `sandbox/users/{phone}/application`.
    SandboxApplicationCodes = [200, -1, 400],
    "200 成功; -1 手机号未注册; 400 参数错误 (200 done; -1 no account has the phone; 400 bad parameter)"
);

status_envelope!(
    /// `{code, msg, data: ""}` of `sandbox/users/{phone}/application`.
    SandboxApplicationReply,
    SandboxApplicationCodes,
    "200 成功, -1 手机号未注册, 400 参数错误"
);

impl Envelope for SandboxApplicationReply {
    fn bad_request(msg: String) -> Self {
        Self::new(400, &msg)
    }
}

/// `POST /sandbox/users/{phone}/application`.
pub struct SandboxApplicationApi;

#[OpenApi(prefix_path = super::SANDBOX_PATH, tag = "SandboxTags::Sandbox")]
impl SandboxApplicationApi {
    /// 沙箱: 设置企业申请状态 (sandbox: set a user's enterprise application)
    ///
    /// Puts the user's latest application in `state`: `none` (`apply` is
    /// `{}`), `pending`, `approved` (a member of the enterprise, with
    /// `permissions`) or `rejected`, so every UI state of `login`'s `apply`
    /// can be reached on demand. -1 `手机号未注册` when no account has the
    /// phone.
    #[oai(
        path = "/users/:phone/application",
        method = "post",
        operation_id = "sandboxSetApplication"
    )]
    async fn set_application(
        &self,
        state: Data<&AppState>,
        sandbox: Data<&Sandbox>,
        /// 手机号, 1开头的11位数字 (mainland mobile number, 11 digits starting with 1)
        phone: Path<Phone>,
        body: FormOrJson<SandboxApplicationForm>,
    ) -> Answer<SandboxApplicationReply> {
        let form = body.into_inner();
        let change = ApplicationChange {
            phone: phone.as_str(),
            state: match form.state {
                ApplicationStateField::None => ApplicationState::None,
                ApplicationStateField::Pending => ApplicationState::Pending,
                ApplicationStateField::Approved => ApplicationState::Approved,
                ApplicationStateField::Rejected => ApplicationState::Rejected,
            },
            enterprise: form.enterprise.as_deref().unwrap_or(DEFAULT_ENTERPRISE),
            permissions: form
                .permissions
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|permission| !permission.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        let now = sandbox.clock.reading().now;
        match fixtures::set_application(&state.db, change, now).await {
            Ok(true) => Answer::ok(SandboxApplicationReply::new(200, "已设置 (set)")),
            Ok(false) => Answer::ok(SandboxApplicationReply::new(-1, "手机号未注册")),
            Err(err) => Answer::failed("sandbox application", &err),
        }
    }
}
