//! Sessions: `/me` and `/logout` with every way of presenting a token,
//! expiry, revocation, purging, and re-hashing outdated password hashes;
//! the list of logged-in devices and revoking them in `devices`, when each
//! session was last used in `last_used`, the cap of live sessions per
//! account in `cap`.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use entity::sessions;
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{DEVICE, PASSWORD, PHONE, TestApp, TestResponse, sha256_hex};

mod cap;
mod devices;
mod last_used;

async fn me_with_bearer(app: &TestApp, token: &str) -> TestResponse {
    app.send_with_token(Method::GET, "/api/v4.0/me", token)
        .await
}

async fn logout(app: &TestApp, token: &str) -> TestResponse {
    app.send_with_token(Method::POST, "/api/v4.0/logout", token)
        .await
}

/// Where sessions are revoked.
const REVOKE: &str = "/api/v4.0/sessions/revoke";

/// `GET sessions` with `token` as a bearer token.
async fn list(app: &TestApp, token: &str) -> TestResponse {
    app.send_with_token(Method::GET, "/api/v4.0/sessions", token)
        .await
}

/// `POST sessions/revoke` with `fields` as a form.
async fn revoke(app: &TestApp, token: &str, fields: &[(&str, &str)]) -> TestResponse {
    app.send(
        app.request(Method::POST, REVOKE)
            .bearer_auth(token)
            .form(fields),
    )
    .await
}

/// Logs `phone` in on `device` and returns the new token.
async fn logged_in(app: &TestApp, phone: &str, device: &str) -> String {
    let login = app.login(phone, PASSWORD, device).await;
    assert_eq!(login.code(), 200, "{}", login.text);
    login.data()["token"].as_str().unwrap().to_owned()
}

/// Registers `phone` on [`DEVICE`] and returns its token and user id.
async fn registered(app: &TestApp, phone: &str) -> (String, String) {
    let data = app.registered(phone, PASSWORD, DEVICE).await;
    let token = data["token"].as_str().unwrap().to_owned();
    (token, data["user_id"].as_str().unwrap().to_owned())
}

/// The session row of `token`.
async fn row_of(app: &TestApp, token: &str) -> sessions::Model {
    sessions::Entity::find()
        .filter(sessions::Column::TokenHash.eq(sha256_hex(token)))
        .one(app.db())
        .await
        .unwrap()
        .expect("the token's session row")
}

/// `time` as the API sends it.
fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[track_caller]
fn assert_session_invalid(response: &TestResponse) {
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.code(), 401, "{}", response.text);
    assert_eq!(response.msg(), "登录已失效，请重新登录");
    assert_eq!(response.data(), "");
}

#[tokio::test]
async fn me_answers_the_login_shape_for_every_way_of_presenting_the_token() {
    let app = TestApp::spawn().await;
    let account = app.registered(PHONE, PASSWORD, DEVICE).await;
    let token = account["token"].as_str().unwrap();
    let ways = [
        app.request(Method::GET, "/api/v4.0/me").bearer_auth(token),
        app.request(Method::GET, "/api/v4.0/me")
            .header("token", token),
        app.request(Method::GET, &format!("/api/v4.0/me?token={token}")),
    ];
    for request in ways {
        let me = app.send(request).await;
        assert_eq!(me.code(), 200, "{}", me.text);
        assert_eq!(me.data()["token"], token);
        assert_eq!(me.data()["user_id"], account["user_id"]);
        assert_eq!(me.data()["enterprise_id"], "-1");
        assert_eq!(me.data()["change_device"], false);
        assert_eq!(me.data()["apply"], json!({}));
        assert_eq!(me.data()["pemissions"], json!([]));
    }
}

#[tokio::test]
async fn a_missing_or_unknown_token_is_refused_with_401() {
    let app = TestApp::spawn().await;
    assert_session_invalid(&app.get("/api/v4.0/me").await);
    assert_session_invalid(&me_with_bearer(&app, "0123456789abcdef0123456789abcdef").await);
    assert_session_invalid(&me_with_bearer(&app, "not a token").await);
    assert_session_invalid(&app.post_query_only("/api/v4.0/logout").await);
}

#[tokio::test]
async fn a_logged_out_token_stops_working_everywhere() {
    let app = TestApp::spawn().await;
    let first = app.registered_token(PHONE, PASSWORD, DEVICE).await;
    let second = app.logged_in_token(PHONE, PASSWORD, DEVICE).await;
    let out = logout(&app, &first).await;
    assert_eq!(out.code(), 200, "{}", out.text);
    assert_eq!(out.msg(), "退出成功");
    assert_session_invalid(&me_with_bearer(&app, &first).await);
    assert_session_invalid(&logout(&app, &first).await);
    assert_eq!(
        me_with_bearer(&app, &second).await.code(),
        200,
        "logout revoked another session"
    );
}

#[tokio::test]
async fn sessions_expire_after_thirty_days_and_are_purged() {
    let app = TestApp::spawn().await;
    let token = app.registered_token(PHONE, PASSWORD, DEVICE).await;
    app.clock.advance(Duration::days(30) - Duration::seconds(1));
    assert_eq!(me_with_bearer(&app, &token).await.code(), 200);
    app.clock.advance(Duration::seconds(1));
    assert_session_invalid(&me_with_bearer(&app, &token).await);

    let purged = account_api::flows::housekeeping::purge_sessions(&app.state)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    assert!(
        entity::sessions::Entity::find()
            .all(app.db())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_outdated_password_hash_is_replaced_at_the_next_login() {
    let app = TestApp::spawn_hashing_at_full_cost(|_| {}).await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let user = app.user(PHONE).await.unwrap();
    let weak = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(4096, 1, 1, None).unwrap(),
    )
    .hash_password(PASSWORD.as_bytes())
    .unwrap()
    .to_string();
    let mut row: entity::users::ActiveModel = user.into();
    row.password_hash = Set(weak.clone());
    row.update(app.db()).await.unwrap();

    assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), 200);
    let rehashed = app.user(PHONE).await.unwrap().password_hash;
    assert_ne!(rehashed, weak);
    assert!(
        rehashed.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{rehashed}"
    );
    assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), 200);
}

#[tokio::test]
async fn answers_that_carry_a_token_or_an_account_are_never_cached() {
    let app = TestApp::spawn().await;
    let registered = app.register(PHONE, PASSWORD, DEVICE).await;
    let login = app.login(PHONE, PASSWORD, DEVICE).await;
    let token = login.data()["token"].as_str().unwrap().to_owned();
    let me = app
        .send_with_token(reqwest::Method::GET, "/api/v4.0/me", &token)
        .await;
    let refused = app.login(PHONE, "wrong-password", DEVICE).await;
    let sent = app.get("/api/v4.0/sendsms/13800138000").await;
    for (what, answer) in [
        ("register", &registered),
        ("login", &login),
        ("/me", &me),
        ("a refused login", &refused),
        ("sendsms", &sent),
    ] {
        assert_eq!(answer.header("cache-control"), Some("no-store"), "{what}");
    }
}
