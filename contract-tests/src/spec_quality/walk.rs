//! Where the checks look: every operation object, its parameters and media
//! objects, every schema of the document, and the schemas nested in each.

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
    let mut roots = Vec::new();
    for (name, schema) in document.json["components"]["schemas"]
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
        // Responses as written: a `$ref`'d one is not followed.
        let media = media_objects(&pointer, operation, |response| response);
        for (at, holder) in parameters(&pointer, operation).chain(media) {
            if let Some(schema) = holder.get("schema") {
                roots.push((format!("{at}/schema"), schema));
            }
        }
    }
    roots
}

/// An operation's parameters as written (a `$ref` not followed), each with
/// its pointer.
pub(super) fn parameters<'a>(
    pointer: &str,
    operation: &'a Value,
) -> impl Iterator<Item = (String, &'a Value)> {
    let pointer = format!("{pointer}/parameters");
    operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(move |(i, parameter)| (format!("{pointer}/{i}"), parameter))
}

/// The media objects of an operation's request body and of its responses,
/// each with its pointer; `response` gives the response object an entry of
/// `responses` stands for.
pub(super) fn media_objects<'a>(
    pointer: &str,
    operation: &'a Value,
    response: impl Fn(&'a Value) -> &'a Value,
) -> Vec<(String, &'a Value)> {
    let mut holders = vec![(format!("{pointer}/requestBody"), &operation["requestBody"])];
    for (status, entry) in operation["responses"].as_object().into_iter().flatten() {
        holders.push((format!("{pointer}/responses/{status}"), response(entry)));
    }
    let mut media_objects = Vec::new();
    for (at, holder) in holders {
        for (media, content) in holder["content"].as_object().into_iter().flatten() {
            media_objects.push((format!("{at}/content/{}", escape_pointer(media)), content));
        }
    }
    media_objects
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
