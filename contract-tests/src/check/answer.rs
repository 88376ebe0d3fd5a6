//! An answer by method and concrete path: which operation it answers, and
//! answers no operation declares checked against a schema the caller names.

use std::sync::Arc;

use serde_json::json;

use super::{
    content::check_content,
    contract::Contract,
    violation::{Violation, ViolationKind},
};
use crate::{document::Operation, http::HttpResponse, schema::SchemaValidator};

impl Contract {
    /// The operation a request `method path` reaches, if the document has
    /// one. `path` is concrete (`/api/v4.0/sendsms/13126939916`, no query
    /// string), under the document's server prefix when it has one. A
    /// `{parameter}` segment matches any non-empty segment, and an empty one
    /// when no template matches otherwise (`/sendsms/` reaches `sendsms`
    /// with its parameter empty).
    pub fn operation_at(&self, method: &str, path: &str) -> Option<Operation> {
        let prefix = self.document.server_prefix();
        let path = path.strip_prefix(prefix.as_str())?;
        let method = method.to_ascii_lowercase();
        let operations: Vec<Operation> = self
            .document
            .operations()
            .into_iter()
            .filter(|op| op.method == method)
            .collect();
        [false, true].into_iter().find_map(|empty_parameters| {
            operations
                .iter()
                .find(|op| matches_template(&op.path, path, empty_parameters))
                .cloned()
        })
    }

    /// Every way `response`, the answer to `method path`, breaks the
    /// document's promises: those of the operation the request reaches (see
    /// [`Contract::operation_at`] and [`Contract::check`]), or one
    /// [`ViolationKind::UndocumentedOperation`] when the document has none.
    pub fn check_answer(
        &self,
        method: &str,
        path: &str,
        response: &HttpResponse,
    ) -> Vec<Violation> {
        match self.operation_at(method, path) {
            Some(operation) => self.check(&operation, &Ok(response.clone())),
            None => vec![Violation {
                kind: ViolationKind::UndocumentedOperation,
                message: format!(
                    "{} {path} (HTTP {}) is not an operation of the document",
                    method.to_ascii_uppercase(),
                    response.status
                ),
                schema_path: None,
            }],
        }
    }

    /// Every way `response` breaks a response declared as `media_type` with
    /// the schema at `reference`, a local `$ref` such as
    /// `#/components/schemas/TransportFailure`: for answers no operation
    /// declares, such as a 404 for a path the document does not have.
    pub fn check_as(
        &self,
        reference: &str,
        media_type: &str,
        response: &HttpResponse,
    ) -> Vec<Violation> {
        let validator = match self.referenced_validator(reference) {
            Ok(validator) => validator,
            Err(err) => {
                return vec![Violation {
                    kind: ViolationKind::SchemaMismatch,
                    message: err,
                    schema_path: Some(reference.to_owned()),
                }];
            }
        };
        let declared = json!({"content": {media_type: {"schema": {"$ref": reference}}}});
        check_content(&declared, response, |_| Some(&*validator))
    }

    /// The compiled schema at `reference`, compiled on first use.
    fn referenced_validator(&self, reference: &str) -> Result<Arc<SchemaValidator>, String> {
        let mut referenced = self.referenced.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(validator) = referenced.get(reference) {
            return Ok(Arc::clone(validator));
        }
        if self.document.pointer(reference).is_none() {
            return Err(format!("the document has no {reference}"));
        }
        let schema = json!({"$ref": reference});
        let validator = Arc::new(SchemaValidator::compile(
            &self.document,
            &schema,
            reference,
        )?);
        referenced.insert(reference.to_owned(), Arc::clone(&validator));
        Ok(validator)
    }
}

/// Whether the concrete `path` is an instance of the path `template`; a
/// parameter segment may be empty only with `empty_parameters`.
fn matches_template(template: &str, path: &str, empty_parameters: bool) -> bool {
    let expected: Vec<&str> = template.split('/').collect();
    let actual: Vec<&str> = path.split('/').collect();
    expected.len() == actual.len()
        && expected.iter().zip(&actual).all(|(expected, actual)| {
            expected == actual
                || (expected.starts_with('{')
                    && expected.ends_with('}')
                    && (empty_parameters || !actual.is_empty()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::{JSON, assert_one_mismatch_under, kinds, response};

    #[test]
    fn an_answer_is_checked_against_the_operation_its_path_reaches() {
        let contract = Contract::committed();
        let reached = |method, path| {
            contract
                .operation_at(method, path)
                .map(|op| op.operation_id)
        };
        assert_eq!(
            reached("GET", "/api/v4.0/sendsms/13126939916").as_deref(),
            Some("sendsmsGet")
        );
        assert_eq!(
            reached("post", "/api/v4.0/sendsms/").as_deref(),
            Some("sendsms")
        );
        assert_eq!(reached("GET", "/api/v4.0/sendsms/a/b"), None);
        assert_eq!(reached("DELETE", "/api/v4.0/login"), None);

        let ok = response(200, JSON, r#"{"code":"200","msg":"发送成功"}"#).unwrap();
        let path = "/api/v4.0/sendsms/13126939916";
        assert_eq!(contract.check_answer("GET", path, &ok), vec![]);
        let numeric = response(200, JSON, r#"{"code":200,"msg":"发送成功"}"#).unwrap();
        assert_eq!(
            kinds(&contract.check_answer("GET", path, &numeric)),
            vec![ViolationKind::SchemaMismatch]
        );
        let mut uncached = ok.clone();
        uncached.headers.retain(|(name, _)| name != "cache-control");
        assert_eq!(
            kinds(&contract.check_answer("GET", path, &uncached)),
            vec![ViolationKind::BadHeader]
        );
        assert_eq!(
            kinds(&contract.check_answer("GET", "/nope", &ok)),
            vec![ViolationKind::UndocumentedOperation]
        );
    }

    #[test]
    fn an_answer_no_operation_declares_is_checked_against_a_named_schema() {
        let contract = Contract::committed();
        let failure = "#/components/schemas/TransportFailure";
        let not_found = response(404, JSON, r#"{"code":404,"msg":"接口不存在","data":""}"#);
        let not_found = not_found.unwrap();
        assert_eq!(contract.check_as(failure, JSON, &not_found), vec![]);
        let string_code = response(404, JSON, r#"{"code":"404","msg":"接口不存在"}"#).unwrap();
        assert_one_mismatch_under(&contract.check_as(failure, JSON, &string_code), failure);
        let plain = response(404, "text/plain; charset=utf-8", "Not Found").unwrap();
        assert_eq!(
            kinds(&contract.check_as(failure, JSON, &plain)),
            vec![ViolationKind::UndeclaredContentType]
        );
        let missing = contract.check_as("#/components/schemas/Missing", JSON, &not_found);
        assert_eq!(kinds(&missing), vec![ViolationKind::SchemaMismatch]);
    }
}
