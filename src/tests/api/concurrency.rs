//! Many writers at once: no client ever sees "database is locked" or any
//! other failure, and every acknowledged write is stored.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use account_api::{settings::Settings, test_support::say};
use entity::{audit_events, sessions, users};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};

const REGISTRATIONS: usize = 1_000;

/// Every limit but the pool wait is the server's default (on SQLite its
/// busy timeout too, which is what "never database is locked" is about). A
/// burst queues for the pool's 16 connections, and on 2 cores shared by the
/// burst's own 1,000 clients and other builds the last ones waited more than
/// the default 5 s and were answered 500 — as designed for a pool wait, on
/// either backend. These tests are about writers, not pool waits
/// (`database_settings` tests those), so they wait longer for the pool.
///
/// Nor are they about the bound on the hashing queue (`hashing_floods` tests
/// it): every registration may wait for its hash here.
fn wait_longer_for_the_pool(settings: &mut Settings) {
    settings.hash_queue_depth = REGISTRATIONS as u32;
    settings.database.db_connect_timeout_secs = 120;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_registrations_all_succeed_and_are_all_stored() {
    // The server's defaults (pool of 16, SQLite busy timeout) but a longer
    // pool wait (above).
    let app = Arc::new(TestApp::spawn_with(wait_longer_for_the_pool).await);
    let started = Instant::now();
    let tasks: Vec<_> = (0..REGISTRATIONS)
        .map(|n| {
            let app = Arc::clone(&app);
            tokio::spawn(async move {
                let phone = format!("1860000{n:04}");
                let answer = app
                    .try_send(app.register_request(&phone, PASSWORD, &format!("device-{n}")))
                    .await;
                (phone, answer)
            })
        })
        .collect();
    let mut failures = Vec::new();
    for task in tasks {
        let (phone, answer) = task.await.expect("the task does not panic");
        match answer {
            Ok(answer) if answer.status == 200 && answer.code() == 200 => {}
            Ok(answer) => failures.push(format!("{phone}: HTTP {} {}", answer.status, answer.text)),
            Err(err) => failures.push(format!("{phone}: no answer: {err}")),
        }
    }
    let elapsed = started.elapsed();
    assert!(
        failures.is_empty(),
        "{} of {REGISTRATIONS} registrations failed, e.g.:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );

    let db = app.db();
    let stored_users = users::Entity::find()
        .filter(users::Column::Phone.starts_with("1860000"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(stored_users, REGISTRATIONS as u64, "users stored");
    assert_eq!(
        sessions::Entity::find().count(db).await.unwrap(),
        REGISTRATIONS as u64,
        "sessions stored"
    );
    let audited = audit_events::Entity::find()
        .filter(audit_events::Column::Kind.eq("register"))
        .filter(audit_events::Column::Outcome.eq("success"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(audited, REGISTRATIONS as u64, "registrations audited");

    say(&format!(
        "{REGISTRATIONS} concurrent registrations on {}: all answered 200 and stored, in {:.1} s \
         ({:.0} registrations/s)",
        app.backend().name(),
        elapsed.as_secs_f64(),
        REGISTRATIONS as f64 / elapsed.as_secs_f64()
    ));
    assert!(
        elapsed < Duration::from_secs(300),
        "{REGISTRATIONS} registrations took {elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_to_test_numbers_all_succeed() {
    // A test number's send stores its fixed code in a transaction that reads
    // before it writes; on SQLite such a transaction used to be refused with
    // "database is locked" (SQLITE_BUSY_SNAPSHOT) whenever another write
    // committed in between — about a third of these sends answered 500.
    const NUMBERS: usize = 40;
    const SENDS: usize = 400;
    let numbers = (0..NUMBERS)
        .map(|n| format!("1390000{n:04}:123456").parse().unwrap())
        .collect();
    let app = Arc::new(
        TestApp::spawn_with(|settings| {
            wait_longer_for_the_pool(settings);
            settings.sms.test_numbers = numbers;
        })
        .await,
    );
    let tasks: Vec<_> = (0..SENDS)
        .map(|n| {
            let app = Arc::clone(&app);
            tokio::spawn(async move {
                let path = format!("/api/v4.0/sendsms/1390000{:04}", n % NUMBERS);
                (
                    path.clone(),
                    app.try_send(app.request(Method::GET, &path)).await,
                )
            })
        })
        .collect();
    let mut failures = Vec::new();
    for task in tasks {
        match task.await.expect("the task does not panic") {
            (_, Ok(answer)) if answer.status == 200 && answer.code() == &json!("200") => {}
            (path, Ok(answer)) => {
                failures.push(format!("{path}: HTTP {} {}", answer.status, answer.text))
            }
            (path, Err(err)) => failures.push(format!("{path}: no answer: {err}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {SENDS} sends failed, e.g.:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
    let recorded = audit_events::Entity::find()
        .filter(audit_events::Column::Kind.eq("sms_send"))
        .filter(audit_events::Column::Outcome.eq("test_number"))
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(recorded, SENDS as u64);
    assert_eq!(app.sms.count(), 0, "a test number reached the sender");
}
