//! `GET /api/v4.0/verify_code?phone=&code=`: always 200 while verification is off.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{BAD_PHONES, DEVICE, PASSWORD, PHONE, TestApp, assert_bad_parameter, encode};

const VERIFY_CODE: &str = "/api/v4.0/verify_code";

fn correct() -> Value {
    json!({"code": 200, "msg": "验证码正确", "data": ""})
}

#[tokio::test]
async fn any_code_or_none_is_correct_while_verification_is_off() {
    let app = TestApp::spawn().await;
    for query in [
        format!("phone={PHONE}"),
        format!("phone={PHONE}&code=123456"),
        format!("phone={PHONE}&code=000000"),
        format!("phone={PHONE}&code=xxx"),
        format!("phone={PHONE}&code="),
    ] {
        let response = app.get(&format!("{VERIFY_CODE}?{query}")).await;
        assert_eq!(response.status, 200, "{query}");
        assert_eq!(response.body, correct(), "{query}");
    }
}

#[tokio::test]
async fn a_sent_code_is_correct() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    app.get(&format!("/api/v4.0/sendsms/{PHONE}?expect=1"))
        .await;
    let code = app.sms.last_code_for(PHONE).expect("a code was sent");
    let response = app
        .get(&format!("{VERIFY_CODE}?phone={PHONE}&code={code}"))
        .await;
    assert_eq!(response.body, correct());
}

#[tokio::test]
async fn a_missing_or_empty_phone_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    for query in ["", "?code=123456", "?phone=", "?phone=&code=123456"] {
        let response = app.get(&format!("{VERIFY_CODE}{query}")).await;
        assert_bad_parameter(&response, "phone", query);
    }
}

#[tokio::test]
async fn a_malformed_phone_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    for (phone, what) in BAD_PHONES {
        let response = app
            .get(&format!(
                "{VERIFY_CODE}?phone={}&code=123456",
                encode(phone)
            ))
            .await;
        assert_bad_parameter(&response, "phone", what);
    }
}

#[tokio::test]
async fn the_first_of_repeated_phones_counts_and_unknown_parameters_are_ignored() {
    let app = TestApp::spawn().await;
    let response = app
        .get(&format!(
            "{VERIFY_CODE}?phone={PHONE}&phone=abc&expect=9&token=x"
        ))
        .await;
    assert_eq!(response.body, correct());
    let response = app
        .get(&format!("{VERIFY_CODE}?phone=abc&phone={PHONE}"))
        .await;
    assert_bad_parameter(&response, "phone", "first phone malformed");
}

#[tokio::test]
async fn only_get_is_allowed() {
    let app = TestApp::spawn().await;
    for method in [Method::POST, Method::PUT] {
        let response = app
            .send(app.request(method.clone(), &format!("{VERIFY_CODE}?phone={PHONE}")))
            .await;
        assert_eq!(response.status, 405, "{method}");
        assert_eq!(response.code(), &json!(405));
        assert_eq!(response.header("allow"), Some("GET"));
    }
}
