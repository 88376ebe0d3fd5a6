//! What happens around the operations: the 64 KiB body limit and the body
//! deadline, and envelopes for every failure poem would otherwise answer in
//! plain text (unknown path, wrong method, oversized or late body, panic).
//!
//! Failures on the `sendsms` path use its string-code envelope, everything
//! else the numeric one, so each answer matches its operation's schema.
//!
//! Every answer also gets an `X-Request-Id` (the client's, when it sent a
//! sane one), every log line of the request carries it, and the request is
//! counted and timed per operation for `/metrics`.

use std::{
    panic::AssertUnwindSafe,
    sync::Arc,
    time::{Duration, Instant},
};

use futures_util::FutureExt;
use poem::{
    Endpoint, IntoResponse, Request, Response,
    error::{MethodNotAllowedError, NotFoundError, ReadBodyError},
    http::{HeaderValue, Method, StatusCode, header, header::HeaderName},
};
use poem_openapi::{OpenApi, payload::Json};
use tracing::Instrument;

use super::{
    document::BASE_PATH,
    envelope::{NO_STORE, StatusReply, TransportFailure},
    messages,
    sendsms::{SendSmsCode, SendSmsReply, SendSmsTransportCode, SendSmsTransportFailure},
};

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The header carrying the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The middleware; cheap to clone.
#[derive(Clone)]
pub struct HttpEdges {
    /// Each documented path template, split at `/`, with its operations.
    routes: Arc<Vec<DocumentedPath>>,
    /// How long reading a request's body may take, from its start.
    body_read_timeout: Duration,
}

/// A path of the document and the operations on it.
struct DocumentedPath {
    /// The template split at `/` (`{param}` segments match anything).
    segments: Vec<String>,
    /// Method and operation id of each operation.
    operations: Vec<(Method, String)>,
}

/// Which envelope a path's failures use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// `sendsms`: string codes, no `data`.
    SendSms,
    /// Everything else: numeric codes and `data: ""`.
    Numeric,
}

impl HttpEdges {
    /// The middleware for the operations of `T` (and `/metrics` when
    /// `serves_metrics`), giving each request `body_read_timeout` to send
    /// its body.
    pub fn for_api<T: OpenApi>(body_read_timeout: Duration, serves_metrics: bool) -> Self {
        let mut routes = Vec::new();
        for api in T::meta() {
            for path in api.paths {
                routes.push(DocumentedPath {
                    segments: path.path.split('/').map(str::to_owned).collect(),
                    operations: path
                        .operations
                        .iter()
                        .map(|operation| {
                            let id = operation.operation_id.unwrap_or("unknown");
                            (operation.method.clone(), id.to_string())
                        })
                        .collect(),
                });
            }
        }
        // Served beside the API, outside the document.
        let beside: &[(&str, &str)] = if serves_metrics {
            &[("/", "root"), ("/metrics", "metrics")]
        } else {
            &[("/", "root")]
        };
        for (path, id) in beside {
            routes.push(DocumentedPath {
                segments: path.split('/').map(str::to_owned).collect(),
                operations: vec![(Method::GET, (*id).to_owned())],
            });
        }
        Self {
            routes: Arc::new(routes),
            body_read_timeout,
        }
    }

