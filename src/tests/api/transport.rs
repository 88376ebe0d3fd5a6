//! What surrounds the operations: 404, 405, 413, the operations endpoints,
//! the OpenAPI document and Swagger UI. Nothing answers in text/plain.

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};

use reqwest::{Method, header::HeaderMap};
use serde_json::{Value, json};

use crate::helpers::{NAME, PASSWORD, PHONE, TestApp, TestResponse, parse_answer_head, query};

fn not_found() -> Value {
    json!({"code": 404, "msg": "接口不存在", "data": ""})
}

fn too_large() -> Value {
    json!({"code": 413, "msg": "请求体过大", "data": ""})
}

/// A valid registration form padded with an unknown field to exactly `len` bytes.
fn padded_registration(len: usize) -> String {
    let form = query(&[
        ("phone", PHONE),
        ("name", NAME),
        ("password", PASSWORD),
        ("device_identifier", "uuid"),
        ("pad", ""),
    ]);
    assert!(form.len() < len);
    format!("{form}{}", "x".repeat(len - form.len()))
}

#[tokio::test]
async fn an_unknown_path_gets_the_numeric_404_envelope() {
    let app = TestApp::spawn().await;
    for (method, path) in [
        (Method::GET, "/nope"),
        (Method::GET, "/api/v4.0/nope"),
        (Method::POST, "/api/v4.0/nope"),
        (Method::GET, "/api/v4.0/"),
        (Method::GET, "/api/v3.0/login"),
        (Method::GET, "/api/v4.0/login/extra"),
        (Method::GET, "/api/v4.0/isregister/13126939916/extra"),
        (Method::GET, "/API/V4.0/LOGIN"),
    ] {
        let response = app.send(app.request(method.clone(), path)).await;
        assert_eq!(response.status, 404, "{method} {path}");
        assert_eq!(response.body, not_found(), "{method} {path}");
    }
}

