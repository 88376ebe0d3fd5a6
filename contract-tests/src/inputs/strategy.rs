//! The strategy of whole requests to a target: each input left out, sent
//! once or twice, credentials, unknown extra fields, and malformed bodies.

use proptest::{prelude::*, sample::select, strategy::Union};
use serde_json::Value;

use super::{
    fixtures::Fixtures,
    generated::{BodyShape, Field, GeneratedRequest},
    invalid::invalid_value,
    valid::valid_value,
};
use crate::document::{Encoding, Input, Location, Target};

/// The strategy of requests to `target`.
pub fn request_strategy(target: &Target, fixtures: &Fixtures) -> BoxedStrategy<GeneratedRequest> {
    let encoding = target.encoding;
    let json = encoding == Encoding::Json;
    let per_input: Vec<BoxedStrategy<Vec<Field>>> = target
        .operation
        .inputs
        .iter()
        .map(|input| input_strategy(input, json, fixtures))
        .collect();
    let declared: Vec<String> = target
        .operation
        .inputs
        .iter()
        .map(|i| i.name.to_ascii_lowercase())
        .collect();
    let extra_location = match encoding {
        Encoding::Form | Encoding::Json | Encoding::EmptyBodyQuery => Location::Body,
        Encoding::Parameters => Location::Query,
    };
    let extras = prop_oneof![
        3 => Just(Vec::new()),
        1 => prop::collection::vec(("[a-z][a-z0-9_]{0,10}", "\\PC{0,20}"), 1..=2),
    ]
    .prop_map(move |pairs| {
        pairs
            .into_iter()
            .filter(|(name, _)| !declared.contains(name))
            .map(|(name, value)| Field {
                name,
                location: extra_location,
                value: Value::String(value),
            })
            .collect::<Vec<_>>()
    });
    let body = body_shape_strategy(encoding);
    let credentials = security_strategy(&target.operation.security, fixtures);
    let accounts = fixtures.accounts.clone();
    let account = if accounts.is_empty() {
        Just(None).boxed()
    } else {
        prop_oneof![2 => Just(None), 1 => (0..accounts.len()).prop_map(Some)].boxed()
    };
    (per_input, credentials, extras, body, any::<bool>(), account)
        .prop_map(
            move |(fields, credentials, extras, body, json_charset, account)| {
                let mut fields: Vec<Field> = fields
                    .into_iter()
                    .flatten()
                    .chain(credentials)
                    .chain(extras)
                    .collect();
                if let Some(values) = account.map(|i| &accounts[i]) {
                    for field in fields.iter_mut().filter(|f| f.location != Location::Path) {
                        if let Some(value) = values.get(&field.name.to_ascii_lowercase()) {
                            field.value = Value::String(value.clone());
                        }
                    }
                }
                GeneratedRequest {
                    fields,
                    body,
                    json_charset,
                }
            },
        )
        .boxed()
}

/// One of the security alternatives (or, now and then, none at all), with tokens.
fn security_strategy(
    alternatives: &[Vec<Input>],
    fixtures: &Fixtures,
) -> BoxedStrategy<Vec<Field>> {
    if alternatives.is_empty() {
        return Just(Vec::new()).boxed();
    }
    let mut options: Vec<(u32, BoxedStrategy<Vec<Field>>)> = vec![(1, Just(Vec::new()).boxed())];
    for alternative in alternatives {
        let fields: Vec<BoxedStrategy<Vec<Field>>> = alternative
            .iter()
            .map(|input| input_strategy(input, false, fixtures))
            .collect();
        options.push((
            4,
            fields
                .prop_map(|fields| fields.into_iter().flatten().collect::<Vec<_>>())
                .boxed(),
        ));
    }
    Union::new_weighted(options).boxed()
}

fn body_shape_strategy(encoding: Encoding) -> BoxedStrategy<BodyShape> {
    match encoding {
        Encoding::Json => prop_oneof![
            40 => Just(BodyShape::Fields),
            1 => select(vec!["[]", "\"text\"", "42", "null", "true", "[{}]"])
                .prop_map(|raw| BodyShape::Raw(raw.to_owned())),
            1 => select(vec!["{", "{\"phone\":", "not json", "{\"a\":1,}", "{'a':1}"])
                .prop_map(|raw| BodyShape::Raw(raw.to_owned())),
            1 => wrong_content_type(),
            1 => Just(BodyShape::Oversized),
        ]
        .boxed(),
        Encoding::Form => prop_oneof![
            40 => Just(BodyShape::Fields),
            1 => select(vec!["%zz=%", "&&&", "=", "a=%E4%BA"])
                .prop_map(|raw| BodyShape::Raw(raw.to_owned())),
            1 => wrong_content_type(),
            1 => Just(BodyShape::Oversized),
        ]
        .boxed(),
        Encoding::Parameters | Encoding::EmptyBodyQuery => Just(BodyShape::Fields).boxed(),
    }
}

fn wrong_content_type() -> BoxedStrategy<BodyShape> {
    select(vec![
        "text/plain",
        "application/xml",
        "application/octet-stream",
    ])
    .prop_map(|ct| BodyShape::WrongContentType(ct.to_owned()))
    .boxed()
}

