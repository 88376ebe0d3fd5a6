//! The breaking-change gate: the committed document against the released
//! one, documents broken on purpose (each rule caught at its pointer),
//! harmless changes passing, and the exit status of `contract-tests diff`.

use std::{path::Path, process::Command};

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
            Box::new(|d| {
                d["paths"]["/api/v4.0/login"]
                    .as_object_mut()
                    .unwrap()
                    .remove("post");
            }),
            Side::Old,
            "#/paths/~1api~1v4.0~1login/post".to_owned(),
            "operation POST /api/v4.0/login (login) removed",
        ),
        (
            "path removed",
            Box::new(|d| {
                d["paths"].as_object_mut().unwrap().remove("/api/v4.0/me");
            }),
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
            Box::new(|d| {
                schema(d, "RegisterForm")["properties"]
                    .as_object_mut()
                    .unwrap()
                    .remove("code");
            }),
            Side::Old,
            "#/components/schemas/RegisterForm/properties/code".to_owned(),
            "request property code removed",
        ),
        (
            "response property removed",
            Box::new(|d| {
                schema(d, "LoginData")["properties"]
                    .as_object_mut()
                    .unwrap()
                    .remove("pemissions");
            }),
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
                    json!({"name": "channel", "in": "query", "required": true,
                           "schema": {"type": "string"}}),
                );
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

#[test]
fn a_widened_response_enum_is_a_warning_not_a_break() {
    let changes = changes_after(|d| {
        push(
            &mut schema(d, "StatusReply")["properties"]["code"]["enum"],
            json!(401),
        )
    });
    assert_eq!(
        changes,
        vec![Change {
            severity: Severity::Warning,
            side: Side::New,
            pointer: "#/components/schemas/StatusReply/properties/code/enum".to_owned(),
            message: "may now answer 401 (an exhaustive switch over the old values breaks)"
                .to_owned(),
        }]
    );
}

#[test]
fn harmless_changes_pass() {
    let harmless: Vec<(&str, Mutation)> = vec![
        (
            "optional parameter added",
            Box::new(|d| {
                push(
                    &mut isregister(d)["parameters"],
                    json!({"name": "lang", "in": "query", "required": false,
                           "schema": {"type": "string"}}),
                );
            }),
        ),
        (
            "operation added",
            Box::new(|d| {
                let ping =
                    json!({"operationId": "ping", "responses": {"200": {"description": "pong"}}});
                d["paths"]["/api/v4.0/ping"] = json!({"get": ping.clone()});
                d["paths"]["/api/v4.0/me"]["delete"] = ping;
            }),
        ),
        ("descriptions edited", Box::new(edit_descriptions)),
        (
            "response property added",
            Box::new(|d| {
                schema(d, "LoginData")["properties"]["avatar"] =
                    json!({"type": "string", "description": "头像 (avatar URL)"});
            }),
        ),
        (
            "request enum widened",
            Box::new(|d| {
                push(
                    &mut isregister(d)["parameters"][1]["schema"]["enum"],
                    json!(2),
                )
            }),
        ),
        (
            "required request property made optional",
            Box::new(|d| schema(d, "LoginForm")["required"] = json!(["phone", "password"])),
        ),
    ];
    for (what, change) in harmless {
        let changes = changes_after(change);
        assert!(changes.is_empty(), "{what}: {changes:#?}");
    }
}

fn edit_descriptions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "description" {
                    if let Value::String(text) = value {
                        text.push_str(" (edited)");
                    }
                } else {
                    edit_descriptions(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(edit_descriptions),
        _ => {}
    }
}

#[test]
fn the_gate_exits_1_on_a_breaking_change_and_0_on_warnings_only() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let write = |name: &str, change: &dyn Fn(&mut Value)| {
        let mut json = Document::committed().json;
        change(&mut json);
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap()).unwrap();
        path
    };
    let old = write("old.json", &|_| {});
    let broken = write("broken.json", &|d| {
        d["paths"]
            .as_object_mut()
            .unwrap()
            .remove("/api/v4.0/logout");
    });
    let widened = write("widened.json", &|d| {
        push(
            &mut schema(d, "StatusReply")["properties"]["code"]["enum"],
            json!(401),
        );
    });
    let gate = |new: &Path| {
        let output = Command::new(env!("CARGO_BIN_EXE_contract-tests"))
            .arg("diff")
            .arg(&old)
            .arg(new)
            .output()
            .expect("the binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        (output.status.code(), stdout)
    };
    let (status, stdout) = gate(&broken);
    assert_eq!(status, Some(1), "{stdout}");
    assert!(
        stdout.contains("BREAKING old #/paths/~1api~1v4.0~1logout/post  operation POST /api/v4.0/logout (logout) removed"),
        "{stdout}"
    );
    assert!(stdout.contains("1 breaking change, 0 warnings"), "{stdout}");
    let (status, stdout) = gate(&widened);
    assert_eq!(status, Some(0), "{stdout}");
    assert!(
        stdout.contains("WARNING  new #/components/schemas/StatusReply/properties/code/enum"),
        "{stdout}"
    );
    let (status, stdout) = gate(&old);
    assert_eq!(status, Some(0), "{stdout}");
    assert!(
        stdout.contains("0 breaking changes, 0 warnings"),
        "{stdout}"
    );
    let (status, _) = gate(&dir.path().join("missing.json"));
    assert_eq!(status, Some(2));
}
