//! `POST|GET /api/v4.0/register` with `phone, name, password, device_identifier, code`.

use std::sync::Arc;

use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{
    DEVICE, NAME, OTHER_PHONE, PASSWORD, PHONE, TestApp, assert_bad_phones_refused,
    assert_refused_in_every_encoding, is_hex32, json_object, query, sha256_hex, with_field,
};

const REGISTER: &str = "/api/v4.0/register";

/// A valid registration of [`PHONE`].
fn fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("phone", PHONE),
        ("name", NAME),
        ("password", PASSWORD),
        ("device_identifier", DEVICE),
        ("code", "xxx"),
    ]
}

/// Panics unless `response` is a successful registration named `name`.
#[track_caller]
fn assert_registered(response: &crate::helpers::TestResponse, name: &str) {
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.code(), &json!(200), "{}", response.text);
    assert_eq!(response.msg(), "注册成功");
    let data = response.data();
    assert_eq!(data["change_device"], json!(false));
    assert_eq!(data["enterprise_id"], json!(-1), "a number here");
    assert_eq!(data["name"], json!(name));
    assert_eq!(data["pemissions"], json!([]));
    assert_eq!(data["apply"], json!({}));
    assert!(is_hex32(data["token"].as_str().unwrap()), "{data}");
    assert!(is_hex32(data["user_id"].as_str().unwrap()), "{data}");
}

#[tokio::test]
async fn a_registration_returns_the_account_and_a_session() {
    let app = TestApp::spawn().await;
    let response = app.post_form(REGISTER, &fields()).await;
    assert_registered(&response, NAME);
    let keys: Vec<&str> = response
        .data()
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "apply",
            "change_device",
            "enterprise_id",
            "name",
            "pemissions",
            "token",
            "user_id"
        ]
    );
}

#[tokio::test]
async fn register_answers_get_form_json_and_a_bodiless_post() {
    let phones = ["13100000001", "13100000002", "13100000003", "13100000004"];
    let app = TestApp::spawn().await;
    let with_phone = |phone: &'static str| with_field(&fields(), "phone", Some(phone));
    let responses = [
        app.get(&format!("{REGISTER}?{}", query(&with_phone(phones[0]))))
            .await,
        app.post_form(REGISTER, &with_phone(phones[1])).await,
        app.post_json(REGISTER, &json_object(&with_phone(phones[2])))
            .await,
        app.post_query_only(&format!("{REGISTER}?{}", query(&with_phone(phones[3]))))
            .await,
    ];
    for (response, phone) in responses.iter().zip(phones) {
        assert_registered(response, NAME);
        assert!(app.user(phone).await.is_some(), "{phone} has no account");
    }
}

#[tokio::test]
async fn a_bodiless_post_reads_the_query_string_whatever_its_content_type() {
    let app = TestApp::spawn().await;
    let url = format!("{REGISTER}?{}", query(&fields()));
    for (content_type, phone) in [
        ("application/x-www-form-urlencoded", PHONE),
        ("application/json", OTHER_PHONE),
    ] {
        let url = url.replace(PHONE, phone);
        let response = app.post_raw(&url, content_type, "").await;
        assert_registered(&response, NAME);
    }
}

#[tokio::test]
async fn json_and_form_bodies_with_a_charset_are_accepted() {
    let app = TestApp::spawn().await;
    let form = format!(
        "{}&phone={OTHER_PHONE}",
        query(&with_field(&fields(), "phone", None))
    );
    let response = app
        .post_raw(
            REGISTER,
            "application/x-www-form-urlencoded; charset=UTF-8",
            &form,
        )
        .await;
    assert_registered(&response, NAME);
    let response = app
        .post_raw(
            REGISTER,
            "application/json; charset=utf-8",
            &json_object(&fields()).to_string(),
        )
        .await;
    assert_registered(&response, NAME);
}

#[tokio::test]
async fn the_body_wins_over_the_query_string() {
    let app = TestApp::spawn().await;
    let url = format!(
        "{REGISTER}?{}",
        query(&with_field(&fields(), "phone", Some(OTHER_PHONE)))
    );
    let response = app.post_form(&url, &fields()).await;
    assert_registered(&response, NAME);
    assert!(app.user(PHONE).await.is_some());
    assert!(app.user(OTHER_PHONE).await.is_none());
}

