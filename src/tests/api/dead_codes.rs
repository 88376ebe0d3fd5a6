//! Dead codes, attacked: after `--code-max-tries` wrong codes the code is
//! dead for `--dead-code-lockout-secs` from the last counted wrong try;
//! meanwhile `sendsms` for that phone and purpose answers `"429"` with
//! `Retry-After`, sends nothing and spends nothing; after it, a new send
//! gives a fresh code with no wrong tries.

use std::sync::Arc;

use account_api::settings::Verification;
use chrono::Duration;
use entity::audit_refusals;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{
    DEVICE, NAME, OTHER_PHONE, PASSWORD, PHONE, TestApp, TestResponse, register_with_sign_up_code,
    reset_code_sent,
};

/// The default time a dead code stays dead, in seconds.
const LOCKOUT: u64 = 900;

async fn verifying_app() -> TestApp {
    TestApp::spawn_with(|settings| settings.sms.verification = Some(Verification::On)).await
}

async fn send(app: &TestApp, phone: &str, expect: u8) -> TestResponse {
    app.get(&format!("/api/v4.0/sendsms/{phone}?expect={expect}"))
        .await
}

async fn register_with(app: &TestApp, phone: &str, code: &str) -> TestResponse {
    app.post_form(
        "/api/v4.0/register",
        &[
            ("phone", phone),
            ("name", NAME),
            ("password", PASSWORD),
            ("device_identifier", DEVICE),
            ("code", code),
        ],
    )
    .await
}

fn a_different_code(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

/// Sends `phone` a sign-up code and kills it with five wrong codes; returns it.
async fn killed_sign_up_code(app: &TestApp, phone: &str) -> String {
    assert_eq!(send(app, phone, 0).await.code(), &json!("200"));
    let code = app.sms.last_code_for(phone).unwrap();
    for _ in 0..5 {
        assert_eq!(
            register_with(app, phone, &a_different_code(&code))
                .await
                .code(),
            -2
        );
    }
    code
}

/// Panics unless `response` is sendsms's 429 with `Retry-After: seconds`.
#[track_caller]
fn assert_dead(response: &TestResponse, seconds: u64) {
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.code(), &json!("429"), "{}", response.text);
    assert_eq!(response.msg(), "操作太频繁，请稍后再试");
    assert_eq!(
        response.header("retry-after"),
        Some(seconds.to_string().as_str()),
        "{}",
        response.text
    );
}

#[tokio::test]
async fn a_dead_sign_up_code_refuses_sends_until_its_lockout_ends_then_a_fresh_code_works() {
    let app = verifying_app().await;
    let code = killed_sign_up_code(&app, PHONE).await;
    assert_eq!(register_with(&app, PHONE, &code).await.code(), -2, "dead");
    let sent = app.sms.count();

    // The attack of before: resend after resend, each one billed and useless.
    for _ in 0..3 {
        assert_dead(&send(&app, PHONE, 0).await, LOCKOUT);
    }
    // From a second client address too: the dead state is the phone's.
    let elsewhere = app.client_from("127.0.0.2").await;
    let refused = elsewhere
        .get(&format!("/api/v4.0/sendsms/{PHONE}?expect=0"))
        .await;
    assert_dead(&refused, LOCKOUT);
    app.clock.advance(Duration::seconds(LOCKOUT as i64 - 1));
    assert_dead(&send(&app, PHONE, 0).await, 1);
    assert_eq!(
        app.sms.count(),
        sent,
        "a send reached the sender while dead"
    );
    // Another phone was never affected.
    assert_eq!(send(&app, OTHER_PHONE, 0).await.code(), &json!("200"));

    app.clock.advance(Duration::seconds(1));
    assert_eq!(send(&app, PHONE, 0).await.code(), &json!("200"));
    let rows = app.sms_codes_of(PHONE).await;
    assert_eq!(
        rows[0].failed_tries, 0,
        "the fresh code inherited wrong tries"
    );
    let fresh = app.sms.last_code_for(PHONE).unwrap();
    // Four wrong tries and the right one: a fresh set of tries.
    for _ in 0..4 {
        assert_eq!(
            register_with(&app, PHONE, &a_different_code(&fresh))
                .await
                .code(),
            -2
        );
    }
    assert_eq!(register_with(&app, PHONE, &fresh).await.code(), 200);
}