    /// Answers `request` through `endpoint`, with a request id, a log span,
    /// metrics, and the limits and envelopes of [`HttpEdges::answer`].
    pub async fn handle<E: Endpoint>(
        &self,
        endpoint: Arc<E>,
        request: Request,
    ) -> poem::Result<Response> {
        let started = Instant::now();
        let request_id = request
            .headers()
            .get(&REQUEST_ID)
            .and_then(|value| value.to_str().ok())
            .filter(|id| is_sane_request_id(id))
            .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), str::to_owned);
        let operation = self
            .operation_of(request.uri().path(), request.method())
            .unwrap_or("unknown")
            .to_owned();
        let span = tracing::info_span!("request", request_id = %request_id, operation = %operation);
        let mut response = self
            .answer(endpoint, request)
            .instrument(span.clone())
            .await;
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        let status = response.status();
        crate::metrics::REQUESTS
            .with_label_values(&[operation.as_str(), status.as_str()])
            .inc();
        crate::metrics::LATENCY
            .with_label_values(&[operation.as_str()])
            .observe(started.elapsed().as_secs_f64());
        span.in_scope(|| tracing::debug!(status = status.as_u16(), "answered"));
        Ok(response)
    }

    /// The operation id of `method` on `path`, if documented.
    fn operation_of(&self, path: &str, method: &Method) -> Option<&str> {
        self.path_of(path)?
            .operations
            .iter()
            .find(|(documented, _)| documented == method)
            .map(|(_, id)| id.as_str())
    }

    /// Runs `endpoint` for `request` with the body limit and deadline and the envelopes.
    async fn answer<E: Endpoint>(&self, endpoint: Arc<E>, mut request: Request) -> Response {
        let path = request.uri().path().to_owned();
        let sendsms = format!("{BASE_PATH}/sendsms");
        let style = if path == sendsms || path.starts_with(&format!("{sendsms}/")) {
            Style::SendSms
        } else {
            Style::Numeric
        };

        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
            return transport_failure(style, StatusCode::PAYLOAD_TOO_LARGE);
        }
        // One deadline for the whole body, so trickling it cannot stretch it.
        let body = request.take_body().into_bytes_limit(MAX_BODY_BYTES);
        match tokio::time::timeout(self.body_read_timeout, body).await {
            Err(_elapsed) => {
                tracing::debug!(
                    timeout_secs = self.body_read_timeout.as_secs(),
                    "the request body did not arrive in time"
                );
                return transport_failure(style, StatusCode::REQUEST_TIMEOUT);
            }
            Ok(Ok(bytes)) => request.set_body(bytes),
            Ok(Err(ReadBodyError::PayloadTooLarge)) => {
                return transport_failure(style, StatusCode::PAYLOAD_TOO_LARGE);
            }
            Ok(Err(err)) => {
                tracing::debug!(error = %err, "could not read the request body");
                return bad_request(style, "body", "无法读取 (could not be read)");
            }
        }

        let method = request.method().clone();
        let outcome = AssertUnwindSafe(endpoint.call(request))
            .catch_unwind()
            .await;
        match outcome {
            Ok(Ok(output)) => output.into_response(),
            Ok(Err(err)) if err.is::<NotFoundError>() => self.not_found(style, &path, &method),
            Ok(Err(err)) if err.is::<MethodNotAllowedError>() => {
                let mut response = transport_failure(style, StatusCode::METHOD_NOT_ALLOWED);
                if let Some(Ok(allow)) = self.allowed_methods(&path).map(|methods| methods.parse())
                {
                    response.headers_mut().insert(header::ALLOW, allow);
                }
                response
            }
            Ok(Err(err)) => {
                // Not from an operation (those answer every parse error
                // themselves); whatever it is, the client gets an envelope.
                let status = err.status();
                tracing::warn!(%path, %status, error = %err, "request failed outside an operation");
                if status.is_client_error() {
                    // The router refuses a path segment it cannot decode
                    // before any operation runs: name the path's parameter.
                    let field = path_parameter(&path).unwrap_or("request");
                    let reason = if percent_encoding::percent_decode_str(&path)
                        .decode_utf8()
                        .is_err()
                    {
                        crate::domain::NOT_UTF8.0
                    } else {
                        "无法解析 (could not be parsed)"
                    };
                    bad_request(style, field, reason)
                } else {
                    transport_failure(style, StatusCode::INTERNAL_SERVER_ERROR)
                }
            }
            Err(_panic) => {
                tracing::error!(%path, "request handler panicked");
                transport_failure(style, StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    /// 404, except where the path is one of ours with its only segment
    /// parameter left empty (`/sendsms/`): that is a missing parameter.
    fn not_found(&self, style: Style, path: &str, method: &Method) -> Response {
        let trimmed = path.trim_end_matches('/');
        for (name, field) in PATH_PARAMETERS {
            let route = format!("{BASE_PATH}/{name}");
            let allowed = self
                .allowed_methods(&format!("{route}/x"))
                .is_some_and(|methods| methods.split(", ").any(|m| m == method.as_str()));
            if trimmed == route && allowed {
                return bad_request(style, field, &crate::domain::MISSING.to_string());
            }
        }
        transport_failure(style, StatusCode::NOT_FOUND)
    }

    /// The methods of the documented path `path` matches, as an `Allow` value.
    fn allowed_methods(&self, path: &str) -> Option<String> {
        let documented = self.path_of(path)?;
        let methods: Vec<&str> = documented
            .operations
            .iter()
            .map(|(method, _)| method.as_str())
            .collect();
        Some(methods.join(", "))
    }

    /// The documented path `path` matches.
    fn path_of(&self, path: &str) -> Option<&DocumentedPath> {
        let segments: Vec<&str> = path.split('/').collect();
        self.routes.iter().find(|documented| {
            documented.segments.len() == segments.len()
                && documented
                    .segments
                    .iter()
                    .zip(&segments)
                    .all(|(expected, actual)| {
                        expected == actual || (expected.starts_with('{') && !actual.is_empty())
                    })
        })
    }
}

/// Whether a client's request id is short and plain enough to echo and log.
fn is_sane_request_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The operations with a path parameter, and its name.
const PATH_PARAMETERS: [(&str, &str); 2] = [("sendsms", "mobile"), ("isregister", "phone")];

/// The name of the parameter in `path`, when it is `/api/v4.0/<op>/<parameter>`.
fn path_parameter(path: &str) -> Option<&'static str> {
    let rest = path.strip_prefix(BASE_PATH)?.strip_prefix('/')?;
    let (operation, _) = rest.split_once('/')?;
    PATH_PARAMETERS
        .iter()
        .find(|(name, _)| *name == operation)
        .map(|(_, field)| *field)
}

/// A 400 envelope with HTTP 200, as an operation would answer (with
/// `Cache-Control: no-store`, as every business answer).
fn bad_request(style: Style, field: &str, reason: &str) -> Response {
    let msg = format!("{}: {field} {reason}", messages::BAD_PARAMETER);
    let mut response = match style {
        Style::SendSms => Json(SendSmsReply {
            code: SendSmsCode::BadParameter,
            msg,
        })
        .into_response(),
        Style::Numeric => Json(StatusReply::new(400, &msg)).into_response(),
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
    response
}

/// The envelope for a transport-level failure, with that HTTP status.
fn transport_failure(style: Style, status: StatusCode) -> Response {
    let (msg, sendsms_code) = match status {
        StatusCode::NOT_FOUND => (messages::NOT_FOUND, SendSmsTransportCode::NotFound),
        StatusCode::METHOD_NOT_ALLOWED => (
            messages::METHOD_NOT_ALLOWED,
            SendSmsTransportCode::MethodNotAllowed,
        ),
        StatusCode::REQUEST_TIMEOUT => (
            messages::REQUEST_TIMEOUT,
            SendSmsTransportCode::RequestTimeout,
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            messages::PAYLOAD_TOO_LARGE,
            SendSmsTransportCode::PayloadTooLarge,
        ),
        _ => (
            messages::INTERNAL_ERROR,
            SendSmsTransportCode::InternalError,
        ),
    };
    let body = match style {
        Style::SendSms => Json(SendSmsTransportFailure {
            code: sendsms_code,
            msg: msg.to_owned(),
        })
        .into_response(),
        Style::Numeric => {
            Json(TransportFailure::new(i32::from(status.as_u16()), msg)).into_response()
        }
    };
    let mut response = body;
    response.set_status(status);
    if matches!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT
    ) {
        // The rest of the body is not read: the connection cannot be reused.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
