//! `livez`: liveness, for load balancers and orchestrators; and the result
//! type of both checks (`/healthz` answers it too).

use poem_openapi::{ApiResponse, Enum, Object, OpenApi, payload::Json};

use super::document::ApiTags;

/// 检查结果: `ok` 或 `unavailable` (whether a check passed: `ok` or `unavailable`)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum CheckStatus {
    /// The check passed.
    Ok,
    /// The check failed.
    Unavailable,
}

/// The result of a check.
#[derive(Debug, Object)]
pub struct Check {
    // A bare `$ref`: `CheckStatus` describes itself.
    pub status: CheckStatus,
}

/// The answer of `/livez`.
#[derive(ApiResponse)]
pub enum LiveAnswer {
    /// 进程在服务 (the process is serving requests)
    #[oai(status = 200)]
    Live(Json<Check>),
}

/// `/livez`'s operation.
pub struct LivezApi;

#[OpenApi(tag = "ApiTags::Operations")]
impl LivezApi {
    /// 存活检查 (liveness)
    ///
    /// Answers `{"status": "ok"}` while the process serves requests; touches nothing else.
    #[oai(path = "/livez", method = "get", operation_id = "livez")]
    async fn livez(&self) -> LiveAnswer {
        LiveAnswer::Live(Json(Check {
            status: CheckStatus::Ok,
        }))
    }
}
