//! Checks every response against the OpenAPI document the server publishes,
//! so every test also proves the document tells the truth.
//!
//! The schema is the one the document declares for the operation (path
//! template + method) and the HTTP status, under the content type
//! `application/json; charset=utf-8`, with `$ref`s into `#/components` resolved
//! against the document itself. Transport failures the document cannot list
//! (404 for a path it does not have, 405 for a method it does not have) are
//! checked against the transport envelopes it defines in `components`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use jsonschema::{Draft, Validator};
use serde_json::{Value, json};

/// The content type of every envelope.
pub const JSON_UTF8: &str = "application/json; charset=utf-8";

/// Where the documented account operations live.
pub const API_PREFIX: &str = "/api/v4.0/";

/// The live OpenAPI document and the validators built from it so far.
pub struct ResponseSchemas {
    document: Value,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

/// Which schema of the document a response must satisfy.
enum Expected {
    /// The schema at this JSON pointer into the document.
    Declared(String),
    /// Not described by the document (Swagger UI, the spec itself, a redirect).
    Undescribed,
}

impl ResponseSchemas {
    /// Checks against `document`, an OpenAPI 3.0 document.
    pub fn new(document: Value) -> Self {
        assert_eq!(
            document["openapi"], "3.0.0",
            "the served document is not OpenAPI 3.0.0"
        );
        Self {
            document,
            validators: Mutex::new(HashMap::new()),
        }
    }

    /// The document.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// Panics unless `body` (answered with `status` and `content_type` to
    /// `method path`) is what the document promises.
    pub fn check(
        &self,
        method: &str,
        path: &str,
        status: u16,
        content_type: Option<&str>,
        body: &Value,
    ) {
        let what = format!("{method} {path} answered HTTP {status}");
        // Only `/metrics` speaks text: Prometheus's exposition format.
        assert!(
            path == "/metrics" || !content_type.is_some_and(|ct| ct.starts_with("text/plain")),
            "{what} in text/plain: {body}"
        );
        let envelope_expected = path.starts_with(API_PREFIX) || is_transport_failure(status);
        if envelope_expected {
            assert_eq!(
                content_type,
                Some(JSON_UTF8),
                "{what} with the wrong content type"
            );
        }
        let pointer = match self.expected_schema(method, path, status) {
            Expected::Declared(pointer) => pointer,
            Expected::Undescribed => {
                assert!(
                    !envelope_expected,
                    "{what}, which the document does not describe: {body}"
                );
                return;
            }
        };
        let errors = self.violations_of(&pointer, body);
        assert!(
            errors.is_empty(),
            "{what} with a body the document does not allow (schema {pointer}):\n{}\nbody: {body}",
            errors.join("\n")
        );
    }

    /// What is wrong with `body` as an answer to `method path` with HTTP
    /// `status`, by the document; empty when nothing is (or nothing is documented).
    pub fn violations(&self, method: &str, path: &str, status: u16, body: &Value) -> Vec<String> {
        match self.expected_schema(method, path, status) {
            Expected::Declared(pointer) => self.violations_of(&pointer, body),
            Expected::Undescribed => Vec::new(),
        }
    }

    fn violations_of(&self, pointer: &str, body: &Value) -> Vec<String> {
        self.validator(pointer)
            .iter_errors(body)
            .map(|error| format!("{error} at {}", error.instance_path()))
            .collect()
    }

    /// The JSON pointer of the schema a response must satisfy.
    fn expected_schema(&self, method: &str, path: &str, status: u16) -> Expected {
        let method = method.to_ascii_lowercase();
        let paths = self.document["paths"]
            .as_object()
            .expect("the document has paths");
        // A path whose parameter segment is empty (`/sendsms/`) is answered by
        // that operation as a missing parameter, so it matches loosely too.
        let template = paths
            .keys()
            .find(|template| matches_template(template, path, false))
            .or_else(|| {
                paths
                    .keys()
                    .find(|template| matches_template(template, path, true))
            });
        if let Some(template) = template {
            let operation = &paths[template.as_str()][method.as_str()];
            let content = &operation["responses"][status.to_string()]["content"];
            if let Some(media) = content.as_object() {
                assert!(
                    media.contains_key(JSON_UTF8),
                    "{method} {template} {status} is not documented as {JSON_UTF8}"
                );
                return Expected::Declared(format!(
                    "/paths/{}/{method}/responses/{status}/content/{}/schema",
                    escape_pointer(template),
                    escape_pointer(JSON_UTF8)
                ));
            }
        }
        if is_transport_failure(status) {
            let sendsms = format!("{API_PREFIX}sendsms");
            let envelope = if path == sendsms || path.starts_with(&format!("{sendsms}/")) {
                "SendSmsTransportFailure"
            } else {
                "TransportFailure"
            };
            return Expected::Declared(format!("/components/schemas/{envelope}"));
        }
        Expected::Undescribed
    }

    /// The validator of the schema at `pointer`, built on first use.
    fn validator(&self, pointer: &str) -> Arc<Validator> {
        let mut validators = self.validators.lock().unwrap();
        if let Some(validator) = validators.get(pointer) {
            return Arc::clone(validator);
        }
        let schema = self
            .document
            .pointer(pointer)
            .unwrap_or_else(|| panic!("the document has no {pointer}"));
        // `allOf` keeps the schema's own `$ref` away from the root (where
        // draft 4 would ignore its siblings); `components` beside it makes
        // `#/components/schemas/...` resolve inside this root.
        let root = json!({
            "allOf": [schema],
            "components": self.document["components"],
        });
        let validator = Arc::new(
            jsonschema::options()
                .with_draft(Draft::Draft4)
                .build(&root)
                .unwrap_or_else(|err| panic!("the schema at {pointer} does not compile: {err}")),
        );
        validators.insert(pointer.to_owned(), Arc::clone(&validator));
        validator
    }
}

/// The statuses every path may answer with a transport envelope.
fn is_transport_failure(status: u16) -> bool {
    matches!(status, 404 | 405 | 408 | 413 | 500)
}

/// Whether `path` is an instance of the OpenAPI path `template`.
fn matches_template(template: &str, path: &str, allow_empty_parameters: bool) -> bool {
    let expected: Vec<&str> = template.split('/').collect();
    let actual: Vec<&str> = path.split('/').collect();
    expected.len() == actual.len()
        && expected.iter().zip(&actual).all(|(expected, actual)| {
            expected == actual
                || (expected.starts_with('{') && (allow_empty_parameters || !actual.is_empty()))
        })
}

/// `text` as one reference token of a JSON pointer.
fn escape_pointer(text: &str) -> String {
    text.replace('~', "~0").replace('/', "~1")
}
