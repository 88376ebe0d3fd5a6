//! Verification on: codes are checked, bound to their purpose, short-lived,
//! single-use and limited in tries; the password reset needs its window.

use account_api::settings::{TestNumber, Verification};
use chrono::{Duration, NaiveDate};
use serde_json::json;

use crate::helpers::{DEVICE, NAME, OTHER_PHONE, PASSWORD, PHONE, TestApp, assert_bad_parameter};

async fn verifying_app() -> TestApp {
    TestApp::spawn_with(|settings| settings.sms.verification = Some(Verification::On)).await
}

/// Sends a code to `phone` for `expect` and returns it as the sender saw it.
async fn code_sent(app: &TestApp, phone: &str, expect: u8) -> String {
    let sent = app
        .get(&format!("/api/v4.0/sendsms/{phone}?expect={expect}"))
        .await;
    assert_eq!(sent.code(), &json!("200"), "{}", sent.text);
    app.sms
        .last_code_for(phone)
        .expect("a code reached the sender")
}

async fn register_with_code(
    app: &TestApp,
    phone: &str,
    code: Option<&str>,
) -> crate::helpers::TestResponse {
    let mut fields = vec![
        ("phone", phone),
        ("name", NAME),
        ("password", PASSWORD),
        ("device_identifier", DEVICE),
    ];
    if let Some(code) = code {
        fields.push(("code", code));
    }
    app.post_form("/api/v4.0/register", &fields).await
}

/// Registers `phone` through a real sign-up code.
async fn registered_with_code(app: &TestApp, phone: &str) -> serde_json::Value {
    let code = code_sent(app, phone, 0).await;
    let response = register_with_code(app, phone, Some(&code)).await;
    assert_eq!(response.code(), 200, "{}", response.text);
    response.data().clone()
}

fn a_different_code(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

#[tokio::test]
async fn registration_needs_the_live_sign_up_code() {
    let app = verifying_app().await;
    let code = code_sent(&app, PHONE, 0).await;

    let wrong = register_with_code(&app, PHONE, Some(&a_different_code(&code))).await;
    assert_eq!(wrong.code(), -2);
    assert_eq!(wrong.msg(), "验证码错误");
    assert_eq!(wrong.data(), "");
    assert!(
        app.user(PHONE).await.is_none(),
        "a wrong code created the account"
    );

    let missing = register_with_code(&app, PHONE, None).await;
    assert_bad_parameter(&missing, "code", "no code with verification on");
    let malformed = register_with_code(&app, PHONE, Some("xxx")).await;
    assert_bad_parameter(&malformed, "code", "the original example's code=xxx");

    let right = register_with_code(&app, PHONE, Some(&code)).await;
    assert_eq!(right.code(), 200, "{}", right.text);
    assert!(app.user(PHONE).await.is_some());
}

#[tokio::test]
async fn a_code_works_once_and_only_for_its_phone() {
    let app = verifying_app().await;
    let code = code_sent(&app, PHONE, 0).await;
    let for_other_phone = register_with_code(&app, OTHER_PHONE, Some(&code)).await;
    assert_eq!(for_other_phone.code(), -2);
    assert_eq!(
        register_with_code(&app, PHONE, Some(&code)).await.code(),
        200
    );
    // The account exists now; the code is used up as well.
    assert_eq!(
        register_with_code(&app, PHONE, Some(&code)).await.code(),
        -1
    );
}

#[tokio::test]
async fn a_sign_up_code_cannot_open_a_password_reset() {
    let app = verifying_app().await;
    registered_with_code(&app, OTHER_PHONE).await;
    let sign_up_code = code_sent(&app, PHONE, 0).await;
    let verify = app
        .get(&format!(
            "/api/v4.0/verify_code?phone={PHONE}&code={sign_up_code}"
        ))
        .await;
    assert_eq!(verify.code(), -1);
    assert_eq!(verify.msg(), "验证码错误");
}

#[tokio::test]
async fn codes_expire_after_five_minutes() {
    let app = verifying_app().await;
    let code = code_sent(&app, PHONE, 0).await;
    app.clock
        .advance(Duration::minutes(5) + Duration::seconds(1));
    assert_eq!(
        register_with_code(&app, PHONE, Some(&code)).await.code(),
        -2
    );
}

#[tokio::test]
async fn a_resend_supersedes_the_earlier_code() {
    let app = verifying_app().await;
    let first = code_sent(&app, PHONE, 0).await;
    app.clock.advance(Duration::seconds(61));
    let second = code_sent(&app, PHONE, 0).await;
    if first != second {
        assert_eq!(
            register_with_code(&app, PHONE, Some(&first)).await.code(),
            -2
        );
    }
    assert_eq!(
        register_with_code(&app, PHONE, Some(&second)).await.code(),
        200
    );
}

#[tokio::test]
async fn five_wrong_tries_kill_the_code_and_a_resend_does_not_reset_them() {
    let app = verifying_app().await;
    let code = code_sent(&app, PHONE, 0).await;
    let wrong = a_different_code(&code);
    for _ in 0..4 {
        assert_eq!(
            register_with_code(&app, PHONE, Some(&wrong)).await.code(),
            -2
        );
    }
    app.clock.advance(Duration::seconds(61));
    let resent = code_sent(&app, PHONE, 0).await;
    assert_eq!(
        register_with_code(&app, PHONE, Some(&a_different_code(&resent)))
            .await
            .code(),
        -2
    );
    assert_eq!(
        register_with_code(&app, PHONE, Some(&resent)).await.code(),
        -2,
        "a resend gave a fresh set of tries"
    );
    assert!(app.user(PHONE).await.is_none());
    // Dead: no new code is sent (see `dead_codes`).
    app.clock.advance(Duration::seconds(61));
    let refused = app
        .get(&format!("/api/v4.0/sendsms/{PHONE}?expect=0"))
        .await;
    assert_eq!(refused.code(), &json!("429"), "{}", refused.text);
}

#[tokio::test]
async fn the_password_reset_needs_a_verified_code_and_uses_it_up() {
    let app = verifying_app().await;
    let account = registered_with_code(&app, PHONE).await;
    let old_token = account["token"].as_str().unwrap().to_owned();

    let unverified = app
        .get(&format!(
            "/api/v4.0/forget_password?phone={PHONE}&password=654321"
        ))
        .await;
    assert_eq!(unverified.code(), -1);
    assert_eq!(unverified.msg(), "请先验证手机验证码");
    assert_eq!(
        app.login(PHONE, PASSWORD, DEVICE).await.code(),
        200,
        "the password changed"
    );

    let reset_code = code_sent(&app, PHONE, 1).await;
    let wrong = app
        .get(&format!(
            "/api/v4.0/verify_code?phone={PHONE}&code={}",
            a_different_code(&reset_code)
        ))
        .await;
    assert_eq!(wrong.code(), -1);
    assert_eq!(wrong.msg(), "验证码错误");
    let no_code = app
        .get(&format!("/api/v4.0/verify_code?phone={PHONE}"))
        .await;
    assert_bad_parameter(&no_code, "code", "verify_code without a code");

    let right = app
        .get(&format!(
            "/api/v4.0/verify_code?phone={PHONE}&code={reset_code}"
        ))
        .await;
    assert_eq!(right.code(), 200);
    assert_eq!(right.msg(), "验证码正确");
    let again = app
        .get(&format!(
            "/api/v4.0/verify_code?phone={PHONE}&code={reset_code}"
        ))
        .await;
    assert_eq!(again.code(), -1, "a code verified twice");

    let reset = app
        .post_form(
            "/api/v4.0/forget_password",
            &[("phone", PHONE), ("password", "654321")],
        )
        .await;
    assert_eq!(reset.code(), 200, "{}", reset.text);
    let second = app
        .post_form(
            "/api/v4.0/forget_password",
            &[("phone", PHONE), ("password", "999999")],
        )
        .await;
    assert_eq!(second.code(), -1, "the reset window was used twice");
    assert_eq!(second.msg(), "请先验证手机验证码");

    assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), -1);
    assert_eq!(app.login(PHONE, "654321", DEVICE).await.code(), 200);
    let me = app
        .send_with_token(reqwest::Method::GET, "/api/v4.0/me", &old_token)
        .await;
    assert_eq!(me.code(), 401, "a session survived the reset");
}

