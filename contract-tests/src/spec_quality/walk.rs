//! Where the checks look: every operation object, every schema of the
//! document, and the schemas nested in each.

use serde_json::Value;

use crate::{
    document::{Document, METHODS},
    schema::escape_pointer,
};

pub(super) fn is_blank(value: &Value) -> bool {
    value.as_str().is_none_or(|s| s.trim().is_empty())
}

/// Each operation object with its pointer and `METHOD /path` name.
pub(super) fn operations(document: &Document) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in document.json["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                out.push((
                    format!("#/paths/{}/{method}", escape_pointer(path)),
                    format!("{} {path}", method.to_uppercase()),
                    operation,
                ));
            }
        }
    }
    out
}

/// Every schema in the document with where it sits.
pub(super) fn schema_roots(document: &Document) -> Vec<(String, &Value)> {
    let json = &document.json;
    let mut roots = Vec::new();
    for (name, schema) in json["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        roots.push((
            format!("#/components/schemas/{}", escape_pointer(name)),
            schema,
        ));
    }
    for (pointer, _, operation) in operations(document) {
        for (i, parameter) in operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(schema) = parameter.get("schema") {
                roots.push((format!("{pointer}/parameters/{i}/schema"), schema));
            }
        }
        for (media, content) in operation["requestBody"]["content"]
            .as_object()
            .into_iter()
            .flatten()
        {
            if let Some(schema) = content.get("schema") {
                roots.push((
                    format!(
                        "{pointer}/requestBody/content/{}/schema",
                        escape_pointer(media)
                    ),
                    schema,
                ));
            }
        }
        for (status, response) in operation["responses"].as_object().into_iter().flatten() {
            for (media, content) in response["content"].as_object().into_iter().flatten() {
                if let Some(schema) = content.get("schema") {
                    roots.push((
                        format!(
                            "{pointer}/responses/{status}/content/{}/schema",
                            escape_pointer(media)
                        ),
                        schema,
                    ));
                }
            }
        }
    }
    roots
}

/// Calls `visit` on `schema` and every schema nested in it (not following `$ref`s).
pub(super) fn walk_schemas<'a>(
    schema: &'a Value,
    at: &str,
    visit: &mut impl FnMut(&'a Value, &str),
) {
    visit(schema, at);
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        walk_schemas(
            property,
            &format!("{at}/properties/{}", escape_pointer(name)),
            visit,
        );
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = schema.get(key).filter(|c| c.is_object()) {
            walk_schemas(child, &format!("{at}/{key}"), visit);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for (i, child) in schema[key].as_array().into_iter().flatten().enumerate() {
            walk_schemas(child, &format!("{at}/{key}/{i}"), visit);
        }
    }
}
