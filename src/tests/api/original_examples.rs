//! The original document's example URLs, replayed verbatim against our server
//! (only the example host is replaced) in the order the document implies, and
//! the answers compared with its example replies, JSON types included.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, is_hex32};

/// The example host of the original document; nothing is ever sent there.
const ORIGINAL_ORIGIN: &str = "http://172.26.106.36:5000";

const SENDSMS_EXAMPLE: &str = "http://172.26.106.36:5000/api/v4.0/sendsms/13126939916?expect=1";
const ISREGISTER_EXAMPLE: &str =
    "http://172.26.106.36:5000/api/v4.0/isregister/13126939916?expect=0";
const REGISTER_EXAMPLE: &str = "http://172.26.106.36:5000/api/v4.0/register?code=xxx&phone=13126939916&name=%E4%BA%8E%E8%BF%9E%E6%9E%97&password=123456&device_identifier=uuid";
const LOGIN_EXAMPLE: &str = "http://172.26.106.36:5000/api/v4.0/login?phone=13126939916&password=111111&device_identifier=uuid";
const VERIFY_CODE_EXAMPLE: &str =
    "http://172.26.106.36:5000/api/v4.0/verify_code?phone=13126939916";
const FORGET_PASSWORD_EXAMPLE: &str =
    "http://172.26.106.36:5000/api/v4.0/forget_password?phone=13126939916&password=123456";

/// The example replies of the original document that are valid JSON, verbatim.
const SENDSMS_REPLY: &str = r#"{
  "code": "200", 
  "msg": "\u53d1\u9001\u6210\u529f"
}"#;
const ISREGISTER_REPLY: &str = r#"{
  "code": -1, 
  "data": "", 
  "msg": "\u624b\u673a\u53f7\u5df2\u7ecf\u88ab\u6ce8\u518c"
}"#;
const VERIFY_CODE_REPLY: &str = r#"{
  "code": 200, 
  "data": "", 
  "msg": "\u9a8c\u8bc1\u7801\u6b63\u786e"
}"#;
const FORGET_PASSWORD_REPLY: &str = r#"{
  "code": 200, 
  "data": "", 
  "msg": "\u4fee\u6539\u6210\u529f"
}"#;

/// How the "POST优先, GET" examples are sent.
#[derive(Clone, Copy, Debug)]
enum Way {
    /// As a browser would open the URL.
    Get,
    /// POST to the same URL with an empty body, as apps preferring POST do.
    BodilessPost,
}

/// The path and query of an example URL, checked to be on the example host.
fn path_of(example: &str) -> &str {
    example
        .strip_prefix(ORIGINAL_ORIGIN)
        .expect("an example URL of the original document")
}

/// The example with its password replaced by `password`.
fn with_password(example: &str, password: &str) -> String {
    let (head, tail) = example.split_once("password=").unwrap();
    let rest = tail.find('&').map_or("", |at| &tail[at..]);
    format!("{head}password={password}{rest}")
}

async fn replay(app: &TestApp, example: &str, way: Way) -> TestResponse {
    let path = path_of(example);
    match way {
        Way::Get => app.get(path).await,
        Way::BodilessPost => app.post_query_only(path).await,
    }
}

fn parsed(reply: &str) -> Value {
    serde_json::from_str(reply).expect("the example reply is JSON")
}

/// The JSON type of `value`, as a word.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[track_caller]
fn assert_types(data: &Value, expected: &[(&str, &str)]) {
    for (field, json_type_expected) in expected {
        assert_eq!(
            json_type(&data[*field]),
            *json_type_expected,
            "{field} in {data}"
        );
    }
}

