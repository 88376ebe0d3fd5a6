//! The "logged-in devices" screen: `GET /sessions` lists the live sessions
//! of the account, `POST /sessions/revoke` logs one or all the others out,
//! never another account's session, and audits each revocation.

use account_api::clock::Clock;
use chrono::Duration;
use entity::{audit_events, sessions};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::{
    REVOKE, assert_session_invalid, list, logged_in, logout, me_with_bearer, registered, revoke,
    rfc3339, row_of,
};
use crate::helpers::{
    DEVICE, OTHER_PHONE, PHONE, TestApp, TestResponse, assert_bad_parameter, json_object,
};

#[track_caller]
fn assert_revoked(response: &TestResponse, count: u64) {
    assert_eq!(response.code(), 200, "{}", response.text);
    assert_eq!(response.msg(), "下线成功");
    assert_eq!(response.data(), &json!({ "revoked": count }));
}

#[track_caller]
fn assert_no_such_session(response: &TestResponse) {
    assert_eq!(response.code(), -1, "{}", response.text);
    assert!(
        response.msg().starts_with("会话不存在或已失效"),
        "{}",
        response.msg()
    );
    assert_eq!(response.data(), "");
}

async fn revocations(app: &TestApp) -> Vec<audit_events::Model> {
    audit_events::Entity::find()
        .filter(audit_events::Column::Kind.eq("session_revoke"))
        .all(app.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_live_sessions_are_listed_newest_first_with_the_current_one_marked() {
    let app = TestApp::spawn().await;
    let (first, user_id) = registered(&app, PHONE).await;
    app.clock.advance(Duration::minutes(1));
    let second = logged_in(&app, PHONE, "tablet").await;
    // Neither a logged-out nor an expired session, nor another account's, is listed.
    let gone = logged_in(&app, PHONE, "old-phone").await;
    assert_eq!(logout(&app, &gone).await.code(), 200);
    let mut expired: sessions::ActiveModel = row_of(&app, &logged_in(&app, PHONE, "x").await)
        .await
        .into();
    expired.expires_at = Set(app.clock.now() - Duration::seconds(1));
    expired.update(app.db()).await.unwrap();
    registered(&app, OTHER_PHONE).await;

    let listed = list(&app, &first).await;
    let rows = app.sessions_of(&user_id).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.code(), 200, "{}", listed.text);
    assert_eq!(listed.msg(), "获取成功");
    let expected = json!({ "sessions": [
        {
            "id": rows[1].id,
            "device_identifier": "tablet",
            "created_at": rfc3339(rows[1].created_at),
            "last_used_at": rfc3339(rows[1].last_used_at),
            "current": false,
        },
        {
            "id": rows[0].id,
            "device_identifier": DEVICE,
            "created_at": rfc3339(rows[0].created_at),
            "last_used_at": rfc3339(rows[0].last_used_at),
            "current": true,
        },
    ]});
    assert_eq!(listed.data(), &expected);
    assert!(rows[1].created_at > rows[0].created_at);
    assert_eq!(listed.header("cache-control"), Some("no-store"));

    // The other session sees the same list, itself current; by every way of
    // presenting a token.
    let ways = [
        app.request(Method::GET, "/api/v4.0/sessions")
            .bearer_auth(&second),
        app.request(Method::GET, "/api/v4.0/sessions")
            .header("token", &second),
        app.request(Method::GET, &format!("/api/v4.0/sessions?token={second}")),
    ];
    for request in ways {
        let listed = app.send(request).await;
        let current: Vec<&Value> = listed.data()["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|session| &session["current"])
            .collect();
        assert_eq!(current, [true, false], "{}", listed.text);
    }
}

#[tokio::test]
async fn both_operations_refuse_a_missing_unknown_expired_or_revoked_token_with_401() {
    let app = TestApp::spawn().await;
    assert_session_invalid(&app.get("/api/v4.0/sessions").await);
    assert_session_invalid(&list(&app, "0123456789abcdef0123456789abcdef").await);
    assert_session_invalid(&app.post_form(REVOKE, &[("others", "true")]).await);
    assert_session_invalid(&revoke(&app, "not a token", &[("id", "1")]).await);

    let (token, _) = registered(&app, PHONE).await;
    let other = logged_in(&app, PHONE, "tablet").await;
    assert_eq!(logout(&app, &token).await.code(), 200);
    assert_session_invalid(&list(&app, &token).await);
    assert_session_invalid(&revoke(&app, &token, &[("others", "true")]).await);
    assert_eq!(list(&app, &other).await.code(), 200);

    app.clock.advance(Duration::days(30));
    assert_session_invalid(&list(&app, &other).await);
    assert_session_invalid(&revoke(&app, &other, &[("others", "true")]).await);
}

#[tokio::test]
async fn revoking_a_session_by_id_logs_that_device_out_alone() {
    let app = TestApp::spawn().await;
    let (phone_token, _) = registered(&app, PHONE).await;
    let tablet_token = logged_in(&app, PHONE, "tablet").await;
    let tablet = row_of(&app, &tablet_token).await;

    let revoked = revoke(&app, &phone_token, &[("id", &tablet.id.to_string())]).await;
    assert_revoked(&revoked, 1);
    assert_session_invalid(&me_with_bearer(&app, &tablet_token).await);
    assert_eq!(me_with_bearer(&app, &phone_token).await.code(), 200);
    let listed = list(&app, &phone_token).await;
    assert_eq!(listed.data()["sessions"].as_array().unwrap().len(), 1);
    let audited = revocations(&app).await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].outcome, "success");
    assert_eq!(audited[0].phone.as_deref(), Some(PHONE));
    assert_eq!(audited[0].device.as_deref(), Some("tablet"));
    assert_eq!(audited[0].client_ip.as_deref(), Some("127.0.0.1"));

    // Already revoked: nothing left to revoke.
    assert_no_such_session(&revoke(&app, &phone_token, &[("id", &tablet.id.to_string())]).await);
    // The current session by id, as JSON: a logout.
    let own = row_of(&app, &phone_token).await;
    let by_json = app
        .send(
            app.request(Method::POST, REVOKE)
                .bearer_auth(&phone_token)
                .json(&json!({ "id": own.id })),
        )
        .await;
    assert_revoked(&by_json, 1);
    assert_session_invalid(&me_with_bearer(&app, &phone_token).await);
    assert_eq!(revocations(&app).await.len(), 2);
}

