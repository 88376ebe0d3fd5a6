//! A body against a declared response's `content`: the content type is
//! declared, and a JSON body parses and matches its schema.

use serde_json::Value;

use super::violation::{Violation, ViolationKind};
use crate::{document::media_type_essence, http::HttpResponse, schema::SchemaValidator};

/// The body against `declared_response`'s `content`: a declared content
/// type and, for JSON, a body that is JSON and matches the schema
/// `validator` gives for that media type.
pub(super) fn check_content<'a>(
    declared_response: &Value,
    response: &HttpResponse,
    validator: impl FnOnce(&str) -> Option<&'a SchemaValidator>,
) -> Vec<Violation> {
    let status = response.status;
    let mut violations = Vec::new();
    let content = declared_response["content"].as_object();
    let Some(content) = content.filter(|c| !c.is_empty()) else {
        if !response.body.is_empty() {
            violations.push(Violation {
                kind: ViolationKind::UnexpectedBody,
                message: format!(
                    "HTTP {status} declares no content but {} bytes came",
                    response.body.len()
                ),
                schema_path: None,
            });
        }
        return violations;
    };
    let actual = response.content_type.as_deref().unwrap_or("");
    let Some(media_type) = content
        .keys()
        .find(|declared| content_type_matches(declared, actual))
    else {
        let declared: Vec<&String> = content.keys().collect();
        violations.push(Violation {
            kind: ViolationKind::UndeclaredContentType,
            message: format!(
                "HTTP {status} came as {:?}; declared: {declared:?}",
                response
                    .content_type
                    .as_deref()
                    .unwrap_or("(no content type)")
            ),
            schema_path: None,
        });
        return violations;
    };
    if !is_json(media_type) {
        return violations;
    }
    let body: Value = match serde_json::from_slice(&response.body) {
        Ok(body) => body,
        Err(err) => {
            violations.push(Violation {
                kind: ViolationKind::NotJson,
                message: format!("declared {media_type:?}, but: {err}"),
                schema_path: None,
            });
            return violations;
        }
    };
    if let Some(validator) = validator(media_type) {
        let errors = validator.errors(&body);
        if let Some(first) = errors.first() {
            let listed: Vec<String> = errors
                .iter()
                .take(8)
                .map(|e| format!("\n    - {e}"))
                .collect();
            violations.push(Violation {
                kind: ViolationKind::SchemaMismatch,
                message: format!(
                    "HTTP {status} body does not match {}:{}",
                    validator.location,
                    listed.concat()
                ),
                schema_path: Some(first.schema_path.clone()),
            });
        }
    }
    violations
}

/// Whether the `actual` content type is the `declared` one: the same media
/// type, and every parameter the document names (such as `charset=utf-8`).
pub fn content_type_matches(declared: &str, actual: &str) -> bool {
    if media_type_essence(declared) != media_type_essence(actual) {
        return false;
    }
    let parameters = |text: &str| -> Vec<(String, String)> {
        text.split(';')
            .skip(1)
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| {
                (
                    k.trim().to_ascii_lowercase(),
                    v.trim().trim_matches('"').to_ascii_lowercase(),
                )
            })
            .collect()
    };
    let actual_parameters = parameters(actual);
    parameters(declared)
        .iter()
        .all(|p| actual_parameters.contains(p))
}

fn is_json(media_type: &str) -> bool {
    let essence = media_type_essence(media_type);
    essence == "application/json" || essence.ends_with("+json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::JSON;

    #[test]
    fn content_types_match_on_media_type_and_declared_parameters() {
        assert!(content_type_matches(
            JSON,
            "application/json; charset=utf-8"
        ));
        assert!(content_type_matches(JSON, "Application/JSON;charset=UTF-8"));
        assert!(!content_type_matches(JSON, "application/json"));
        assert!(content_type_matches(
            "application/json",
            "application/json; charset=utf-8"
        ));
        assert!(!content_type_matches(JSON, "text/plain; charset=utf-8"));
    }
}
