//! `healthz`: health, for routing traffic — is the database reachable?

use poem::web::Data;
use poem_openapi::{ApiResponse, OpenApi, payload::Json};

use super::{
    document::ApiTags,
    health_check::{Check, CheckStatus},
};
use crate::state::AppState;

/// The answer of `/healthz`.
#[derive(ApiResponse)]
pub enum HealthAnswer {
    /// 数据库可用 (the database answers)
    #[oai(status = 200)]
    Healthy(Json<Check>),
    /// 数据库不可用 (the database does not answer)
    #[oai(status = 503)]
    Unhealthy(Json<Check>),
}

/// `/healthz`'s operation.
pub struct HealthzApi;

#[OpenApi(tag = "ApiTags::Operations")]
impl HealthzApi {
    /// 健康检查 (health: is the database reachable?)
    ///
    /// 200 when the database answers a ping, 503 when it does not.
    #[oai(path = "/healthz", method = "get", operation_id = "healthz")]
    async fn healthz(&self, state: Data<&AppState>) -> HealthAnswer {
        match state.db.ping().await {
            Ok(()) => HealthAnswer::Healthy(Json(Check {
                status: CheckStatus::Ok,
            })),
            Err(err) => {
                tracing::warn!(error = %err, "health check: database unreachable");
                HealthAnswer::Unhealthy(Json(Check {
                    status: CheckStatus::Unavailable,
                }))
            }
        }
    }
}
