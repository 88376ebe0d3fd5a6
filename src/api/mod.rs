//! The HTTP API: one file per endpoint, and the OpenAPI document they generate.
//!
//! An endpoint's file holds its operations (GET and POST twins share one
//! request object whose fields are documented once), its reply types and the
//! mapping from its flow's outcome to its envelope. Around them: the
//! envelope machinery ([`envelope`]), request parsing (`request_fields`,
//! [`bad_request`]), the middleware of every answer (`http_edges`), and the
//! messages of the contract ([`messages`]).
//!
//! [`api_service`] is the one function that describes the API; the server
//! serves it and `account-api openapi` prints its document, neither needing a
//! database (state reaches operations through `Data`, not the API structs).

mod account_data;
pub mod admin;
pub mod bad_request;
mod client_address;
pub mod cors;
pub mod document;
pub mod envelope;
mod field_schemas;
pub mod forwarded_for;
mod health_check;
mod http_edges;
pub mod messages;
mod request_fields;
mod session_token;
mod utf8_fields;
pub mod wire_types;

mod applications;
mod enterprises;
mod forget_password;
mod healthz;
mod isregister;
mod livez;
mod login;
mod logout;
mod me;
mod register;
mod revoke_sessions;
mod root;
pub mod sandbox;
pub mod sendsms;
mod sessions;
mod verify_code;

use std::time::Duration;

use poem::{Endpoint, EndpointExt, IntoResponse, Response, Route, get, handler};
use poem_openapi::OpenApiService;

use crate::{sandbox::Sandbox, state::AppState};

pub use document::BASE_PATH;

document::operation_list!(
    /// Every operation, in the document's order.
    OperationList,
    operation_list = (
        sendsms::SendSmsApi,
        isregister::IsRegisterApi,
        register::RegisterApi,
        login::LoginApi,
        verify_code::VerifyCodeApi,
        forget_password::ForgetPasswordApi,
        me::MeApi,
        logout::LogoutApi,
        sessions::SessionsApi,
        revoke_sessions::RevokeSessionsApi,
        enterprises::EnterprisesApi,
        applications::ApplicationsApi,
        root::RootApi,
        livez::LivezApi,
        healthz::HealthzApi,
    )
);

/// Every operation, the GET operations' query parameters spread from their
/// request objects.
pub type Operations = document::QueryParameters<OperationList>;

fn operations() -> Operations {
    document::QueryParameters(operation_list())
}

/// The API and its description; the only place either is defined.
pub fn api_service() -> OpenApiService<Operations, ()> {
    OpenApiService::new(operations(), "Account API", "4.0").description(
        "手机App账号接口 v4.0: 短信验证码, 注册, 登录, 找回密码。\n\n\
         The account API of the mobile app, v4.0, served exactly as the original \
         document describes it, quirks included:\n\n\
         - Every business answer, refusals, bad parameters and rate limits \
         included, comes with HTTP status 200 in the envelope `{code, msg, data}`: \
         branch on `code`. Only transport failures use other statuses (404 unknown \
         path, 405 method not allowed, 408 body not received in time, 413 body over \
         64 KiB, 500 internal failure), still with an envelope. A server with every \
         connection slot taken answers a new connection with 503 and \
         `{\"code\":503,\"msg\":\"服务器繁忙，请稍后再试\",\"data\":\"\"}` before \
         reading its request, with `Retry-After: 1`.\n\
         - `sendsms` sends its code as a string (`\"200\"`) and no `data`; every \
         other operation sends a numeric code and always `data` (`\"\"` unless \
         documented otherwise).\n\
         - `register` sends `enterprise_id` as a number, `login` as a string.\n\
         - Rate limits answer code 429 (`\"429\"` in `sendsms`) with a `Retry-After` header.\n\
         - Operations documented as \"POST优先, GET\" have a POST (preferred) and a \
         GET operation. POST takes a form or JSON body with the same field names; \
         with an empty body it reads the query string, as the original examples do.",
    )
}

