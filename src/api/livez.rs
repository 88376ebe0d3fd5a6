//! `livez`: liveness, for load balancers and orchestrators.

use poem_openapi::{ApiResponse, OpenApi, payload::Json};

use super::{
    document::ApiTags,
    health_check::{Check, CheckStatus},
};

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
