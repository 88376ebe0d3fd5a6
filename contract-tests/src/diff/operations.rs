//! The documents' operations side by side: each old operation must still be
//! there, with its parameters, request body and responses compatible.

use serde_json::Value;

use super::{
    Change, Severity, Side,
    schema::{At, Direction, Schemas, resolve},
};
use crate::{
    document::{Document, METHODS},
    schema::escape_pointer,
};

/// Every change from `old` to `new`, in no particular order.
pub(super) fn compare(old: &Document, new: &Document) -> Vec<Change> {
    let mut schemas = Schemas::new(old, new);
    for (path, old_item) in old.json["paths"].as_object().into_iter().flatten() {
        let path_pointer = format!("#/paths/{}", escape_pointer(path));
        let (old_item, _) = resolve(old, old_item, &path_pointer);
        let new_item = new.json["paths"]
            .get(path)
            .map(|item| resolve(new, item, &path_pointer).0);
        for method in METHODS {
            let Some(old_operation) = old_item.get(method) else {
                continue;
            };
            let operation = Operation {
                title: format!("{} {path}", method.to_uppercase()),
                path_pointer: &path_pointer,
                pointer: format!("{path_pointer}/{method}"),
            };
            match new_item.and_then(|item| item.get(method)) {
                None => schemas.add(
                    Severity::Breaking,
                    Side::Old,
                    operation.pointer.clone(),
                    format!(
                        "operation {} ({}) removed",
                        operation.title,
                        old_operation["operationId"]
                            .as_str()
                            .unwrap_or("no operationId")
                    ),
                ),
                Some(new_operation) => {
                    let new_item = new_item.unwrap_or(&Value::Null);
                    let sides = Sides {
                        old: (old_item, old_operation),
                        new: (new_item, new_operation),
                    };
                    compare_parameters(&mut schemas, &operation, &sides);
                    compare_bodies(&mut schemas, &operation, &sides);
                    compare_responses(&mut schemas, &operation, &sides);
                }
            }
        }
    }
    schemas.changes
}

/// An operation both documents have.
struct Operation<'a> {
    /// `METHOD /path`.
    title: String,
    /// `#/paths/<path>`.
    path_pointer: &'a str,
    /// `#/paths/<path>/<method>`.
    pointer: String,
}

/// The path item and the operation, old and new.
struct Sides<'a> {
    old: (&'a Value, &'a Value),
    new: (&'a Value, &'a Value),
}

/// An operation's parameters: (name, in, the parameter, its pointer), the
/// operation's own first, then the path item's it does not override.
fn parameters<'a>(
    document: &'a Document,
    (item, operation): (&'a Value, &'a Value),
    op: &Operation<'_>,
) -> Vec<(String, String, &'a Value, String)> {
    let mut found: Vec<(String, String, &Value, String)> = Vec::new();
    let own = operation["parameters"].as_array().into_iter().flatten();
    let shared = item["parameters"].as_array().into_iter().flatten();
    let listed = own
        .enumerate()
        .map(|(n, p)| (p, format!("{}/parameters/{n}", op.pointer)))
        .chain(
            shared
                .enumerate()
                .map(|(n, p)| (p, format!("{}/parameters/{n}", op.path_pointer))),
        );
    for (parameter, pointer) in listed {
        let (parameter, pointer) = resolve(document, parameter, &pointer);
        let name = parameter["name"].as_str().unwrap_or_default().to_owned();
        let location = parameter["in"].as_str().unwrap_or_default().to_owned();
        if !found.iter().any(|(n, l, ..)| *n == name && *l == location) {
            found.push((name, location, parameter, pointer));
        }
    }
    found
}

fn required(parameter: &Value) -> bool {
    parameter["required"].as_bool().unwrap_or(false) || parameter["in"] == "path"
}

