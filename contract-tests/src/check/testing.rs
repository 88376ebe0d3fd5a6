//! Answers for the checks' unit tests.

use super::violation::{Violation, ViolationKind};
use crate::http::HttpResponse;

/// An answer as the server sends it, `Cache-Control: no-store` included.
pub fn response(status: u16, content_type: &str, body: &str) -> Result<HttpResponse, String> {
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

/// The content type of every envelope.
pub const JSON: &str = "application/json; charset=utf-8";

/// The kinds of `violations`, in order.
pub fn kinds(violations: &[Violation]) -> Vec<ViolationKind> {
    violations.iter().map(|v| v.kind).collect()
}

/// Panics unless `violations` are one schema mismatch, at a schema path
/// under `schema_path`.
pub fn assert_one_mismatch_under(violations: &[Violation], schema_path: &str) {
    assert_eq!(kinds(violations), vec![ViolationKind::SchemaMismatch]);
    let found = violations[0].schema_path.as_deref().unwrap_or_default();
    assert!(found.starts_with(schema_path), "{violations:#?}");
}
