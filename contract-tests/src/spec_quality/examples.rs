//! Every example in the document true of the schema it illustrates.

use serde_json::Value;

use super::{
    defect::{Defect, defect},
    walk::{operations, schema_roots, walk_schemas},
};
use crate::{
    document::Document,
    schema::{SchemaValidator, escape_pointer},
};

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
        for (i, parameter) in operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let parameter = document.resolve(parameter);
            let schema = &parameter["schema"];
            let schema_at = format!("{pointer}/parameters/{i}/schema");
            if let Some(example) = parameter.get("example") {
                check(
                    schema,
                    &schema_at,
                    example,
                    format!("{pointer}/parameters/{i}/example"),
                );
            }
            for (name, example) in parameter["examples"].as_object().into_iter().flatten() {
                if let Some(value) = document.resolve(example).get("value") {
                    check(
                        schema,
                        &schema_at,
                        value,
                        format!("{pointer}/parameters/{i}/examples/{name}"),
                    );
                }
            }
        }
        let mut media_objects = Vec::new();
        for (media, content) in operation["requestBody"]["content"]
            .as_object()
            .into_iter()
            .flatten()
        {
            media_objects.push((
                format!("{pointer}/requestBody/content/{}", escape_pointer(media)),
                content,
            ));
        }
        for (status, response) in operation["responses"].as_object().into_iter().flatten() {
            for (media, content) in document.resolve(response)["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                media_objects.push((
                    format!(
                        "{pointer}/responses/{status}/content/{}",
                        escape_pointer(media)
                    ),
                    content,
                ));
            }
        }
        for (at, content) in media_objects {
            let schema = &content["schema"];
            let schema_at = format!("{at}/schema");
            if let Some(example) = content.get("example") {
                check(schema, &schema_at, example, format!("{at}/example"));
            }
            for (name, example) in content["examples"].as_object().into_iter().flatten() {
                if let Some(value) = document.resolve(example).get("value") {
                    check(schema, &schema_at, value, format!("{at}/examples/{name}"));
                }
            }
        }
    }
    defects
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec_quality::{
        defect::listing,
        testing::{assert_none, committed, defective},
    };

    #[test]
    fn every_example_in_the_document_matches_its_schema() {
        assert_none("example", &examples(&committed()));
    }

    #[test]
    fn names_what_is_missing() {
        let document = defective();
        let examples = listing(&examples(&document));
        for expected in [
            "#/components/schemas/Thing/example: example does not match its schema",
            "#/paths/~1a~1{id}/get/parameters/0/schema/example: example does not match",
        ] {
            assert!(
                examples.contains(expected),
                "{expected:?} not in:\n{examples}"
            );
        }
    }
}