#[tokio::test]
async fn a_dead_reset_code_refuses_reset_sends_and_the_registration_check_comes_first() {
    let app = verifying_app().await;
    register_with_sign_up_code(&app, PHONE, PASSWORD).await;
    let code = reset_code_sent(&app, PHONE).await;
    for _ in 0..5 {
        let wrong = app
            .get(&format!(
                "/api/v4.0/verify_code?phone={PHONE}&code={}",
                a_different_code(&code)
            ))
            .await;
        assert_eq!(wrong.code(), -1);
    }
    let sent = app.sms.count();
    assert_dead(&send(&app, PHONE, 1).await, LOCKOUT);
    // Parameters (400), then registration (-1), then the limits (429).
    let bad = app.get("/api/v4.0/sendsms/1312693991?expect=1").await;
    assert_eq!(bad.code(), &json!("400"));
    assert_eq!(send(&app, PHONE, 0).await.code(), &json!("-1"));
    assert_eq!(app.sms.count(), sent);

    app.clock.advance(Duration::seconds(LOCKOUT as i64));
    let fresh = reset_code_sent(&app, PHONE).await;
    let verified = app
        .get(&format!("/api/v4.0/verify_code?phone={PHONE}&code={fresh}"))
        .await;
    assert_eq!(verified.code(), 200, "{}", verified.text);
}

#[tokio::test]
async fn tries_against_a_dead_code_do_not_extend_its_lockout() {
    let app = verifying_app().await;
    let code = killed_sign_up_code(&app, PHONE).await;
    app.clock.advance(Duration::seconds(600));
    // An attacker keeps guessing to keep the phone blocked.
    for _ in 0..10 {
        register_with(&app, PHONE, &a_different_code(&code)).await;
    }
    assert_dead(&send(&app, PHONE, 0).await, LOCKOUT - 600);
    app.clock.advance(Duration::seconds(LOCKOUT as i64 - 600));
    assert_eq!(send(&app, PHONE, 0).await.code(), &json!("200"));
}

#[tokio::test]
async fn the_lockout_is_configurable() {
    let app = TestApp::spawn_with(|settings| {
        settings.sms.verification = Some(Verification::On);
        settings.limits.dead_code_lockout_secs = 60;
        settings.limits.code_max_tries = 2;
    })
    .await;
    assert_eq!(send(&app, PHONE, 0).await.code(), &json!("200"));
    let code = app.sms.last_code_for(PHONE).unwrap();
    for _ in 0..2 {
        register_with(&app, PHONE, &a_different_code(&code)).await;
    }
    assert_dead(&send(&app, PHONE, 0).await, 60);
    app.clock.advance(Duration::seconds(60));
    assert_eq!(send(&app, PHONE, 0).await.code(), &json!("200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_concurrent_sends_while_dead_are_all_refused_and_spend_nothing() {
    let app = Arc::new(
        TestApp::spawn_with(|settings| {
            settings.sms.verification = Some(Verification::On);
            // One send for the code killed below, one left for afterwards.
            settings.limits.daily_sms_budget = 2;
        })
        .await,
    );
    killed_sign_up_code(&app, PHONE).await;
    let sent = app.sms.count();
    let sends: Vec<_> = (0..40)
        .map(|_| {
            let app = Arc::clone(&app);
            tokio::spawn(async move { send(&app, PHONE, 0).await })
        })
        .collect();
    for answer in sends {
        assert_dead(&answer.await.unwrap(), LOCKOUT);
    }
    assert_eq!(app.sms.count(), sent, "a send reached the sender");
    // The budget's last send is still there for another phone.
    assert_eq!(send(&app, OTHER_PHONE, 0).await.code(), &json!("200"));
    // Counted, once per key per hour, exactly.
    let counted = audit_refusals::Entity::find()
        .filter(audit_refusals::Column::LimitName.eq("dead_code"))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(counted.len(), 1, "{counted:?}");
    assert_eq!(counted[0].count, 40);
    assert_eq!(counted[0].phone, PHONE);
    assert_eq!(counted[0].kind, "sms_send");
}
