//! Checking one response against what the document declares for its operation.

use std::{collections::HashMap, fmt};

use serde_json::Value;

use crate::{
    document::{Document, Operation, media_type_essence},
    http::HttpResponse,
    schema::{SchemaValidator, escape_pointer},
};

/// What kind of promise a response broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ViolationKind {
    /// No HTTP answer at all (connection refused or reset, timeout).
    NoAnswer,
    /// An HTTP 5xx: the contract allows none for any input.
    ServerError,
    /// A status the operation does not declare.
    UndeclaredStatus,
    /// A content type the operation does not declare for that status.
    UndeclaredContentType,
    /// A JSON content type with a body that is not JSON.
    NotJson,
    /// A body that does not match the declared schema.
    SchemaMismatch,
    /// A body where the document declares none.
    UnexpectedBody,
    /// A declared response header missing (when required) or not matching its schema.
    BadHeader,
}

impl ViolationKind {
    /// A short phrase for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Self::NoAnswer => "no HTTP answer",
            Self::ServerError => "server error (5xx)",
            Self::UndeclaredStatus => "undeclared HTTP status",
            Self::UndeclaredContentType => "undeclared content type",
            Self::NotJson => "body is not JSON",
            Self::SchemaMismatch => "body does not match the schema",
            Self::UnexpectedBody => "body where none is declared",
            Self::BadHeader => "response header breaks its declaration",
        }
    }
}

/// One broken promise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// What kind.
    pub kind: ViolationKind,
    /// What exactly, in words.
    pub message: String,
    /// The schema keyword that failed, for schema mismatches.
    pub schema_path: Option<String>,
}

impl Violation {
    /// What makes two violations "the same" for grouping: kind and place.
    pub fn signature(&self) -> String {
        match &self.schema_path {
            Some(path) => format!("{} @ {path}", self.kind.describe()),
            None => format!("{}: {}", self.kind.describe(), self.message),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.describe(), self.message)?;
        if let Some(path) = &self.schema_path {
            write!(f, "\n    schema path: {path}")?;
        }
        Ok(())
    }
}

/// The document with a compiled validator for every declared response body.
pub struct Contract {
    /// The document.
    pub document: Document,
    /// By (method, path, status key, media type).
    validators: HashMap<(String, String, String, String), SchemaValidator>,
}

impl fmt::Debug for Contract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Contract")
            .field("validators", &self.validators.len())
            .finish()
    }
}

