//! OpenAPI 3.0 schemas as JSON Schema validators, `$ref`s resolved.
//!
//! An OpenAPI 3.0 schema object is close to JSON Schema draft 4: `example`,
//! `format: int32` and the like are annotations a draft-4 validator ignores.
//! The one keyword that changes meaning is `nullable`, rewritten here into a
//! `null` type. Each schema is compiled inside a root that also holds the
//! document's `components`, so `#/components/schemas/...` references resolve
//! exactly as they do in the document.

use serde_json::{Map, Value};

use crate::document::Document;

/// A compiled schema of the document.
pub struct SchemaValidator {
    validator: jsonschema::Validator,
    /// Where the schema sits in the document (a JSON pointer with `#`).
    pub location: String,
}

impl std::fmt::Debug for SchemaValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaValidator")
            .field("location", &self.location)
            .finish()
    }
}

/// One way a value fails its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// The offending part of the value, a JSON pointer (`""` for the whole).
    pub instance_path: String,
    /// The keyword that failed, as a pointer into the document, e.g.
    /// `#/components/schemas/SendSmsReply/properties/code/allOf/0/enum`.
    pub schema_path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.instance_path.is_empty() {
            "the body"
        } else {
            self.instance_path.as_str()
        };
        write!(f, "{} (at {at}; schema {})", self.message, self.schema_path)
    }
}

impl SchemaValidator {
    /// Compiles `schema`, found at `location` in `document`.
    pub fn compile(document: &Document, schema: &Value, location: &str) -> Result<Self, String> {
        let mut root = openapi_to_json_schema(schema);
        if let Value::Object(map) = &mut root {
            let mut components = Map::new();
            components.insert(
                "schemas".to_owned(),
                openapi_to_json_schema(&document.json["components"]["schemas"]),
            );
            map.insert("components".to_owned(), Value::Object(components));
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .build(&root)
            .map_err(|err| format!("schema at {location} does not compile: {err}"))?;
        Ok(Self {
            validator,
            location: location.to_owned(),
        })
    }

    /// Whether `instance` is valid.
    pub fn is_valid(&self, instance: &Value) -> bool {
        self.validator.is_valid(instance)
    }

    /// Every way `instance` fails, innermost first; empty when it is valid.
    ///
    /// A failed `oneOf` also lists why each alternative failed, so that a
    /// reader sees "code: 7 is not one of [-1, 400, 429]" rather than only
    /// "not valid under any of the schemas".
    pub fn errors(&self, instance: &Value) -> Vec<SchemaError> {
        if self.validator.is_valid(instance) {
            return Vec::new();
        }
        let evaluation = self.validator.evaluate(instance);
        let mut errors: Vec<SchemaError> = evaluation
            .iter_errors()
            .map(|entry| SchemaError {
                instance_path: entry.instance_location.to_string(),
                schema_path: self.document_path(
                    entry.absolute_keyword_location.map(|uri| uri.as_str()),
                    entry.schema_location,
                ),
                message: entry.error.to_string(),
            })
            .collect();
        if errors.is_empty() {
            errors = self
                .validator
                .iter_errors(instance)
                .map(|error| SchemaError {
                    instance_path: error.instance_path().to_string(),
                    schema_path: self.document_path(
                        error.absolute_keyword_location().map(|uri| uri.as_str()),
                        &error.schema_path().to_string(),
                    ),
                    message: error.to_string(),
                })
                .collect();
        }
        // The alternative of a `oneOf` that came closest (fewest errors) is
        // most likely the one meant; within it, deeper keywords say more.
        let group = |e: &SchemaError| component_of(&e.schema_path).to_owned();
        let mut sizes: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for error in &errors {
            *sizes.entry(group(error)).or_default() += 1;
        }
        errors.sort_by_key(|e| {
            (
                sizes.get(&group(e)).copied().unwrap_or_default(),
                std::cmp::Reverse(e.schema_path.matches('/').count()),
            )
        });
        errors.dedup();
        errors
    }

    /// The keyword's place in the document: inside `components` when the
    /// failure is behind a `$ref`, else under this schema's own location.
    fn document_path(&self, absolute: Option<&str>, relative: &str) -> String {
        let fragment = absolute
            .and_then(|uri| uri.split_once('#').map(|(_, f)| f.to_owned()))
            .unwrap_or_else(|| relative.to_owned());
        if fragment.starts_with("/components/") {
            format!("#{fragment}")
        } else {
            format!("{}{fragment}", self.location)
        }
    }
}

/// `#/components/schemas/Name` of a path inside it, or the path itself.
fn component_of(path: &str) -> &str {
    const PREFIX: &str = "#/components/schemas/";
    match path.strip_prefix(PREFIX) {
        Some(rest) => &path[..PREFIX.len() + rest.find('/').unwrap_or(rest.len())],
        None => path,
    }
}

/// `schema` with OpenAPI 3.0's `nullable: true` turned into JSON Schema's `null` type.
pub fn openapi_to_json_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                let converted = match key.as_str() {
                    // Values, not schemas: copied as they are.
                    "example" | "enum" | "default" | "required" | "x-examples" => value.clone(),
                    _ => openapi_to_json_schema(value),
                };
                out.insert(key.clone(), converted);
            }
            if out.get("nullable") == Some(&Value::Bool(true)) {
                out.remove("nullable");
                return make_nullable(out);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(openapi_to_json_schema).collect()),
        other => other.clone(),
    }
}