#[tokio::test]
async fn revoking_the_others_keeps_the_current_session_and_other_accounts() {
    let app = TestApp::spawn().await;
    let (first, _) = registered(&app, PHONE).await;
    let current = logged_in(&app, PHONE, "tablet").await;
    let third = logged_in(&app, PHONE, "laptop").await;
    let (stranger, _) = registered(&app, OTHER_PHONE).await;

    // The fields in the query string of an empty POST, with the token there too.
    let revoked = app
        .post_query_only(&format!("{REVOKE}?others=true&token={current}"))
        .await;
    assert_revoked(&revoked, 2);
    for token in [&first, &third] {
        assert_session_invalid(&me_with_bearer(&app, token).await);
    }
    assert_eq!(me_with_bearer(&app, &current).await.code(), 200);
    assert_eq!(me_with_bearer(&app, &stranger).await.code(), 200);
    let mut devices: Vec<String> = revocations(&app)
        .await
        .into_iter()
        .map(|event| event.device.unwrap())
        .collect();
    devices.sort();
    assert_eq!(devices, ["laptop", DEVICE]);

    assert_revoked(&revoke(&app, &current, &[("others", "true")]).await, 0);
    assert_eq!(revocations(&app).await.len(), 2);
}

#[tokio::test]
async fn an_id_that_is_no_live_session_of_this_account_revokes_nothing() {
    let app = TestApp::spawn().await;
    let (mine, _) = registered(&app, PHONE).await;
    let (theirs, _) = registered(&app, OTHER_PHONE).await;
    let their_id = row_of(&app, &theirs).await.id;

    let refused = revoke(&app, &mine, &[("id", &their_id.to_string())]).await;
    assert_no_such_session(&refused);
    assert_no_such_session(&revoke(&app, &mine, &[("id", "999999")]).await);
    assert_eq!(me_with_bearer(&app, &theirs).await.code(), 200);
    assert_eq!(me_with_bearer(&app, &mine).await.code(), 200);
    assert!(row_of(&app, &theirs).await.revoked_at.is_none());
    assert!(revocations(&app).await.is_empty());
}

/// The fields of one request.
type Fields<'a> = &'a [(&'a str, &'a str)];

#[tokio::test]
async fn bad_revoke_parameters_are_refused_by_name_and_revoke_nothing() {
    let app = TestApp::spawn().await;
    let (token, _) = registered(&app, PHONE).await;
    let other = logged_in(&app, PHONE, "tablet").await;
    let id = row_of(&app, &other).await.id.to_string();
    let cases: [(Fields, &str, &str); 7] = [
        (&[], "id", "neither id nor others"),
        (&[("others", "false")], "id", "others=false alone"),
        (&[("id", id.as_str()), ("others", "true")], "id", "both"),
        (&[("id", "abc")], "id", "a word"),
        (&[("id", "0")], "id", "zero"),
        (&[("id", "-3")], "id", "negative"),
        (&[("others", "yes")], "others", "not a boolean"),
    ];
    for (fields, field, case) in cases {
        let by_form = revoke(&app, &token, fields).await;
        assert_bad_parameter(&by_form, field, &format!("{case} (form)"));
        let body = json_object(fields);
        let by_json = app
            .send(
                app.request(Method::POST, REVOKE)
                    .bearer_auth(&token)
                    .json(&body),
            )
            .await;
        assert_bad_parameter(&by_json, field, &format!("{case} (JSON)"));
    }
    let wrong_types = [
        (json!({ "id": 1.5 }), "id"),
        (json!({ "id": true }), "id"),
        (json!({ "others": 1 }), "others"),
    ];
    for (body, field) in wrong_types {
        let answer = app
            .send(
                app.request(Method::POST, REVOKE)
                    .bearer_auth(&token)
                    .json(&body),
            )
            .await;
        assert_bad_parameter(&answer, field, &body.to_string());
    }
    // `others` as a JSON boolean is read as one.
    let both = app
        .send(
            app.request(Method::POST, REVOKE)
                .bearer_auth(&token)
                .json(&json!({ "id": 1, "others": true })),
        )
        .await;
    assert_bad_parameter(&both, "id", "both, as JSON");
    assert_eq!(me_with_bearer(&app, &other).await.code(), 200);
    assert!(revocations(&app).await.is_empty());
}
