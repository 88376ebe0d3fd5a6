//! Checks of the document itself: a client generator needs it to be sound
//! OpenAPI 3.0, every operation named and described, and every example true.
//!
//! Each check returns the defects it found, each naming the place in the
//! document (a JSON pointer) and what is missing, so a failing test says
//! exactly what to fix on the server side.

use std::{collections::BTreeMap, fmt};

use serde_json::Value;

use crate::{
    document::{Document, METHODS, media_type_essence},
    schema::{SchemaValidator, escape_pointer},
};

/// One thing wrong with the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defect {
    /// Where: a JSON pointer into the document, or `METHOD /path`.
    pub location: String,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.problem)
    }
}

fn defect(location: impl Into<String>, problem: impl Into<String>) -> Defect {
    Defect {
        location: location.into(),
        problem: problem.into(),
    }
}

/// The defects as a numbered list, for a test's failure message.
pub fn listing(defects: &[Defect]) -> String {
    defects
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{:>3}. {d}\n", i + 1))
        .collect()
}

fn is_blank(value: &Value) -> bool {
    value.as_str().is_none_or(|s| s.trim().is_empty())
}

/// Each operation object with its pointer and `METHOD /path` name.
fn operations(document: &Document) -> Vec<(String, String, &Value)> {
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
        for (i, parameter) in operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let parameter = document.resolve(parameter);
            let at = format!("{pointer}/parameters/{i}");
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

/// Every operation has a unique `operationId`, a summary, and a 200 response
/// with a JSON schema.
pub fn operation_basics(document: &Document) -> Vec<Defect> {
    let mut defects = Vec::new();
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (pointer, name, operation) in operations(document) {
        match operation["operationId"]
            .as_str()
            .filter(|id| !id.trim().is_empty())
        {
            Some(id) => ids.entry(id.to_owned()).or_default().push(name.clone()),
            None => defects.push(defect(format!("{name} ({pointer})"), "no operationId")),
        }
        if is_blank(&operation["summary"]) {
            defects.push(defect(format!("{name} ({pointer})"), "no summary"));
        }
        let ok = document.resolve(&operation["responses"]["200"]);
        let json_schema =
            ok["content"]
                .as_object()
                .into_iter()
                .flatten()
                .any(|(media, content)| {
                    let essence = media_type_essence(media);
                    (essence == "application/json" || essence.ends_with("+json"))
                        && content.get("schema").is_some()
                });
        if !json_schema {
            defects.push(defect(
                format!("{name} ({pointer}/responses/200)"),
                "no 200 response with a JSON schema",
            ));
        }
    }
    for (id, users) in ids {
        if users.len() > 1 {
            defects.push(defect(
                users.join(", "),
                format!("operationId {id:?} is used {} times", users.len()),
            ));
        }
    }
    defects
}

/// Every schema in the document with where it sits.
fn schema_roots(document: &Document) -> Vec<(String, &Value)> {
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
fn walk_schemas<'a>(schema: &'a Value, at: &str, visit: &mut impl FnMut(&'a Value, &str)) {
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

/// Every parameter and every schema property has a description.
pub fn descriptions(document: &Document) -> Vec<Defect> {
    let mut defects = Vec::new();
    for (pointer, name, operation) in operations(document) {
        for (i, parameter) in operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let parameter = document.resolve(parameter);
            if is_blank(&parameter["description"]) {
                defects.push(defect(
                    format!(
                        "{name}: parameter {:?} ({pointer}/parameters/{i})",
                        parameter["name"].as_str().unwrap_or("?")
                    ),
                    "no description",
                ));
            }
        }
    }
    for (root, schema) in schema_roots(document) {
        walk_schemas(schema, &root, &mut |schema, at| {
            for (property, value) in schema["properties"].as_object().into_iter().flatten() {
                // A bare $ref cannot carry a description in 3.0; its target's counts.
                let described = !is_blank(&value["description"])
                    || !is_blank(&document.resolve(value)["description"]);
                if !described {
                    defects.push(defect(
                        format!(
                            "property {property:?} ({at}/properties/{})",
                            escape_pointer(property)
                        ),
                        "no description",
                    ));
                }
            }
        });
    }
    defects
}

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

    fn committed() -> Document {
        Document::committed()
    }

    fn assert_none(check: &str, defects: &[Defect]) {
        assert!(
            defects.is_empty(),
            "openapi/openapi.json fails the {check} check ({} defects). Fix the server's \
             API description and regenerate the document; do not edit it by hand:\n{}",
            defects.len(),
            listing(defects)
        );
    }

    #[test]
    fn the_committed_document_is_structurally_openapi_3_0() {
        assert_none("structure", &structure(&committed()));
    }

    #[test]
    fn every_operation_has_a_unique_id_a_summary_and_a_json_200_answer() {
        assert_none("operation", &operation_basics(&committed()));
    }

    #[test]
    fn every_parameter_and_schema_property_is_described() {
        assert_none("description", &descriptions(&committed()));
    }

    #[test]
    fn every_example_in_the_document_matches_its_schema() {
        assert_none("example", &examples(&committed()));
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

    #[test]
    fn each_check_names_what_is_missing() {
        let document = defective();
        let structure = listing(&structure(&document));
        for expected in [
            "#/info/version: missing",
            "#/paths/~1a~1{id}/get/responses/200/description: missing",
            "path template has {id} but no path parameter",
            "$ref \"#/components/schemas/Missing\" does not resolve",
        ] {
            assert!(
                structure.contains(expected),
                "{expected:?} not in:\n{structure}"
            );
        }
        let basics = listing(&operation_basics(&document));
        for expected in [
            "GET /a/{id} (#/paths/~1a~1{id}/get): no summary",
            "no 200 response with a JSON schema",
            "operationId \"same\" is used 2 times",
        ] {
            assert!(basics.contains(expected), "{expected:?} not in:\n{basics}");
        }
        let descriptions = listing(&descriptions(&document));
        for expected in [
            "GET /a/{id}: parameter \"x\" (#/paths/~1a~1{id}/get/parameters/0): no description",
            "property \"n\" (#/components/schemas/Thing/properties/n): no description",
        ] {
            assert!(
                descriptions.contains(expected),
                "{expected:?} not in:\n{descriptions}"
            );
        }
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
