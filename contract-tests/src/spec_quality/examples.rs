//! Every example in the document true of the schema it illustrates.

use serde_json::Value;

use super::{
    defect::{Defect, defect},
    walk::{media_objects, operations, parameters, schema_roots, walk_schemas},
};
use crate::{document::Document, schema::SchemaValidator};

/// Every example in the document validates against the schema it illustrates.
pub fn examples(document: &Document) -> Vec<Defect> {
    let mut defects = Vec::new();
    // `schema_at` is where the schema sits, `at` where the example does.
    let mut check = |schema: &Value, schema_at: &str, example: &Value, at: String| {
        match SchemaValidator::compile(document, schema, schema_at) {
            Ok(validator) => {
                for error in validator.errors(example) {
                    defects.push(defect(
                        &at,
                        format!("example does not match its schema: {error}"),
                    ));
                }
            }
            Err(err) => defects.push(defect(&at, err)),
        }
    };
    for (root, schema) in schema_roots(document) {
        walk_schemas(schema, &root, &mut |schema, at| {
            if let Some(example) = schema.get("example") {
                check(schema, at, example, format!("{at}/example"));
            }
        });
    }
    for (pointer, _, operation) in operations(document) {
        let parameters = parameters(&pointer, operation)
            .map(|(at, parameter)| (at, document.resolve(parameter)));
        // A parameter holds its examples as a media object does.
        let media = media_objects(&pointer, operation, |response| document.resolve(response));
        for (at, holder) in parameters.chain(media) {
            let schema = &holder["schema"];
            let schema_at = format!("{at}/schema");
            if let Some(example) = holder.get("example") {
                check(schema, &schema_at, example, format!("{at}/example"));
            }
            for (name, example) in holder["examples"].as_object().into_iter().flatten() {
                if let Some(value) = document.resolve(example).get("value") {
                    check(schema, &schema_at, value, format!("{at}/examples/{name}"));
                }
            }
        }
    }
    defects
}