#[tokio::test]
async fn a_body_is_not_completed_from_the_query_string() {
    let app = TestApp::spawn().await;
    let url = format!("{REGISTER}?password={PASSWORD}");
    let body = with_field(&fields(), "password", None);
    let response = app.post_form(&url, &body).await;
    crate::helpers::assert_bad_parameter(&response, "password", "password only in the query");
    assert!(app.user(PHONE).await.is_none());
}

#[tokio::test]
async fn a_second_registration_of_one_phone_is_refused() {
    let app = TestApp::spawn().await;
    let first = app.registered(PHONE, PASSWORD, DEVICE).await;
    let response = app.register(PHONE, "another1", "another-device").await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.body,
        json!({"code": -1, "msg": "手机号已经被注册", "data": ""})
    );
    let user = app.user(PHONE).await.unwrap();
    assert_eq!(user.id, first["user_id"].as_str().unwrap());
    assert_eq!(user.device_identifier, DEVICE, "the binding did not move");
}

#[tokio::test]
async fn the_name_is_trimmed() {
    let app = TestApp::spawn().await;
    let response = app
        .post_form(
            REGISTER,
            &with_field(&fields(), "name", Some(" \t 于连林  \n")),
        )
        .await;
    assert_registered(&response, NAME);
    assert_eq!(app.user(PHONE).await.unwrap().name, NAME);
}

#[tokio::test]
async fn a_name_of_thirty_two_characters_is_accepted() {
    let app = TestApp::spawn().await;
    let name = "名".repeat(32);
    let response = app
        .post_form(REGISTER, &with_field(&fields(), "name", Some(&name)))
        .await;
    assert_registered(&response, &name);
}

#[tokio::test]
async fn the_code_is_not_checked_while_verification_is_off() {
    let app = TestApp::spawn().await;
    let phones = ["13100000001", "13100000002", "13100000003"];
    for (phone, code) in phones.into_iter().zip([Some("xxx"), Some(""), None]) {
        let mut fields = with_field(&fields(), "phone", Some(phone));
        fields = with_field(&fields, "code", code);
        let response = app.post_form(REGISTER, &fields).await;
        assert_registered(&response, NAME);
    }
}

#[tokio::test]
async fn only_an_argon2id_hash_of_the_password_is_stored() {
    let app = TestApp::spawn_hashing_at_full_cost(|_| {}).await;
    let password = "s3cret-pass";
    let data = app.registered(PHONE, password, DEVICE).await;
    let user = app.user(PHONE).await.unwrap();
    assert_eq!(user.id, data["user_id"].as_str().unwrap());
    assert!(
        user.password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        user.password_hash
    );
    assert!(!user.password_hash.contains(password));
    assert_eq!(user.device_identifier, DEVICE);
    assert_eq!(user.enterprise_id, None);
    assert_eq!(user.permissions, json!([]));
}

#[tokio::test]
async fn the_session_stores_the_sha256_of_the_token_not_the_token() {
    let app = TestApp::spawn().await;
    let data = app.registered(PHONE, PASSWORD, "device-a").await;
    let token = data["token"].as_str().unwrap();
    let sessions = app.sessions_of(data["user_id"].as_str().unwrap()).await;
    assert_eq!(sessions.len(), 1);
    let session = &sessions[0];
    assert_eq!(session.token_hash, sha256_hex(token));
    assert_ne!(session.token_hash, token);
    assert_eq!(session.device_identifier, "device-a");
    assert_eq!(session.revoked_at, None);
    assert!(session.expires_at > session.created_at);
}

#[tokio::test]
async fn every_registration_gets_its_own_ids() {
    let app = TestApp::spawn().await;
    let first = app.registered(PHONE, PASSWORD, DEVICE).await;
    let second = app.registered(OTHER_PHONE, PASSWORD, DEVICE).await;
    assert_ne!(first["user_id"], second["user_id"]);
    assert_ne!(first["token"], second["token"]);
}

