//! The documents the checks' unit tests run on: the committed one, and one
//! with a defect of each kind.

use super::defect::{Defect, listing};
use crate::document::Document;

/// The committed document.
pub fn committed() -> Document {
    Document::committed()
}

/// Panics, listing them, unless `defects` is empty.
pub fn assert_none(check: &str, defects: &[Defect]) {
    assert!(
        defects.is_empty(),
        "openapi/openapi.json fails the {check} check ({} defects). Fix the server's \
         API description and regenerate the document; do not edit it by hand:\n{}",
        defects.len(),
        listing(defects)
    );
}

/// A document with one of each defect, to prove the checks can fail.
pub fn defective() -> Document {
    Document::parse(
        r##"{
          "openapi": "3.0.0",
          "info": {"title": "t"},
          "paths": {
            "/a/{id}": {
              "get": {
                "operationId": "same",
                "parameters": [
                  {"name": "x", "in": "query", "schema": {"type": "integer", "example": "ten"}}
                ],
                "responses": {"200": {"content": {"text/plain": {"schema": {"type": "string"}}}}}
              },
              "post": {
                "operationId": "same",
                "summary": "s",
                "responses": {"200": {"description": "d", "content": {"application/json": {
                  "schema": {"$ref": "#/components/schemas/Thing"}}}}}
              }
            }
          },
          "components": {"schemas": {
            "Thing": {"type": "object", "properties": {
              "n": {"type": "integer"}
            }, "example": {"n": "one"}},
            "Other": {"type": "object", "properties": {
              "m": {"$ref": "#/components/schemas/Missing"}
            }}
          }}
        }"##,
    )
    .unwrap()
}
