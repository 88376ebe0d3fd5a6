//! `/`: a redirect to Swagger UI, outside the document.

use poem_openapi::{ApiResponse, OpenApi};

/// The answer of `/`.
#[derive(ApiResponse)]
pub enum RootAnswer {
    /// See Swagger UI.
    #[oai(status = 303)]
    SeeSwagger(#[oai(header = "Location")] String),
}

/// `/`'s operation.
pub struct RootApi;

#[OpenApi]
impl RootApi {
    /// Redirects to Swagger UI; not part of the document.
    #[oai(path = "/", method = "get", hidden)]
    async fn root(&self) -> RootAnswer {
        RootAnswer::SeeSwagger("/swagger".to_owned())
    }
}