/// The OpenAPI document as pretty JSON, as committed in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    api_service().spec()
}

/// `/metrics`: every metric in the Prometheus text format, with the count
/// of accounts still on a legacy password hash read from this server's
/// database (left out, with a warning, when the database does not answer).
#[handler]
async fn metrics(state: poem::web::Data<&AppState>) -> Response {
    let legacy = match crate::flows::legacy_hashes::remaining(&state).await {
        Ok(count) => Some(count),
        Err(err) => {
            tracing::warn!(error = %err, "cannot count the accounts on a legacy password hash");
            None
        }
    };
    crate::metrics::render_with(legacy)
        .with_content_type("text/plain; version=0.0.4; charset=utf-8")
        .into_response()
}

/// How the HTTP application is put together beside its state.
#[derive(Clone, Default)]
pub struct AppOptions {
    /// How long reading a request's body may take, from its start.
    pub body_read_timeout: Duration,
    /// The web origins whose pages may call the API (CORS).
    pub cors: crate::settings::AllowedOrigins,
    /// The sandbox, whose operations are served too (`account-api sandbox`).
    pub sandbox: Option<Sandbox>,
    /// Whether `/metrics` is served here (not when it has a listener of its own).
    pub serve_metrics: bool,
}

/// The whole HTTP application over `state`.
pub fn app(state: AppState, options: AppOptions) -> impl Endpoint {
    let service = api_service();
    let mut documents = Route::new()
        .at("/openapi.json", get(service.spec_endpoint()))
        .at("/openapi.yaml", get(service.spec_endpoint_yaml()));
    if options.serve_metrics {
        documents = documents.at("/metrics", get(metrics));
    }
    let serve_metrics = options.serve_metrics;
    let routes = match options.sandbox {
        None => {
            let edges = http_edges::HttpEdges::for_api::<Operations>(
                options.body_read_timeout,
                serve_metrics,
            );
            documents
                .nest("/swagger", service.swagger_ui())
                .nest("/", service)
                .data(state)
                .around(move |endpoint, request| {
                    let edges = edges.clone();
                    async move { edges.handle(endpoint, request).await }
                })
                .boxed()
        }
        Some(sandbox) => {
            // One service with both sets of operations routes them and
            // lists both in Swagger UI; each document is served on its own.
            let both = OpenApiService::new(
                (operations(), sandbox::sandbox_operations()),
                "Account API (sandbox)",
                "4.0",
            );
            let edges = http_edges::HttpEdges::for_api::<(Operations, sandbox::SandboxOperations)>(
                options.body_read_timeout,
                serve_metrics,
            );
            let sandbox_document = sandbox::sandbox_service();
            documents
                .at(
                    "/sandbox/openapi.json",
                    get(sandbox_document.spec_endpoint()),
                )
                .nest("/swagger", both.swagger_ui())
                .nest("/", both)
                .data(state)
                .data(sandbox)
                .around(move |endpoint, request| {
                    let edges = edges.clone();
                    async move { edges.handle(endpoint, request).await }
                })
                .boxed()
        }
    };
    if options.cors.is_empty() {
        routes
    } else {
        cors::with_cors(routes, options.cors)
            .map_to_response()
            .boxed()
    }
}

