//! `POST|GET /api/v4.0/login` with `phone, password, device_identifier`.

use std::collections::HashSet;

use chrono::Utc;
use entity::{applications, enterprises, users};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
use serde_json::{Value, json};

use crate::helpers::{
    DEVICE, NAME, OTHER_PHONE, PASSWORD, PHONE, TestApp, TestResponse, assert_bad_parameter,
    assert_bad_phones_refused, assert_refused_in_every_encoding, insert_application, is_hex32,
    json_object, query, sha256_hex, with_field,
};

const LOGIN: &str = "/api/v4.0/login";

/// A valid login of [`PHONE`] on [`DEVICE`].
fn fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("phone", PHONE),
        ("password", PASSWORD),
        ("device_identifier", DEVICE),
    ]
}

fn wrong_credentials() -> Value {
    json!({"code": -1, "msg": "手机号或密码错误", "data": ""})
}

/// Panics unless `response` is a successful login; returns its `data`.
#[track_caller]
fn logged_in(response: &TestResponse) -> &Value {
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.code(), &json!(200), "{}", response.text);
    assert_eq!(response.msg(), "登录成功");
    let data = response.data();
    assert!(is_hex32(data["token"].as_str().unwrap()), "{data}");
    assert!(is_hex32(data["user_id"].as_str().unwrap()), "{data}");
    assert!(data["change_device"].is_boolean(), "{data}");
    assert!(data["enterprise_id"].is_string(), "a string here: {data}");
    assert!(data["pemissions"].is_array(), "{data}");
    assert!(data["apply"].is_object(), "{data}");
    data
}

/// Inserts an enterprise with `id` and `name`.
async fn enterprise(app: &TestApp, id: i64, name: &str) {
    enterprises::ActiveModel {
        id: Set(id),
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(app.db())
    .await
    .expect("the enterprise is inserted");
}

/// Changes the user row of `phone` with `change`.
async fn update_user(app: &TestApp, phone: &str, change: impl FnOnce(&mut users::ActiveModel)) {
    let mut user = app.user(phone).await.unwrap().into_active_model();
    change(&mut user);
    user.update(app.db()).await.expect("the user is updated");
}

#[tokio::test]
async fn a_registered_user_logs_in() {
    let app = TestApp::spawn().await;
    let registered = app.registered(PHONE, PASSWORD, DEVICE).await;
    let response = app.login(PHONE, PASSWORD, DEVICE).await;
    let data = logged_in(&response);
    assert_eq!(data["user_id"], registered["user_id"]);
    assert_eq!(data["name"], json!(NAME));
    assert_eq!(data["change_device"], json!(false));
    assert_eq!(data["enterprise_id"], json!("-1"));
    assert_eq!(data["pemissions"], json!([]));
    assert_eq!(data["apply"], json!({}));
    assert_ne!(data["token"], registered["token"]);
}

#[tokio::test]
async fn login_answers_get_form_json_and_a_bodiless_post() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let responses = [
        app.get(&format!("{LOGIN}?{}", query(&fields()))).await,
        app.post_form(LOGIN, &fields()).await,
        app.post_json(LOGIN, &json_object(&fields())).await,
        app.post_query_only(&format!("{LOGIN}?{}", query(&fields())))
            .await,
    ];
    for response in &responses {
        logged_in(response);
    }
}

#[tokio::test]
async fn an_unknown_phone_and_a_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let unknown = app.login(OTHER_PHONE, PASSWORD, DEVICE).await;
    let wrong = app.login(PHONE, "1234567", DEVICE).await;
    assert_eq!(unknown.status, 200);
    assert_eq!(wrong.status, 200);
    assert_eq!(unknown.body, wrong_credentials());
    assert_eq!(wrong.body, wrong_credentials());
    assert_eq!(unknown.text, wrong.text);
}

#[tokio::test]
async fn a_failed_login_opens_no_session_and_keeps_the_binding() {
    let app = TestApp::spawn().await;
    let registered = app.registered(PHONE, PASSWORD, DEVICE).await;
    let response = app.login(PHONE, "wrong-password", "other-device").await;
    assert_eq!(response.body, wrong_credentials());
    let user_id = registered["user_id"].as_str().unwrap();
    assert_eq!(app.sessions_of(user_id).await.len(), 1);
    assert_eq!(app.user(PHONE).await.unwrap().device_identifier, DEVICE);
}

#[tokio::test]
async fn the_password_is_case_and_space_sensitive() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, "Secret12", DEVICE).await;
    for wrong in ["secret12", "SECRET12", " Secret12", "Secret12 "] {
        let response = app.login(PHONE, wrong, DEVICE).await;
        assert_eq!(response.body, wrong_credentials(), "{wrong:?}");
    }
    logged_in(&app.login(PHONE, "Secret12", DEVICE).await);
}

