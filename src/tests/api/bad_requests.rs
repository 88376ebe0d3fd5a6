//! The exact `msg` of every bad parameter of every operation, in every
//! encoding an operation takes: the query string of GET, a form or JSON body
//! of POST, and a POST with an empty body and the query string. Each names
//! its field and says what is wrong, in the contract's envelope. A field
//! whose bytes are not UTF-8 is refused by its name too, never read with
//! replacement characters.

use account_api::settings::Verification;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{OTHER_PHONE, PHONE, TestApp, TestResponse, encode};

const MISSING: &str = "缺少参数 (missing)";
const NOT_A_PHONE: &str = "应为1开头的11位数字 (11 digits starting with 1)";
const NOT_A_STRING: &str = "应为字符串 (must be a string)";
const NOT_AN_EXPECT: &str = "应为0或1 (must be 0 or 1)";
const PASSWORD_LENGTH: &str = "长度应为6到14个字符 (6 to 14 characters)";
const NAME_LENGTH: &str = "长度应为1到32个字符 (1 to 32 characters)";
const DEVICE_LENGTH: &str = "长度应为1到128个字符 (1 to 128 characters)";
const CONTROL: &str = "不能包含控制字符 (no control characters)";
const NOT_A_CODE: &str = "应为6位数字 (6 digits)";
const NOT_UTF8: &str = "不是合法的UTF-8文本 (not valid UTF-8)";
const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";
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
        ("/api/v4.0/sendsms/%FF%FE", "mobile", NOT_UTF8, true),
        ("/api/v4.0/isregister/%E4%BA", "phone", NOT_UTF8, false),
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

/// The two passwords of the attack: different bytes, neither of them UTF-8,
/// which a lossy decoding made one password (six replacement characters).
const NOT_UTF8_BYTES: [&[u8]; 2] = [b"\xFF\xFF\xFF\xFF\xFF\xFF", b"\xFE\x80\xC0\xFD\xF8\xF0"];

/// `bytes` percent-encoded, every byte.
fn percent(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("%{byte:02X}")).collect()
}

/// The URL-encoded fields of `operation` with `field`'s value `bad` as it is.
fn encoded_with(operation: &Operation, field: &str, bad: &[u8]) -> Vec<u8> {
    let mut encoded = Vec::new();
    for (name, value) in operation.fields {
        if !encoded.is_empty() {
            encoded.push(b'&');
        }
        encoded.extend_from_slice(format!("{name}=").as_bytes());
        if *name == field {
            encoded.extend_from_slice(bad);
        } else {
            encoded.extend_from_slice(encode(value).as_bytes());
        }
    }
    encoded
}

/// A JSON object of the fields of `operation` with `field`'s string literal
/// `bad` (its quotes included) as it is.
fn json_with(operation: &Operation, field: &str, bad: &[u8]) -> Vec<u8> {
    let mut json = b"{".to_vec();
    for (name, value) in operation.fields {
        if json.len() > 1 {
            json.push(b',');
        }
        json.extend_from_slice(format!("\"{name}\":").as_bytes());
        if *name == field {
            json.extend_from_slice(bad);
        } else {
            json.extend_from_slice(Value::from(*value).to_string().as_bytes());
        }
    }
    json.push(b'}');
    json
}

async fn post_bytes(app: &TestApp, path: &str, content_type: &str, body: Vec<u8>) -> TestResponse {
    app.send(
        app.request(Method::POST, path)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body),
    )
    .await
}