/// `/metrics` alone, for its own listener (`--metrics-listen`): every other
/// path is 404, in the envelope.
pub fn metrics_app(state: AppState, body_read_timeout: Duration) -> impl Endpoint {
    let edges = http_edges::HttpEdges::for_api::<()>(body_read_timeout, true);
    Route::new()
        .at("/metrics", get(metrics))
        .data(state)
        .around(move |endpoint, request| {
            let edges = edges.clone();
            async move { edges.handle(endpoint, request).await }
        })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::Value;

    use super::openapi_json;

    #[test]
    fn the_committed_document_is_what_the_server_generates() {
        assert_committed("openapi/openapi.json", &openapi_json(), "openapi");
    }

    #[test]
    fn the_committed_sandbox_document_is_what_the_sandbox_generates() {
        assert_committed(
            "openapi/sandbox.json",
            &super::sandbox::sandbox_json(),
            "sandbox-openapi",
        );
        let api: Value = serde_json::from_str(&openapi_json()).unwrap();
        assert!(
            api["paths"]
                .as_object()
                .unwrap()
                .keys()
                .all(|path| !path.starts_with("/sandbox")),
            "a sandbox operation is in the API's document"
        );
    }

    /// Panics unless `file` holds `generated`, saying how to regenerate it.
    fn assert_committed(file: &str, generated: &str, command: &str) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed.trim_end() != generated.trim_end() {
            let first_difference = committed
                .lines()
                .zip(generated.lines())
                .position(|(a, b)| a != b)
                .map_or_else(
                    || "at the end".to_owned(),
                    |line| format!("at line {}", line + 1),
                );
            panic!(
                "{file} differs from the generated document ({first_difference}).\n\
                 Regenerate it with:\n\n    cargo run -q -- {command} > {file}\n"
            );
        }
    }

    #[test]
    fn each_documented_method_is_its_own_operation_with_a_unique_id() {
        let document: Value = serde_json::from_str(&openapi_json()).unwrap();
        let mut operations = Vec::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let id = operation["operationId"].as_str().unwrap().to_owned();
                operations.push((path.clone(), method.clone(), id));
            }
        }
        operations.sort();
        let expected = [
            ("/api/v4.0/applications", "post", "applications"),
            ("/api/v4.0/enterprises", "get", "enterprises"),
            ("/api/v4.0/forget_password", "get", "forgetPasswordGet"),
            ("/api/v4.0/forget_password", "post", "forgetPassword"),
            ("/api/v4.0/isregister/{phone}", "get", "isregister"),
            ("/api/v4.0/login", "get", "loginGet"),
            ("/api/v4.0/login", "post", "login"),
            ("/api/v4.0/logout", "post", "logout"),
            ("/api/v4.0/me", "get", "me"),
            ("/api/v4.0/register", "get", "registerGet"),
            ("/api/v4.0/register", "post", "register"),
            ("/api/v4.0/sendsms/{mobile}", "get", "sendsmsGet"),
            ("/api/v4.0/sendsms/{mobile}", "post", "sendsms"),
            ("/api/v4.0/sessions", "get", "sessions"),
            ("/api/v4.0/sessions/revoke", "post", "revokeSessions"),
            ("/api/v4.0/verify_code", "get", "verifyCode"),
            ("/healthz", "get", "healthz"),
            ("/livez", "get", "livez"),
        ];
        let expected: Vec<(String, String, String)> = expected
            .iter()
            .map(|(p, m, i)| (p.to_string(), m.to_string(), i.to_string()))
            .collect();
        assert_eq!(operations, expected);
    }

    #[test]
    fn sendsms_alone_sends_its_code_as_a_string() {
        let document: Value = serde_json::from_str(&openapi_json()).unwrap();
        let schemas = &document["components"]["schemas"];
        assert_eq!(schemas["SendSmsCode"]["type"], "string");
        assert_eq!(
            schemas["SendSmsCode"]["enum"],
            serde_json::json!(["200", "-1", "400", "429"])
        );
        assert!(schemas["SendSmsReply"]["properties"].get("data").is_none());
        assert_eq!(
            schemas["StatusReply"]["properties"]["code"]["type"],
            "integer"
        );
        assert_eq!(
            schemas["RegisterData"]["properties"]["enterprise_id"]["type"],
            "integer"
        );
        assert_eq!(
            schemas["LoginData"]["properties"]["enterprise_id"]["type"],
            "string"
        );
    }
}