/// The fields one input contributes: none (left out), one, or two (sent twice).
fn input_strategy(input: &Input, json: bool, fixtures: &Fixtures) -> BoxedStrategy<Vec<Field>> {
    let valid = valid_value(input, json, fixtures);
    let invalid = invalid_value(input, json);
    let name = input.name.clone();
    let location = input.location;
    let field = move |value: Value| Field {
        name: name.clone(),
        location,
        value,
    };
    if location == Location::Path {
        // A path segment is always there, though it may be empty.
        return prop_oneof![7 => valid, 3 => invalid]
            .prop_map(move |value| vec![field(value)])
            .boxed();
    }
    let one = prop_oneof![6 => valid.clone(), 3 => invalid.clone()];
    let single = field.clone();
    let twice = field;
    prop_oneof![
        9 => one.prop_map(move |value| vec![single(value)]),
        1 => Just(Vec::new()),
        1 => (valid.clone(), prop_oneof![valid, invalid])
            .prop_map(move |(a, b)| vec![twice(a), twice(b)]),
    ]
    .boxed()
}

#[cfg(test)]
mod tests {
    use proptest::test_runner::TestRunner;

    use super::*;
    use crate::inputs::{committed_target, generated::scalar_text};

    /// 2,000 requests to the committed `operation_id` sent as `encoding`,
    /// drawn deterministically.
    fn drawn(operation_id: &str, encoding: Encoding) -> Vec<GeneratedRequest> {
        let target = committed_target(operation_id, encoding);
        let strategy = request_strategy(&target, &Fixtures::default());
        let mut runner = TestRunner::deterministic();
        (0..2_000)
            .map(|_| strategy.new_tree(&mut runner).unwrap().current())
            .collect()
    }

    #[test]
    fn the_input_space_is_covered() {
        // Over many cases, each kind of value the issue lists shows up.
        let mut seen = std::collections::BTreeSet::new();
        for request in drawn("register", Encoding::Json) {
            let count = |name: &str| request.fields.iter().filter(|f| f.name == name).count();
            if count("phone") == 0 {
                seen.insert("phone missing");
            }
            if count("phone") == 2 {
                seen.insert("phone twice");
            }
            if request.fields.iter().any(|f| {
                !["phone", "name", "password", "device_identifier", "code"]
                    .contains(&f.name.as_str())
            }) {
                seen.insert("unknown extra field");
            }
            for field in &request.fields {
                let Value::String(text) = &field.value else {
                    continue;
                };
                let chars = text.chars().count();
                match field.name.as_str() {
                    "phone" if chars == 11 && text.chars().any(|c| ('０'..='９').contains(&c)) => {
                        seen.insert("full-width digit");
                    }
                    "phone" if chars == 11 && text.chars().any(|c| c.is_ascii_alphabetic()) => {
                        seen.insert("letter in phone");
                    }
                    "phone" if text.is_empty() => {
                        seen.insert("empty phone");
                    }
                    "phone" if chars == 10 || chars == 12 => {
                        seen.insert("phone of wrong length");
                    }
                    "phone" if chars == 11 && !text.starts_with('1') => {
                        seen.insert("wrong first digit");
                    }
                    "password" if chars > 14 && chars <= 30 => {
                        seen.insert("password too long");
                    }
                    "password" if chars < 6 => {
                        seen.insert("password too short");
                    }
                    "password" if text.len() > chars => {
                        seen.insert("multi-byte password");
                    }
                    "name" if chars > 200 => {
                        seen.insert("very long name");
                    }
                    "name" if !text.is_empty() && text.trim().is_empty() => {
                        seen.insert("blank name");
                    }
                    "name" if text.chars().any(|c| c >= '\u{1f300}') => {
                        seen.insert("emoji name");
                    }
                    _ => {}
                }
            }
        }
        let expected = [
            "phone missing",
            "phone twice",
            "unknown extra field",
            "full-width digit",
            "letter in phone",
            "empty phone",
            "phone of wrong length",
            "wrong first digit",
            "password too long",
            "password too short",
            "multi-byte password",
            "blank name",
            "emoji name",
            "very long name",
        ];
        for kind in expected {
            assert!(seen.contains(kind), "never generated: {kind}; saw {seen:?}");
        }
    }

    #[test]
    fn expect_takes_its_enum_other_numbers_and_text() {
        let mut seen = std::collections::BTreeSet::new();
        for request in drawn("sendsmsGet", Encoding::Parameters) {
            let expects: Vec<_> = request
                .fields
                .iter()
                .filter(|f| f.name == "expect")
                .collect();
            match expects.as_slice() {
                [] => {
                    seen.insert("absent".to_owned());
                }
                [one] => {
                    let text = scalar_text(&one.value);
                    let kind = match text.as_str() {
                        "0" | "1" => text.clone(),
                        t if t.parse::<i64>().is_ok() => "other number".to_owned(),
                        _ => "text".to_owned(),
                    };
                    seen.insert(kind);
                }
                _ => {
                    seen.insert("twice".to_owned());
                }
            }
        }
        for kind in ["0", "1", "absent", "other number", "text", "twice"] {
            assert!(seen.contains(kind), "never generated: {kind}; saw {seen:?}");
        }
    }
}