/// Every field of every operation, in every encoding it takes, with bytes
/// that are not UTF-8: percent-encoded in a query string or form, raw in a
/// form or JSON body, or a lone surrogate escaped in JSON. Each is refused
/// naming the field, never read with replacement characters.
#[tokio::test]
async fn a_field_that_is_not_utf8_is_refused_by_name_in_every_encoding() {
    let app = TestApp::spawn().await;
    let mut checked = 0;
    for operation in OPERATIONS {
        for (field, _) in operation.fields {
            for bytes in NOT_UTF8_BYTES {
                let query =
                    String::from_utf8(encoded_with(operation, field, percent(bytes).as_bytes()))
                        .unwrap();
                let mut answers = Vec::new();
                for encoding in operation.encodings {
                    match encoding {
                        Encoding::Get => answers.push((
                            "GET query",
                            app.get(&format!("{}?{query}", operation.path)).await,
                        )),
                        Encoding::QueryOnlyPost => answers.push((
                            "POST query only",
                            app.post_query_only(&format!("{}?{query}", operation.path))
                                .await,
                        )),
                        Encoding::Form => {
                            answers.push((
                                "form, percent-encoded",
                                post_bytes(&app, operation.path, FORM, query.clone().into_bytes())
                                    .await,
                            ));
                            answers.push((
                                "form, raw bytes",
                                post_bytes(
                                    &app,
                                    operation.path,
                                    FORM,
                                    encoded_with(operation, field, bytes),
                                )
                                .await,
                            ));
                        }
                        Encoding::Json => {
                            let mut raw = b"\"".to_vec();
                            raw.extend_from_slice(bytes);
                            raw.push(b'"');
                            answers.push((
                                "JSON, raw bytes",
                                post_bytes(
                                    &app,
                                    operation.path,
                                    JSON,
                                    json_with(operation, field, &raw),
                                )
                                .await,
                            ));
                            for surrogate in [&b"\"\\udcff\\udcfe\""[..], b"\"ab\\ud800cd\""] {
                                answers.push((
                                    "JSON, a lone surrogate",
                                    post_bytes(
                                        &app,
                                        operation.path,
                                        JSON,
                                        json_with(operation, field, surrogate),
                                    )
                                    .await,
                                ));
                            }
                        }
                    }
                }
                for (how, answer) in answers {
                    let case = format!("{} {field} {how} {bytes:02X?}", operation.path);
                    let code = if operation.string_code {
                        json!("400")
                    } else {
                        json!(400)
                    };
                    assert_eq!(answer.code(), &code, "{case}: {}", answer.text);
                    assert_eq!(
                        answer.msg(),
                        format!("参数错误: {field} {NOT_UTF8}"),
                        "{case}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 174, "cases checked");
}

/// The attack: an account registered with one password that is not UTF-8
/// must not open with another. Neither is taken; the account is not created.
#[tokio::test]
async fn two_passwords_that_are_not_utf8_are_not_one_password() {
    let app = TestApp::spawn().await;
    let [first, second] = NOT_UTF8_BYTES.map(percent);
    let register =
        format!("phone={PHONE}&name=n&password={first}&device_identifier=uuid&code=123456");
    let registered = post_bytes(&app, "/api/v4.0/register", FORM, register.into_bytes()).await;
    assert_eq!(registered.code(), 400, "{}", registered.text);
    assert!(app.user(PHONE).await.is_none(), "the account was created");

    assert_eq!(app.register(PHONE, "123456", "uuid").await.code(), 200);
    for password in [&first, &second] {
        let login = post_bytes(
            &app,
            "/api/v4.0/login",
            FORM,
            format!("phone={PHONE}&password={password}&device_identifier=uuid").into_bytes(),
        )
        .await;
        assert_eq!(login.code(), 400, "{}", login.text);
        assert_eq!(login.msg(), format!("参数错误: password {NOT_UTF8}"));
        let reset = app
            .post_query_only(&format!(
                "/api/v4.0/forget_password?phone={PHONE}&password={password}&code=123456"
            ))
            .await;
        assert_eq!(
            reset.msg(),
            format!("参数错误: password {NOT_UTF8}"),
            "{}",
            reset.text
        );
    }
    assert_eq!(
        app.login(PHONE, "123456", "uuid").await.code(),
        200,
        "the password is unchanged"
    );
}

/// Multi-byte text still arrives whole, however it is sent; a parameter
/// the operation does not read is ignored even when it is not UTF-8.
#[tokio::test]
async fn valid_multi_byte_text_is_read_and_unknown_fields_that_are_not_utf8_are_ignored() {
    let app = TestApp::spawn().await;
    let form = format!(
        "phone={PHONE}&name=%E4%BA%8E%E8%BF%9E%E6%9E%97&password=%E5%AF%86%E7%A0%81123456\
         &device_identifier=uuid&code=123456&extra=%FF%FE&%FF=1"
    );
    let registered = post_bytes(&app, "/api/v4.0/register", FORM, form.into_bytes()).await;
    assert_eq!(registered.code(), 200, "{}", registered.text);
    assert_eq!(app.user(PHONE).await.unwrap().name, "于连林");
    assert_eq!(app.login(PHONE, "密码123456", "uuid").await.code(), 200);

    // Raw UTF-8 in a form, escapes (a surrogate pair among them) in JSON.
    let raw = format!(
        "phone={OTHER_PHONE}&name=于连林&password=123456&device_identifier=uuid&code=123456"
    );
    let registered = post_bytes(&app, "/api/v4.0/register", FORM, raw.into_bytes()).await;
    assert_eq!(registered.code(), 200, "{}", registered.text);
    assert_eq!(app.user(OTHER_PHONE).await.unwrap().name, "于连林");
    let escaped = format!(
        r#"{{"phone":"{OTHER_PHONE}","password":"123456","device_identifier":"\ud83d\ude00\u4e8e","extra":"\udc80"}}"#
    );
    let login = post_bytes(&app, "/api/v4.0/login", JSON, escaped.into_bytes()).await;
    assert_eq!(login.code(), 200, "{}", login.text);
    let user = app.user(OTHER_PHONE).await.unwrap();
    let devices: Vec<String> = app
        .sessions_of(&user.id)
        .await
        .into_iter()
        .map(|session| session.device_identifier)
        .collect();
    assert!(devices.contains(&"😀于".to_owned()), "{devices:?}");
}