impl Contract {
    /// Compiles every response schema of `document`.
    pub fn new(document: Document) -> Result<Self, String> {
        let mut validators = HashMap::new();
        for op in document.operations() {
            let operation = document.operation_json(&op);
            for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                let response = document.resolve(response);
                for (name, header) in response["headers"].as_object().into_iter().flatten() {
                    let header = document.resolve(header);
                    let location = format!(
                        "#/paths/{}/{}/responses/{status}/headers/{}/schema",
                        escape_pointer(&op.path),
                        op.method,
                        escape_pointer(name)
                    );
                    let validator =
                        SchemaValidator::compile(&document, &header["schema"], &location)?;
                    validators.insert(
                        (
                            op.method.clone(),
                            op.path.clone(),
                            status.clone(),
                            format!("header:{}", name.to_ascii_lowercase()),
                        ),
                        validator,
                    );
                }
                for (media_type, media) in response["content"].as_object().into_iter().flatten() {
                    let Some(schema) = media.get("schema") else {
                        continue;
                    };
                    let location = format!(
                        "#/paths/{}/{}/responses/{status}/content/{}/schema",
                        escape_pointer(&op.path),
                        op.method,
                        escape_pointer(media_type)
                    );
                    let validator = SchemaValidator::compile(&document, schema, &location)?;
                    validators.insert(
                        (
                            op.method.clone(),
                            op.path.clone(),
                            status.clone(),
                            media_type.clone(),
                        ),
                        validator,
                    );
                }
            }
        }
        Ok(Self {
            document,
            validators,
        })
    }

    /// The committed document, compiled.
    pub fn committed() -> Self {
        Self::new(Document::committed()).expect("the committed document compiles")
    }

    /// Every way `response` (or the failure to get one) breaks the document's
    /// promises for `operation`; empty when it keeps them all.
    pub fn check(
        &self,
        operation: &Operation,
        response: &Result<HttpResponse, String>,
    ) -> Vec<Violation> {
        let response = match response {
            Ok(response) => response,
            Err(err) => {
                return vec![Violation {
                    kind: ViolationKind::NoAnswer,
                    message: err.clone(),
                    schema_path: None,
                }];
            }
        };
        let mut violations = Vec::new();
        let status = response.status;
        if status >= 500 {
            violations.push(Violation {
                kind: ViolationKind::ServerError,
                message: format!(
                    "HTTP {status}; the contract allows no server error for any input"
                ),
                schema_path: None,
            });
        }
        let operation_json = self.document.operation_json(operation);
        let responses = &operation_json["responses"];
        let Some(status_key) = declared_status(responses, status) else {
            let declared: Vec<&String> = responses
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k)
                .collect();
            violations.push(Violation {
                kind: ViolationKind::UndeclaredStatus,
                message: format!("HTTP {status} is not among the declared {declared:?}"),
                schema_path: None,
            });
            return violations;
        };
        let declared_response = self.document.resolve(&responses[&status_key]);
        violations.extend(self.check_headers(operation, &status_key, declared_response, response));
        let content = declared_response["content"].as_object();
        let Some(content) = content.filter(|c| !c.is_empty()) else {
            if !response.body.is_empty() {
                violations.push(Violation {
                    kind: ViolationKind::UnexpectedBody,
                    message: format!(
                        "HTTP {status} declares no content but {} bytes came",
                        response.body.len()
                    ),
                    schema_path: None,
                });
            }
            return violations;
        };
        let actual = response.content_type.as_deref().unwrap_or("");
        let Some(media_type) = content
            .keys()
            .find(|declared| content_type_matches(declared, actual))
        else {
            let declared: Vec<&String> = content.keys().collect();
            violations.push(Violation {
                kind: ViolationKind::UndeclaredContentType,
                message: format!(
                    "HTTP {status} came as {:?}; declared: {declared:?}",
                    response
                        .content_type
                        .as_deref()
                        .unwrap_or("(no content type)")
                ),
                schema_path: None,
            });
            return violations;
        };
        if !is_json(media_type) {
            return violations;
        }
        let body: Value = match serde_json::from_slice(&response.body) {
            Ok(body) => body,
            Err(err) => {
                violations.push(Violation {
                    kind: ViolationKind::NotJson,
                    message: format!("declared {media_type:?}, but: {err}"),
                    schema_path: None,
                });
                return violations;
            }
        };
        let key = (
            operation.method.clone(),
            operation.path.clone(),
            status_key.clone(),
            media_type.clone(),
        );
        if let Some(validator) = self.validators.get(&key) {
            let errors = validator.errors(&body);
            if let Some(first) = errors.first() {
                let listed: Vec<String> = errors
                    .iter()
                    .take(8)
                    .map(|e| format!("\n    - {e}"))
                    .collect();
                violations.push(Violation {
                    kind: ViolationKind::SchemaMismatch,
                    message: format!(
                        "HTTP {status} body does not match {}:{}",
                        validator.location,
                        listed.concat()
                    ),
                    schema_path: Some(first.schema_path.clone()),
                });
            }
        }
        violations
    }
}

