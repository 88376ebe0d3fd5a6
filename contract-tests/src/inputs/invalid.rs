//! Values the document forbids, or that sit at its edges: numbers outside
//! the enum, text for numbers, mutated phone numbers, empty, blank, emoji and
//! very long text, and the wrong JSON types.

use proptest::{prelude::*, sample::select, strategy::Union};
use serde_json::Value;

use super::{
    fixtures::Fixtures,
    valid::{
        fresh_phone, is_phone, length_bounds, strings, text_of_length, token_value, valid_string,
    },
};
use crate::document::Input;

/// Values the document forbids, or that sit at its edges.
pub(super) fn invalid_value(input: &Input, json: bool) -> BoxedStrategy<Value> {
    if let Some(credential) = input.credential {
        return token_value(credential, &Fixtures::default(), false);
    }
    let schema = &input.schema;
    let mut options: Vec<(u32, BoxedStrategy<Value>)> = Vec::new();
    match schema["type"].as_str() {
        Some("integer" | "number") => {
            let allowed: Vec<Value> = schema["enum"].as_array().cloned().unwrap_or_default();
            let numbers = select(vec![
                -1i64,
                2,
                3,
                10,
                255,
                65_536,
                -2_147_483_649,
                9_999_999_999_999,
            ])
            .prop_filter("outside the enum", move |n| {
                allowed.is_empty() || !allowed.contains(&Value::from(*n))
            })
            .prop_map(Value::from);
            options.push((3, numbers.boxed()));
            let texts = vec![
                "", "abc", "1.0", " 1", "１", "0x1", "true", "一", "01", "+1",
            ];
            options.push((
                3,
                select(texts)
                    .prop_map(|t| Value::String(t.to_owned()))
                    .boxed(),
            ));
            if json {
                options.push((1, Just(Value::from(1.5)).boxed()));
            }
        }
        Some("boolean") => {
            options.push((1, strings(vec!["yes".into(), "2".into(), String::new()])));
        }
        _ => {
            if is_phone(input) {
                // Mutated test-range numbers: a lenient server that cleaned
                // one up (trimmed it, dropped +86) would still only ever
                // reach an account the checker made.
                options.push((6, mutated(fresh_phone())));
            } else if schema["pattern"].is_string() {
                options.push((6, mutated(valid_string(schema))));
            }
            options.push((4, edge_text(schema).prop_map(Value::String).boxed()));
        }
    }
    if json {
        options.push((
            1,
            select(vec![
                Value::Null,
                Value::Bool(true),
                Value::Array(Vec::new()),
                serde_json::json!({"a": 1}),
            ])
            .boxed(),
        ));
    }
    Union::new_weighted(options).boxed()
}

/// A valid value made invalid in one of the ways people get phone numbers wrong.
fn mutated(valid: BoxedStrategy<String>) -> BoxedStrategy<Value> {
    (valid, any::<prop::sample::Index>(), 0u8..10, 0u8..9)
        .prop_map(|(text, index, kind, digit)| {
            let chars: Vec<char> = text.chars().collect();
            let at = if chars.is_empty() {
                0
            } else {
                index.index(chars.len())
            };
            let mut out = chars.clone();
            match kind {
                0 => {
                    out.pop();
                }
                1 => out.push(char::from(b'0' + digit)),
                2 => {
                    if let Some(first) = out.first_mut() {
                        *first = char::from(b'2' + digit % 8);
                    }
                }
                3 => {
                    if at < out.len() {
                        out[at] = char::from(b'a' + digit);
                    }
                }
                4 => {
                    // A full-width digit, which Rust's `\d` would accept.
                    if at < out.len() {
                        out[at] = char::from_u32(0xFF10 + u32::from(digit)).unwrap_or('０');
                    }
                }
                5 => {
                    out.splice(0..0, "+86".chars());
                }
                6 => {
                    out.insert(0, ' ');
                    out.push(' ');
                }
                7 => out.clear(),
                8 => {
                    out.truncate(at);
                }
                _ => out.extend(std::iter::repeat_n('9', usize::from(digit) + 1)),
            }
            Value::String(out.into_iter().collect())
        })
        .boxed()
}

/// Empty, blank, too short, too long, emoji, very long, padded text.
fn edge_text(schema: &Value) -> BoxedStrategy<String> {
    let (min, max) = length_bounds(schema);
    let blank = prop::collection::vec(select(vec![' ', '\t', '\u{3000}', '\n']), 1..=5)
        .prop_map(|chars| chars.into_iter().collect::<String>());
    let emoji = prop::collection::vec(proptest::char::range('\u{1f300}', '\u{1f64f}'), 1..=40)
        .prop_map(|chars| chars.into_iter().collect::<String>());
    let mut options: Vec<(u32, BoxedStrategy<String>)> = vec![
        (2, Just(String::new()).boxed()),
        (2, blank.boxed()),
        (2, emoji.boxed()),
        // Everything up to well past the maximum (0 to 30 characters for a password).
        (4, text_of_length(0, max + 16)),
        (1, text_of_length(max + 1, max + 16)),
        (1, text_of_length(200, 2_000)),
        (
            1,
            text_of_length(min.max(1), max)
                .prop_map(|text| format!("  {text}\t"))
                .boxed(),
        ),
    ];
    if min > 1 {
        options.push((1, text_of_length(1, min - 1)));
    }
    Union::new_weighted(options).boxed()
}
