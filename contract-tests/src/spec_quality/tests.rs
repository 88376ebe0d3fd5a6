//! The checks on the committed document, which must pass each, and on one
//! with a defect of each kind, which each must name.

use super::{Defect, descriptions, examples, listing, operation_basics, structure};
use crate::document::Document;

/// Each check: its name, and what it must say of [`defective`].
type Check = (
    &'static str,
    fn(&Document) -> Vec<Defect>,
    &'static [&'static str],
);

const CHECKS: [Check; 4] = [
    (
        "structure",
        structure,
        &[
            "#/info/version: missing",
            "#/paths/~1a~1{id}/get/responses/200/description: missing",
            "path template has {id} but no path parameter",
            "$ref \"#/components/schemas/Missing\" does not resolve",
        ],
    ),
    (
        "operation",
        operation_basics,
        &[
            "GET /a/{id} (#/paths/~1a~1{id}/get): no summary",
            "no 200 response with a JSON schema",
            "operationId \"same\" is used 2 times",
        ],
    ),
    (
        "description",
        descriptions,
        &[
            "GET /a/{id}: parameter \"x\" (#/paths/~1a~1{id}/get/parameters/0): no description",
            "property \"n\" (#/components/schemas/Thing/properties/n): no description",
        ],
    ),
    (
        "example",
        examples,
        &[
            "#/components/schemas/Thing/example: example does not match its schema",
            "#/paths/~1a~1{id}/get/parameters/0/schema/example: example does not match",
        ],
    ),
];

/// Sound OpenAPI 3.0, every operation named and summarised with a JSON 200
/// answer, every parameter and property described, every example true.
#[test]
fn the_committed_document_passes_every_check() {
    let document = Document::committed();
    let mut failed = String::new();
    for (check, run, _) in CHECKS {
        let defects = run(&document);
        if !defects.is_empty() {
            failed.push_str(&format!(
                "the {check} check ({} defects):\n{}",
                defects.len(),
                listing(&defects)
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "openapi/openapi.json fails checks. Fix the server's API description and \
         regenerate the document; do not edit it by hand.\n{failed}"
    );
}

#[test]
fn each_check_names_what_is_missing() {
    let document = defective();
    let mut missed = Vec::new();
    for (check, run, expected) in CHECKS {
        let found = listing(&run(&document));
        for expected in expected {
            if !found.contains(expected) {
                missed.push(format!("{check}: {expected:?} not in:\n{found}"));
            }
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

/// A document with one of each defect, to prove the checks can fail.
fn defective() -> Document {
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