#[tokio::test]
async fn the_phone_is_registered_afterwards() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let response = app.get(&format!("/api/v4.0/isregister/{PHONE}")).await;
    assert_eq!(response.code(), &json!(-1));
    assert_eq!(response.msg(), "手机号已经被注册");
}

#[tokio::test]
async fn unknown_parameters_are_ignored() {
    let app = TestApp::spawn().await;
    let mut extended = fields();
    extended.extend([("token", "abc"), ("expect", "7"), ("lang", "zh-CN")]);
    assert_registered(&app.post_form(REGISTER, &extended).await, NAME);
    let mut json = json_object(&with_field(&fields(), "phone", Some(OTHER_PHONE)));
    json["extra"] = json!({"nested": [1, 2]});
    assert_registered(&app.post_json(REGISTER, &json).await, NAME);
}

#[tokio::test]
async fn the_first_of_repeated_parameters_counts() {
    let app = TestApp::spawn().await;
    let url = format!(
        "{REGISTER}?{}&name=second&phone=23126939916",
        query(&fields())
    );
    assert_registered(&app.get(&url).await, NAME);
    assert_eq!(app.user(PHONE).await.unwrap().name, NAME);

    let form = format!(
        "{}&name=second&phone=abc",
        query(&with_field(&fields(), "phone", Some(OTHER_PHONE)))
    );
    let response = app
        .post_raw(REGISTER, "application/x-www-form-urlencoded", &form)
        .await;
    assert_registered(&response, NAME);
    assert_eq!(app.user(OTHER_PHONE).await.unwrap().name, NAME);
}

#[tokio::test]
async fn a_missing_or_empty_field_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    for field in ["phone", "name", "password", "device_identifier"] {
        let missing = with_field(&fields(), field, None);
        assert_refused_in_every_encoding(&app, REGISTER, &missing, field, &format!("no {field}"))
            .await;
        let empty = with_field(&fields(), field, Some(""));
        assert_refused_in_every_encoding(&app, REGISTER, &empty, field, &format!("empty {field}"))
            .await;
    }
    assert!(app.user(PHONE).await.is_none());
}

#[tokio::test]
async fn no_parameters_at_all_is_a_bad_phone() {
    let app = TestApp::spawn().await;
    assert_refused_in_every_encoding(&app, REGISTER, &[], "phone", "nothing").await;
}

#[tokio::test]
async fn a_malformed_phone_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    assert_bad_phones_refused(&app, REGISTER, &fields()).await;
}

#[tokio::test]
async fn a_password_of_five_or_fifteen_characters_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    let fifteen_chinese = "密".repeat(15);
    for password in [
        "12345",
        "123456789012345",
        "密码密码密",
        fifteen_chinese.as_str(),
    ] {
        let bad = with_field(&fields(), "password", Some(password));
        assert_refused_in_every_encoding(&app, REGISTER, &bad, "password", password).await;
    }
}

#[tokio::test]
async fn a_password_of_fourteen_chinese_characters_is_accepted() {
    let app = TestApp::spawn().await;
    let password = "密".repeat(14);
    let response = app
        .post_form(
            REGISTER,
            &with_field(&fields(), "password", Some(&password)),
        )
        .await;
    assert_registered(&response, NAME);
    let login = app.login(PHONE, &password, DEVICE).await;
    assert_eq!(login.code(), &json!(200), "{}", login.text);
}

#[tokio::test]
async fn a_blank_or_over_long_name_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    let thirty_three = "名".repeat(33);
    for name in ["   ", "\t", thirty_three.as_str()] {
        let bad = with_field(&fields(), "name", Some(name));
        assert_refused_in_every_encoding(&app, REGISTER, &bad, "name", &format!("{name:?}")).await;
    }
}

#[tokio::test]
async fn a_device_identifier_of_129_characters_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    let long = "d".repeat(129);
    let bad = with_field(&fields(), "device_identifier", Some(&long));
    assert_refused_in_every_encoding(&app, REGISTER, &bad, "device_identifier", "129 chars").await;
    let ok = "d".repeat(128);
    let response = app
        .post_form(
            REGISTER,
            &with_field(&fields(), "device_identifier", Some(&ok)),
        )
        .await;
    assert_registered(&response, NAME);
    assert_eq!(app.user(PHONE).await.unwrap().device_identifier, ok);
}