#[tokio::test]
async fn the_reset_window_closes_after_ten_minutes() {
    let app = verifying_app().await;
    registered_with_code(&app, PHONE).await;
    let reset_code = code_sent(&app, PHONE, 1).await;
    let verified = app
        .get(&format!(
            "/api/v4.0/verify_code?phone={PHONE}&code={reset_code}"
        ))
        .await;
    assert_eq!(verified.code(), 200);
    app.clock
        .advance(Duration::minutes(10) + Duration::seconds(1));
    let late = app
        .get(&format!(
            "/api/v4.0/forget_password?phone={PHONE}&password=654321"
        ))
        .await;
    assert_eq!(late.code(), -1);
    assert_eq!(late.msg(), "请先验证手机验证码");
}

#[tokio::test]
async fn test_numbers_take_their_fixed_code_never_reach_the_sender_and_skip_limits() {
    let app = TestApp::spawn_with(|settings| {
        settings.sms.verification = Some(Verification::On);
        settings.sms.test_numbers = vec![TestNumber {
            phone: "13800000000".into(),
            code: "123456".into(),
        }];
    })
    .await;
    for _ in 0..3 {
        let sent = app.get("/api/v4.0/sendsms/13800000000").await;
        assert_eq!(sent.code(), &json!("200"), "{}", sent.text);
    }
    assert_eq!(app.sms.count(), 0, "a test number reached the sender");
    assert_eq!(
        register_with_code(&app, "13800000000", Some("123456"))
            .await
            .code(),
        200
    );
}

#[tokio::test]
async fn expired_test_numbers_are_ordinary_numbers() {
    let app = TestApp::spawn_with(|settings| {
        settings.sms.verification = Some(Verification::On);
        settings.sms.test_numbers = vec![TestNumber {
            phone: "13800000000".into(),
            code: "123456".into(),
        }];
        settings.sms.test_numbers_until = Some(NaiveDate::from_ymd_opt(2020, 1, 1).unwrap());
    })
    .await;
    let sent = app.get("/api/v4.0/sendsms/13800000000").await;
    assert_eq!(sent.code(), &json!("200"));
    assert_eq!(app.sms.count(), 1);
    let code = app.sms.last_code_for("13800000000").unwrap();
    if code != "123456" {
        assert_eq!(
            register_with_code(&app, "13800000000", Some("123456"))
                .await
                .code(),
            -2
        );
    }
}