async fn the_documented_session(way: Way) {
    let app = TestApp::spawn().await;

    // Before anyone registered: a reset code for the phone is refused.
    let response = replay(&app, SENDSMS_EXAMPLE, way).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, json!({"code": "-1", "msg": "手机号未注册"}));
    assert_eq!(json_type(response.code()), "string");
    let response = app.get(path_of(ISREGISTER_EXAMPLE)).await;
    assert_eq!(
        response.body,
        json!({"code": 200, "data": "", "msg": "手机号未注册"})
    );

    // Registration, as in the example.
    let response = replay(&app, REGISTER_EXAMPLE, way).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.code(), &json!(200), "{}", response.text);
    assert_eq!(response.msg(), "注册成功");
    let registered = response.data().clone();
    assert_types(
        &registered,
        &[
            ("change_device", "boolean"),
            ("enterprise_id", "number"),
            ("token", "string"),
            ("user_id", "string"),
            ("name", "string"),
            ("pemissions", "array"),
            ("apply", "object"),
        ],
    );
    assert_eq!(registered["change_device"], json!(false));
    assert_eq!(registered["enterprise_id"], json!(-1));
    assert_eq!(registered["name"], json!("于连林"));
    assert_eq!(registered["apply"], json!({}));
    assert!(is_hex32(registered["token"].as_str().unwrap()));
    assert!(is_hex32(registered["user_id"].as_str().unwrap()));

    // The isregister example now gives exactly the documented reply.
    let response = app.get(path_of(ISREGISTER_EXAMPLE)).await;
    assert_eq!(response.body, parsed(ISREGISTER_REPLY));
    assert_eq!(
        response.body,
        json!({"code": -1, "data": "", "msg": "手机号已经被注册"})
    );

    // And the sendsms example the documented one.
    let response = replay(&app, SENDSMS_EXAMPLE, way).await;
    assert_eq!(response.body, parsed(SENDSMS_REPLY));
    assert_eq!(json_type(response.code()), "string");
    assert!(response.body.get("data").is_none());

    // The login example's password is not the one registered...
    let response = replay(&app, LOGIN_EXAMPLE, way).await;
    assert_eq!(
        response.body,
        json!({"code": -1, "msg": "手机号或密码错误", "data": ""})
    );
    // ...the registered one works, with the documented types.
    let response = replay(&app, &with_password(LOGIN_EXAMPLE, "123456"), way).await;
    assert_eq!(response.code(), &json!(200), "{}", response.text);
    assert_eq!(response.msg(), "登录成功");
    let logged_in = response.data();
    assert_types(
        logged_in,
        &[
            ("apply", "object"),
            ("change_device", "boolean"),
            ("enterprise_id", "string"),
            ("token", "string"),
            ("user_id", "string"),
            ("name", "string"),
            ("pemissions", "array"),
        ],
    );
    assert_eq!(logged_in["apply"], json!({}));
    assert_eq!(logged_in["change_device"], json!(false));
    assert_eq!(logged_in["enterprise_id"], json!("-1"));
    assert_eq!(logged_in["user_id"], registered["user_id"]);
    assert_eq!(logged_in["name"], json!("于连林"));
    assert!(is_hex32(logged_in["token"].as_str().unwrap()));
    assert_ne!(logged_in["token"], registered["token"]);

    // Password reset, step 1: the example sends no code.
    let response = app.get(path_of(VERIFY_CODE_EXAMPLE)).await;
    assert_eq!(response.body, parsed(VERIFY_CODE_REPLY));
    assert_eq!(
        response.body,
        json!({"code": 200, "data": "", "msg": "验证码正确"})
    );

    // Step 2 with the login example's password makes that example work.
    let response = replay(&app, &with_password(FORGET_PASSWORD_EXAMPLE, "111111"), way).await;
    assert_eq!(response.body, parsed(FORGET_PASSWORD_REPLY));
    let response = replay(&app, LOGIN_EXAMPLE, way).await;
    assert_eq!(response.code(), &json!(200), "{}", response.text);
    assert_eq!(response.data()["user_id"], registered["user_id"]);

    // The forget_password example itself sets 123456 back.
    let response = replay(&app, FORGET_PASSWORD_EXAMPLE, way).await;
    assert_eq!(response.body, parsed(FORGET_PASSWORD_REPLY));
    assert_eq!(
        response.body,
        json!({"code": 200, "data": "", "msg": "修改成功"})
    );
    let response = replay(&app, LOGIN_EXAMPLE, way).await;
    assert_eq!(response.code(), &json!(-1));
    let response = replay(&app, &with_password(LOGIN_EXAMPLE, "123456"), way).await;
    assert_eq!(response.code(), &json!(200));

    // Registering again with the example is refused.
    let response = replay(&app, REGISTER_EXAMPLE, way).await;
    assert_eq!(
        response.body,
        json!({"code": -1, "msg": "手机号已经被注册", "data": ""})
    );
}

#[tokio::test]
async fn the_original_examples_work_when_opened_with_get() {
    the_documented_session(Way::Get).await;
}

#[tokio::test]
async fn the_original_examples_work_when_posted_with_an_empty_body() {
    the_documented_session(Way::BodilessPost).await;
}
