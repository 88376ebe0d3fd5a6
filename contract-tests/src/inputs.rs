//! Proptest strategies for requests, derived from each operation's inputs.
//!
//! Every documented input gets values from its schema: valid ones (mostly),
//! invalid ones of every kind a client might send (wrong length, wrong first
//! digit, letters, full-width digits, empty, blank, emoji, very long, wrong
//! JSON type, numbers outside the enum, text for numbers), and it may be left
//! out or sent twice. Unknown extra parameters and malformed bodies are mixed
//! in. Known-good values from [`Fixtures`] (accounts the checker created)
//! make the success paths reachable.
//!
//! Valid phone numbers are generated in the unallocated `10x`–`12x` range, so
//! an operation that writes (register, forget_password) only ever touches
//! accounts the checker itself created.

use std::collections::BTreeMap;

use proptest::{prelude::*, sample::select, strategy::Union};
use serde_json::Value;

use crate::{
    document::{Credential, Encoding, Input, Location, Target},
    http::{HttpRequest, percent_encode},
};

/// Values known to be good on the deployment.
///
/// - Loose values, by input name (the phone, password, name, token of an
///   account the checker registered), mixed freely with generated ones: a
///   login may pair that phone with any password.
/// - Accounts: sets of values that belong together (a phone and its
///   password). Now and then a request takes all of one account's values at
///   once, and those phones never go out with any other password, so wrong
///   passwords never lock them out and their logins succeed.
/// - A live token: when set, a token value may be the placeholder
///   [`LIVE_TOKEN`], which the runner replaces with a token it has just been
///   given (logout and password resets revoke the others).
#[derive(Debug, Clone, Default)]
pub struct Fixtures {
    values: BTreeMap<String, Vec<String>>,
    accounts: Vec<BTreeMap<String, String>>,
    /// Whether [`LIVE_TOKEN`] may be generated.
    pub live_token: bool,
}

/// Stands for a fresh session token, minted by the runner just before sending.
pub const LIVE_TOKEN: &str = "{live-token}";

impl Fixtures {
    /// Remembers `value` as a good value of inputs named `name`.
    pub fn add(&mut self, name: &str, value: &str) {
        let values = self.values.entry(name.to_ascii_lowercase()).or_default();
        if !values.iter().any(|v| v == value) {
            values.push(value.to_owned());
        }
    }

    /// Remembers values that belong together, by input name.
    pub fn add_account(&mut self, values: BTreeMap<String, String>) {
        self.accounts.push(
            values
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
        );
    }

    /// The good values of inputs named `name`.
    pub fn get(&self, name: &str) -> &[String] {
        self.values
            .get(&name.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty() && self.accounts.is_empty()
    }
}

/// One generated input: where it goes and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The input's name.
    pub name: String,
    /// Where it travels.
    pub location: Location,
    /// Its value; strings, numbers or (in JSON bodies) anything.
    pub value: Value,
}

/// What the body looks like, beyond its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyShape {
    /// The fields, encoded as the target says.
    Fields,
    /// This raw text as the body instead (JSON that is not an object, or not JSON).
    Raw(String),
    /// The fields form-encoded, under a content type the document does not declare.
    WrongContentType(String),
    /// The fields plus a padding field, over 64 KiB in all.
    Oversized,
}

/// A generated request, before it is put on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedRequest {
    /// Every field, in order; duplicates are deliberate.
    pub fields: Vec<Field>,
    /// The body's shape.
    pub body: BodyShape,
    /// Whether a JSON body's content type says `charset=utf-8`.
    pub json_charset: bool,
}

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

/// Whether `input` is a mainland phone number.
fn is_phone(input: &Input) -> bool {
    let name = input.name.to_ascii_lowercase();
    input.schema["pattern"].as_str() == Some("^1[0-9]{10}$")
        || ((name == "phone" || name == "mobile") && input.schema["type"] == "string")
}

