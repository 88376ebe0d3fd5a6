//! Putting a generated request on the wire: the path with its segments
//! encoded, the query string, headers, and the body as a form, JSON (repeated
//! keys kept), raw text or oversized.

use serde_json::Value;

use super::generated::{BodyShape, Field, GeneratedRequest, scalar_text};
use crate::{
    document::{Encoding, Location, Target},
    http::{HttpRequest, percent_encode},
};

/// How many characters of padding make a body oversized (the contract's limit is 64 KiB).
pub const OVERSIZE_PADDING: usize = 66 * 1024;

/// Puts `request` on the wire for `target`, under the path `prefix`.
pub fn render(target: &Target, prefix: &str, request: &GeneratedRequest) -> HttpRequest {
    let operation = &target.operation;
    let mut path = format!("{prefix}{}", operation.path);
    for input in operation
        .inputs
        .iter()
        .filter(|i| i.location == Location::Path)
    {
        let value = request
            .fields
            .iter()
            .find(|f| f.location == Location::Path && f.name == input.name)
            .map(|f| scalar_text(&f.value))
            .unwrap_or_default();
        path = path.replace(&format!("{{{}}}", input.name), &percent_encode(&value));
    }

    let in_body = matches!(target.encoding, Encoding::Form | Encoding::Json);
    let mut query: Vec<(String, String)> = Vec::new();
    let mut body_fields: Vec<&Field> = Vec::new();
    let mut headers: Vec<(String, String)> = Vec::new();
    for field in &request.fields {
        match field.location {
            Location::Path => {}
            Location::Query => query.push((field.name.clone(), scalar_text(&field.value))),
            Location::Header => headers.push((field.name.clone(), header_text(&field.value))),
            Location::Body if in_body => body_fields.push(field),
            Location::Body => query.push((field.name.clone(), scalar_text(&field.value))),
        }
    }
    if !query.is_empty() {
        path.push('?');
        path.push_str(&form_encode(
            query.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        ));
    }

    let padding = Field {
        name: "padding".to_owned(),
        location: Location::Body,
        value: Value::String("x".repeat(OVERSIZE_PADDING)),
    };
    if request.body == BodyShape::Oversized {
        body_fields.push(&padding);
    }
    let body = match (&target.encoding, &request.body) {
        (Encoding::Parameters | Encoding::EmptyBodyQuery, _) => None,
        (_, BodyShape::Raw(raw)) => Some((content_type(target.encoding, request), raw.clone())),
        (_, BodyShape::WrongContentType(content_type)) => {
            Some((content_type.clone(), form_body(&body_fields)))
        }
        (Encoding::Form, _) => Some((
            content_type(target.encoding, request),
            form_body(&body_fields),
        )),
        (Encoding::Json, _) => Some((
            content_type(target.encoding, request),
            json_object(&body_fields),
        )),
    };
    let body = body.map(|(content_type, text)| {
        headers.push(("content-type".to_owned(), content_type));
        text.into_bytes()
    });
    HttpRequest {
        method: operation.method.to_uppercase(),
        path_and_query: path,
        headers,
        body,
    }
}

fn content_type(encoding: Encoding, request: &GeneratedRequest) -> String {
    match encoding {
        Encoding::Json if request.json_charset => "application/json; charset=utf-8".to_owned(),
        Encoding::Json => "application/json".to_owned(),
        _ => "application/x-www-form-urlencoded".to_owned(),
    }
}

/// Header values must be visible ASCII; anything else becomes `?`.
fn header_text(value: &Value) -> String {
    scalar_text(value)
        .chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect::<String>()
        .trim()
        .to_owned()
}

fn form_encode<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn form_body(fields: &[&Field]) -> String {
    let pairs: Vec<(&str, String)> = fields
        .iter()
        .map(|f| (f.name.as_str(), scalar_text(&f.value)))
        .collect();
    form_encode(pairs.iter().map(|(k, v)| (*k, v.as_str())))
}

/// A JSON object of `fields` in order, repeated keys included (which a map cannot hold).
fn json_object(fields: &[&Field]) -> String {
    let members: Vec<String> = fields
        .iter()
        .map(|f| {
            format!(
                "{}:{}",
                Value::String(f.name.clone()),
                serde_json::to_string(&f.value).unwrap_or_default()
            )
        })
        .collect();
    format!("{{{}}}", members.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::committed_target;

    /// `fields` (name, where, value) with `body` put on the wire for the
    /// committed `operation_id` sent as `encoding`.
    fn rendered(
        operation_id: &str,
        encoding: Encoding,
        fields: &[(&str, Location, Value)],
        body: BodyShape,
    ) -> HttpRequest {
        let fields = fields
            .iter()
            .map(|(name, location, value)| Field {
                name: (*name).to_owned(),
                location: *location,
                value: value.clone(),
            })
            .collect();
        let request = GeneratedRequest {
            fields,
            body,
            json_charset: false,
        };
        render(&committed_target(operation_id, encoding), "", &request)
    }

    #[test]
    fn path_parameters_are_encoded_into_their_segment() {
        let fields = [
            ("mobile", Location::Path, Value::from("1/2 ３")),
            ("expect", Location::Query, Value::from(1)),
        ];
        let wire = rendered(
            "sendsmsGet",
            Encoding::Parameters,
            &fields,
            BodyShape::Fields,
        );
        assert_eq!(wire.method, "GET");
        assert_eq!(
            wire.path_and_query,
            "/api/v4.0/sendsms/1%2F2%20%EF%BC%93?expect=1"
        );
        assert_eq!(wire.body, None);
    }

    #[test]
    fn repeated_json_keys_survive_rendering() {
        let fields = [
            ("phone", Location::Body, Value::from("10000000001")),
            ("phone", Location::Body, Value::from(10000000002u64)),
        ];
        let wire = rendered("login", Encoding::Json, &fields, BodyShape::Fields);
        assert_eq!(
            String::from_utf8(wire.body.unwrap()).unwrap(),
            r#"{"phone":"10000000001","phone":10000000002}"#
        );
        assert_eq!(
            wire.headers,
            vec![("content-type".to_owned(), "application/json".to_owned())]
        );
    }

    #[test]
    fn an_empty_body_post_carries_its_fields_in_the_query_string() {
        let fields = [
            ("phone", Location::Body, Value::from("10000000001")),
            ("name", Location::Body, Value::from("于 连")),
        ];
        let wire = rendered(
            "register",
            Encoding::EmptyBodyQuery,
            &fields,
            BodyShape::Fields,
        );
        assert_eq!(wire.method, "POST");
        assert_eq!(
            wire.path_and_query,
            "/api/v4.0/register?phone=10000000001&name=%E4%BA%8E%20%E8%BF%9E"
        );
        assert_eq!(wire.body, None);
        assert!(wire.headers.is_empty());
    }

    #[test]
    fn an_oversized_body_is_over_64_kib() {
        let wire = rendered("forgetPassword", Encoding::Form, &[], BodyShape::Oversized);
        assert!(wire.body.unwrap().len() > 64 * 1024);
    }
}