#[tokio::test]
async fn an_unknown_path_under_sendsms_gets_the_string_404_envelope() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v4.0/sendsms/a/b",
        "/api/v4.0/sendsms/13126939916/extra",
    ] {
        for method in [Method::GET, Method::POST] {
            let response = app.send(app.request(method.clone(), path)).await;
            assert_eq!(response.status, 404, "{method} {path}");
            assert_eq!(
                response.body,
                json!({"code": "404", "msg": "接口不存在"}),
                "{method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn every_documented_path_answers_other_methods_with_405_and_allow() {
    let app = TestApp::spawn().await;
    let paths = app.document()["paths"].as_object().unwrap().clone();
    for (template, operations) in &paths {
        let path = template
            .replace("{mobile}", PHONE)
            .replace("{phone}", PHONE);
        let mut documented: Vec<String> = operations
            .as_object()
            .unwrap()
            .keys()
            .map(|method| method.to_ascii_uppercase())
            .collect();
        documented.sort_unstable();
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
        ] {
            if documented.contains(&method.to_string()) {
                continue;
            }
            let response = app.send(app.request(method.clone(), &path)).await;
            assert_eq!(response.status, 405, "{method} {path}: {}", response.text);
            let expected_code = if path.contains("/sendsms/") {
                json!("405")
            } else {
                json!(405)
            };
            assert_eq!(response.code(), &expected_code, "{method} {path}");
            assert_eq!(response.msg(), "请求方法不允许");
            let allow = response
                .header("allow")
                .unwrap_or_else(|| panic!("{method} {path}: no Allow header"));
            let mut allowed: Vec<String> = allow.split(',').map(|m| m.trim().to_owned()).collect();
            allowed.sort_unstable();
            assert_eq!(allowed, documented, "{method} {path}");
        }
    }
}

#[tokio::test]
async fn a_body_over_64_kib_gets_the_413_envelope() {
    let app = TestApp::spawn().await;
    let body = padded_registration(70_000);
    for path in [
        "/api/v4.0/register",
        "/api/v4.0/login",
        "/api/v4.0/forget_password",
    ] {
        let response = app
            .post_raw(path, "application/x-www-form-urlencoded", &body)
            .await;
        assert_eq!(response.status, 413, "{path}");
        assert_eq!(response.body, too_large(), "{path}");
    }
    let json_body = json!({"phone": PHONE, "pad": "x".repeat(70_000)}).to_string();
    let response = app
        .post_raw("/api/v4.0/register", "application/json", &json_body)
        .await;
    assert_eq!(response.status, 413);
    assert!(app.user(PHONE).await.is_none());
}

#[tokio::test]
async fn a_body_over_64_kib_on_sendsms_gets_the_string_413_envelope() {
    let app = TestApp::spawn().await;
    let body = format!("expect=0&pad={}", "x".repeat(70_000));
    let response = app
        .post_raw(
            &format!("/api/v4.0/sendsms/{PHONE}"),
            "application/x-www-form-urlencoded",
            &body,
        )
        .await;
    assert_eq!(response.status, 413);
    assert_eq!(response.body, json!({"code": "413", "msg": "请求体过大"}));
    assert_eq!(app.sms.count(), 0);
}

#[tokio::test]
async fn a_body_of_exactly_64_kib_is_accepted() {
    let app = TestApp::spawn().await;
    let response = app
        .post_raw(
            "/api/v4.0/register",
            "application/x-www-form-urlencoded",
            &padded_registration(65_536),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.code(), &json!(200), "{}", response.text);
    let response = app
        .post_raw(
            "/api/v4.0/register",
            "application/x-www-form-urlencoded",
            &padded_registration(65_537),
        )
        .await;
    assert_eq!(response.status, 413);
}

#[tokio::test]
async fn a_chunked_body_over_64_kib_gets_the_413_envelope() {
    let app = TestApp::spawn().await;
    let port = app.port;
    let (status, headers, text) = tokio::task::spawn_blocking(move || {
        let mut head = String::from("POST /api/v4.0/register HTTP/1.1\r\n");
        head.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
        head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        head.push_str("Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        let mut request = head.into_bytes();
        for _ in 0..10 {
            request.extend_from_slice(format!("{:x}\r\n", 7_000).as_bytes());
            request.extend_from_slice(&[b'x'; 7_000]);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"0\r\n\r\n");
        raw_exchange(port, &request)
    })
    .await
    .unwrap();
    let response: TestResponse = app.checked("POST", "/api/v4.0/register", status, headers, text);
    assert_eq!(response.status, 413);
    assert_eq!(response.body, too_large());
}

/// Sends `request` over a new connection and parses the HTTP/1.1 answer.
fn raw_exchange(port: u16, request: &[u8]) -> (u16, HeaderMap, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("the server accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // The server may answer and close before reading everything; that is fine.
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8(answer).expect("a UTF-8 answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a complete head");
    let (status, headers) = parse_answer_head(head);
    let chunked = headers
        .get("transfer-encoding")
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, headers, body)
}

/// The payload of a chunked body.
fn dechunk(mut body: &str) -> String {
    let mut payload = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").expect("a chunk size");
        let size = usize::from_str_radix(size.trim(), 16).expect("a hex chunk size");
        if size == 0 {
            return payload;
        }
        payload.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
}

#[tokio::test]
async fn the_root_redirects_to_swagger_ui() {
    let app = TestApp::spawn().await;
    let response = app.get("/").await;
    assert!(
        matches!(response.status, 301 | 302 | 303 | 307 | 308),
        "{}",
        response.status
    );
    assert_eq!(response.header("location"), Some("/swagger"));
}

#[tokio::test]
async fn swagger_ui_is_served() {
    let app = TestApp::spawn().await;
    let response = app.get("/swagger").await;
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("text/html")),
        "{:?}",
        response.header("content-type")
    );
    assert!(response.text.contains("swagger"), "not Swagger UI");
}

#[tokio::test]
async fn livez_answers_ok() {
    let app = TestApp::spawn().await;
    let response = app.get("/livez").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, json!({"status": "ok"}));
}

#[tokio::test]
async fn healthz_answers_ok_while_the_database_answers() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, json!({"status": "ok"}));
}

/// `METHOD path` of every operation of the served document tagged `tag`.
fn operations_tagged(document: &Value, tag: &str) -> Vec<String> {
    let mut operations = Vec::new();
    for (path, methods) in document["paths"].as_object().unwrap() {
        for (method, operation) in methods.as_object().unwrap() {
            let tags = operation["tags"].as_array().cloned().unwrap_or_default();
            if tags.contains(&json!(tag)) {
                operations.push(format!("{} {path}", method.to_ascii_uppercase()));
            }
        }
    }
    operations.sort_unstable();
    operations
}

