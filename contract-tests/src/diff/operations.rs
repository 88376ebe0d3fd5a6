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
        let old_item = resolve(old, old_item, &path_pointer).value;
        let new_item = new.json["paths"]
            .get(path)
            .map(|item| resolve(new, item, &path_pointer).value);
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

/// An operation's parameters: (name, in, the parameter at its place), the
/// operation's own first, then the path item's it does not override.
fn parameters<'a>(
    document: &'a Document,
    (item, operation): (&'a Value, &'a Value),
    op: &Operation<'_>,
) -> Vec<(String, String, At<'a>)> {
    let mut found: Vec<(String, String, At<'a>)> = Vec::new();
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
        let parameter = resolve(document, parameter, &pointer);
        let name = parameter.value["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let location = parameter.value["in"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !found.iter().any(|(n, l, _)| *n == name && *l == location) {
            found.push((name, location, parameter));
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
    for (name, location, old_parameter) in &before {
        let Some((_, _, new_parameter)) = after.iter().find(|(n, l, _)| n == name && l == location)
        else {
            schemas.add(
                Severity::Breaking,
                Side::Old,
                old_parameter.pointer.clone(),
                format!("parameter {name} ({location}) of {} removed", op.title),
            );
            continue;
        };
        if required(new_parameter.value) && !required(old_parameter.value) {
            schemas.add(
                Severity::Breaking,
                Side::New,
                format!("{}/required", new_parameter.pointer),
                format!(
                    "parameter {name} ({location}) of {} made required",
                    op.title
                ),
            );
        }
        schemas.compare(
            old_parameter.member("schema"),
            new_parameter.member("schema"),
            Direction::Request,
        );
    }
    for (name, location, new_parameter) in &after {
        if required(new_parameter.value)
            && !before.iter().any(|(n, l, _)| n == name && l == location)
        {
            schemas.add(
                Severity::Breaking,
                Side::New,
                new_parameter.pointer.clone(),
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
    let old_body = resolve(old_document, &sides.old.1["requestBody"], &pointer);
    let new_body = resolve(new_document, &sides.new.1["requestBody"], &pointer);
    let is_required = |body: &At<'_>| body.value["required"].as_bool().unwrap_or(false);
    match (old_body.value.is_object(), new_body.value.is_object()) {
        (false, true) if is_required(&new_body) => schemas.add(
            Severity::Breaking,
            Side::New,
            new_body.pointer,
            format!("required request body added to {}", op.title),
        ),
        (true, false) => schemas.add(
            Severity::Breaking,
            Side::Old,
            old_body.pointer,
            format!("request body of {} removed", op.title),
        ),
        (true, true) => {
            if is_required(&new_body) && !is_required(&old_body) {
                schemas.add(
                    Severity::Breaking,
                    Side::New,
                    format!("{}/required", new_body.pointer),
                    format!("request body of {} made required", op.title),
                );
            }
            for (media_type, old_media, new_media) in media_types(&old_body, &new_body) {
                let Some(new_media) = new_media else {
                    schemas.add(
                        Severity::Breaking,
                        Side::Old,
                        old_media.pointer,
                        format!("{} no longer accepts {media_type} bodies", op.title),
                    );
                    continue;
                };
                schemas.compare(
                    old_media.member("schema"),
                    new_media.member("schema"),
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
        let old_response = resolve(old_document, old_response, &pointer);
        let new_response = resolve(new_document, new_response, &pointer);
        for (_, old_media, new_media) in media_types(&old_response, &new_response) {
            if let Some(new_media) = new_media {
                schemas.compare(
                    old_media.member("schema"),
                    new_media.member("schema"),
                    Direction::Response,
                );
            }
        }
    }
}

/// Each media type of `old`'s `content` with its media object, and the new
/// one where `new` has it too.
fn media_types<'a>(old: &At<'a>, new: &At<'a>) -> Vec<(&'a str, At<'a>, Option<At<'a>>)> {
    let (old_content, new_content) = (old.member("content"), new.member("content"));
    old_content
        .value
        .as_object()
        .into_iter()
        .flatten()
        .map(|(media_type, _)| {
            let new_media = new_content
                .value
                .get(media_type)
                .map(|_| new_content.member(media_type));
            (
                media_type.as_str(),
                old_content.member(media_type),
                new_media,
            )
        })
        .collect()
}
