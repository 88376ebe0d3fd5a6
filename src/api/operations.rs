//! Liveness and health, for load balancers and orchestrators.

use poem::web::Data;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, payload::Json};

use super::ApiTags;
use crate::service::AppState;

/// Liveness and health checks.
pub struct OperationsApi;

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

/// The answer of `/`: a redirect to Swagger UI.
#[derive(ApiResponse)]
pub enum RootAnswer {
    /// See Swagger UI.
    #[oai(status = 303)]
    SeeSwagger(#[oai(header = "Location")] String),
}

#[OpenApi(tag = "ApiTags::Operations")]
impl OperationsApi {
    /// Redirects to Swagger UI; not part of the document.
    #[oai(path = "/", method = "get", hidden)]
    async fn root(&self) -> RootAnswer {
        RootAnswer::SeeSwagger("/swagger".to_owned())
    }

    /// 存活检查 (liveness)
    ///
    /// Answers `{"status": "ok"}` while the process serves requests; touches nothing else.
    #[oai(path = "/livez", method = "get", operation_id = "livez")]
    async fn livez(&self) -> LiveAnswer {
        LiveAnswer::Live(Json(Check {
            status: CheckStatus::Ok,
        }))
    }

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
