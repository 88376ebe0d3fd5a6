//! The password-reset window, attacked: a verified window belongs to the
//! client that verified it, a code sent along must be the verified one, and
//! `forget_password` cannot be polled for the moment an owner verifies.

use std::sync::Arc;

use account_api::settings::Verification;
use chrono::Duration;

use crate::helpers::{
    ApiClient, DEVICE, PASSWORD, PHONE, TestApp, TestResponse, limited_retry_after,
    proxied_app_with_account, refused_and_limited, register_with_sign_up_code, reset_code_sent,
};

/// The address the attacker's connections come from.
const ATTACKER: &str = "127.0.0.2";

/// Verification on, with the default limits (the send limits lifted, as
/// in every test: these send many codes to few phones).
async fn verifying_app() -> TestApp {
    TestApp::spawn_with(|settings| settings.sms.verification = Some(Verification::On)).await
}

async fn verify(client: &ApiClient, phone: &str, code: &str) -> TestResponse {
    client
        .get(&format!("/api/v4.0/verify_code?phone={phone}&code={code}"))
        .await
}

async fn forget(client: &ApiClient, phone: &str, password: &str) -> TestResponse {
    client
        .post_form(
            "/api/v4.0/forget_password",
            &[("phone", phone), ("password", password)],
        )
        .await
}

async fn forget_with_code(
    client: &ApiClient,
    phone: &str,
    password: &str,
    code: &str,
) -> TestResponse {
    client
        .post_form(
            "/api/v4.0/forget_password",
            &[("phone", phone), ("password", password), ("code", code)],
        )
        .await
}

#[track_caller]
fn assert_refused(response: &TestResponse, msg: &str) {
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.code(), -1, "{}", response.text);
    assert_eq!(response.msg(), msg, "{}", response.text);
    assert_eq!(response.data(), "", "{}", response.text);
}

#[track_caller]
fn assert_limited(response: &TestResponse) -> u64 {
    assert_eq!(response.code(), 429, "{}", response.text);
    limited_retry_after(response)
}

#[tokio::test]
async fn a_window_verified_by_the_owner_cannot_be_used_from_another_address() {
    let app = verifying_app().await;
    register_with_sign_up_code(&app, PHONE, PASSWORD).await;
    let attacker = app.client_from(ATTACKER).await;
    let code = reset_code_sent(&app, PHONE).await;
    assert_eq!(verify(&app, PHONE, &code).await.code(), 200);

    // The attacker polls: legacy requests, and even with the right code.
    for _ in 0..3 {
        assert_refused(
            &forget(&attacker, PHONE, "attacker1").await,
            "请先验证手机验证码",
        );
    }
    assert_refused(
        &forget_with_code(&attacker, PHONE, "attacker1", &code).await,
        "请先验证手机验证码",
    );
    assert_eq!(
        app.login(PHONE, PASSWORD, DEVICE).await.code(),
        200,
        "the attacker changed the password"
    );

    // The owner's window is still open: the original's request still works.
    assert_eq!(forget(&app, PHONE, "654321").await.code(), 200);
    assert_eq!(app.login(PHONE, "654321", DEVICE).await.code(), 200);
    assert_eq!(attacker.login(PHONE, "attacker1", DEVICE).await.code(), -1);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_window_belongs_to_the_forwarded_address() {
    let app = proxied_app_with_account().await;
    let from = |address: &str, request: reqwest::RequestBuilder| {
        request.header("x-forwarded-for", format!("198.51.100.1, {address}"))
    };
    let code = reset_code_sent(&app, PHONE).await;
    let verified = app
        .send(from(
            "203.0.113.7",
            app.request(
                reqwest::Method::GET,
                &format!("/api/v4.0/verify_code?phone={PHONE}&code={code}"),
            ),
        ))
        .await;
    assert_eq!(verified.code(), 200);
    let reset = |address: &str| {
        from(
            address,
            app.request(reqwest::Method::POST, "/api/v4.0/forget_password")
                .form(&[("phone", PHONE), ("password", "654321")]),
        )
    };
    // The proxy's own address (the peer) and another client are refused.
    assert_refused(&forget(&app, PHONE, "654321").await, "请先验证手机验证码");
    assert_refused(&app.send(reset("203.0.113.8")).await, "请先验证手机验证码");
    assert_eq!(app.send(reset("203.0.113.7")).await.code(), 200);
}

#[tokio::test]
async fn a_code_sent_along_must_be_the_verified_one() {
    let app = verifying_app().await;
    register_with_sign_up_code(&app, PHONE, PASSWORD).await;
    let code = reset_code_sent(&app, PHONE).await;
    assert_eq!(verify(&app, PHONE, &code).await.code(), 200);
    let other = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);

    assert_refused(
        &forget_with_code(&app, PHONE, "654321", &other).await,
        "验证码错误",
    );
    let malformed = forget_with_code(&app, PHONE, "654321", "12ab").await;
    assert_eq!(malformed.code(), 400, "{}", malformed.text);
    assert!(
        malformed.msg().starts_with("参数错误: code "),
        "{}",
        malformed.msg()
    );
    assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), 200);

    // Nothing changed: the window is still open for the right code, in
    // every encoding the operation takes.
    let by_get = app
        .get(&format!(
            "/api/v4.0/forget_password?phone={PHONE}&password=654321&code={code}"
        ))
        .await;
    assert_eq!(by_get.code(), 200, "{}", by_get.text);
    assert_eq!(app.login(PHONE, "654321", DEVICE).await.code(), 200);
}