/// U+0000 cannot be stored in PostgreSQL text at all; every control
/// character is refused before it gets that far, on both backends.
#[tokio::test]
async fn control_characters_in_stored_text_are_bad_parameters() {
    let app = TestApp::spawn().await;
    for (field, value) in [
        ("name", "于\0连林"),
        ("name", "于\n连林"),
        ("device_identifier", "uuid\0"),
        ("device_identifier", "uu\u{1b}[0mid"),
    ] {
        let bad = with_field(&fields(), field, Some(value));
        assert_refused_in_every_encoding(&app, REGISTER, &bad, field, &format!("{value:?}")).await;
    }
    let login = app.login(PHONE, PASSWORD, "uuid\0").await;
    crate::helpers::assert_bad_parameter(&login, "device_identifier", "login with U+0000");
    assert!(app.user(PHONE).await.is_none(), "nothing was stored");
}

#[tokio::test]
async fn json_fields_of_the_wrong_type_are_bad_parameters() {
    let app = TestApp::spawn().await;
    for (field, value) in [
        ("phone", json!(true)),
        ("phone", json!([PHONE])),
        ("name", json!({"first": "于"})),
        ("password", json!(null)),
        ("device_identifier", json!(false)),
    ] {
        let mut body = json_object(&fields());
        body[field] = value.clone();
        let response = app.post_json(REGISTER, &body).await;
        crate::helpers::assert_bad_parameter(&response, field, &format!("{field}: {value}"));
    }
}

#[tokio::test]
async fn a_body_that_is_not_a_form_or_a_json_object_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    let form = query(&fields());
    let cases = [
        ("application/json", "[]".to_owned(), "a JSON array"),
        ("application/json", "\"phone\"".to_owned(), "a JSON string"),
        ("application/json", "42".to_owned(), "a JSON number"),
        ("application/json", "null".to_owned(), "JSON null"),
        (
            "application/json",
            "{\"phone\": \"1".to_owned(),
            "invalid JSON",
        ),
        ("application/json", form.clone(), "a form sent as JSON"),
        ("text/plain", form.clone(), "text/plain"),
        ("application/xml", "<phone/>".to_owned(), "XML"),
    ];
    for (content_type, body, what) in cases {
        let response = app.post_raw(REGISTER, content_type, &body).await;
        crate::helpers::assert_bad_parameter(&response, "body", what);
    }
    let without_content_type = app
        .send(app.request(Method::POST, REGISTER).body(form))
        .await;
    crate::helpers::assert_bad_parameter(&without_content_type, "body", "no content type");
    assert!(app.user(PHONE).await.is_none());
}

async fn register_concurrently(attempts: usize) {
    let app = Arc::new(TestApp::spawn().await);
    let tasks: Vec<_> = (0..attempts)
        .map(|attempt| {
            let app = Arc::clone(&app);
            tokio::spawn(async move {
                let device = format!("device-{attempt}");
                app.register(PHONE, PASSWORD, &device).await
            })
        })
        .collect();
    let mut codes: Vec<Value> = Vec::new();
    for task in tasks {
        let response = task.await.expect("the request task finished");
        assert_eq!(response.status, 200, "{}", response.text);
        if response.code() != &json!(200) {
            assert_eq!(
                response.body,
                json!({"code": -1, "msg": "手机号已经被注册", "data": ""})
            );
        }
        codes.push(response.code().clone());
    }
    let winners = codes.iter().filter(|code| **code == json!(200)).count();
    assert_eq!(winners, 1, "codes: {codes:?}");
    let users = entity::users::Entity::find()
        .all(app.db())
        .await
        .expect("users can be read");
    assert_eq!(users.len(), 1);
    assert_eq!(app.sessions_of(&users[0].id).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_registrations_of_one_phone_let_exactly_one_through() {
    register_concurrently(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_concurrent_registrations_of_one_phone_let_exactly_one_through() {
    register_concurrently(8).await;
}
