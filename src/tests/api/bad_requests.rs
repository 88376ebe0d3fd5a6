//! The exact `msg` of every bad parameter of every operation, in every
//! encoding an operation takes: the query string of GET, a form or JSON body
//! of POST, and a POST with an empty body and the query string. Each names
//! its field and says what is wrong, in the contract's envelope.

use account_api::settings::Verification;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, encode};

const MISSING: &str = "缺少参数 (missing)";
const NOT_A_PHONE: &str = "应为1开头的11位数字 (11 digits starting with 1)";
const NOT_A_STRING: &str = "应为字符串 (must be a string)";
const NOT_AN_EXPECT: &str = "应为0或1 (must be 0 or 1)";
const PASSWORD_LENGTH: &str = "长度应为6到14个字符 (6 to 14 characters)";
const NAME_LENGTH: &str = "长度应为1到32个字符 (1 to 32 characters)";
const DEVICE_LENGTH: &str = "长度应为1到128个字符 (1 to 128 characters)";
const CONTROL: &str = "不能包含控制字符 (no control characters)";
const NOT_A_CODE: &str = "应为6位数字 (6 digits)";
/// A device identifier one character too long.
const DEVICE_129: &str = concat!(
    "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
    "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
    "d"
);

/// How a request carries its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Get,
    Form,
    Json,
    QueryOnlyPost,
}

/// One operation: its path, the encodings it takes, and valid fields.
struct Operation {
    path: &'static str,
    encodings: &'static [Encoding],
    fields: &'static [(&'static str, &'static str)],
    /// sendsms answers `"400"`, the others `400`.
    string_code: bool,
}

const BOTH: &[Encoding] = &[
    Encoding::Get,
    Encoding::Form,
    Encoding::Json,
    Encoding::QueryOnlyPost,
];
const GET_ONLY: &[Encoding] = &[Encoding::Get];

const OPERATIONS: &[Operation] = &[
    Operation {
        path: "/api/v4.0/sendsms/13126939916",
        encodings: BOTH,
        fields: &[("expect", "0")],
        string_code: true,
    },
    Operation {
        path: "/api/v4.0/isregister/13126939916",
        encodings: GET_ONLY,
        fields: &[("expect", "0")],
        string_code: false,
    },
    Operation {
        path: "/api/v4.0/register",
        encodings: BOTH,
        fields: &[
            ("phone", "13126939916"),
            ("name", "于连林"),
            ("password", "123456"),
            ("device_identifier", "uuid"),
            ("code", "123456"),
        ],
        string_code: false,
    },
    Operation {
        path: "/api/v4.0/login",
        encodings: BOTH,
        fields: &[
            ("phone", "13126939916"),
            ("password", "123456"),
            ("device_identifier", "uuid"),
        ],
        string_code: false,
    },
    Operation {
        path: "/api/v4.0/verify_code",
        encodings: GET_ONLY,
        fields: &[("phone", "13126939916"), ("code", "123456")],
        string_code: false,
    },
    Operation {
        path: "/api/v4.0/forget_password",
        encodings: BOTH,
        fields: &[
            ("phone", "13126939916"),
            ("password", "123456"),
            ("code", "123456"),
        ],
        string_code: false,
    },
];

/// A bad value of a field: `None` leaves the field out; `json` replaces the
/// value in JSON bodies only.
#[derive(Clone, Copy)]
struct Bad {
    text: Option<&'static str>,
    json: Option<fn() -> Value>,
    reason: &'static str,
}

const fn text(text: &'static str, reason: &'static str) -> Bad {
    Bad {
        text: Some(text),
        json: None,
        reason,
    }
}

const fn missing(reason: &'static str) -> Bad {
    Bad {
        text: None,
        json: None,
        reason,
    }
}

const fn json_only(json: fn() -> Value, reason: &'static str) -> Bad {
    Bad {
        text: Some("-"),
        json: Some(json),
        reason,
    }
}

/// Every bad value of `field` (with verification on, where `code` is read).
fn bad_values(operation: &Operation, field: &str) -> Vec<Bad> {
    let array = || json!(["13126939916"]);
    match field {
        "phone" => vec![
            missing(MISSING),
            text("", MISSING),
            text("1312693991", NOT_A_PHONE),
            text("１３１２６９３９９１６", NOT_A_PHONE),
            json_only(array, NOT_A_STRING),
        ],
        "password" => vec![
            missing(MISSING),
            text("", MISSING),
            text("12345", PASSWORD_LENGTH),
            text("123456789012345", PASSWORD_LENGTH),
            json_only(array, NOT_A_STRING),
        ],
        "name" => vec![
            missing(MISSING),
            text("   ", MISSING),
            text(
                "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三",
                NAME_LENGTH,
            ),
            text("a\u{7}b", CONTROL),
            json_only(array, NOT_A_STRING),
        ],
        "device_identifier" => vec![
            missing(MISSING),
            text("", MISSING),
            text(DEVICE_129, DEVICE_LENGTH),
            text("a\tb", CONTROL),
            json_only(array, NOT_A_STRING),
        ],
        "expect" => vec![
            text("2", NOT_AN_EXPECT),
            text("", NOT_AN_EXPECT),
            text("yes", NOT_AN_EXPECT),
            json_only(|| json!(true), NOT_AN_EXPECT),
        ],
        "code" => {
            let mut bad = vec![text("12ab", NOT_A_CODE), text("1234567", NOT_A_CODE)];
            // Optional in forget_password; required where it is the proof.
            if !operation.path.ends_with("forget_password") {
                bad.push(missing(MISSING));
            }
            bad
        }
        other => panic!("no bad values for {other}"),
    }
}

