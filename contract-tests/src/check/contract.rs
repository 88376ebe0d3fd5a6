//! The document compiled: a validator for every declared response body and
//! header, and one response checked against its operation.

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex},
};

use serde_json::Value;

use super::{
    content::check_content,
    violation::{Violation, ViolationKind},
};
use crate::{
    document::{Document, Operation},
    http::HttpResponse,
    schema::{SchemaValidator, escape_pointer},
};

/// The document with a compiled validator for every declared response body.
pub struct Contract {
    /// The document.
    pub document: Document,
    /// By (method, path, status key, media type).
    validators: HashMap<(String, String, String, String), SchemaValidator>,
    /// The schemas [`Contract::check_as`] was asked for, by reference, compiled on first use.
    pub(super) referenced: Mutex<HashMap<String, Arc<SchemaValidator>>>,
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
            referenced: Mutex::new(HashMap::new()),
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
        violations.extend(check_content(declared_response, response, |media_type| {
            self.validators.get(&(
                operation.method.clone(),
                operation.path.clone(),
                status_key.clone(),
                media_type.to_owned(),
            ))
        }));
        violations
    }

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
pub(crate) fn declared_status(responses: &Value, status: u16) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::{JSON, assert_one_mismatch_under, kinds, response};

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
        assert_one_mismatch_under(&numeric_code, "#/components/schemas/SendSmsCode");

        let login_answer = |status: u16, content_type: &str, body: &str| {
            contract.check(&login, &response(status, content_type, body))
        };
        let plain = login_answer(400, "text/plain", "Bad Request");
        assert_eq!(kinds(&plain), vec![ViolationKind::UndeclaredStatus]);

        let wrong_type = login_answer(200, "text/plain; charset=utf-8", "{}");
        assert_eq!(
            kinds(&wrong_type),
            vec![ViolationKind::UndeclaredContentType]
        );

        let not_json = login_answer(200, JSON, "Bad Request");
        assert_eq!(kinds(&not_json), vec![ViolationKind::NotJson]);

        let internal = login_answer(
            500,
            JSON,
            r#"{"code":500,"msg":"服务器内部错误","data":""}"#,
        );
        assert_eq!(kinds(&internal), vec![ViolationKind::ServerError]);

        let missing = login_answer(
            200,
            JSON,
            r#"{"code":200,"msg":"登录成功","data":{"apply":{},"change_device":false,"enterprise_id":"-1",
                "token":"5a2dd48054d694b0fcaeef1ecca767a2","user_id":"f223fa5c92e846349031b0eb06868478","name":"a"}}"#,
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
}
