//! The admin API's errors: RFC 7807 problem details
//! (`application/problem+json`), one shape for every failure, naming the
//! field at fault in a 400.

use poem::{
    IntoResponse, Response,
    http::{StatusCode, header},
};
use poem_openapi::{
    ApiResponse, Object,
    payload::Json,
    registry::{MetaResponses, Registry},
};

/// The media type of every error of the admin API.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 7807 problem: what went wrong, for a human and a program.
#[derive(Debug, Clone, Object)]
pub struct Problem {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[oai(rename = "type")]
    pub problem_type: String,
    /// The status's reason phrase (`Bad Request`, `Not Found`, ...).
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, in a sentence.
    pub detail: String,
    /// The request field at fault (a 400 only).
    #[oai(skip_serializing_if_is_none)]
    pub field: Option<String>,
}

impl Problem {
    /// A problem of `status` with `detail`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            problem_type: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
        }
    }

    /// A 400 naming `field`.
    pub fn bad_field(field: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        let field = field.into();
        Self {
            field: Some(field.clone()),
            ..Self::new(StatusCode::BAD_REQUEST, format!("{field}: {reason}"))
        }
    }

    /// The problem as a response, outside an operation (404, 405, 413, ...).
    pub fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::json!({
            "type": self.problem_type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        });
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, PROBLEM_JSON)
            .body(body.to_string())
    }
}

/// Every failure of an admin operation.
#[derive(Debug, ApiResponse)]
#[oai(bad_request_handler = "bad_request")]
pub enum AdminError {
    /// A parameter or the body is malformed; `field` names it.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// No `Authorization: Bearer` admin token, or one that is unknown or revoked.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>, #[oai(header = "WWW-Authenticate")] String),
    /// No such user (or other resource).
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The change conflicts with the current state.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The server failed; the cause is in its log.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

impl AdminError {
    /// A 400 naming `field`.
    pub fn bad_field(field: &str, reason: impl std::fmt::Display) -> Self {
        Self::BadRequest(Json(Problem::bad_field(field, reason)))
    }

    /// The 401 of a missing, unknown or revoked token.
    pub fn unauthorized() -> Self {
        Self::Unauthorized(
            Json(Problem::new(
                StatusCode::UNAUTHORIZED,
                "an admin token is needed: Authorization: Bearer adm_... (see account-api \
                 admin-token create); this one is missing, unknown or revoked",
            )),
            "Bearer realm=\"account-api admin\"".to_owned(),
        )
    }

    /// A 404 saying what was not found.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::NotFound(Json(Problem::new(StatusCode::NOT_FOUND, detail)))
    }

    /// A 409 saying what conflicts.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict(Json(Problem::new(StatusCode::CONFLICT, detail)))
    }

    /// A 500 for `err`, logged with `operation`.
    pub fn internal<E: std::fmt::Display + std::fmt::Debug>(operation: &str, err: &E) -> Self {
        tracing::error!(operation, error = %err, cause = ?err, "admin operation failed");
        Self::Internal(Json(Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server failed; the cause is in its log",
        )))
    }
}

/// A request an operation could not parse, as a 400 naming the parameter.
fn bad_request(err: poem::Error) -> AdminError {
    if err.status() == StatusCode::UNAUTHORIZED {
        // `Authorization` that is no bearer token (`Bearer ` and nothing).
        return AdminError::unauthorized();
    }
    if let Some(param) = err.downcast_ref::<poem_openapi::error::ParseParamError>() {
        return AdminError::bad_field(param.name, "could not be parsed");
    }
    if let Some(bad) = err.downcast_ref::<crate::api::bad_request::BadField>() {
        return AdminError::bad_field(&bad.field, &bad.reason);
    }
    if err.is::<poem_openapi::error::ContentTypeError>() {
        return AdminError::bad_field("body", "must be application/json");
    }
    if err.is::<poem_openapi::error::ParseRequestPayloadError>() {
        return AdminError::bad_field("body", "is not the JSON object documented");
    }
    AdminError::bad_field("request", "could not be parsed")
}

/// The answer of an admin operation: its success, or an [`AdminError`] —
/// including the 400 of a parameter the operation could not parse, which a
/// plain `Result` would leave to the success type.
pub struct AdminReply<T>(pub Result<T, AdminError>);

impl<T: ApiResponse> ApiResponse for AdminReply<T> {
    const BAD_REQUEST_HANDLER: bool = true;

    fn meta() -> MetaResponses {
        let mut meta = T::meta();
        meta.responses.extend(AdminError::meta().responses);
        meta
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
        AdminError::register(registry);
    }

    fn from_parse_request_error(err: poem::Error) -> Self {
        Self(Err(bad_request(err)))
    }
}

impl<T: IntoResponse> IntoResponse for AdminReply<T> {
    fn into_response(self) -> Response {
        match self.0 {
            Ok(answer) => answer.into_response(),
            Err(err) => err.into_response(),
        }
    }
}