#[tokio::test]
async fn a_new_device_is_reported_and_becomes_the_bound_one() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, "phone-a").await;

    let same = app.login(PHONE, PASSWORD, "phone-a").await;
    assert_eq!(logged_in(&same)["change_device"], json!(false));

    let moved = app.login(PHONE, PASSWORD, "phone-b").await;
    assert_eq!(logged_in(&moved)["change_device"], json!(true));
    assert_eq!(app.user(PHONE).await.unwrap().device_identifier, "phone-b");

    let again = app.login(PHONE, PASSWORD, "phone-b").await;
    assert_eq!(logged_in(&again)["change_device"], json!(false));

    let back = app.login(PHONE, PASSWORD, "phone-a").await;
    assert_eq!(logged_in(&back)["change_device"], json!(true));
    assert_eq!(app.user(PHONE).await.unwrap().device_identifier, "phone-a");
}

#[tokio::test]
async fn every_login_opens_a_new_session_with_its_own_token() {
    let app = TestApp::spawn().await;
    let registered = app.registered(PHONE, PASSWORD, DEVICE).await;
    let user_id = registered["user_id"].as_str().unwrap().to_owned();
    let mut tokens = vec![registered["token"].as_str().unwrap().to_owned()];
    for device in ["phone-a", "phone-a", "phone-b"] {
        let response = app.login(PHONE, PASSWORD, device).await;
        tokens.push(logged_in(&response)["token"].as_str().unwrap().to_owned());
    }
    let distinct: HashSet<&String> = tokens.iter().collect();
    assert_eq!(distinct.len(), tokens.len(), "{tokens:?}");

    let sessions = app.sessions_of(&user_id).await;
    assert_eq!(sessions.len(), 4);
    for (session, token) in sessions.iter().zip(&tokens) {
        assert_eq!(session.token_hash, sha256_hex(token));
        assert_eq!(session.revoked_at, None);
    }
    let devices: Vec<&str> = sessions
        .iter()
        .map(|session| session.device_identifier.as_str())
        .collect();
    assert_eq!(devices, [DEVICE, "phone-a", "phone-a", "phone-b"]);
}

#[tokio::test]
async fn apply_is_the_empty_object_for_a_user_who_never_applied() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let other = app.registered(OTHER_PHONE, PASSWORD, DEVICE).await;
    enterprise(&app, 1, "apple").await;
    insert_application(&app, other["user_id"].as_str().unwrap(), 1, 0).await;

    let response = app.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(logged_in(&response)["apply"], json!({}));
}

#[tokio::test]
async fn apply_is_the_latest_application() {
    let app = TestApp::spawn().await;
    let registered = app.registered(PHONE, PASSWORD, DEVICE).await;
    let user_id = registered["user_id"].as_str().unwrap();
    let other = app.registered(OTHER_PHONE, PASSWORD, DEVICE).await;
    enterprise(&app, 1, "apple").await;
    enterprise(&app, 7, "banana").await;
    enterprise(&app, 9, "cherry").await;

    insert_application(&app, user_id, 1, applications::STATE_APPROVED).await;
    let response = app.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(
        logged_in(&response)["apply"],
        json!({"apply_eid": 1, "apply_name": "apple", "apply_state": "1"})
    );

    insert_application(&app, user_id, 7, applications::STATE_REJECTED).await;
    // Someone else's newer application does not count.
    insert_application(&app, other["user_id"].as_str().unwrap(), 9, 0).await;
    let response = app.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(
        logged_in(&response)["apply"],
        json!({"apply_eid": 7, "apply_name": "banana", "apply_state": "-1"})
    );

    insert_application(&app, user_id, 1, applications::STATE_PENDING).await;
    let response = app.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(
        logged_in(&response)["apply"],
        json!({"apply_eid": 1, "apply_name": "apple", "apply_state": "0"})
    );
}

#[tokio::test]
async fn apply_state_is_sent_as_a_string_for_every_state() {
    let app = TestApp::spawn().await;
    let registered = app.registered(PHONE, PASSWORD, DEVICE).await;
    let user_id = registered["user_id"].as_str().unwrap();
    enterprise(&app, 3, "苹果").await;
    for (state, sent) in [(-1, "-1"), (0, "0"), (1, "1")] {
        insert_application(&app, user_id, 3, state).await;
        let response = app.login(PHONE, PASSWORD, DEVICE).await;
        let apply = &logged_in(&response)["apply"];
        assert_eq!(apply["apply_state"], json!(sent), "state {state}");
        assert_eq!(apply["apply_eid"], json!(3), "a number");
        assert_eq!(apply["apply_name"], json!("苹果"));
    }
}

