//! `GET /api/v4.0/isregister/{phone}?expect=0|1`.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{
    BAD_PHONES, DEVICE, OTHER_PHONE, PASSWORD, PHONE, TestApp, TestResponse, assert_bad_parameter,
    encode,
};

fn envelope(code: i32, msg: &str) -> serde_json::Value {
    json!({"code": code, "msg": msg, "data": ""})
}

/// `GET /api/v4.0/isregister/{PHONE}?{query}`.
async fn isregister(app: &TestApp, query: &str) -> TestResponse {
    app.get(&format!("/api/v4.0/isregister/{PHONE}?{query}"))
        .await
}

#[tokio::test]
async fn a_free_phone_is_reported_free_when_signing_up() {
    let app = TestApp::spawn().await;
    for url in [
        format!("/api/v4.0/isregister/{PHONE}?expect=0"),
        format!("/api/v4.0/isregister/{PHONE}"),
    ] {
        let response = app.get(&url).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.body, envelope(200, "手机号未注册"), "{url}");
    }
}

#[tokio::test]
async fn a_taken_phone_is_refused_when_signing_up() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    for url in [
        format!("/api/v4.0/isregister/{PHONE}?expect=0"),
        format!("/api/v4.0/isregister/{PHONE}"),
    ] {
        let response = app.get(&url).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.body, envelope(-1, "手机号已经被注册"), "{url}");
    }
}

#[tokio::test]
async fn a_registered_phone_is_confirmed_when_resetting() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let response = isregister(&app, "expect=1").await;
    assert_eq!(response.body, envelope(200, "手机号已注册"));
}

#[tokio::test]
async fn an_unknown_phone_is_refused_when_resetting() {
    let app = TestApp::spawn().await;
    app.registered(OTHER_PHONE, PASSWORD, DEVICE).await;
    let response = isregister(&app, "expect=1").await;
    assert_eq!(response.body, envelope(-1, "手机号未注册"));
}

#[tokio::test]
async fn a_malformed_phone_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    for (phone, what) in BAD_PHONES {
        let response = app
            .get(&format!("/api/v4.0/isregister/{}?expect=0", encode(phone)))
            .await;
        assert_bad_parameter(&response, "phone", what);
    }
}

#[tokio::test]
async fn an_empty_phone_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    for url in ["/api/v4.0/isregister/", "/api/v4.0/isregister/?expect=1"] {
        let response = app.get(url).await;
        assert_bad_parameter(&response, "phone", url);
    }
}

#[tokio::test]
async fn expect_other_than_zero_or_one_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    for expect in ["2", "abc", "-1", "", "01", "1.0", "%EF%BC%91"] {
        let response = isregister(&app, &format!("expect={expect}")).await;
        assert_bad_parameter(&response, "expect", &format!("expect={expect}"));
    }
}

#[tokio::test]
async fn the_first_of_two_expect_parameters_counts() {
    let app = TestApp::spawn().await;
    let response = isregister(&app, "expect=1&expect=0").await;
    assert_eq!(response.body, envelope(-1, "手机号未注册"));
    let response = isregister(&app, "expect=0&expect=abc").await;
    assert_eq!(response.body, envelope(200, "手机号未注册"));
}

#[tokio::test]
async fn unknown_parameters_are_ignored() {
    let app = TestApp::spawn().await;
    let response = isregister(&app, "expect=1&token=abc&lang=zh").await;
    assert_eq!(response.body, envelope(-1, "手机号未注册"));
}

#[tokio::test]
async fn only_get_is_allowed() {
    let app = TestApp::spawn().await;
    for method in [Method::POST, Method::PUT, Method::DELETE] {
        let response = app
            .send(app.request(method.clone(), &format!("/api/v4.0/isregister/{PHONE}")))
            .await;
        assert_eq!(response.status, 405, "{method}");
        assert_eq!(response.code(), 405, "{method}");
        assert_eq!(response.header("allow"), Some("GET"), "{method}");
    }
}

#[tokio::test]
async fn a_phone_that_is_not_utf8_is_a_bad_phone() {
    let app = TestApp::spawn().await;
    for url in [
        "/api/v4.0/isregister/%FF",
        "/api/v4.0/isregister/1312693991%FF",
    ] {
        let response = app.get(url).await;
        assert_bad_parameter(&response, "phone", url);
    }
}
