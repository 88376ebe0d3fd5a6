//! Checks a deployment of the account API against the committed OpenAPI
//! document, `openapi/openapi.json` — the document, not the server's types, is
//! the contract frontend teams generate their clients from.
//!
//! # Layout
//!
//! - [`Document`]: the committed document and the operations it declares.

use serde_json::Value;

/// The committed document, as text (embedded at build time).
pub const COMMITTED_DOCUMENT: &str = include_str!("../../openapi/openapi.json");

/// One operation of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// Lowercase HTTP method.
    pub method: String,
    /// Path template, e.g. `/api/v4.0/sendsms/{mobile}`.
    pub path: String,
    /// The operation's `operationId`.
    pub operation_id: String,
}

/// An OpenAPI document.
#[derive(Debug, Clone)]
pub struct Document {
    /// The parsed JSON.
    pub json: Value,
}

/// Why a document cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub struct DocumentError(pub String);

impl Document {
    /// Parses `text` and checks it is an OpenAPI 3.0 document with paths.
    pub fn parse(text: &str) -> Result<Self, DocumentError> {
        let json: Value =
            serde_json::from_str(text).map_err(|err| DocumentError(format!("not JSON: {err}")))?;
        let version = json["openapi"].as_str().unwrap_or_default();
        if !version.starts_with("3.0.") {
            return Err(DocumentError(format!("not OpenAPI 3.0: {version:?}")));
        }
        if !json["paths"].is_object() {
            return Err(DocumentError("no paths".to_owned()));
        }
        Ok(Self { json })
    }

    /// The committed `openapi/openapi.json`.
    pub fn committed() -> Self {
        Self::parse(COMMITTED_DOCUMENT).expect("the committed document is valid")
    }

    /// Every operation, in document order.
    pub fn operations(&self) -> Vec<Operation> {
        const METHODS: [&str; 8] = [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ];
        let mut operations = Vec::new();
        for (path, item) in self.json["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                if METHODS.contains(&method.as_str()) {
                    operations.push(Operation {
                        method: method.clone(),
                        path: path.clone(),
                        operation_id: operation["operationId"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    });
                }
            }
        }
        operations
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn documents_that_are_not_openapi_3_0_are_refused() {
        assert!(Document::parse("{").is_err());
        assert!(Document::parse(r#"{"openapi":"3.1.0","paths":{}}"#).is_err());
        assert!(Document::parse(r#"{"openapi":"3.0.0"}"#).is_err());
        assert!(Document::parse(r#"{"openapi":"3.0.0","paths":{}}"#).is_ok());
    }

    #[test]
    fn every_operation_has_a_unique_id_a_summary_and_a_json_200_answer() {
        let document = Document::committed();
        let operations = document.operations();
        assert!(operations.len() >= 10, "{operations:?}");
        let ids: HashSet<_> = operations
            .iter()
            .map(|op| op.operation_id.as_str())
            .collect();
        assert_eq!(
            ids.len(),
            operations.len(),
            "operationIds repeat: {operations:?}"
        );
        for op in &operations {
            let operation = &document.json["paths"][&op.path][&op.method];
            assert!(!op.operation_id.is_empty(), "{op:?} has no operationId");
            assert!(
                operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{op:?} has no summary"
            );
            let answer = &operation["responses"]["200"]["content"];
            assert!(
                answer.as_object().is_some_and(|content| content
                    .keys()
                    .any(|k| k.starts_with("application/json"))),
                "{op:?} has no JSON 200 answer"
            );
        }
    }
}
