//! Abuse limits: sends per phone, per address and for the whole service,
//! and the login lockout — each answered 429 with `Retry-After`.

use chrono::Duration;
use serde_json::json;

use account_api::settings::LimitSettings;

use crate::helpers::{DEVICE, PASSWORD, PHONE, TestApp, TestResponse, limited_retry_after};

/// A server with the default limits (the shared helper lifts the send limits).
async fn limited_app() -> TestApp {
    TestApp::spawn_with(|settings| settings.limits = LimitSettings::default()).await
}

async fn send(app: &TestApp, phone: &str) -> TestResponse {
    app.get(&format!("/api/v4.0/sendsms/{phone}")).await
}

#[track_caller]
fn assert_limited(response: &TestResponse, code: serde_json::Value) -> u64 {
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.code(), &code, "{}", response.text);
    limited_retry_after(response)
}

/// The `n`-th phone of a pool of valid numbers.
fn phone(n: u32) -> String {
    format!("139{n:08}")
}

#[tokio::test]
async fn one_send_per_phone_per_minute() {
    let app = limited_app().await;
    assert_eq!(send(&app, PHONE).await.code(), &json!("200"));
    let retry = assert_limited(&send(&app, PHONE).await, json!("429"));
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(app.sms.count(), 1, "a refused send reached the sender");
    app.clock.advance(Duration::seconds(60));
    assert_eq!(send(&app, PHONE).await.code(), &json!("200"));
    assert_eq!(app.sms.count(), 2);
}

#[tokio::test]
async fn five_sends_per_phone_per_hour_and_ten_per_day() {
    let app = limited_app().await;
    for _ in 0..5 {
        assert_eq!(send(&app, PHONE).await.code(), &json!("200"));
        app.clock.advance(Duration::seconds(61));
    }
    let retry = assert_limited(&send(&app, PHONE).await, json!("429"));
    assert!(retry > 60 && retry <= 3600, "Retry-After {retry}");
    app.clock.advance(Duration::hours(1));
    for _ in 0..5 {
        assert_eq!(send(&app, PHONE).await.code(), &json!("200"));
        app.clock.advance(Duration::seconds(61));
    }
    app.clock.advance(Duration::hours(1));
    let retry = assert_limited(&send(&app, PHONE).await, json!("429"));
    assert!(retry > 3600, "the daily limit gave Retry-After {retry}");
    assert_eq!(app.sms.count(), 10);
}

#[tokio::test]
async fn twenty_sends_per_client_address_per_hour() {
    let app = limited_app().await;
    for n in 0..20 {
        assert_eq!(
            send(&app, &phone(n)).await.code(),
            &json!("200"),
            "send {n}"
        );
    }
    assert_limited(&send(&app, &phone(20)).await, json!("429"));
    assert_eq!(app.sms.count(), 20);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_address_has_its_own_limit() {
    let app = TestApp::spawn_with(|settings| {
        settings.limits = LimitSettings::default();
        settings.trust_forwarded_for = true;
        settings.limits.sends_per_address_per_hour = 2;
    })
    .await;
    let from = |address: &'static str, n: u32| {
        app.request(
            reqwest::Method::GET,
            &format!("/api/v4.0/sendsms/{}", phone(n)),
        )
        .header("x-forwarded-for", format!("203.0.113.9, {address}"))
    };
    assert_eq!(app.send(from("10.1.1.1", 0)).await.code(), &json!("200"));
    assert_eq!(app.send(from("10.1.1.1", 1)).await.code(), &json!("200"));
    assert_limited(&app.send(from("10.1.1.1", 2)).await, json!("429"));
    assert_eq!(app.send(from("10.2.2.2", 3)).await.code(), &json!("200"));
}

#[tokio::test]
async fn the_daily_budget_stops_every_send() {
    let app = TestApp::spawn_with(|settings| {
        settings.limits = LimitSettings::default();
        settings.limits.daily_sms_budget = 3;
    })
    .await;
    for n in 0..3 {
        assert_eq!(send(&app, &phone(n)).await.code(), &json!("200"));
    }
    assert_limited(&send(&app, &phone(3)).await, json!("429"));
    app.clock.advance(Duration::days(1));
    assert_eq!(send(&app, &phone(4)).await.code(), &json!("200"));
}

#[tokio::test]
async fn the_registration_check_comes_before_the_limits() {
    let app = limited_app().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(send(&app, PHONE).await.code(), &json!("-1"));
    assert_eq!(
        app.get(&format!("/api/v4.0/sendsms/{PHONE}?expect=1"))
            .await
            .code(),
        &json!("200")
    );
    // Limited now, but the -1 answer still wins for expect=0.
    assert_eq!(send(&app, PHONE).await.code(), &json!("-1"));
    assert_limited(
        &app.get(&format!("/api/v4.0/sendsms/{PHONE}?expect=1"))
            .await,
        json!("429"),
    );
}

#[tokio::test]
async fn five_wrong_passwords_lock_login_for_fifteen_minutes() {
    let app = limited_app().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    for _ in 0..5 {
        assert_eq!(app.login(PHONE, "wrong-password", DEVICE).await.code(), -1);
    }
    let retry = assert_limited(&app.login(PHONE, PASSWORD, DEVICE).await, json!(429));
    assert!((890..=900).contains(&retry), "Retry-After {retry}");
    app.clock.advance(Duration::minutes(14));
    assert_limited(&app.login(PHONE, PASSWORD, DEVICE).await, json!(429));
    app.clock.advance(Duration::minutes(1));
    assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), 200);
}