#[tokio::test]
async fn enterprise_id_is_the_decimal_string_of_the_users_enterprise() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    enterprise(&app, 42, "apple").await;
    update_user(&app, PHONE, |user| user.enterprise_id = Set(Some(42))).await;
    let response = app.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(logged_in(&response)["enterprise_id"], json!("42"));
}

#[tokio::test]
async fn pemissions_are_the_users_permissions() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    update_user(&app, PHONE, |user| {
        user.permissions = Set(json!(["admin", "审批"]));
    })
    .await;
    let response = app.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(logged_in(&response)["pemissions"], json!(["admin", "审批"]));
}

#[tokio::test]
async fn a_corrupt_account_gets_the_http_500_envelope() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    update_user(&app, PHONE, |user| {
        user.permissions = Set(json!({"not": "an array"}));
    })
    .await;
    let response = app.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(response.status, 500);
    assert_eq!(
        response.body,
        json!({"code": 500, "msg": "服务器内部错误", "data": ""})
    );
}

#[tokio::test]
async fn a_password_of_the_wrong_length_is_a_bad_parameter_not_a_wrong_password() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let fifteen = "密".repeat(15);
    for password in ["12345", "123456789012345", fifteen.as_str()] {
        let bad = with_field(&fields(), "password", Some(password));
        assert_refused_in_every_encoding(&app, LOGIN, &bad, "password", password).await;
    }
}

#[tokio::test]
async fn a_missing_or_empty_field_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    for field in ["phone", "password", "device_identifier"] {
        let missing = with_field(&fields(), field, None);
        assert_refused_in_every_encoding(&app, LOGIN, &missing, field, &format!("no {field}"))
            .await;
        let empty = with_field(&fields(), field, Some(""));
        assert_refused_in_every_encoding(&app, LOGIN, &empty, field, &format!("empty {field}"))
            .await;
    }
    assert_refused_in_every_encoding(&app, LOGIN, &[], "phone", "nothing").await;
}

#[tokio::test]
async fn a_malformed_phone_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    assert_bad_phones_refused(&app, LOGIN, &fields()).await;
}

#[tokio::test]
async fn a_device_identifier_of_129_characters_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    let long = "d".repeat(129);
    let bad = with_field(&fields(), "device_identifier", Some(&long));
    assert_refused_in_every_encoding(&app, LOGIN, &bad, "device_identifier", "129 chars").await;
}

#[tokio::test]
async fn a_body_that_is_not_a_form_or_a_json_object_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    let form = query(&fields());
    for (content_type, body, what) in [
        ("application/json", "[]", "a JSON array"),
        ("application/json", "true", "JSON true"),
        ("application/json", "{", "invalid JSON"),
        ("application/json", form.as_str(), "a form sent as JSON"),
        ("text/plain", form.as_str(), "text/plain"),
    ] {
        let response = app.post_raw(LOGIN, content_type, body).await;
        assert_bad_parameter(&response, "body", what);
    }
}

#[tokio::test]
async fn unknown_parameters_are_ignored_and_the_first_of_repeated_ones_counts() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let url = format!(
        "{LOGIN}?{}&password=wrong-one&token=abc&name=x",
        query(&fields())
    );
    logged_in(&app.get(&url).await);
    let form = format!("{}&password=wrong-one&expect=1", query(&fields()));
    logged_in(
        &app.post_raw(LOGIN, "application/x-www-form-urlencoded", &form)
            .await,
    );
    let mut json = json_object(&fields());
    json["code"] = json!("123456");
    logged_in(&app.post_json(LOGIN, &json).await);
}

#[tokio::test]
async fn the_body_wins_over_the_query_string() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let url = format!(
        "{LOGIN}?{}",
        query(&with_field(&fields(), "password", Some("wrong-one")))
    );
    logged_in(&app.post_form(&url, &fields()).await);
    let url = format!("{LOGIN}?{}", query(&fields()));
    let wrong = with_field(&fields(), "password", Some("wrong-one"));
    assert_eq!(
        app.post_json(&url, &json_object(&wrong)).await.body,
        wrong_credentials()
    );
}

#[tokio::test]
async fn put_gets_405_with_an_allow_header_listing_get_and_post() {
    let app = TestApp::spawn().await;
    for method in [reqwest::Method::PUT, reqwest::Method::DELETE] {
        let response = app.send(app.request(method.clone(), LOGIN)).await;
        assert_eq!(response.status, 405, "{method}");
        assert_eq!(
            response.body,
            json!({"code": 405, "msg": "请求方法不允许", "data": ""})
        );
        let allow = response.header("allow").expect("an Allow header");
        let mut allowed: Vec<&str> = allow.split(',').map(str::trim).collect();
        allowed.sort_unstable();
        assert_eq!(allowed, ["GET", "POST"]);
    }
}