async fn send(
    app: &TestApp,
    operation: &Operation,
    encoding: Encoding,
    fields: &[(String, Option<Value>)],
) -> TestResponse {
    let as_text = |value: &Value| match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let query = fields
        .iter()
        .filter_map(|(name, value)| {
            value
                .as_ref()
                .map(|value| format!("{}={}", encode(name), encode(&as_text(value))))
        })
        .collect::<Vec<_>>()
        .join("&");
    let url = |with_query: bool| {
        if with_query && !query.is_empty() {
            format!("{}?{query}", operation.path)
        } else {
            operation.path.to_owned()
        }
    };
    match encoding {
        Encoding::Get => app.get(&url(true)).await,
        Encoding::QueryOnlyPost => app.post_query_only(&url(true)).await,
        Encoding::Form => {
            let form: Vec<(String, String)> = fields
                .iter()
                .filter_map(|(name, value)| value.as_ref().map(|v| (name.clone(), as_text(v))))
                .collect();
            app.send(app.request(Method::POST, operation.path).form(&form))
                .await
        }
        Encoding::Json => {
            let object: serde_json::Map<String, Value> = fields
                .iter()
                .filter_map(|(name, value)| value.clone().map(|value| (name.clone(), value)))
                .collect();
            app.post_json(operation.path, &Value::Object(object)).await
        }
    }
}

#[tokio::test]
async fn every_bad_field_of_every_operation_gets_its_exact_message_in_every_encoding() {
    let app =
        TestApp::spawn_with(|settings| settings.sms.verification = Some(Verification::On)).await;
    let mut checked = 0;
    for operation in OPERATIONS {
        for (field, _) in operation.fields {
            for bad in bad_values(operation, field) {
                for &encoding in operation.encodings {
                    if bad.json.is_some() && encoding != Encoding::Json {
                        continue;
                    }
                    let fields: Vec<(String, Option<Value>)> = operation
                        .fields
                        .iter()
                        .map(|(name, valid)| {
                            let value = if name == field {
                                match (encoding, bad.json) {
                                    (Encoding::Json, Some(json)) => Some(json()),
                                    _ => bad.text.map(Value::from),
                                }
                            } else {
                                Some(Value::from(*valid))
                            };
                            (name.to_string(), value)
                        })
                        .collect();
                    let answer = send(&app, operation, encoding, &fields).await;
                    let case = format!(
                        "{} {encoding:?} {field}={:?}",
                        operation.path,
                        fields.iter().find(|(name, _)| name == field).unwrap().1
                    );
                    let expected_code = if operation.string_code {
                        json!("400")
                    } else {
                        json!(400)
                    };
                    assert_eq!(answer.status, 200, "{case}: {}", answer.text);
                    assert_eq!(answer.code(), &expected_code, "{case}: {}", answer.text);
                    assert_eq!(
                        answer.msg(),
                        format!("参数错误: {field} {}", bad.reason),
                        "{case}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 196, "cases checked");
}

#[tokio::test]
async fn bad_path_parameters_are_named_by_their_parameter() {
    let app = TestApp::spawn().await;
    for (path, field, reason, string_code) in [
        ("/api/v4.0/sendsms/1312693991", "mobile", NOT_A_PHONE, true),
        ("/api/v4.0/sendsms/", "mobile", MISSING, true),
        (
            "/api/v4.0/sendsms/%FF%FE",
            "mobile",
            "无法解析 (could not be parsed)",
            true,
        ),
        ("/api/v4.0/isregister/abc", "phone", NOT_A_PHONE, false),
        ("/api/v4.0/isregister/", "phone", MISSING, false),
    ] {
        for method in [Method::GET, Method::POST] {
            if path.contains("isregister") && method == Method::POST {
                continue;
            }
            let answer = app.send(app.request(method.clone(), path)).await;
            let code = if string_code {
                json!("400")
            } else {
                json!(400)
            };
            assert_eq!(answer.code(), &code, "{method} {path}: {}", answer.text);
            assert_eq!(
                answer.msg(),
                format!("参数错误: {field} {reason}"),
                "{method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn bodies_that_are_not_forms_or_json_objects_are_named_body() {
    let app = TestApp::spawn().await;
    for (content_type, body, reason) in [
        (
            "application/json",
            "{not json",
            "不是合法的JSON (not valid JSON)",
        ),
        (
            "application/json",
            "[1, 2]",
            "应为JSON对象或表单 (must be a JSON object or a form)",
        ),
        (
            "application/json",
            "\"text\"",
            "应为JSON对象或表单 (must be a JSON object or a form)",
        ),
        (
            "text/plain",
            "phone=13126939916",
            "应为表单或JSON (Content-Type must be application/x-www-form-urlencoded or application/json)",
        ),
    ] {
        for path in [
            "/api/v4.0/login",
            "/api/v4.0/register",
            "/api/v4.0/forget_password",
        ] {
            let answer = app.post_raw(path, content_type, body).await;
            assert_eq!(answer.code(), 400, "{path} {body}: {}", answer.text);
            assert_eq!(
                answer.msg(),
                format!("参数错误: body {reason}"),
                "{path} {body}"
            );
        }
        let answer = app
            .post_raw("/api/v4.0/sendsms/13126939916", content_type, body)
            .await;
        assert_eq!(answer.code(), "400", "sendsms {body}: {}", answer.text);
        assert_eq!(
            answer.msg(),
            format!("参数错误: body {reason}"),
            "sendsms {body}"
        );
    }
}
