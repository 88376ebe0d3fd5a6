//! `GET|POST /api/v4.0/forget_password` with `phone, password`.

use serde_json::{Value, json};

use crate::helpers::{
    DEVICE, OTHER_PHONE, PASSWORD, PHONE, TestApp, assert_bad_parameter, assert_bad_phones_refused,
    assert_refused_in_every_encoding, json_object, query, with_field,
};

const FORGET_PASSWORD: &str = "/api/v4.0/forget_password";
const NEW_PASSWORD: &str = "new-pass-1";

fn fields() -> Vec<(&'static str, &'static str)> {
    vec![("phone", PHONE), ("password", NEW_PASSWORD)]
}

fn changed() -> Value {
    json!({"code": 200, "msg": "修改成功", "data": ""})
}

#[tokio::test]
async fn an_unknown_phone_is_refused() {
    let app = TestApp::spawn().await;
    app.registered(OTHER_PHONE, PASSWORD, DEVICE).await;
    let response = app.post_form(FORGET_PASSWORD, &fields()).await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.body,
        json!({"code": -1, "msg": "手机号未注册", "data": ""})
    );
    assert!(app.user(PHONE).await.is_none(), "no account is created");
}

#[tokio::test]
async fn the_new_password_replaces_the_old_one() {
    let app = TestApp::spawn_hashing_at_full_cost(|_| {}).await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let old_hash = app.user(PHONE).await.unwrap().password_hash;

    let response = app.post_form(FORGET_PASSWORD, &fields()).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, changed());

    let old = app.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(old.code(), &json!(-1), "the old password still works");
    let new = app.login(PHONE, NEW_PASSWORD, DEVICE).await;
    assert_eq!(new.code(), &json!(200), "{}", new.text);

    let new_hash = app.user(PHONE).await.unwrap().password_hash;
    assert_ne!(new_hash, old_hash);
    assert!(new_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert!(!new_hash.contains(NEW_PASSWORD));
}

#[tokio::test]
async fn other_accounts_are_untouched() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    app.registered(OTHER_PHONE, PASSWORD, DEVICE).await;
    assert_eq!(
        app.post_form(FORGET_PASSWORD, &fields()).await.body,
        changed()
    );
    let other = app.login(OTHER_PHONE, PASSWORD, DEVICE).await;
    assert_eq!(other.code(), &json!(200));
}

#[tokio::test]
async fn every_session_of_the_user_is_revoked() {
    let app = TestApp::spawn().await;
    let registered = app.registered(PHONE, PASSWORD, DEVICE).await;
    let other = app.registered(OTHER_PHONE, PASSWORD, DEVICE).await;
    app.login(PHONE, PASSWORD, "phone-a").await;
    app.login(PHONE, PASSWORD, "phone-b").await;
    let user_id = registered["user_id"].as_str().unwrap();
    assert_eq!(app.sessions_of(user_id).await.len(), 3);

    assert_eq!(
        app.post_form(FORGET_PASSWORD, &fields()).await.body,
        changed()
    );

    let sessions = app.sessions_of(user_id).await;
    assert_eq!(sessions.len(), 3);
    for session in &sessions {
        assert!(
            session.revoked_at.is_some(),
            "session {} is live",
            session.id
        );
    }
    let others = app.sessions_of(other["user_id"].as_str().unwrap()).await;
    assert!(others.iter().all(|session| session.revoked_at.is_none()));

    app.login(PHONE, NEW_PASSWORD, DEVICE).await;
    let sessions = app.sessions_of(user_id).await;
    assert_eq!(sessions.len(), 4);
    assert_eq!(sessions[3].revoked_at, None, "a new login is live");
}

