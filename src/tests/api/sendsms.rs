//! `POST|GET /api/v4.0/sendsms/{mobile}?expect=0|1`: string codes, no `data`.

use chrono::Duration;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    BAD_PHONES, DEVICE, PASSWORD, PHONE, TestApp, assert_sendsms_bad_parameter, encode,
    is_lower_hex,
};

fn sendsms(phone: &str) -> String {
    format!("/api/v4.0/sendsms/{phone}")
}

fn envelope(code: &str, msg: &str) -> Value {
    json!({"code": code, "msg": msg})
}

fn sent() -> Value {
    envelope("200", "发送成功")
}

#[tokio::test]
async fn a_code_is_sent_to_a_free_phone_for_sign_up() {
    let app = TestApp::spawn().await;
    let response = app.get(&format!("{}?expect=0", sendsms(PHONE))).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, sent());
    assert!(response.code().is_string(), "the code must be a string");
    assert!(response.body.get("data").is_none(), "sendsms has no data");

    let code = app.sms.last_code_for(PHONE).expect("an SMS was sent");
    assert_eq!(code.len(), 6, "{code}");
    assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    assert_eq!(app.sms.count(), 1);
}

#[tokio::test]
async fn expect_defaults_to_sign_up() {
    let app = TestApp::spawn().await;
    let response = app.get(&sendsms(PHONE)).await;
    assert_eq!(response.body, sent());
    let rows = app.sms_codes_of(PHONE).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].purpose, entity::sms_codes::PURPOSE_SIGN_UP);
}

#[tokio::test]
async fn the_stored_code_is_a_hash_that_expires_in_five_minutes() {
    let app = TestApp::spawn().await;
    app.get(&sendsms(PHONE)).await;
    let code = app.sms.last_code_for(PHONE).unwrap();
    let rows = app.sms_codes_of(PHONE).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.phone, PHONE);
    assert!(is_lower_hex(&row.code_hash, 64), "{}", row.code_hash);
    assert!(
        !row.code_hash.contains(&code),
        "the code is stored in clear"
    );
    assert_eq!(row.expires_at - row.created_at, Duration::minutes(5));
    assert_eq!(row.failed_tries, 0);
    assert_eq!(row.consumed_at, None);
}

#[tokio::test]
async fn a_resend_replaces_the_earlier_code() {
    let app = TestApp::spawn().await;
    app.get(&sendsms(PHONE)).await;
    let first_code = app.sms.last_code_for(PHONE).unwrap();
    let first_row = app.sms_codes_of(PHONE).await.remove(0);

    let response = app.get(&sendsms(PHONE)).await;
    assert_eq!(response.body, sent());
    let second_code = app.sms.last_code_for(PHONE).unwrap();
    assert_eq!(app.sms.count(), 2);
    let rows = app.sms_codes_of(PHONE).await;
    assert_eq!(rows.len(), 1, "still one code per phone and purpose");
    assert!(rows[0].created_at >= first_row.created_at);
    // Two random codes coincide one time in a million; the hash follows the code.
    assert_eq!(
        rows[0].code_hash == first_row.code_hash,
        first_code == second_code
    );
}

#[tokio::test]
async fn sign_up_and_reset_codes_are_kept_apart() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get(&sendsms(PHONE)).await.body, sent());
    app.registered(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(
        app.get(&format!("{}?expect=1", sendsms(PHONE))).await.body,
        sent()
    );
    let rows = app.sms_codes_of(PHONE).await;
    let purposes: Vec<i16> = rows.iter().map(|row| row.purpose).collect();
    assert_eq!(
        purposes,
        [
            entity::sms_codes::PURPOSE_SIGN_UP,
            entity::sms_codes::PURPOSE_PASSWORD_RESET
        ]
    );
    assert_eq!(app.sms.count(), 2);
}

#[tokio::test]
async fn a_registered_phone_gets_no_sign_up_code() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    for url in [format!("{}?expect=0", sendsms(PHONE)), sendsms(PHONE)] {
        let response = app.get(&url).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.body, envelope("-1", "手机号已经被注册"), "{url}");
    }
    assert_eq!(app.sms.count(), 0, "a refused request sends nothing");
    assert!(app.sms_codes_of(PHONE).await.is_empty());
}

#[tokio::test]
async fn an_unknown_phone_gets_no_reset_code() {
    let app = TestApp::spawn().await;
    let response = app.get(&format!("{}?expect=1", sendsms(PHONE))).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, envelope("-1", "手机号未注册"));
    assert_eq!(app.sms.count(), 0);
    assert!(app.sms_codes_of(PHONE).await.is_empty());
}

#[tokio::test]
async fn a_registered_phone_gets_a_reset_code() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let response = app.get(&format!("{}?expect=1", sendsms(PHONE))).await;
    assert_eq!(response.body, sent());
    assert!(app.sms.last_code_for(PHONE).is_some());
    let rows = app.sms_codes_of(PHONE).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].purpose, entity::sms_codes::PURPOSE_PASSWORD_RESET);
}

#[tokio::test]
async fn post_takes_expect_from_a_form_json_or_the_query_string() {
    let app = TestApp::spawn().await;
    let url = sendsms(PHONE);
    let refused = envelope("-1", "手机号未注册");
    let cases = [
        ("form", app.post_form(&url, &[("expect", "1")]).await),
        (
            "JSON number",
            app.post_json(&url, &json!({"expect": 1})).await,
        ),
        (
            "JSON string",
            app.post_json(&url, &json!({"expect": "1"})).await,
        ),
        (
            "query only",
            app.post_query_only(&format!("{url}?expect=1")).await,
        ),
    ];
    for (how, response) in cases {
        assert_eq!(response.status, 200, "{how}");
        assert_eq!(response.body, refused, "{how}: expect=1 was not read");
    }
    assert_eq!(app.sms.count(), 0);
}