fn compare_parameters(schemas: &mut Schemas<'_>, op: &Operation<'_>, sides: &Sides<'_>) {
    let (old_document, new_document) = schemas.documents();
    let before = parameters(old_document, sides.old, op);
    let after = parameters(new_document, sides.new, op);
    for (name, location, old_parameter, old_pointer) in &before {
        let Some((_, _, new_parameter, new_pointer)) =
            after.iter().find(|(n, l, ..)| n == name && l == location)
        else {
            schemas.add(
                Severity::Breaking,
                Side::Old,
                old_pointer.clone(),
                format!("parameter {name} ({location}) of {} removed", op.title),
            );
            continue;
        };
        if required(new_parameter) && !required(old_parameter) {
            schemas.add(
                Severity::Breaking,
                Side::New,
                format!("{new_pointer}/required"),
                format!(
                    "parameter {name} ({location}) of {} made required",
                    op.title
                ),
            );
        }
        let (old_schema, new_schema) = (
            format!("{old_pointer}/schema"),
            format!("{new_pointer}/schema"),
        );
        schemas.compare(
            At {
                value: &old_parameter["schema"],
                pointer: &old_schema,
            },
            At {
                value: &new_parameter["schema"],
                pointer: &new_schema,
            },
            Direction::Request,
        );
    }
    for (name, location, new_parameter, new_pointer) in &after {
        if required(new_parameter) && !before.iter().any(|(n, l, ..)| n == name && l == location) {
            schemas.add(
                Severity::Breaking,
                Side::New,
                new_pointer.clone(),
                format!(
                    "required parameter {name} ({location}) added to {}",
                    op.title
                ),
            );
        }
    }
}

fn compare_bodies(schemas: &mut Schemas<'_>, op: &Operation<'_>, sides: &Sides<'_>) {
    let (old_document, new_document) = schemas.documents();
    let pointer = format!("{}/requestBody", op.pointer);
    let (old_body, old_pointer) = resolve(old_document, &sides.old.1["requestBody"], &pointer);
    let (new_body, new_pointer) = resolve(new_document, &sides.new.1["requestBody"], &pointer);
    let is_required = |body: &Value| body["required"].as_bool().unwrap_or(false);
    match (old_body.is_object(), new_body.is_object()) {
        (false, true) if is_required(new_body) => schemas.add(
            Severity::Breaking,
            Side::New,
            new_pointer,
            format!("required request body added to {}", op.title),
        ),
        (true, false) => schemas.add(
            Severity::Breaking,
            Side::Old,
            old_pointer,
            format!("request body of {} removed", op.title),
        ),
        (true, true) => {
            if is_required(new_body) && !is_required(old_body) {
                schemas.add(
                    Severity::Breaking,
                    Side::New,
                    format!("{new_pointer}/required"),
                    format!("request body of {} made required", op.title),
                );
            }
            for (media_type, old_media) in old_body["content"].as_object().into_iter().flatten() {
                let old_at = format!("{old_pointer}/content/{}", escape_pointer(media_type));
                let Some(new_media) = new_body["content"].get(media_type) else {
                    schemas.add(
                        Severity::Breaking,
                        Side::Old,
                        old_at,
                        format!("{} no longer accepts {media_type} bodies", op.title),
                    );
                    continue;
                };
                let new_at = format!(
                    "{new_pointer}/content/{}/schema",
                    escape_pointer(media_type)
                );
                let old_at = format!("{old_at}/schema");
                schemas.compare(
                    At {
                        value: &old_media["schema"],
                        pointer: &old_at,
                    },
                    At {
                        value: &new_media["schema"],
                        pointer: &new_at,
                    },
                    Direction::Request,
                );
            }
        }
        _ => {}
    }
}

fn compare_responses(schemas: &mut Schemas<'_>, op: &Operation<'_>, sides: &Sides<'_>) {
    let (old_document, new_document) = schemas.documents();
    for (status, old_response) in sides.old.1["responses"].as_object().into_iter().flatten() {
        let Some(new_response) = sides.new.1["responses"].get(status) else {
            continue;
        };
        let pointer = format!("{}/responses/{}", op.pointer, escape_pointer(status));
        let (old_response, old_pointer) = resolve(old_document, old_response, &pointer);
        let (new_response, new_pointer) = resolve(new_document, new_response, &pointer);
        for (media_type, old_media) in old_response["content"].as_object().into_iter().flatten() {
            let Some(new_media) = new_response["content"].get(media_type) else {
                continue;
            };
            let media = escape_pointer(media_type);
            let (old_at, new_at) = (
                format!("{old_pointer}/content/{media}/schema"),
                format!("{new_pointer}/content/{media}/schema"),
            );
            schemas.compare(
                At {
                    value: &old_media["schema"],
                    pointer: &old_at,
                },
                At {
                    value: &new_media["schema"],
                    pointer: &new_at,
                },
                Direction::Response,
            );
        }
    }
}