#[tokio::test]
async fn forget_password_answers_get_form_json_and_a_bodiless_post() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let passwords = ["pass-get", "pass-form", "pass-json", "pass-query"];
    for (way, password) in passwords.iter().enumerate() {
        let fields = with_field(&fields(), "password", Some(password));
        let response = match way {
            0 => {
                app.get(&format!("{FORGET_PASSWORD}?{}", query(&fields)))
                    .await
            }
            1 => app.post_form(FORGET_PASSWORD, &fields).await,
            2 => app.post_json(FORGET_PASSWORD, &json_object(&fields)).await,
            _ => {
                app.post_query_only(&format!("{FORGET_PASSWORD}?{}", query(&fields)))
                    .await
            }
        };
        assert_eq!(response.body, changed(), "{password}");
        let login = app.login(PHONE, password, DEVICE).await;
        assert_eq!(login.code(), &json!(200), "{password} was not set");
    }
}

#[tokio::test]
async fn the_body_wins_over_the_query_string() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let url = format!("{FORGET_PASSWORD}?phone={PHONE}&password=from-query");
    let response = app.post_form(&url, &fields()).await;
    assert_eq!(response.body, changed());
    assert_eq!(
        app.login(PHONE, NEW_PASSWORD, DEVICE).await.code(),
        &json!(200)
    );
    assert_eq!(
        app.login(PHONE, "from-query", DEVICE).await.code(),
        &json!(-1)
    );
}

#[tokio::test]
async fn the_first_of_repeated_parameters_counts() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let url = format!("{FORGET_PASSWORD}?{}&password=second-one", query(&fields()));
    assert_eq!(app.get(&url).await.body, changed());
    assert_eq!(
        app.login(PHONE, NEW_PASSWORD, DEVICE).await.code(),
        &json!(200)
    );
}

#[tokio::test]
async fn a_missing_or_empty_field_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    for field in ["phone", "password"] {
        let missing = with_field(&fields(), field, None);
        assert_refused_in_every_encoding(&app, FORGET_PASSWORD, &missing, field, "missing").await;
        let empty = with_field(&fields(), field, Some(""));
        assert_refused_in_every_encoding(&app, FORGET_PASSWORD, &empty, field, "empty").await;
    }
    assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), &json!(200));
}

#[tokio::test]
async fn a_malformed_phone_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    assert_bad_phones_refused(&app, FORGET_PASSWORD, &fields()).await;
}

#[tokio::test]
async fn a_password_of_five_or_fifteen_characters_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    for password in ["12345", "123456789012345"] {
        let bad = with_field(&fields(), "password", Some(password));
        assert_refused_in_every_encoding(&app, FORGET_PASSWORD, &bad, "password", password).await;
    }
    assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), &json!(200));
}

#[tokio::test]
async fn a_password_of_fourteen_chinese_characters_is_accepted() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let password = "密".repeat(14);
    let response = app
        .post_json(
            FORGET_PASSWORD,
            &json!({"phone": PHONE, "password": password}),
        )
        .await;
    assert_eq!(response.body, changed());
    assert_eq!(
        app.login(PHONE, &password, DEVICE).await.code(),
        &json!(200)
    );
}

#[tokio::test]
async fn a_body_that_is_not_a_form_or_a_json_object_is_a_bad_parameter() {
    let app = TestApp::spawn().await;
    let form = query(&fields());
    for (content_type, body, what) in [
        ("application/json", "[\"13126939916\"]", "a JSON array"),
        ("application/json", "{\"phone\":", "invalid JSON"),
        ("text/plain", form.as_str(), "text/plain"),
    ] {
        let response = app.post_raw(FORGET_PASSWORD, content_type, body).await;
        assert_bad_parameter(&response, "body", what);
    }
}

#[tokio::test]
async fn put_gets_405_listing_get_and_post() {
    let app = TestApp::spawn().await;
    let response = app
        .send(app.request(reqwest::Method::PUT, FORGET_PASSWORD))
        .await;
    assert_eq!(response.status, 405);
    assert_eq!(response.code(), &json!(405));
    let allow = response.header("allow").expect("an Allow header");
    let mut allowed: Vec<&str> = allow.split(',').map(str::trim).collect();
    allowed.sort_unstable();
    assert_eq!(allowed, ["GET", "POST"]);
}
