//! What passes the gate: warnings (a response that may carry more),
//! harmless changes, and the exit status of `contract-tests diff`.

use std::{ffi::OsStr, path::Path};

use contract_tests::{
    Document,
    diff::{Change, Severity, Side, diff},
};
use serde_json::{Value, json};

use crate::binary;

use super::{Mutation, changes_after, isregister, push, query_parameter, remove, schema};

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
fn a_response_that_may_carry_more_is_a_warning() {
    let alternative = changes_after(|d| {
        push(
            &mut schema(d, "LoginReply")["oneOf"],
            json!({"$ref": "#/components/schemas/MeFailure"}),
        );
    });
    assert_eq!(
        alternative,
        vec![Change {
            severity: Severity::Warning,
            side: Side::New,
            pointer: "#/components/schemas/LoginReply/oneOf".to_owned(),
            message: "1 alternative added (an exhaustive switch over the old ones breaks)"
                .to_owned(),
        }]
    );
    let any_code =
        changes_after(|d| remove(&mut schema(d, "StatusReply")["properties"]["code"], "enum"));
    assert_eq!(
        any_code,
        vec![Change {
            severity: Severity::Warning,
            side: Side::New,
            pointer: "#/components/schemas/StatusReply/properties/code".to_owned(),
            message: "may now answer any value, where it was one of 200, -1, 400, 429".to_owned(),
        }]
    );
}

#[test]
fn a_request_alternative_removed_breaks() {
    let document = |alternatives: Value| {
        Document::parse(
            &json!({"openapi": "3.0.0", "paths": {"/x": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"oneOf": alternatives}}}},
                "responses": {}}}}})
            .to_string(),
        )
        .unwrap()
    };
    let both = document(json!([{"type": "string"}, {"type": "integer"}]));
    let one = document(json!([{"type": "string"}]));
    assert_eq!(
        diff(&both, &one),
        vec![Change {
            severity: Severity::Breaking,
            side: Side::New,
            pointer: "#/paths/~1x/post/requestBody/content/application~1json/schema/oneOf"
                .to_owned(),
            message: "1 of the 2 alternatives removed (a client may send them)".to_owned(),
        }]
    );
    assert_eq!(diff(&one, &both), vec![]);
}

#[test]
fn harmless_changes_pass() {
    let harmless: Vec<(&str, Mutation)> = vec![
        (
            "optional parameter added",
            Box::new(|d| {
                push(
                    &mut isregister(d)["parameters"],
                    query_parameter("lang", false),
                )
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
        remove(&mut d["paths"], "/api/v4.0/logout")
    });
    let widened = write("widened.json", &|d| {
        push(
            &mut schema(d, "StatusReply")["properties"]["code"]["enum"],
            json!(401),
        );
    });
    let gate = |new: &Path| {
        let ran = binary::run([OsStr::new("diff"), old.as_os_str(), new.as_os_str()]);
        (ran.status, ran.stdout)
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
