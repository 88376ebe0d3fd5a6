//! Logins, attacked: many wrong passwords at once for one phone, password
//! spraying from one address, and floods that would queue hashing forever.

use std::sync::Arc;

use chrono::Duration;
use entity::audit_events;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{
    DEVICE, PASSWORD, PHONE, TestApp, TestResponse, every_hashing_place, refused_and_limited,
};

#[track_caller]
fn assert_limited(response: &TestResponse, retry_after: Option<&str>) {
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.code(), 429, "{}", response.text);
    assert_eq!(response.msg(), "操作太频繁，请稍后再试");
    let header = response
        .header("retry-after")
        .expect("a Retry-After header");
    if let Some(expected) = retry_after {
        assert_eq!(header, expected);
    }
}

/// How many audited logins of `phone` ended with `outcome`.
async fn logins(app: &TestApp, phone: &str, outcome: &str) -> u64 {
    audit_events::Entity::find()
        .filter(audit_events::Column::Kind.eq("login"))
        .filter(audit_events::Column::Phone.eq(phone))
        .filter(audit_events::Column::Outcome.eq(outcome))
        .count(app.db())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_concurrent_wrong_passwords_verify_at_most_five() {
    let app = Arc::new(TestApp::spawn().await);
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let attempts: Vec<_> = (0..40)
        .map(|n| {
            let app = Arc::clone(&app);
            tokio::spawn(async move { app.login(PHONE, &format!("wrong{n:04}"), DEVICE).await })
        })
        .collect();
    let (checked, limited) = refused_and_limited(attempts).await;
    for response in &limited {
        assert_limited(response, None);
    }
    assert_eq!(
        (checked.len(), limited.len()),
        (5, 35),
        "passwords checked, refused"
    );
    assert_eq!(logins(&app, PHONE, "wrong_password").await, 5);
    assert_eq!(logins(&app, PHONE, "verifying").await, 0);
    // Locked: the right password is not even checked.
    assert_limited(&app.login(PHONE, PASSWORD, DEVICE).await, None);
    app.clock.advance(Duration::minutes(15));
    assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), 200);
}

#[tokio::test]
async fn a_hundred_wrong_passwords_from_one_address_an_hour_then_429_for_every_phone() {
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let sprayer = app.client_from("127.0.0.2").await;
    // One guess per phone: no phone's own lockout is reached.
    for n in 0..100 {
        let response = sprayer
            .login(&format!("1390000{n:04}"), PASSWORD, DEVICE)
            .await;
        assert_eq!(response.code(), -1, "guess {n}: {}", response.text);
    }
    assert_limited(&sprayer.login("13900009999", PASSWORD, DEVICE).await, None);
    // Even a right password from that address waits...
    assert_limited(&sprayer.login(PHONE, PASSWORD, DEVICE).await, None);
    // ...while other addresses log in as usual.
    assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), 200);
    app.clock.advance(Duration::hours(1));
    assert_eq!(sprayer.login(PHONE, PASSWORD, DEVICE).await.code(), 200);
}

#[tokio::test]
async fn right_passwords_do_not_count_against_the_address() {
    let app = TestApp::spawn_with(|settings| {
        settings.limits.login_failures_per_address_per_hour = 3;
    })
    .await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    for _ in 0..10 {
        assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), 200);
    }
    for _ in 0..3 {
        assert_eq!(app.login(PHONE, "wrong-password", DEVICE).await.code(), -1);
    }
    assert_limited(&app.login(PHONE, PASSWORD, DEVICE).await, None);
}

#[tokio::test]
async fn with_the_hashing_queue_full_every_hashing_operation_answers_429_at_once() {
    let app = TestApp::spawn_with(|settings| settings.hash_queue_depth = 2).await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    // Take every place: one per hashing thread, plus the queue's two.
    let tickets = every_hashing_place(&app);
    assert!(tickets.len() >= 3, "{} places", tickets.len());

    assert_limited(&app.login(PHONE, PASSWORD, DEVICE).await, Some("1"));
    assert_limited(
        &app.register("13900000001", PASSWORD, DEVICE).await,
        Some("1"),
    );
    let reset = app
        .post_form(
            "/api/v4.0/forget_password",
            &[("phone", PHONE), ("password", "654321")],
        )
        .await;
    assert_limited(&reset, Some("1"));
    // Refused before anything was recorded against the phone.
    assert_eq!(logins(&app, PHONE, "verifying").await, 0);
    assert_eq!(logins(&app, PHONE, "wrong_password").await, 0);
    assert!(app.user("13900000001").await.is_none());

    drop(tickets);
    assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), 200);
    assert_eq!(
        app.register("13900000001", PASSWORD, DEVICE).await.code(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_logins_for_random_phones_is_answered_not_queued() {
    let app = Arc::new(
        TestApp::spawn_hashing_at_full_cost(|settings| {
            settings.hash_queue_depth = 4;
            settings.limits.login_failures_per_address_per_hour = 10_000;
        })
        .await,
    );
    let flood: Vec<_> = (0..200)
        .map(|n| {
            let app = Arc::clone(&app);
            tokio::spawn(
                async move { app.login(&format!("1380000{n:04}"), PASSWORD, DEVICE).await },
            )
        })
        .collect();
    let (checked, busy) = refused_and_limited(flood).await;
    for response in &busy {
        assert_limited(response, Some("1"));
    }
    assert_eq!(checked.len() + busy.len(), 200);
    assert!(
        !busy.is_empty(),
        "no login was refused: the queue is not bounded"
    );
    assert!(!checked.is_empty(), "no login was checked");
}
