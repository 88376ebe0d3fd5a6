//! The breaking-change gate: the committed document against the released
//! one, and documents broken on purpose (each rule caught at its pointer);
//! `passing`: warnings, harmless changes, and the exit status of
//! `contract-tests diff`.

mod passing;

use std::path::Path;

use contract_tests::{
    Document,
    diff::{Change, Severity, Side, diff},
};
use serde_json::{Value, json};

/// A change made to a copy of the committed document.
type Mutation = Box<dyn FnOnce(&mut Value)>;

const ISREGISTER: &str = "#/paths/~1api~1v4.0~1isregister~1{phone}/get";

/// The changes from the committed document to a copy changed by `change`.
fn changes_after(change: impl FnOnce(&mut Value)) -> Vec<Change> {
    let old = Document::committed();
    let mut json = old.json.clone();
    change(&mut json);
    diff(&old, &Document { json })
}

fn isregister(document: &mut Value) -> &mut Value {
    &mut document["paths"]["/api/v4.0/isregister/{phone}"]["get"]
}

fn schema<'a>(document: &'a mut Value, name: &str) -> &'a mut Value {
    &mut document["components"]["schemas"][name]
}

fn push(array: &mut Value, value: Value) {
    array.as_array_mut().expect("an array").push(value);
}

fn remove(object: &mut Value, key: &str) {
    object.as_object_mut().expect("an object").remove(key);
}

/// A string query parameter.
fn query_parameter(name: &str, required: bool) -> Value {
    json!({"name": name, "in": "query", "required": required, "schema": {"type": "string"}})
}

#[test]
fn the_released_document_is_not_broken_by_the_committed_one() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/released/4.0.json");
    let text = std::fs::read_to_string(&path).expect("openapi/released/4.0.json is committed");
    let released = Document::parse(&text).expect("the released document is OpenAPI 3.0");
    let changes = diff(&released, &Document::committed());
    for change in &changes {
        println!("{change}");
    }
    let breaking: Vec<&Change> = changes
        .iter()
        .filter(|c| c.severity == Severity::Breaking)
        .collect();
    assert!(
        breaking.is_empty(),
        "openapi/openapi.json breaks clients generated from openapi/released/4.0.json:\n{breaking:#?}"
    );
}

#[test]
fn each_breaking_rule_is_caught_at_its_pointer() {
    let param = |n: usize| format!("{ISREGISTER}/parameters/{n}");
    let cases: Vec<(&str, Mutation, Side, String, &str)> = vec![
        (
            "operation removed",
            Box::new(|d| remove(&mut d["paths"]["/api/v4.0/login"], "post")),
            Side::Old,
            "#/paths/~1api~1v4.0~1login/post".to_owned(),
            "operation POST /api/v4.0/login (login) removed",
        ),
        (
            "path removed",
            Box::new(|d| remove(&mut d["paths"], "/api/v4.0/me")),
            Side::Old,
            "#/paths/~1api~1v4.0~1me/get".to_owned(),
            "operation GET /api/v4.0/me (me) removed",
        ),
        (
            "parameter removed",
            Box::new(|d| {
                isregister(d)["parameters"]
                    .as_array_mut()
                    .unwrap()
                    .remove(1);
            }),
            Side::Old,
            param(1),
            "parameter expect (query)",
        ),
        (
            "request body property removed",
            Box::new(|d| remove(&mut schema(d, "RegisterForm")["properties"], "code")),
            Side::Old,
            "#/components/schemas/RegisterForm/properties/code".to_owned(),
            "request property code removed",
        ),
        (
            "response property removed",
            Box::new(|d| remove(&mut schema(d, "LoginData")["properties"], "pemissions")),
            Side::Old,
            "#/components/schemas/LoginData/properties/pemissions".to_owned(),
            "response property pemissions removed",
        ),
        (
            "request enum value removed",
            Box::new(|d| isregister(d)["parameters"][1]["schema"]["enum"] = json!([0])),
            Side::New,
            format!("{}/schema/enum", param(1)),
            "no longer accepts 1",
        ),
        (
            "required parameter added",
            Box::new(|d| {
                push(
                    &mut isregister(d)["parameters"],
                    query_parameter("channel", true),
                )
            }),
            Side::New,
            param(2),
            "required parameter channel (query) added",
        ),
        (
            "optional parameter made required",
            Box::new(|d| isregister(d)["parameters"][1]["required"] = json!(true)),
            Side::New,
            format!("{}/required", param(1)),
            "parameter expect (query) of GET /api/v4.0/isregister/{phone} made required",
        ),
        (
            "request body property made required",
            Box::new(|d| push(&mut schema(d, "RegisterForm")["required"], json!("code"))),
            Side::New,
            "#/components/schemas/RegisterForm/required".to_owned(),
            "request property code made required",
        ),
        (
            "request body made required",
            Box::new(|d| {
                d["paths"]["/api/v4.0/login"]["post"]["requestBody"]["required"] = json!(true)
            }),
            Side::New,
            "#/paths/~1api~1v4.0~1login/post/requestBody/required".to_owned(),
            "request body of POST /api/v4.0/login made required",
        ),
        (
            "response property type changed",
            Box::new(|d| {
                schema(d, "LoginData")["properties"]["enterprise_id"]["type"] = json!("integer");
            }),
            Side::New,
            "#/components/schemas/LoginData/properties/enterprise_id/type".to_owned(),
            "type changed from string to integer",
        ),
        (
            "parameter type changed",
            Box::new(|d| isregister(d)["parameters"][1]["schema"]["type"] = json!("string")),
            Side::New,
            format!("{}/schema/type", param(1)),
            "type changed from integer to string",
        ),
        (
            "response property no longer required",
            Box::new(|d| {
                schema(d, "LoginData")["required"]
                    .as_array_mut()
                    .unwrap()
                    .retain(|n| n != "token")
            }),
            Side::New,
            "#/components/schemas/LoginData/required".to_owned(),
            "response property token no longer required",
        ),
        (
            "request media type removed",
            Box::new(|d| {
                remove(
                    &mut d["paths"]["/api/v4.0/login"]["post"]["requestBody"]["content"],
                    "application/json",
                )
            }),
            Side::Old,
            "#/paths/~1api~1v4.0~1login/post/requestBody/content/application~1json".to_owned(),
            "POST /api/v4.0/login no longer accepts application/json bodies",
        ),
        (
            "request body removed",
            Box::new(|d| remove(&mut d["paths"]["/api/v4.0/login"]["post"], "requestBody")),
            Side::Old,
            "#/paths/~1api~1v4.0~1login/post/requestBody".to_owned(),
            "request body of POST /api/v4.0/login removed",
        ),
        (
            "enum put on a request value",
            Box::new(|d| {
                schema(d, "RegisterForm")["properties"]["name"]["enum"] = json!(["于连林"])
            }),
            Side::New,
            "#/components/schemas/RegisterForm/properties/name/enum".to_owned(),
            "now accepts only \"于连林\", where any value was accepted",
        ),
    ];
    let mut wrong = Vec::new();
    for (rule, change, side, pointer, message) in cases {
        let changes = changes_after(change);
        let expected = changes.iter().any(|c| {
            c.severity == Severity::Breaking
                && c.side == side
                && c.pointer == pointer
                && c.message.contains(message)
        });
        println!("{rule}:");
        for change in &changes {
            println!("    {change}");
        }
        if !expected || changes.len() != 1 {
            wrong.push(format!(
                "{rule}: expected only BREAKING {side:?} {pointer} ({message:?}), got {changes:#?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