#[tokio::test]
async fn post_without_expect_means_sign_up() {
    let app = TestApp::spawn().await;
    let url = sendsms(PHONE);
    assert_eq!(app.post_query_only(&url).await.body, sent());
    assert_eq!(app.post_json(&url, &json!({})).await.body, sent());
    assert_eq!(app.post_form(&url, &[("other", "x")]).await.body, sent());
    assert_eq!(app.sms.count(), 3);
}

#[tokio::test]
async fn the_body_wins_over_the_query_string() {
    let app = TestApp::spawn().await;
    let url = format!("{}?expect=1", sendsms(PHONE));
    let response = app.post_form(&url, &[("expect", "0")]).await;
    assert_eq!(response.body, sent());
    let response = app.post_json(&url, &json!({"expect": 0})).await;
    assert_eq!(response.body, sent());
}

#[tokio::test]
async fn the_first_of_two_expect_parameters_counts() {
    let app = TestApp::spawn().await;
    let refused = envelope("-1", "手机号未注册");
    let response = app
        .get(&format!("{}?expect=1&expect=0", sendsms(PHONE)))
        .await;
    assert_eq!(response.body, refused);
    let response = app
        .post_raw(
            &sendsms(PHONE),
            "application/x-www-form-urlencoded",
            "expect=1&expect=0",
        )
        .await;
    assert_eq!(response.body, refused);
}

#[tokio::test]
async fn a_malformed_mobile_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    for (phone, what) in BAD_PHONES {
        let url = sendsms(&encode(phone));
        let response = app.get(&url).await;
        assert_sendsms_bad_parameter(&response, "mobile", &format!("GET {what}"));
        let response = app.post_query_only(&format!("{url}?expect=0")).await;
        assert_sendsms_bad_parameter(&response, "mobile", &format!("POST {what}"));
    }
    assert_eq!(app.sms.count(), 0);
}

#[tokio::test]
async fn an_empty_mobile_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/v4.0/sendsms/?expect=0").await;
    assert_sendsms_bad_parameter(&response, "mobile", "GET");
    let response = app.post_query_only("/api/v4.0/sendsms/").await;
    assert_sendsms_bad_parameter(&response, "mobile", "POST");
}

#[tokio::test]
async fn expect_other_than_zero_or_one_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    let url = sendsms(PHONE);
    for expect in ["2", "abc", "-1", "", "1.0"] {
        let response = app.get(&format!("{url}?expect={expect}")).await;
        assert_sendsms_bad_parameter(&response, "expect", &format!("GET expect={expect}"));
        let response = app.post_form(&url, &[("expect", expect)]).await;
        assert_sendsms_bad_parameter(&response, "expect", &format!("form expect={expect}"));
        let response = app.post_json(&url, &json!({ "expect": expect })).await;
        assert_sendsms_bad_parameter(&response, "expect", &format!("JSON expect={expect}"));
        if !expect.is_empty() {
            let response = app.post_query_only(&format!("{url}?expect={expect}")).await;
            assert_sendsms_bad_parameter(
                &response,
                "expect",
                &format!("query-only expect={expect}"),
            );
        }
    }
    for expect in [
        json!(2),
        json!(-1),
        json!(true),
        json!([1]),
        json!({"v": 1}),
    ] {
        let response = app.post_json(&url, &json!({ "expect": expect })).await;
        assert_sendsms_bad_parameter(&response, "expect", &format!("JSON expect={expect}"));
    }
    assert_eq!(app.sms.count(), 0);
}

#[tokio::test]
async fn a_body_that_is_not_a_form_or_a_json_object_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    let url = sendsms(PHONE);
    let cases = [
        ("application/json", "[1]", "a JSON array"),
        ("application/json", "\"expect\"", "a JSON string"),
        ("application/json", "{\"expect\": ", "invalid JSON"),
        ("text/plain", "expect=1", "text/plain"),
    ];
    for (content_type, body, what) in cases {
        let response = app.post_raw(&url, content_type, body).await;
        assert_sendsms_bad_parameter(&response, "body", what);
    }
    assert_eq!(app.sms.count(), 0);
}

#[tokio::test]
async fn put_and_delete_get_the_string_405() {
    let app = TestApp::spawn().await;
    for method in [Method::PUT, Method::DELETE, Method::PATCH] {
        let response = app.send(app.request(method.clone(), &sendsms(PHONE))).await;
        assert_eq!(response.status, 405, "{method}");
        assert_eq!(response.code(), "405", "{method}");
        assert!(response.body.get("data").is_none(), "{method}");
        let allow = response.header("allow").expect("an Allow header");
        let mut allowed: Vec<&str> = allow.split(',').map(str::trim).collect();
        allowed.sort_unstable();
        assert_eq!(allowed, ["GET", "POST"], "{method}");
    }
}

#[tokio::test]
async fn a_mobile_that_is_not_utf8_is_a_bad_mobile() {
    let app = TestApp::spawn().await;
    for url in [
        "/api/v4.0/sendsms/%FF",
        "/api/v4.0/sendsms/1312693991%FF?expect=0",
    ] {
        let response = app.get(url).await;
        assert_sendsms_bad_parameter(&response, "mobile", url);
    }
}