impl Contract {
    /// Declared response headers: present when required, matching their schema when present.
    fn check_headers(
        &self,
        operation: &Operation,
        status_key: &str,
        declared_response: &Value,
        response: &HttpResponse,
    ) -> Vec<Violation> {
        let mut violations = Vec::new();
        for (name, header) in declared_response["headers"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let header = self.document.resolve(header);
            let Some(text) = response.header(name) else {
                if header["required"] == Value::Bool(true) {
                    violations.push(Violation {
                        kind: ViolationKind::BadHeader,
                        message: format!("required header {name} is missing"),
                        schema_path: None,
                    });
                }
                continue;
            };
            let key = (
                operation.method.clone(),
                operation.path.clone(),
                status_key.to_owned(),
                format!("header:{}", name.to_ascii_lowercase()),
            );
            let Some(validator) = self.validators.get(&key) else {
                continue;
            };
            let value = header_value(text, &header["schema"]);
            if let Some(error) = validator.errors(&value).first() {
                violations.push(Violation {
                    kind: ViolationKind::BadHeader,
                    message: format!("header {name}: {text:?}: {error}"),
                    schema_path: Some(error.schema_path.clone()),
                });
            }
        }
        violations
    }
}

/// A header's text as the JSON value its schema describes (headers are text on the wire).
fn header_value(text: &str, schema: &Value) -> Value {
    let text = text.trim();
    let parsed = match schema["type"].as_str() {
        Some("integer") => text
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| text.parse::<u64>().map(Value::from))
            .ok(),
        Some("number") => text.parse::<f64>().ok().map(Value::from),
        Some("boolean") => text.parse::<bool>().ok().map(Value::from),
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::String(text.to_owned()))
}

/// The key of `responses` that covers `status`: exact, then `5XX`-style, then `default`.
fn declared_status(responses: &Value, status: u16) -> Option<String> {
    let responses = responses.as_object()?;
    let exact = status.to_string();
    if responses.contains_key(&exact) {
        return Some(exact);
    }
    let range = format!("{}XX", status / 100);
    if let Some(key) = responses.keys().find(|k| k.eq_ignore_ascii_case(&range)) {
        return Some(key.clone());
    }
    responses
        .contains_key("default")
        .then(|| "default".to_owned())
}

/// Whether the `actual` content type is the `declared` one: the same media
/// type, and every parameter the document names (such as `charset=utf-8`).
pub fn content_type_matches(declared: &str, actual: &str) -> bool {
    if media_type_essence(declared) != media_type_essence(actual) {
        return false;
    }
    let parameters = |text: &str| -> Vec<(String, String)> {
        text.split(';')
            .skip(1)
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| {
                (
                    k.trim().to_ascii_lowercase(),
                    v.trim().trim_matches('"').to_ascii_lowercase(),
                )
            })
            .collect()
    };
    let actual_parameters = parameters(actual);
    parameters(declared)
        .iter()
        .all(|p| actual_parameters.contains(p))
}

