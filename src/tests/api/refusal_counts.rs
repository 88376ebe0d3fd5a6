//! Refusals by a limit, attacked: a flood of refused requests must not fill
//! the database. Each 429 is counted — in `/metrics` by limit, and in the
//! audit ledger's `audit_refusals`, one row per limit, kind, phone and
//! client network per UTC hour with a count — never written row by row;
//! the limits that count attempts still count them exactly.
//!
//! The bound: a phone locked after `login_max_failures` wrong passwords has
//! those failures and one lockout event in `audit_events`, whatever number
//! of logins follow, plus one `audit_refusals` row per address per hour.

use account_api::{
    clock::Clock,
    flows::housekeeping,
    settings::{DatabaseSettings, LimitSettings},
    test_support::TestDatabase,
};
use chrono::{Duration, Timelike};
use entity::{audit_events, audit_refusals};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::json;

use crate::{
    helpers::{ApiClient, DEVICE, PASSWORD, PHONE, TestApp, every_hashing_place},
    server_process::ServerProcess,
};

/// Moves the test's clock to five minutes past the next full hour: the rows
/// are per UTC hour, so what a test does within a few minutes must not
/// straddle an hour's end, whatever the time it runs at.
fn early_in_an_hour(app: &TestApp) {
    let now = app.clock.now();
    let into_the_hour = Duration::seconds(i64::from(now.minute() * 60 + now.second()));
    app.clock
        .advance(Duration::hours(1) - into_the_hour + Duration::minutes(5));
}

/// Wrong passwords that lock a phone (the default).
const MAX_FAILURES: usize = 5;

async fn events_of(db: &DatabaseConnection, phone: &str) -> Vec<(String, String)> {
    audit_events::Entity::find()
        .filter(audit_events::Column::Phone.eq(phone))
        .order_by_asc(audit_events::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|event| (event.kind, event.outcome))
        .collect()
}

async fn refusals(db: &DatabaseConnection) -> Vec<audit_refusals::Model> {
    audit_refusals::Entity::find()
        .order_by_asc(audit_refusals::Column::Id)
        .all(db)
        .await
        .unwrap()
}

/// Logs in to `phone` with a wrong password `count` times, one after the
/// other, and returns how many answers were -1 and 429.
async fn wrong_logins(client: &ApiClient, count: usize) -> (usize, usize) {
    let (mut checked, mut refused) = (0, 0);
    for n in 0..count {
        let answer = client.login(PHONE, &format!("wrong{n:04}"), DEVICE).await;
        match answer.code().as_i64() {
            Some(-1) => checked += 1,
            Some(429) => refused += 1,
            _ => panic!("unexpected answer: {}", answer.text),
        }
    }
    (checked, refused)
}

/// 40 wrong logins to `phone` at once; how many were refused (all must be).
async fn concurrent_wrong_logins(client: &ApiClient) -> usize {
    let attempts: Vec<_> = (0..40)
        .map(|n| {
            let client = client.clone();
            tokio::spawn(async move { client.login(PHONE, &format!("again{n:04}"), DEVICE).await })
        })
        .collect();
    let mut refused = 0;
    for attempt in attempts {
        let answer = attempt.await.unwrap();
        assert_eq!(answer.code(), 429, "{}", answer.text);
        refused += 1;
    }
    refused
}