fn make_nullable(mut schema: Map<String, Value>) -> Value {
    if let Some(Value::Array(values)) = schema.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    match schema.get("type").cloned() {
        Some(Value::String(kind)) => {
            schema.insert("type".to_owned(), serde_json::json!([kind, "null"]));
            Value::Object(schema)
        }
        Some(_) => Value::Object(schema),
        None => serde_json::json!({"anyOf": [Value::Object(schema), {"type": "null"}]}),
    }
}

/// A JSON pointer segment, escaped (`/` and `~`).
pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A `$ref` to the committed document's component schema `name`, compiled.
    fn validator_of(name: &str) -> SchemaValidator {
        let reference = json!({"$ref": format!("#/components/schemas/{name}")});
        SchemaValidator::compile(&Document::committed(), &reference, "#/test").unwrap()
    }

    #[test]
    fn references_into_components_resolve() {
        let validator = validator_of("SendSmsReply");
        assert!(validator.is_valid(&json!({"code": "200", "msg": "发送成功"})));
        let errors = validator.errors(&json!({"code": 200, "msg": "发送成功"}));
        assert!(!errors.is_empty());
        assert!(
            errors.iter().any(|e| e.instance_path == "/code"
                && e.schema_path
                    .starts_with("#/components/schemas/SendSmsCode")),
            "{errors:#?}"
        );
    }

    #[test]
    fn a_failed_one_of_explains_each_alternative() {
        let errors = validator_of("LoginReply").errors(&json!({"code": 7, "msg": "x", "data": ""}));
        assert!(
            errors
                .iter()
                .any(|e| e.schema_path == "#/components/schemas/LoginFailure/properties/code/enum"),
            "{errors:#?}"
        );
    }

    #[test]
    fn the_closest_alternative_is_reported_first() {
        let errors =
            validator_of("RegisterReply").errors(&json!({"code": 200, "msg": "x", "data": {
            "change_device": false, "enterprise_id": -1, "token": "a", "user_id": "b",
            "name": "n", "apply": {}}}));
        assert_eq!(
            errors[0].schema_path, "#/components/schemas/RegisterData/required",
            "{errors:#?}"
        );
        assert!(errors[0].message.contains("pemissions"));
    }

    #[test]
    fn nullable_admits_null_and_nothing_else_changes() {
        assert_eq!(
            openapi_to_json_schema(&json!({"type": "string", "nullable": true, "example": "x"})),
            json!({"type": ["string", "null"], "example": "x"})
        );
        assert_eq!(
            openapi_to_json_schema(&json!({"enum": ["a"], "nullable": true})),
            json!({"anyOf": [{"enum": ["a", null]}, {"type": "null"}]})
        );
        assert_eq!(
            openapi_to_json_schema(&json!({"type": "string", "nullable": false})),
            json!({"type": "string", "nullable": false})
        );
    }
}
