//! Whether the document is structurally OpenAPI 3.0: version, info, paths,
//! responses, parameters against the path templates, and `$ref`s.

use serde_json::Value;

use super::{
    defect::{Defect, defect},
    walk::{is_blank, operations, parameters},
};
use crate::{document::Document, schema::escape_pointer};

/// Whether the document is structurally OpenAPI 3.0: version, info, paths,
/// responses with descriptions, well-formed parameters matching the path
/// templates, and `$ref`s that resolve.
pub fn structure(document: &Document) -> Vec<Defect> {
    let json = &document.json;
    let mut defects = Vec::new();
    if !json["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.0."))
    {
        defects.push(defect("#/openapi", "must be 3.0.x"));
    }
    for field in ["title", "version"] {
        if !json["info"][field].is_string() {
            defects.push(defect(
                format!("#/info/{field}"),
                "missing (required by OpenAPI)",
            ));
        }
    }
    match json["paths"].as_object() {
        None => defects.push(defect("#/paths", "missing (required by OpenAPI)")),
        Some(paths) => {
            for path in paths.keys().filter(|p| !p.starts_with('/')) {
                defects.push(defect(
                    format!("#/paths/{}", escape_pointer(path)),
                    "a path must start with /",
                ));
            }
        }
    }
    for (pointer, _, operation) in operations(document) {
        match operation["responses"].as_object() {
            Some(responses) if !responses.is_empty() => {
                for (status, response) in responses {
                    let response = document.resolve(response);
                    if !response["description"].is_string() {
                        defects.push(defect(
                            format!("{pointer}/responses/{status}/description"),
                            "missing (required by OpenAPI)",
                        ));
                    }
                    let valid_key = status == "default"
                        || (status.len() == 3
                            && status
                                .chars()
                                .next()
                                .is_some_and(|c| ('1'..='5').contains(&c))
                            && (status[1..].chars().all(|c| c.is_ascii_digit())
                                || &status[1..] == "XX"));
                    if !valid_key {
                        defects.push(defect(
                            format!("{pointer}/responses/{status}"),
                            "not an HTTP status code, a range like 4XX, or default",
                        ));
                    }
                }
            }
            _ => defects.push(defect(format!("{pointer}/responses"), "no responses")),
        }
        let path = pointer
            .strip_prefix("#/paths/")
            .and_then(|rest| rest.rsplit_once('/'))
            .map(|(path, _)| path.replace("~1", "/").replace("~0", "~"))
            .unwrap_or_default();
        let mut path_parameters = Vec::new();
        for (at, parameter) in parameters(&pointer, operation) {
            let parameter = document.resolve(parameter);
            if is_blank(&parameter["name"]) {
                defects.push(defect(&at, "parameter without a name"));
            }
            match parameter["in"].as_str() {
                Some("path") => {
                    if parameter["required"] != Value::Bool(true) {
                        defects.push(defect(&at, "a path parameter must have required: true"));
                    }
                    path_parameters.push(parameter["name"].as_str().unwrap_or_default().to_owned());
                }
                Some("query" | "header" | "cookie") => {}
                _ => defects.push(defect(&at, "`in` must be path, query, header or cookie")),
            }
            if parameter.get("schema").is_none() && parameter.get("content").is_none() {
                defects.push(defect(&at, "parameter without a schema"));
            }
        }
        let templated: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for name in &templated {
            if !path_parameters.iter().any(|p| p == name) {
                defects.push(defect(
                    &pointer,
                    format!("path template has {{{name}}} but no path parameter {name:?}"),
                ));
            }
        }
        for name in &path_parameters {
            if !templated.contains(&name.as_str()) {
                defects.push(defect(
                    &pointer,
                    format!("path parameter {name:?} is not in the path template"),
                ));
            }
        }
    }
    let mut references = Vec::new();
    collect_refs(json, "#".to_owned(), &mut references);
    for (at, reference) in references {
        if document.pointer(&reference).is_none() {
            defects.push(defect(at, format!("$ref {reference:?} does not resolve")));
        }
    }
    defects
}

fn collect_refs(value: &Value, at: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "$ref"
                    && let Some(reference) = child.as_str()
                {
                    out.push((at.clone(), reference.to_owned()));
                } else {
                    collect_refs(child, format!("{at}/{}", escape_pointer(key)), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_refs(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}