fn expected_events() -> Vec<(String, String)> {
    let mut expected = vec![("register".to_owned(), "success".to_owned())];
    expected.extend(std::iter::repeat_n(
        ("login".to_owned(), "wrong_password".to_owned()),
        MAX_FAILURES,
    ));
    expected.push(("lockout".to_owned(), "success".to_owned()));
    expected
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_and_fifty_logins_on_a_locked_phone_add_a_bounded_number_of_rows() {
    let app = TestApp::spawn().await;
    early_in_an_hour(&app);
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let (checked, refused) = wrong_logins(&app, 150).await;
    assert_eq!((checked, refused), (MAX_FAILURES, 150 - MAX_FAILURES));
    // Before: one row per login, 151 with the lockout. Now: the failures
    // and the lockout, and one counted row of refusals.
    assert_eq!(events_of(app.db(), PHONE).await, expected_events());
    let counted = refusals(app.db()).await;
    assert_eq!(counted.len(), 1, "{counted:?}");
    let row = &counted[0];
    assert_eq!(
        (
            row.kind.as_str(),
            row.limit_name.as_str(),
            row.phone.as_str(),
            row.client_network.as_str(),
            row.count
        ),
        ("login", "login_lockout", PHONE, "127.0.0.1", 145)
    );

    // 40 at once: each counted exactly once, in the same row.
    assert_eq!(concurrent_wrong_logins(&app).await, 40);
    assert_eq!(events_of(app.db(), PHONE).await, expected_events());
    let counted = refusals(app.db()).await;
    assert_eq!(counted.len(), 1, "{counted:?}");
    assert_eq!(counted[0].count, 185);

    // A second client address is refused as well, and counted in a row of its own.
    let elsewhere = app.client_from("127.0.0.2").await;
    assert_eq!(wrong_logins(&elsewhere, 3).await, (0, 3));
    let counted = refusals(app.db()).await;
    assert_eq!(counted.len(), 2, "{counted:?}");
    assert_eq!(
        (counted[1].client_network.as_str(), counted[1].count),
        ("127.0.0.2", 3)
    );

    // The next hour has a row of its own: 5 more failures once the lockout
    // ran out, then refusals again.
    app.clock.advance(Duration::hours(1));
    assert_eq!(wrong_logins(&app, 10).await, (MAX_FAILURES, 5));
    let counted = refusals(app.db()).await;
    assert_eq!(counted.len(), 3, "{counted:?}");
    assert_eq!(counted[2].count, 5);
    assert!(counted[2].window_start > counted[0].window_start);

    // Kept for the audit retention (90 days), like the events.
    app.clock.advance(Duration::days(90));
    housekeeping::purge_audit_events(&app.state).await.unwrap();
    assert!(refusals(app.db()).await.is_empty());
}

#[tokio::test]
async fn send_refusals_are_counted_and_the_send_limits_still_count_exactly() {
    let app = TestApp::spawn_with(|settings| settings.limits = LimitSettings::default()).await;
    early_in_an_hour(&app);
    for _ in 0..10 {
        app.get(&format!("/api/v4.0/sendsms/{PHONE}")).await;
    }
    assert_eq!(app.sms.count(), 1);
    assert_eq!(
        events_of(app.db(), PHONE).await,
        [("sms_send".to_owned(), "sent".to_owned())]
    );
    let counted = refusals(app.db()).await;
    assert_eq!(counted.len(), 1, "{counted:?}");
    assert_eq!(
        (counted[0].limit_name.as_str(), counted[0].count),
        ("sends_per_phone", 9)
    );
    // The minute ends: exactly one more send, then refusals again.
    app.clock.advance(Duration::seconds(60));
    let sent = app.get(&format!("/api/v4.0/sendsms/{PHONE}")).await;
    assert_eq!(sent.code(), &json!("200"));
    let refused = app.get(&format!("/api/v4.0/sendsms/{PHONE}")).await;
    assert_eq!(refused.code(), &json!("429"));
    assert_eq!(refusals(app.db()).await[0].count, 10);
}

#[tokio::test]
async fn refusals_of_a_full_hashing_queue_are_counted() {
    let app = TestApp::spawn_with(|settings| settings.hash_queue_depth = 0).await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let tickets = every_hashing_place(&app);
    for _ in 0..3 {
        assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), 429);
    }
    assert_eq!(
        app.register("13900000001", PASSWORD, DEVICE).await.code(),
        429
    );
    let counted: Vec<(String, String, i64)> = refusals(app.db())
        .await
        .into_iter()
        .map(|row| (row.kind, row.limit_name, row.count))
        .collect();
    assert_eq!(
        counted,
        [
            ("login".to_owned(), "hash_queue".to_owned(), 3),
            ("register".to_owned(), "hash_queue".to_owned(), 1),
        ]
    );
    drop(tickets);
}

/// The value of the sample `series` in a Prometheus text exposition (0 when absent).
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metric_counts_every_refusal_by_its_limit_exactly() {
    // The binary as a process of its own: no other test adds to its metrics.
    let database = TestDatabase::create().await;
    let server = ServerProcess::start(database.url(), &[]).await;
    let client = server.client();
    client.registered(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(
        wrong_logins(&client, 150).await,
        (MAX_FAILURES, 150 - MAX_FAILURES)
    );
    let lockouts = r#"rate_limited_requests_total{limit="login_lockout"}"#;
    let metrics = client.get("/metrics").await.text;
    assert_eq!(sample(&metrics, lockouts), 145.0, "{metrics}");
    assert_eq!(concurrent_wrong_logins(&client).await, 40);
    let metrics = client.get("/metrics").await.text;
    assert_eq!(sample(&metrics, lockouts), 185.0, "{metrics}");

    let db = account_api::database::connect(&DatabaseSettings {
        database_url: database.url().to_owned(),
        db_max_connections: 1,
        db_connect_timeout_secs: 5,
    })
    .await
    .unwrap();
    assert_eq!(events_of(&db, PHONE).await, expected_events());
    let counted = refusals(&db).await;
    // One row, unless the run straddled the turn of an hour.
    assert!(counted.len() <= 2, "{counted:?}");
    assert_eq!(counted.iter().map(|row| row.count).sum::<i64>(), 185);
    assert_eq!(
        audit_events::Entity::find().count(&db).await.unwrap(),
        expected_events().len() as u64
    );
    db.close().await.unwrap();
    drop(server);
}
