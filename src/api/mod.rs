//! The HTTP API: operations, envelopes, and the OpenAPI document they generate.
//!
//! [`api_service`] is the one function that describes the API; the server
//! serves it and `account-api openapi` prints its document, neither needing a
//! database (state reaches operations through `Data`, not the API structs).

mod account;
pub mod bad_request;
pub mod envelopes;
mod form_or_json;
mod http_edges;
pub mod messages;
mod operations;
pub mod wire_types;

use poem::{Endpoint, EndpointExt, Route};
use poem_openapi::{OpenApiService, Tags};

use crate::service::AppState;

pub use account::AccountApi;
pub use operations::OperationsApi;

/// Where the documented account operations live.
pub const BASE_PATH: &str = "/api/v4.0";

/// The groups operations are listed under.
#[derive(Tags)]
enum ApiTags {
    /// 账号接口 v4.0, 与原文档一致 (the account operations of the original v4.0 document)
    Account,
    /// 运维接口 (operations: liveness and health)
    Operations,
}

/// The API and its description; the only place either is defined.
pub fn api_service() -> OpenApiService<(AccountApi, OperationsApi), ()> {
    OpenApiService::new((AccountApi, OperationsApi), "Account API", "4.0").description(
        "手机App账号接口 v4.0: 短信验证码, 注册, 登录, 找回密码。\n\n\
         The account API of the mobile app, v4.0, served exactly as the original \
         document describes it, quirks included:\n\n\
         - Every business answer, refusals, bad parameters and rate limits \
         included, comes with HTTP status 200 in the envelope `{code, msg, data}`: \
         branch on `code`. Only transport failures use other statuses (404 unknown \
         path, 405 method not allowed, 413 body over 64 KiB, 500 internal failure), \
         still with an envelope.\n\
         - `sendsms` sends its code as a string (`\"200\"`) and no `data`; every \
         other operation sends a numeric code and always `data` (`\"\"` unless \
         documented otherwise).\n\
         - `register` sends `enterprise_id` as a number, `login` as a string.\n\
         - Operations documented as \"POST优先, GET\" have a POST (preferred) and a \
         GET operation. POST takes a form or JSON body with the same field names; \
         with an empty body it reads the query string, as the original examples do.",
    )
}

/// The OpenAPI document as pretty JSON, as committed in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    api_service().spec()
}

/// The whole HTTP application over `state`.
pub fn app(state: AppState) -> impl Endpoint {
    let service = api_service();
    let edges = http_edges::HttpEdges::for_api::<(AccountApi, OperationsApi)>();
    Route::new()
        .at("/openapi.json", service.spec_endpoint())
        .at("/openapi.yaml", service.spec_endpoint_yaml())
        .nest("/swagger", service.swagger_ui())
        .nest("/", service)
        .data(state)
        .around(move |endpoint, request| {
            let edges = edges.clone();
            async move { edges.handle(endpoint, request).await }
        })
}
