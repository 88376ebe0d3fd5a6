//! Values the document says are fine, per kind of field: phone numbers in
//! the unallocated test range, tokens, enum members, numbers in range and
//! text of an allowed length or pattern.

use proptest::{prelude::*, sample::select, strategy::Union};
use serde_json::Value;

use super::{
    fixtures::{Fixtures, LIVE_TOKEN},
    generated::scalar_text,
};
use crate::document::{Credential, Input};

/// Whether `input` is a mainland phone number.
pub(super) fn is_phone(input: &Input) -> bool {
    let name = input.name.to_ascii_lowercase();
    input.schema["pattern"].as_str() == Some("^1[0-9]{10}$")
        || ((name == "phone" || name == "mobile") && input.schema["type"] == "string")
}

/// A valid phone number no real subscriber has (`10x`–`12x` are not allocated).
pub fn fresh_phone() -> BoxedStrategy<String> {
    "1[0-2][0-9]{9}".boxed()
}

pub(super) fn strings(values: Vec<String>) -> BoxedStrategy<Value> {
    select(values).prop_map(Value::String).boxed()
}

/// Values the document says are fine.
pub(super) fn valid_value(input: &Input, json: bool, fixtures: &Fixtures) -> BoxedStrategy<Value> {
    let known = fixtures.get(&input.name).to_vec();
    let generated = if let Some(credential) = input.credential {
        token_value(credential, fixtures, true)
    } else if is_phone(input) {
        let as_number = json;
        fresh_phone()
            .prop_flat_map(move |phone| {
                // JSON clients sometimes send the phone as a number.
                if as_number {
                    prop_oneof![
                        9 => Just(Value::String(phone.clone())),
                        1 => Just(phone.parse::<u64>().map_or(Value::Null, Value::from)),
                    ]
                    .boxed()
                } else {
                    Just(Value::String(phone)).boxed()
                }
            })
            .boxed()
    } else {
        valid_from_schema(&input.schema, json)
    };
    if known.is_empty() || input.credential.is_some() {
        generated
    } else {
        prop_oneof![1 => strings(known), 1 => generated].boxed()
    }
}

pub(super) fn token_value(
    credential: Credential,
    fixtures: &Fixtures,
    valid: bool,
) -> BoxedStrategy<Value> {
    let mut known = fixtures.get("token").to_vec();
    known.push("00000000000000000000000000000000".to_owned());
    let raw: BoxedStrategy<String> = if valid {
        let mut options = vec![(1, select(known).boxed()), (1, "[0-9a-f]{32}".boxed())];
        if fixtures.live_token {
            options.push((2, Just(LIVE_TOKEN.to_owned()).boxed()));
        }
        Union::new_weighted(options).boxed()
    } else {
        prop_oneof![Just(String::new()), "[ -~]{0,80}", "[0-9A-F]{32}"].boxed()
    };
    match credential {
        Credential::Bearer => raw
            .prop_flat_map(|token| {
                prop_oneof![
                    8 => Just(format!("Bearer {token}")),
                    1 => Just(token.clone()),
                    1 => Just(format!("Basic {token}")),
                ]
            })
            .prop_map(Value::String)
            .boxed(),
        Credential::ApiKey => raw.prop_map(Value::String).boxed(),
    }
}

fn valid_from_schema(schema: &Value, json: bool) -> BoxedStrategy<Value> {
    if let Some(values) = schema["enum"].as_array().filter(|v| !v.is_empty()) {
        let values = values.clone();
        let numeric = matches!(schema["type"].as_str(), Some("integer" | "number"));
        return select(values)
            .prop_flat_map(move |value| {
                if json && numeric {
                    // JSON clients send numbers, some send them as strings.
                    let text = Value::String(scalar_text(&value));
                    prop_oneof![3 => Just(value), 1 => Just(text)].boxed()
                } else {
                    Just(value).boxed()
                }
            })
            .boxed();
    }
    match schema["type"].as_str() {
        Some("integer") => {
            let min = schema["minimum"].as_i64().unwrap_or(-1000);
            let max = schema["maximum"].as_i64().unwrap_or(1000).max(min);
            (min..=max).prop_map(Value::from).boxed()
        }
        Some("number") => (-1000.0..1000.0f64).prop_map(Value::from).boxed(),
        Some("boolean") => any::<bool>().prop_map(Value::from).boxed(),
        Some("array") => Just(Value::Array(Vec::new())).boxed(),
        Some("object") => Just(Value::Object(Default::default())).boxed(),
        _ => valid_string(schema).prop_map(Value::String).boxed(),
    }
}

pub(super) fn valid_string(schema: &Value) -> BoxedStrategy<String> {
    if let Some(pattern) = schema["pattern"].as_str() {
        let unanchored = pattern.trim_start_matches('^').trim_end_matches('$');
        if let Ok(strategy) = proptest::string::string_regex(unanchored) {
            return strategy.boxed();
        }
    }
    let (min, max) = length_bounds(schema);
    let min = min.max(1).min(max);
    let mut options = vec![(4, text_of_length(min, max))];
    if let Some(example) = schema["example"].as_str() {
        options.push((1, Just(example.to_owned()).boxed()));
    }
    Union::new_weighted(options).boxed()
}

pub(super) fn length_bounds(schema: &Value) -> (usize, usize) {
    let as_len = |v: &Value| v.as_u64().and_then(|n| usize::try_from(n).ok());
    let min = as_len(&schema["minLength"]).unwrap_or(0);
    let max = as_len(&schema["maxLength"]).unwrap_or(64).max(min);
    (min, max)
}

/// One character of the kinds apps send: ASCII, CJK, full-width, emoji.
fn any_char() -> BoxedStrategy<char> {
    prop_oneof![
        6 => proptest::char::range('!', '~'),
        3 => proptest::char::range('\u{4e00}', '\u{9fff}'),
        1 => proptest::char::range('\u{ff01}', '\u{ff5e}'),
        1 => proptest::char::range('\u{1f600}', '\u{1f64f}'),
    ]
    .boxed()
}

pub(super) fn text_of_length(min: usize, max: usize) -> BoxedStrategy<String> {
    prop::collection::vec(any_char(), min..=max)
        .prop_map(|chars| chars.into_iter().collect())
        .boxed()
}

#[cfg(test)]
mod tests {
    use proptest::test_runner::TestRunner;

    use super::*;

    #[test]
    fn generated_valid_phones_are_never_real_subscriber_numbers() {
        let mut runner = TestRunner::default();
        for _ in 0..200 {
            let phone = fresh_phone().new_tree(&mut runner).unwrap().current();
            assert_eq!(phone.len(), 11);
            assert!(phone.starts_with("10") || phone.starts_with("11") || phone.starts_with("12"));
        }
    }
}
