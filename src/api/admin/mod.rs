//! The admin API, for support staff: served only on its own listener
//! (`serve --admin-listen`), authenticated by admin tokens (`account-api
//! admin-token create`), described in its own OpenAPI document
//! (`/admin/openapi.json`, committed as `openapi/admin.json`) with Swagger
//! UI at `/admin/swagger`. Ordinary REST statuses, JSON bodies, and RFC 7807
//! problem details for every error ([`problem`]). One file per resource.

#![allow(
    clippy::result_large_err,
    reason = "an error is built once per refused request, never passed along a hot path"
)]

mod applications;
mod auth;
mod enterprises;
mod members;
mod paging;
pub mod problem;
mod users;
mod webhooks;
mod wire;

use std::time::Duration;

use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route, get, http::StatusCode};
use poem_openapi::{OpenApiService, Tags};

use crate::state::AppState;
use problem::Problem;

/// Where the admin operations live.
pub const ADMIN_PATH: &str = "/admin/v1";

/// The largest body the admin API reads.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The groups the admin operations are listed under.
#[derive(Tags)]
pub enum AdminTags {
    /// Accounts: search, look at one, disable, enable, end its sessions, delete.
    #[oai(rename = "users")]
    Users,
    /// Enterprises: create, list with member counts, rename, delete.
    #[oai(rename = "enterprises")]
    Enterprises,
    /// Applications to join an enterprise: list, approve, reject.
    #[oai(rename = "applications")]
    Applications,
    /// Account events' deliveries to webhook endpoints: list, replay, test.
    #[oai(rename = "webhooks")]
    Webhooks,
}

crate::api::document::operation_list!(
    /// Every admin operation, in the document's order.
    AdminOperations,
    admin_operations = (
        users::UsersApi,
        members::MembersApi,
        enterprises::EnterprisesApi,
        applications::ApplicationsApi,
        webhooks::WebhooksApi,
    )
);

/// The admin API and its description; the only place either is defined.
pub fn admin_service() -> OpenApiService<AdminOperations, ()> {
    OpenApiService::new(admin_operations(), "Account API admin", "1").description(
        "The admin API of account-api, for support staff: find accounts, disable and \
             enable them, end their sessions, delete them; manage enterprises; decide \
             applications to join them; set members' permissions. Served only on the address of \
             `serve --admin-listen` (never on the public listener). Every request carries \
             `Authorization: Bearer adm_...`, a token made with `account-api admin-token \
             create --name NAME`; every change writes an audit row naming that token. \
             Errors are RFC 7807 problem details (`application/problem+json`): 400 names \
             the field at fault in `field`, 401 a missing, unknown or revoked token, 404 an \
             unknown resource, 409 a conflicting change. Lists answer `{\"items\": [...], \
             \"next_cursor\": ...}`; pass `next_cursor` back as `cursor` for the next page \
             until it is null.",
    )
}

/// The admin document as pretty JSON, as committed in `openapi/admin.json`.
pub fn admin_json() -> String {
    admin_service().spec()
}

/// The admin application over `state`, for its own listener.
pub fn admin_app(state: AppState, body_read_timeout: Duration) -> impl Endpoint {
    let service = admin_service();
    Route::new()
        .at("/admin/openapi.json", get(service.spec_endpoint()))
        .nest("/admin/swagger", service.swagger_ui())
        .nest("/", service)
        .data(state)
        .around(move |endpoint, request| async move {
            Ok(answer(endpoint, request, body_read_timeout).await)
        })
}

/// Runs `endpoint` with the body limit and deadline; every failure outside
/// an operation becomes a problem.
async fn answer<E: Endpoint>(endpoint: E, mut request: Request, timeout: Duration) -> Response {
    use futures_util::FutureExt;
    use poem::error::{MethodNotAllowedError, NotFoundError, ReadBodyError};
    let body = request.take_body().into_bytes_limit(MAX_BODY_BYTES);
    match tokio::time::timeout(timeout, body).await {
        Err(_) => {
            return Problem::new(
                StatusCode::REQUEST_TIMEOUT,
                "the body did not arrive in time",
            )
            .into_response();
        }
        Ok(Err(ReadBodyError::PayloadTooLarge)) => {
            return Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "the body is over 64 KiB")
                .into_response();
        }
        Ok(Err(_)) => {
            return Problem::bad_field("body", "could not be read").into_response();
        }
        Ok(Ok(bytes)) => request.set_body(bytes),
    }
    let path = request.uri().path().to_owned();
    match std::panic::AssertUnwindSafe(endpoint.call(request))
        .catch_unwind()
        .await
    {
        Ok(Ok(output)) => output.into_response(),
        Ok(Err(err)) if err.is::<NotFoundError>() => Problem::new(
            StatusCode::NOT_FOUND,
            format!("no admin operation at {path}"),
        )
        .into_response(),
        Ok(Err(err)) if err.is::<MethodNotAllowedError>() => Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{path} does not take this method"),
        )
        .into_response(),
        Ok(Err(err)) if err.status().is_client_error() => {
            Problem::bad_field("request", "could not be parsed").into_response()
        }
        Ok(Err(err)) => {
            tracing::warn!(%path, error = %err, "admin request failed outside an operation");
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "the server failed").into_response()
        }
        Err(_panic) => {
            tracing::error!(%path, "admin request handler panicked");
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "the server failed").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    #[test]
    fn the_committed_admin_document_is_what_the_server_generates() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/admin.json");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed.trim_end() == super::admin_json().trim_end(),
            "openapi/admin.json differs from the generated document.\n\
             Regenerate it with:\n\n    cargo run -q -- admin-openapi > openapi/admin.json\n"
        );
    }

    #[test]
    fn every_admin_operation_is_under_the_admin_path_and_none_in_the_public_document() {
        let admin: Value = serde_json::from_str(&super::admin_json()).unwrap();
        let paths = admin["paths"].as_object().unwrap();
        assert!(!paths.is_empty());
        assert!(paths.keys().all(|path| path.starts_with(super::ADMIN_PATH)));
        let public: Value = serde_json::from_str(&crate::api::openapi_json()).unwrap();
        let public_paths = public["paths"].as_object().unwrap();
        assert!(
            public_paths.keys().all(|path| !path.starts_with("/admin")),
            "an admin path is in the public document"
        );
        let text = crate::api::openapi_json();
        assert!(
            !text.contains("adm_"),
            "the public document mentions admin tokens"
        );
    }

    #[test]
    fn every_admin_error_is_a_problem_and_every_operation_needs_the_token() {
        let admin: Value = serde_json::from_str(&super::admin_json()).unwrap();
        for (path, item) in admin["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                assert!(
                    operation["security"].is_array(),
                    "{method} {path} has no security"
                );
                for (status, response) in operation["responses"].as_object().unwrap() {
                    if status.starts_with('2') {
                        continue;
                    }
                    let content = response["content"].as_object().unwrap();
                    assert_eq!(
                        content.keys().collect::<Vec<_>>(),
                        ["application/problem+json"],
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}