#[tokio::test]
async fn ten_attempts_an_hour_without_a_window_per_phone_then_429() {
    let app = verifying_app().await;
    register_with_sign_up_code(&app, PHONE, PASSWORD).await;
    let attacker = app.client_from(ATTACKER).await;
    for attempt in 0..10 {
        let response = forget(&attacker, PHONE, "attacker1").await;
        assert_eq!(response.code(), -1, "attempt {attempt}: {}", response.text);
    }
    let retry = assert_limited(&forget(&attacker, PHONE, "attacker1").await);
    assert!((3590..=3600).contains(&retry), "Retry-After {retry}");
    // Per phone: a third address is limited for this phone too.
    let third = app.client_from("127.0.0.3").await;
    assert_limited(&forget(&third, PHONE, "attacker1").await);

    // The owner verifies and resets all the same: the limit is on attempts
    // without a window.
    let code = reset_code_sent(&app, PHONE).await;
    assert_eq!(verify(&app, PHONE, &code).await.code(), 200);
    assert_eq!(forget(&app, PHONE, "654321").await.code(), 200);

    app.clock.advance(Duration::hours(1));
    assert_eq!(forget(&attacker, PHONE, "attacker1").await.code(), -1);
}

#[tokio::test]
async fn thirty_attempts_an_hour_without_a_window_per_address() {
    let app = TestApp::spawn_with(|settings| {
        settings.sms.verification = Some(Verification::On);
        settings.limits.reset_attempts_per_phone_per_hour = 1_000;
    })
    .await;
    let phones: Vec<String> = (0..4).map(|n| format!("1390000{n:04}")).collect();
    for phone in &phones {
        register_with_sign_up_code(&app, phone, PASSWORD).await;
    }
    let attacker = app.client_from(ATTACKER).await;
    for attempt in 0..30 {
        let phone = &phones[attempt % phones.len()];
        let response = forget(&attacker, phone, "attacker1").await;
        assert_eq!(response.code(), -1, "attempt {attempt}: {}", response.text);
    }
    assert_limited(&forget(&attacker, &phones[0], "attacker1").await);
    assert_limited(&forget(&attacker, &phones[3], "attacker1").await);
    // Another address is not limited by the attacker's attempts.
    assert_eq!(forget(&app, &phones[0], "654321").await.code(), -1);
}

#[tokio::test]
async fn forty_concurrent_polls_get_ten_refusals_and_thirty_429s_and_change_nothing() {
    let app = Arc::new(verifying_app().await);
    register_with_sign_up_code(&app, PHONE, PASSWORD).await;
    let attacker = app.client_from(ATTACKER).await;
    let polls: Vec<_> = (0..40)
        .map(|_| {
            let attacker = attacker.clone();
            tokio::spawn(async move { forget(&attacker, PHONE, "attacker1").await })
        })
        .collect();
    let (refused, limited) = refused_and_limited(polls).await;
    assert_eq!((refused.len(), limited.len()), (10, 30));
    assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), 200);
}

#[tokio::test]
async fn with_verification_off_the_original_reset_is_not_limited() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let other = app.client_from(ATTACKER).await;
    for n in 0..12 {
        let password = format!("pass{n:04}");
        assert_eq!(forget(&other, PHONE, &password).await.code(), 200);
    }
    assert_eq!(app.login(PHONE, "pass0011", DEVICE).await.code(), 200);
}
