//! The document itself: parsing, `$ref`s and the server prefix.

use std::fmt;

use serde_json::Value;

/// The committed document, as text (embedded at build time).
pub const COMMITTED_DOCUMENT: &str = include_str!("../../../openapi/openapi.json");

/// The HTTP methods an OpenAPI path item may hold, in the order they are listed.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Why a document cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentError(pub String);

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DocumentError {}

/// An OpenAPI 3.0 document.
#[derive(Debug, Clone)]
pub struct Document {
    /// The parsed JSON.
    pub json: Value,
}

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

    /// The value a local `$ref` such as `#/components/schemas/X` points to.
    pub fn pointer(&self, reference: &str) -> Option<&Value> {
        let pointer = reference.strip_prefix('#')?;
        self.json.pointer(pointer)
    }

    /// `value` with any chain of `$ref`s at its top followed.
    pub fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        for _ in 0..32 {
            match value.get("$ref").and_then(Value::as_str) {
                Some(reference) => match self.pointer(reference) {
                    Some(target) => value = target,
                    None => return value,
                },
                None => return value,
            }
        }
        value
    }

    /// The path prefix of the first server, when it is a relative URL such as `/api`.
    pub fn server_prefix(&self) -> String {
        let url = self.json["servers"][0]["url"].as_str().unwrap_or_default();
        if url.starts_with('/') {
            url.trim_end_matches('/').to_owned()
        } else {
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_that_are_not_openapi_3_0_are_refused() {
        assert!(Document::parse("{").is_err());
        assert!(Document::parse(r#"{"openapi":"3.1.0","paths":{}}"#).is_err());
        assert!(Document::parse(r#"{"openapi":"3.0.0"}"#).is_err());
        assert!(Document::parse(r#"{"openapi":"3.0.0","paths":{}}"#).is_ok());
    }
}
