//! The audit ledger, and that no secret is ever stored in clear.

use account_api::{
    settings::Verification,
    sms_sender::{SendFuture, SmsError, SmsMessage, SmsSender},
};
use entity::audit_events;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::json;
use std::sync::Arc;

use crate::helpers::{DEVICE, PHONE, TestApp};

async fn events(app: &TestApp) -> Vec<audit_events::Model> {
    audit_events::Entity::find()
        .order_by_asc(audit_events::Column::Id)
        .all(app.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn every_security_event_is_recorded_with_phone_address_and_device() {
    let app = TestApp::spawn().await;
    let password = "s3cret-pass";
    app.get(&format!("/api/v4.0/sendsms/{PHONE}")).await;
    let token = app.registered_token(PHONE, password, DEVICE).await;
    app.login(PHONE, "wrong-pass", "other-device").await;
    app.login(PHONE, password, DEVICE).await;
    app.send_with_token(reqwest::Method::POST, "/api/v4.0/logout", &token)
        .await;
    app.get(&format!(
        "/api/v4.0/forget_password?phone={PHONE}&password=n3w-pass"
    ))
    .await;

    let recorded: Vec<(String, String)> = events(&app)
        .await
        .into_iter()
        .map(|event| {
            assert_eq!(event.phone.as_deref(), Some(PHONE));
            assert_eq!(event.client_ip.as_deref(), Some("127.0.0.1"));
            (event.kind, event.outcome)
        })
        .collect();
    let expected = [
        ("sms_send", "sent"),
        ("register", "success"),
        ("login", "wrong_password"),
        ("login", "success"),
        ("logout", "success"),
        ("password_reset", "success"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(kind, outcome)| (kind.to_string(), outcome.to_string()))
        .collect();
    assert_eq!(recorded, expected);
    let devices: Vec<Option<String>> = events(&app).await.into_iter().map(|e| e.device).collect();
    assert_eq!(devices[1].as_deref(), Some(DEVICE));
    assert_eq!(devices[2].as_deref(), Some("other-device"));
}

#[tokio::test]
async fn no_password_code_or_token_reaches_the_database() {
    let app =
        TestApp::spawn_with(|settings| settings.sms.verification = Some(Verification::On)).await;
    let password = "Zq9-unique-pw";
    app.get(&format!("/api/v4.0/sendsms/{PHONE}")).await;
    let code = app.sms.last_code_for(PHONE).unwrap();
    let registered = app
        .post_form(
            "/api/v4.0/register",
            &[
                ("phone", PHONE),
                ("name", "n"),
                ("password", password),
                ("device_identifier", DEVICE),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(registered.code(), 200, "{}", registered.text);
    let token = registered.data()["token"].as_str().unwrap().to_owned();
    let login = app.login(PHONE, password, DEVICE).await;
    let second_token = login.data()["token"].as_str().unwrap().to_owned();

    // SQLite: the database file and its write-ahead log; PostgreSQL: every row.
    let stored = app.everything_stored().await;
    assert!(
        stored.contains(PHONE),
        "the scan does not see the data at all"
    );
    for secret in [
        password,
        code.as_str(),
        token.as_str(),
        second_token.as_str(),
    ] {
        assert!(!stored.contains(secret), "{secret:?} is stored in clear");
    }
}

/// A provider that is down.
struct FailingSender;

impl SmsSender for FailingSender {
    fn send<'a>(&'a self, _message: SmsMessage<'a>) -> SendFuture<'a> {
        Box::pin(async { Err(SmsError("provider answered 503".to_owned())) })
    }
}

#[tokio::test]
async fn a_failed_send_is_an_internal_error_and_leaves_no_usable_code() {
    let app = TestApp::spawn_with_sender(
        |settings| settings.sms.verification = Some(Verification::On),
        Arc::new(FailingSender),
    )
    .await;
    let failed = app.get(&format!("/api/v4.0/sendsms/{PHONE}")).await;
    assert_eq!(failed.status, 500);
    assert_eq!(failed.body, json!({"code": "500", "msg": "服务器内部错误"}));
    let stored = app.sms_codes_of(PHONE).await;
    assert_eq!(stored.len(), 1);
    assert!(
        stored[0].consumed_at.is_some(),
        "the unsent code is still usable"
    );
    let outcomes: Vec<String> = events(&app).await.into_iter().map(|e| e.outcome).collect();
    assert_eq!(outcomes, ["failed"]);
    // A failed send does not count against the per-minute limit.
    let again = app.get(&format!("/api/v4.0/sendsms/{PHONE}")).await;
    assert_eq!(again.status, 500, "{}", again.text);
}

#[tokio::test]
async fn wrong_verify_code_tries_are_recorded_like_wrong_passwords() {
    let app =
        TestApp::spawn_with(|settings| settings.sms.verification = Some(Verification::On)).await;
    crate::helpers::register_with_sign_up_code(&app, PHONE, "123456").await;
    let code = crate::helpers::reset_code_sent(&app, PHONE).await;
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let attacker = app.client_from("127.0.0.2").await;
    attacker
        .get(&format!("/api/v4.0/verify_code?phone={PHONE}&code={wrong}"))
        .await;
    app.get(&format!("/api/v4.0/verify_code?phone={PHONE}&code={code}"))
        .await;
    let verifications: Vec<(String, Option<String>)> = events(&app)
        .await
        .into_iter()
        .filter(|event| event.kind == "verify_code")
        .map(|event| {
            assert_eq!(event.phone.as_deref(), Some(PHONE));
            (event.outcome, event.client_ip)
        })
        .collect();
    assert_eq!(
        verifications,
        [
            ("wrong_code".to_owned(), Some("127.0.0.2".to_owned())),
            ("success".to_owned(), Some("127.0.0.1".to_owned())),
        ]
    );
}