#[tokio::test]
async fn failures_spread_over_more_than_the_window_do_not_lock() {
    let app = limited_app().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    for _ in 0..5 {
        assert_eq!(app.login(PHONE, "wrong-password", DEVICE).await.code(), -1);
        app.clock.advance(Duration::minutes(4));
    }
    assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), 200);
}

#[tokio::test]
async fn unknown_phones_lock_like_registered_ones() {
    let app = limited_app().await;
    for _ in 0..5 {
        assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), -1);
    }
    assert_limited(&app.login(PHONE, PASSWORD, DEVICE).await, json!(429));
}

#[tokio::test]
async fn a_password_reset_lifts_the_lockout() {
    let app = limited_app().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    for _ in 0..5 {
        app.login(PHONE, "wrong-password", DEVICE).await;
    }
    assert_limited(&app.login(PHONE, PASSWORD, DEVICE).await, json!(429));
    let reset = app
        .post_form(
            "/api/v4.0/forget_password",
            &[("phone", PHONE), ("password", "654321")],
        )
        .await;
    assert_eq!(reset.code(), 200);
    assert_eq!(app.login(PHONE, "654321", DEVICE).await.code(), 200);
}

#[tokio::test]
async fn every_per_address_limit_counts_an_ipv6_client_by_its_64() {
    let app = TestApp::spawn_with(|settings| {
        settings.limits = LimitSettings::default();
        settings.trust_forwarded_for = true;
        settings.limits.sends_per_address_per_hour = 2;
        settings.limits.login_failures_per_address_per_hour = 2;
    })
    .await;
    let from = |address: &str, request: reqwest::RequestBuilder| {
        request.header("x-forwarded-for", address.to_owned())
    };
    let send = |address: &str, n: u32| {
        from(
            address,
            app.request(
                reqwest::Method::GET,
                &format!("/api/v4.0/sendsms/{}", phone(n)),
            ),
        )
    };
    // Two addresses of one /64 share its budget; the next /64 has its own.
    assert_eq!(
        app.send(send("2001:db8:1:2::1", 0)).await.code(),
        &json!("200")
    );
    assert_eq!(
        app.send(send("2001:db8:1:2:ffff:ffff:ffff:fffe", 1))
            .await
            .code(),
        &json!("200")
    );
    assert_limited(
        &app.send(send("2001:db8:1:2:abcd::9", 2)).await,
        json!("429"),
    );
    assert_eq!(
        app.send(send("2001:db8:1:3::1", 3)).await.code(),
        &json!("200")
    );

    let login = |address: &str, n: u32| {
        from(
            address,
            app.request(reqwest::Method::POST, "/api/v4.0/login")
                .form(&[
                    ("phone", phone(n).as_str()),
                    ("password", PASSWORD),
                    ("device_identifier", DEVICE),
                ]),
        )
    };
    assert_eq!(app.send(login("2001:db8:9:9::1", 10)).await.code(), -1);
    assert_eq!(app.send(login("2001:db8:9:9::2", 11)).await.code(), -1);
    assert_limited(&app.send(login("2001:db8:9:9::3", 12)).await, json!(429));
    assert_eq!(app.send(login("2001:db8:9:a::1", 13)).await.code(), -1);
    // An IPv4 address is counted as it is.
    assert_eq!(app.send(login("203.0.113.1", 14)).await.code(), -1);
    assert_eq!(app.send(login("203.0.113.2", 15)).await.code(), -1);
}

/// Sends `count` codes at once, to `phone_of(n)`, and counts the answers.
async fn concurrent_sends(
    app: &std::sync::Arc<TestApp>,
    count: u32,
    phone_of: fn(u32) -> String,
) -> (usize, usize) {
    let sends: Vec<_> = (0..count)
        .map(|n| {
            let app = std::sync::Arc::clone(app);
            tokio::spawn(async move { send(&app, &phone_of(n)).await })
        })
        .collect();
    let (mut sent, mut limited) = (0, 0);
    for answer in sends {
        let answer = answer.await.unwrap();
        match answer.code().as_str() {
            Some("200") => sent += 1,
            Some("429") => {
                assert_limited(&answer, json!("429"));
                limited += 1;
            }
            _ => panic!("unexpected answer: {}", answer.text),
        }
    }
    (sent, limited)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_concurrent_sends_to_one_phone_send_exactly_one() {
    let app = std::sync::Arc::new(limited_app().await);
    let (sent, limited) = concurrent_sends(&app, 40, |_| PHONE.to_owned()).await;
    assert_eq!((sent, limited), (1, 39));
    assert_eq!(app.sms.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_concurrent_sends_to_other_phones_take_exactly_the_daily_budget() {
    let app = std::sync::Arc::new(
        TestApp::spawn_with(|settings| settings.limits.daily_sms_budget = 7).await,
    );
    let (sent, limited) = concurrent_sends(&app, 40, phone).await;
    assert_eq!((sent, limited), (7, 33));
    assert_eq!(app.sms.count(), 7);
}

#[tokio::test]
async fn a_send_refused_by_its_phones_limit_leaves_the_budget_for_others() {
    let app = TestApp::spawn_with(|settings| {
        settings.limits = LimitSettings::default();
        settings.limits.daily_sms_budget = 2;
    })
    .await;
    assert_eq!(send(&app, PHONE).await.code(), &json!("200"));
    for _ in 0..5 {
        assert_limited(&send(&app, PHONE).await, json!("429"));
    }
    assert_eq!(send(&app, &phone(1)).await.code(), &json!("200"));
    let retry = assert_limited(&send(&app, &phone(2)).await, json!("429"));
    assert!(
        retry <= 86_400,
        "the budget frees at the next UTC midnight: {retry}"
    );
}