#[tokio::test]
async fn the_document_lists_every_operation_of_the_original_under_account() {
    let app = TestApp::spawn().await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status, 200);
    assert_eq!(&response.body, app.document());
    assert_eq!(
        operations_tagged(&response.body, "Account"),
        [
            "GET /api/v4.0/forget_password",
            "GET /api/v4.0/isregister/{phone}",
            "GET /api/v4.0/login",
            "GET /api/v4.0/register",
            "GET /api/v4.0/sendsms/{mobile}",
            "GET /api/v4.0/verify_code",
            "POST /api/v4.0/forget_password",
            "POST /api/v4.0/login",
            "POST /api/v4.0/register",
            "POST /api/v4.0/sendsms/{mobile}",
        ]
    );
    // Whatever else it lists is tagged as not from the original, once.
    let groups = ["Account", "extensions", "Operations"];
    for (path, methods) in response.body["paths"].as_object().unwrap() {
        for (method, operation) in methods.as_object().unwrap() {
            let tags = operation["tags"].as_array().cloned().unwrap_or_default();
            let in_groups = groups.iter().filter(|g| tags.contains(&json!(g))).count();
            assert_eq!(in_groups, 1, "{method} {path} has tags {tags:?}");
        }
    }
}

#[tokio::test]
async fn every_post_of_the_original_documents_both_body_encodings() {
    let app = TestApp::spawn().await;
    let document = app.document();
    let posts: Vec<String> = operations_tagged(document, "Account")
        .into_iter()
        .filter(|operation| operation.starts_with("POST "))
        .collect();
    assert_eq!(posts.len(), 4);
    for operation in posts {
        let path = operation.trim_start_matches("POST ");
        let request_body = &document["paths"][path]["post"]["requestBody"];
        for media in ["application/x-www-form-urlencoded", "application/json"] {
            assert!(
                request_body["content"].get(media).is_some(),
                "{operation} lacks {media}"
            );
        }
        let description = request_body["description"].as_str().unwrap_or("");
        assert!(
            description.contains("query string"),
            "{operation} does not say an empty body reads the query string"
        );
    }
}

#[tokio::test]
async fn the_yaml_document_is_served() {
    let app = TestApp::spawn().await;
    let response = app.get("/openapi.yaml").await;
    assert_eq!(response.status, 200);
    assert!(
        response.text.contains("openapi: 3.0.0"),
        "{}",
        &response.text[..100]
    );
    assert!(response.text.contains("/api/v4.0/sendsms/{mobile}"));
}

#[tokio::test]
async fn an_unknown_path_that_only_starts_like_sendsms_gets_the_numeric_404() {
    let app = TestApp::spawn().await;
    for path in ["/api/v4.0/sendsmsx", "/api/v4.0/sendsms_v2/13126939916"] {
        let response = app.get(path).await;
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.body, not_found(), "{path}");
    }
}

#[tokio::test]
async fn wrong_methods_on_the_operations_endpoints_get_405_with_allow() {
    let app = TestApp::spawn().await;
    for (method, path) in [
        (Method::DELETE, "/livez"),
        (Method::POST, "/healthz"),
        (Method::DELETE, "/"),
    ] {
        let response = app.send(app.request(method.clone(), path)).await;
        assert_eq!(response.status, 405, "{method} {path}");
        assert_eq!(
            response.body,
            json!({"code": 405, "msg": "请求方法不允许", "data": ""}),
            "{method} {path}"
        );
        // RFC 9110 section 15.5.6: a 405 MUST carry Allow.
        assert_eq!(response.header("allow"), Some("GET"), "{method} {path}");
    }
}