fn is_json(media_type: &str) -> bool {
    let essence = media_type_essence(media_type);
    essence == "application/json" || essence.ends_with("+json")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer with the headers every business answer has (the document
    /// requires `Cache-Control` on each).
    fn response(status: u16, content_type: &str, body: &str) -> Result<HttpResponse, String> {
        Ok(HttpResponse {
            status,
            content_type: Some(content_type.to_owned()),
            headers: vec![
                ("content-type".to_owned(), content_type.to_owned()),
                ("cache-control".to_owned(), "no-store".to_owned()),
            ],
            body: body.as_bytes().to_vec(),
        })
    }

    const JSON: &str = "application/json; charset=utf-8";

    fn kinds(violations: &[Violation]) -> Vec<ViolationKind> {
        violations.iter().map(|v| v.kind).collect()
    }

    #[test]
    fn the_original_documents_examples_keep_the_contract() {
        let contract = Contract::committed();
        let doc = &contract.document;
        let cases = [
            ("sendsmsGet", r#"{"code": "200", "msg": "发送成功"}"#),
            (
                "isregister",
                r#"{"code": -1, "data": "", "msg": "手机号已经被注册"}"#,
            ),
            (
                "registerGet",
                r#"{"code": 200, "msg": "注册成功", "data": {"change_device": false, "enterprise_id": -1,
                    "token": "9ea13c9003d53e4e17b0b9aaf1e634b0", "user_id": "f223fa5c92e846349031b0eb06868478",
                    "name": "asdasd", "pemissions": [], "apply": {}}}"#,
            ),
            (
                "loginGet",
                r#"{"code": 200, "msg": "登录成功", "data": {"apply": {"apply_eid": 1, "apply_name": "apple",
                    "apply_state": "0"}, "change_device": false, "enterprise_id": "-1",
                    "token": "5a2dd48054d694b0fcaeef1ecca767a2", "user_id": "f223fa5c92e846349031b0eb06868478",
                    "name": "asdasd", "pemissions": []}}"#,
            ),
            (
                "verifyCode",
                r#"{"code": 200, "data": "", "msg": "验证码正确"}"#,
            ),
            (
                "forgetPasswordGet",
                r#"{"code": 200, "data": "", "msg": "修改成功"}"#,
            ),
        ];
        for (id, body) in cases {
            let op = doc.operation_by_id(id).unwrap();
            assert_eq!(
                contract.check(&op, &response(200, JSON, body)),
                vec![],
                "{id}"
            );
        }
    }

    #[test]
    fn each_kind_of_broken_promise_is_named() {
        let contract = Contract::committed();
        let sendsms = contract.document.operation_by_id("sendsms").unwrap();
        let login = contract.document.operation_by_id("login").unwrap();

        let numeric_code =
            contract.check(&sendsms, &response(200, JSON, r#"{"code":200,"msg":"x"}"#));
        assert_eq!(kinds(&numeric_code), vec![ViolationKind::SchemaMismatch]);
        assert!(
            numeric_code[0]
                .schema_path
                .as_deref()
                .unwrap()
                .starts_with("#/components/schemas/SendSmsCode"),
            "{numeric_code:#?}"
        );

        let plain = contract.check(&login, &response(400, "text/plain", "Bad Request"));
        assert_eq!(kinds(&plain), vec![ViolationKind::UndeclaredStatus]);

        let wrong_type = contract.check(&login, &response(200, "text/plain; charset=utf-8", "{}"));
        assert_eq!(
            kinds(&wrong_type),
            vec![ViolationKind::UndeclaredContentType]
        );

        let not_json = contract.check(&login, &response(200, JSON, "Bad Request"));
        assert_eq!(kinds(&not_json), vec![ViolationKind::NotJson]);

        let internal = contract.check(
            &login,
            &response(
                500,
                JSON,
                r#"{"code":500,"msg":"服务器内部错误","data":""}"#,
            ),
        );
        assert_eq!(kinds(&internal), vec![ViolationKind::ServerError]);

        let missing = contract.check(
            &login,
            &response(
                200,
                JSON,
                r#"{"code":200,"msg":"登录成功","data":{"apply":{},"change_device":false,"enterprise_id":"-1",
                    "token":"5a2dd48054d694b0fcaeef1ecca767a2","user_id":"f223fa5c92e846349031b0eb06868478","name":"a"}}"#,
            ),
        );
        assert_eq!(kinds(&missing), vec![ViolationKind::SchemaMismatch]);
        assert!(
            missing[0].message.contains("pemissions"),
            "{}",
            missing[0].message
        );

        let mut bad_retry = response(
            200,
            JSON,
            r#"{"code":429,"msg":"操作太频繁，请稍后再试","data":""}"#,
        )
        .unwrap();
        bad_retry
            .headers
            .push(("retry-after".to_owned(), "soon".to_owned()));
        let bad_retry = contract.check(&login, &Ok(bad_retry));
        assert_eq!(kinds(&bad_retry), vec![ViolationKind::BadHeader]);

        let unreachable = contract.check(&login, &Err("connection refused".to_owned()));
        assert_eq!(kinds(&unreachable), vec![ViolationKind::NoAnswer]);
    }

    #[test]
    fn content_types_match_on_media_type_and_declared_parameters() {
        assert!(content_type_matches(
            JSON,
            "application/json; charset=utf-8"
        ));
        assert!(content_type_matches(JSON, "Application/JSON;charset=UTF-8"));
        assert!(!content_type_matches(JSON, "application/json"));
        assert!(content_type_matches(
            "application/json",
            "application/json; charset=utf-8"
        ));
        assert!(!content_type_matches(JSON, "text/plain; charset=utf-8"));
    }
}