/// A valid phone number no real subscriber has (`10x`–`12x` are not allocated).
pub fn fresh_phone() -> BoxedStrategy<String> {
    "1[0-2][0-9]{9}".boxed()
}

fn strings(values: Vec<String>) -> BoxedStrategy<Value> {
    select(values).prop_map(Value::String).boxed()
}

/// Values the document says are fine.
fn valid_value(input: &Input, json: bool, fixtures: &Fixtures) -> BoxedStrategy<Value> {
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

fn token_value(credential: Credential, fixtures: &Fixtures, valid: bool) -> BoxedStrategy<Value> {
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

fn valid_string(schema: &Value) -> BoxedStrategy<String> {
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

fn length_bounds(schema: &Value) -> (usize, usize) {
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

fn text_of_length(min: usize, max: usize) -> BoxedStrategy<String> {
    prop::collection::vec(any_char(), min..=max)
        .prop_map(|chars| chars.into_iter().collect())
        .boxed()
}

/// Values the document forbids, or that sit at its edges.
fn invalid_value(input: &Input, json: bool) -> BoxedStrategy<Value> {
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

/// The text of a scalar as it goes into a query string or form.
pub fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

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
    use proptest::test_runner::TestRunner;

    use super::*;
    use crate::document::Document;

    fn target(operation_id: &str, encoding: Encoding) -> Target {
        Target {
            operation: Document::committed().operation_by_id(operation_id).unwrap(),
            encoding,
        }
    }

    fn request(fields: Vec<(&str, Location, Value)>, body: BodyShape) -> GeneratedRequest {
        GeneratedRequest {
            fields: fields
                .into_iter()
                .map(|(name, location, value)| Field {
                    name: name.to_owned(),
                    location,
                    value,
                })
                .collect(),
            body,
            json_charset: false,
        }
    }

    #[test]
    fn path_parameters_are_encoded_into_their_segment() {
        let wire = render(
            &target("sendsmsGet", Encoding::Parameters),
            "",
            &request(
                vec![
                    ("mobile", Location::Path, Value::from("1/2 ３")),
                    ("expect", Location::Query, Value::from(1)),
                ],
                BodyShape::Fields,
            ),
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
        let wire = render(
            &target("login", Encoding::Json),
            "",
            &request(
                vec![
                    ("phone", Location::Body, Value::from("10000000001")),
                    ("phone", Location::Body, Value::from(10000000002u64)),
                ],
                BodyShape::Fields,
            ),
        );
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
        let wire = render(
            &target("register", Encoding::EmptyBodyQuery),
            "",
            &request(
                vec![
                    ("phone", Location::Body, Value::from("10000000001")),
                    ("name", Location::Body, Value::from("于 连")),
                ],
                BodyShape::Fields,
            ),
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
        let wire = render(
            &target("forgetPassword", Encoding::Form),
            "",
            &request(vec![], BodyShape::Oversized),
        );
        assert!(wire.body.unwrap().len() > 64 * 1024);
    }

    #[test]
    fn generated_valid_phones_are_never_real_subscriber_numbers() {
        let mut runner = TestRunner::default();
        for _ in 0..200 {
            let phone = fresh_phone().new_tree(&mut runner).unwrap().current();
            assert_eq!(phone.len(), 11);
            assert!(phone.starts_with("10") || phone.starts_with("11") || phone.starts_with("12"));
        }
    }

    #[test]
    fn the_input_space_is_covered() {
        // Over many cases, each kind of value the issue lists shows up.
        let target = target("register", Encoding::Json);
        let strategy = request_strategy(&target, &Fixtures::default());
        let mut runner = TestRunner::deterministic();
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..2_000 {
            let request = strategy.new_tree(&mut runner).unwrap().current();
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
        let target = target("sendsmsGet", Encoding::Parameters);
        let strategy = request_strategy(&target, &Fixtures::default());
        let mut runner = TestRunner::deterministic();
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..2_000 {
            let request = strategy.new_tree(&mut runner).unwrap().current();
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