#[tokio::test]
async fn the_document_forbids_the_wrong_json_types() {
    // The check behind every request is only worth something if the document
    // is strict: each of these bodies breaks one documented type.
    let app = TestApp::spawn().await;
    let register_data = json!({
        "change_device": false, "enterprise_id": -1,
        "token": "9ea13c9003d53e4e17b0b9aaf1e634b0",
        "user_id": "f223fa5c92e846349031b0eb06868478",
        "name": "asdasd", "pemissions": [], "apply": {}
    });
    let login_data = json!({
        "apply": {"apply_eid": 1, "apply_name": "apple", "apply_state": "0"},
        "change_device": false, "enterprise_id": "-1",
        "token": "5a2dd48054d694b0fcaeef1ecca767a2",
        "user_id": "f223fa5c92e846349031b0eb06868478",
        "name": "asdasd", "pemissions": []
    });
    let accepted = [
        (
            "GET",
            "/api/v4.0/sendsms/13126939916",
            json!({"code": "200", "msg": "发送成功"}),
        ),
        (
            "POST",
            "/api/v4.0/register",
            json!({"code": 200, "msg": "注册成功", "data": register_data}),
        ),
        (
            "GET",
            "/api/v4.0/login",
            json!({"code": 200, "msg": "登录成功", "data": login_data}),
        ),
        (
            "GET",
            "/api/v4.0/isregister/13126939916",
            json!({"code": -1, "data": "", "msg": "x"}),
        ),
    ];
    for (method, path, body) in &accepted {
        let violations = app.violations(method, path, 200, body);
        assert!(
            violations.is_empty(),
            "{method} {path} {body}: {violations:?}"
        );
    }

    let mut register_string_id = register_data.clone();
    register_string_id["enterprise_id"] = json!("-1");
    let mut register_apply = register_data.clone();
    register_apply["apply"] = json!({"apply_eid": 1});
    let mut login_number_id = login_data.clone();
    login_number_id["enterprise_id"] = json!(-1);
    let mut login_number_state = login_data.clone();
    login_number_state["apply"]["apply_state"] = json!(0);
    let mut login_odd_state = login_data.clone();
    login_odd_state["apply"]["apply_state"] = json!("2");
    let mut login_no_permissions = login_data.clone();
    login_no_permissions
        .as_object_mut()
        .unwrap()
        .remove("pemissions");
    let refused = [
        (
            "GET",
            "/api/v4.0/sendsms/13126939916",
            json!({"code": 200, "msg": "发送成功"}),
        ),
        (
            "GET",
            "/api/v4.0/sendsms/13126939916",
            json!({"code": "201", "msg": "x"}),
        ),
        (
            "POST",
            "/api/v4.0/register",
            json!({"code": 200, "msg": "注册成功", "data": ""}),
        ),
        (
            "POST",
            "/api/v4.0/register",
            json!({"code": -1, "msg": "x", "data": register_data}),
        ),
        (
            "POST",
            "/api/v4.0/register",
            json!({"code": -1, "msg": "x"}),
        ),
        (
            "POST",
            "/api/v4.0/register",
            json!({"code": 200, "msg": "x", "data": register_string_id}),
        ),
        (
            "POST",
            "/api/v4.0/register",
            json!({"code": 200, "msg": "x", "data": register_apply}),
        ),
        (
            "GET",
            "/api/v4.0/login",
            json!({"code": 200, "msg": "x", "data": login_number_id}),
        ),
        (
            "GET",
            "/api/v4.0/login",
            json!({"code": 200, "msg": "x", "data": login_number_state}),
        ),
        (
            "GET",
            "/api/v4.0/login",
            json!({"code": 200, "msg": "x", "data": login_odd_state}),
        ),
        (
            "GET",
            "/api/v4.0/login",
            json!({"code": 200, "msg": "x", "data": login_no_permissions}),
        ),
        (
            "GET",
            "/api/v4.0/login",
            json!({"code": -2, "msg": "x", "data": ""}),
        ),
        (
            "GET",
            "/api/v4.0/isregister/13126939916",
            json!({"code": "-1", "data": "", "msg": "x"}),
        ),
        (
            "GET",
            "/api/v4.0/isregister/13126939916",
            json!({"code": 7, "data": "", "msg": "x"}),
        ),
        (
            "GET",
            "/api/v4.0/isregister/13126939916",
            json!({"code": -1, "data": "x", "msg": "x"}),
        ),
        (
            "GET",
            "/api/v4.0/verify_code",
            json!({"code": 200, "data": ""}),
        ),
    ];
    for (method, path, body) in &refused {
        let violations = app.violations(method, path, 200, body);
        assert!(!violations.is_empty(), "{method} {path} accepts {body}");
    }
    let transport = json!({"code": "404", "msg": "接口不存在"});
    assert!(!app.violations("GET", "/nope", 404, &transport).is_empty());
    assert!(
        !app.violations("GET", "/api/v4.0/sendsms/a/b", 404, &not_found())
            .is_empty()
    );
}
