//! The webhook outbox and its delivery worker against a local receiver on
//! 127.0.0.1 port 0: signed events arrive and verify, failures are retried
//! on the schedule with the same `webhook-id`, other 4xx are not, a spent
//! schedule dead-letters, one account's events arrive in order, a receiver
//! that never answers holds up no other endpoint, a rolled back transaction
//! sends nothing, and (PostgreSQL) two workers on one database deliver each
//! event exactly once.

use std::{
    collections::{HashSet, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use account_api::{
    settings::{DatabaseSettings, WebhookEndpoint},
    store::{
        begin_write,
        webhooks::{self as outbox, NewEvent},
    },
    test_support::TestDatabase,
    webhooks::{Endpoint, Signer, WorkerHandle, WorkerOptions, spawn, subscriptions},
};
use entity::webhook_deliveries;
use poem::{
    EndpointExt, Request, Route, Server, handler, http::StatusCode, listener::TcpAcceptor, post,
    web::Data,
};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder};
use serde_json::json;

use crate::helpers::{on_postgresql_only, test_name};

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// How long a condition may take to become true on a busy machine.
pub const DEADLINE: Duration = Duration::from_secs(90);

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
    pub answered: u16,
}

pub struct Script {
    /// The statuses of the next answers; `then` once empty.
    pub answers: VecDeque<u16>,
    /// The status once `answers` is spent.
    pub then: u16,
    pub received: Vec<Received>,
}

/// A local webhook receiver answering as scripted.
pub struct Receiver {
    pub url: String,
    pub script: Arc<Mutex<Script>>,
    _task: tokio::task::JoinHandle<()>,
}

#[handler]
fn receive(request: &Request, body: String, Data(script): Data<&Arc<Mutex<Script>>>) -> StatusCode {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut script = script.lock().unwrap();
    let answered = script.answers.pop_front().unwrap_or(script.then);
    script.received.push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body,
        answered,
    });
    StatusCode::from_u16(answered).unwrap()
}

impl Receiver {
    pub async fn start(answers: &[u16]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let script = Arc::new(Mutex::new(Script {
            answers: answers.iter().copied().collect(),
            then: 200,
            received: Vec::new(),
        }));
        let app = Route::new()
            .at("/hook", post(receive))
            .data(Arc::clone(&script));
        let acceptor = TcpAcceptor::from_tokio(listener).unwrap();
        let task = tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(app).await;
        });
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            script,
            _task: task,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.script.lock().unwrap().received.clone()
    }
}

async fn database() -> (TestDatabase, DatabaseConnection) {
    let database = TestDatabase::create().await;
    let db = account_api::database::connect(&DatabaseSettings {
        database_url: database.url().to_owned(),
        ..DatabaseSettings::default()
    })
    .await
    .expect("connect");
    account_api::database::migrate(&db).await.expect("migrate");
    (database, db)
}

pub fn endpoint(url: &str, schedule: &[u64]) -> WebhookEndpoint {
    WebhookEndpoint {
        retry_schedule_secs: schedule.to_vec(),
        ..WebhookEndpoint::new(url, SECRET)
    }
}

fn worker(db: &DatabaseConnection, endpoints: &[WebhookEndpoint], instance: &str) -> WorkerHandle {
    worker_waiting(db, endpoints, instance, Duration::from_secs(10))
}

/// A worker whose requests wait up to `request_timeout` for an answer.
fn worker_waiting(
    db: &DatabaseConnection,
    endpoints: &[WebhookEndpoint],
    instance: &str,
    request_timeout: Duration,
) -> WorkerHandle {
    let endpoints = endpoints
        .iter()
        .map(|e| {
            assert_eq!(e.validate(), Ok(()));
            Endpoint::from_settings(e).unwrap()
        })
        .collect();
    spawn(
        db.clone(),
        endpoints,
        WorkerOptions {
            instance: instance.to_owned(),
            poll_interval: Duration::from_millis(100),
            request_timeout,
            lease: request_timeout + Duration::from_secs(60),
            batch: 8,
        },
    )
    .unwrap()
}

/// Writes one event per `(type, account)` in one committed transaction
/// each; returns their `msg_` ids.
async fn enqueue(
    db: &DatabaseConnection,
    endpoints: &[WebhookEndpoint],
    events: &[(&str, Option<&str>)],
) -> Vec<String> {
    let mut ids = Vec::new();
    for (event_type, account) in events {
        let txn = begin_write(db).await.unwrap();
        let written = outbox::enqueue(
            &txn,
            &subscriptions(endpoints),
            NewEvent {
                event_type: (*event_type).to_owned(),
                account_id: account.map(str::to_owned),
                data: json!({"user_id": account}),
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        ids.push(written.event_id);
    }
    ids
}

pub async fn deliveries(db: &DatabaseConnection) -> Vec<webhook_deliveries::Model> {
    webhook_deliveries::Entity::find()
        .order_by_asc(webhook_deliveries::Column::Id)
        .all(db)
        .await
        .unwrap()
}

/// Polls until every delivery is in a final state (none pending).
pub async fn until_settled(
    db: &DatabaseConnection,
    expected: usize,
) -> Vec<webhook_deliveries::Model> {
    let start = std::time::Instant::now();
    loop {
        let rows = deliveries(db).await;
        if rows.len() == expected && rows.iter().all(|d| d.state != outbox::PENDING) {
            return rows;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "deliveries not settled in time: {rows:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_signed_event_is_received_and_its_signature_verifies() {
    let (_database, db) = database().await;
    let receiver = Receiver::start(&[]).await;
    let endpoints = [endpoint(&receiver.url, &[1, 1])];
    let ids = enqueue(&db, &endpoints, &[("user.registered", Some("a1"))]).await;
    let worker = worker(&db, &endpoints, "one");
    let rows = until_settled(&db, 1).await;
    worker.stop().await;

    assert_eq!(rows[0].state, outbox::DELIVERED);
    assert_eq!(rows[0].attempts, 1);
    assert_eq!(rows[0].last_status, Some(200));
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let got = &received[0];
    assert_eq!(got.id, ids[0]);
    assert!(got.id.starts_with("msg_"), "{}", got.id);
    let signer = Signer::from_secrets(SECRET).unwrap();
    let timestamp: i64 = got.timestamp.parse().unwrap();
    assert!(signer.verify(&got.id, timestamp, got.body.as_bytes(), &got.signature));
    let body: serde_json::Value = serde_json::from_str(&got.body).unwrap();
    assert_eq!(body["type"], "user.registered");
    assert_eq!(body["data"]["user_id"], "a1");
    assert!(body["timestamp"].is_string());
}

#[tokio::test]
async fn a_500_then_a_200_is_retried_with_the_same_id_and_delivered() {
    let (_database, db) = database().await;
    let receiver = Receiver::start(&[500]).await;
    let endpoints = [endpoint(&receiver.url, &[1, 1])];
    let ids = enqueue(&db, &endpoints, &[("user.logged_in", Some("a1"))]).await;
    let worker = worker(&db, &endpoints, "one");
    let rows = until_settled(&db, 1).await;
    worker.stop().await;

    assert_eq!(rows[0].state, outbox::DELIVERED);
    assert_eq!(rows[0].attempts, 2);
    let received = receiver.received();
    let answers: Vec<u16> = received.iter().map(|r| r.answered).collect();
    assert_eq!(answers, [500, 200]);
    assert!(received.iter().all(|r| r.id == ids[0]));
}

#[tokio::test]
async fn a_400_is_not_retried() {
    let (_database, db) = database().await;
    let receiver = Receiver::start(&[400]).await;
    let endpoints = [endpoint(&receiver.url, &[1, 1])];
    enqueue(&db, &endpoints, &[("user.registered", Some("a1"))]).await;
    let worker = worker(&db, &endpoints, "one");
    let rows = until_settled(&db, 1).await;
    worker.stop().await;

    assert_eq!(rows[0].state, outbox::DEAD);
    assert_eq!(rows[0].attempts, 1);
    assert_eq!(rows[0].last_status, Some(400));
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn after_the_schedule_a_failing_delivery_is_dead_and_can_be_replayed() {
    let (_database, db) = database().await;
    let receiver = Receiver::start(&[503, 429, 500]).await;
    let endpoints = [endpoint(&receiver.url, &[1, 1])];
    enqueue(&db, &endpoints, &[("user.password_reset", Some("a1"))]).await;
    let worker = worker(&db, &endpoints, "one");
    let rows = until_settled(&db, 1).await;

    assert_eq!(rows[0].state, outbox::DEAD);
    assert_eq!(rows[0].attempts, 3);
    assert_eq!(rows[0].last_status, Some(500));
    let answers: Vec<u16> = receiver.received().iter().map(|r| r.answered).collect();
    assert_eq!(answers, [503, 429, 500]);

    // An operator replays it; the receiver now accepts it.
    let replayed = outbox::replay_dead(&db, None, Some(&receiver.url), chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(replayed, 1);
    let rows = until_settled(&db, 1).await;
    worker.stop().await;
    assert_eq!(rows[0].state, outbox::DELIVERED);
    assert_eq!(receiver.received().len(), 4);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_retried_then_dead() {
    let (_database, db) = database().await;
    // A port nothing listens on: bound, then closed.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let endpoints = [endpoint(&format!("http://127.0.0.1:{port}/hook"), &[1])];
    enqueue(&db, &endpoints, &[("user.registered", Some("a1"))]).await;
    let worker = worker(&db, &endpoints, "one");
    let rows = until_settled(&db, 1).await;
    worker.stop().await;
    assert_eq!(rows[0].state, outbox::DEAD);
    assert_eq!(rows[0].attempts, 2);
    assert_eq!(rows[0].last_status, None);
    assert_eq!(rows[0].last_error.as_deref(), Some("connection error"));
}

/// Waits until `done` holds, failing after [`DEADLINE`].
async fn until(what: &str, done: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "{what} in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_receiver_that_never_answers_holds_up_only_its_own_deliveries() {
    let (_database, db) = database().await;
    // Accepts connections and holds them, never answering.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}/hook", silent.local_addr().unwrap());
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let holder = {
        let accepted = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((connection, _)) = silent.accept().await {
                accepted.lock().unwrap().push(connection);
            }
        })
    };
    let answering = Receiver::start(&[]).await;
    let endpoints = [endpoint(&silent_url, &[1]), endpoint(&answering.url, &[1])];
    enqueue(&db, &endpoints, &[("user.registered", Some("a1"))]).await;
    // The silent endpoint's attempt waits for ten minutes, well past the
    // deadline of this test.
    let worker = worker_waiting(&db, &endpoints, "one", Duration::from_secs(600));
    until("the silent endpoint's attempt under way", || {
        accepted.lock().unwrap().len() == 1
    })
    .await;
    until("the first event at the other endpoint", || {
        answering.received().len() == 1
    })
    .await;

    // While that attempt hangs, the other endpoint gets the later events.
    let later = enqueue(
        &db,
        &endpoints,
        &[
            ("user.logged_in", Some("a1")),
            ("user.registered", Some("a2")),
        ],
    )
    .await;
    until("the later events at the other endpoint", || {
        answering.received().len() == 3
    })
    .await;
    // Two accounts' events: sent at once, in either order.
    let ids: HashSet<String> = answering.received()[1..]
        .iter()
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(ids, later.into_iter().collect());
    worker.stop_within(Duration::from_millis(100)).await;
    holder.abort();
}

#[tokio::test]
async fn one_accounts_events_arrive_in_order_even_when_the_first_is_retried() {
    let (_database, db) = database().await;
    let receiver = Receiver::start(&[500]).await;
    let endpoints = [endpoint(&receiver.url, &[1, 1])];
    let ids = enqueue(
        &db,
        &endpoints,
        &[
            ("user.registered", Some("a1")),
            ("user.logged_in", Some("a1")),
        ],
    )
    .await;
    let worker = worker(&db, &endpoints, "one");
    let rows = until_settled(&db, 2).await;
    worker.stop().await;

    assert!(
        rows.iter().all(|d| d.state == outbox::DELIVERED),
        "{rows:#?}"
    );
    let seen: Vec<(String, u16)> = receiver
        .received()
        .into_iter()
        .map(|r| (r.id, r.answered))
        .collect();
    assert_eq!(
        seen,
        [
            (ids[0].clone(), 500),
            (ids[0].clone(), 200),
            (ids[1].clone(), 200)
        ]
    );
}

#[tokio::test]
async fn an_enqueue_in_a_rolled_back_transaction_sends_nothing() {
    let (_database, db) = database().await;
    let receiver = Receiver::start(&[]).await;
    let endpoints = [endpoint(&receiver.url, &[1, 1])];
    let txn = begin_write(&db).await.unwrap();
    outbox::enqueue(
        &txn,
        &subscriptions(&endpoints),
        NewEvent {
            event_type: "user.registered".into(),
            account_id: Some("rolled_back".into()),
            data: json!({"user_id": "rolled_back"}),
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    txn.rollback().await.unwrap();
    // A committed event after it: once it arrives, the worker has had its chance.
    let ids = enqueue(&db, &endpoints, &[("user.registered", Some("committed"))]).await;
    let worker = worker(&db, &endpoints, "one");
    until_settled(&db, 1).await;
    worker.stop().await;

    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].id, ids[0]);
    assert!(!received[0].body.contains("rolled_back"));
    assert_eq!(
        entity::webhook_events::Entity::find()
            .count(&db)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn an_endpoint_gets_only_the_types_it_subscribes_to() {
    let (_database, db) = database().await;
    let all = Receiver::start(&[]).await;
    let some = Receiver::start(&[]).await;
    let endpoints = [
        endpoint(&all.url, &[1]),
        WebhookEndpoint {
            events: Some(vec!["user.registered".into()]),
            ..endpoint(&some.url, &[1])
        },
    ];
    enqueue(
        &db,
        &endpoints,
        &[
            ("user.registered", Some("a1")),
            ("user.logged_in", Some("a1")),
        ],
    )
    .await;
    let worker = worker(&db, &endpoints, "one");
    until_settled(&db, 3).await;
    worker.stop().await;
    assert_eq!(all.received().len(), 2);
    let got = some.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].body.contains("user.registered"));
}

#[tokio::test]
async fn two_workers_on_one_postgresql_database_deliver_each_event_once() {
    if !on_postgresql_only(
        test_name!(),
        "several instances share a PostgreSQL database; SQLite is one machine's file",
    ) {
        return;
    }
    let (database, db) = database().await;
    let receiver = Receiver::start(&[]).await;
    let endpoints = [endpoint(&receiver.url, &[1, 1])];
    let accounts = ["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"];
    let events: Vec<(&str, Option<&str>)> = (0..50)
        .map(|i| ("user.logged_in", Some(accounts[i % accounts.len()])))
        .collect();
    let ids = enqueue(&db, &endpoints, &events).await;
    // A second pool: the other instance.
    let other = account_api::database::connect(&DatabaseSettings {
        database_url: database.url().to_owned(),
        ..DatabaseSettings::default()
    })
    .await
    .unwrap();
    let first = worker(&db, &endpoints, "first");
    let second = worker(&other, &endpoints, "second");
    let rows = until_settled(&db, 50).await;
    first.stop().await;
    second.stop().await;

    assert!(
        rows.iter()
            .all(|d| d.state == outbox::DELIVERED && d.attempts == 1)
    );
    let received = receiver.received();
    assert_eq!(received.len(), 50, "each event exactly once");
    let unique: HashSet<&str> = received.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(unique.len(), 50);
    // Per account, in the order written.
    for account in accounts {
        let written: Vec<&String> = ids
            .iter()
            .zip(&events)
            .filter(|(_, (_, a))| *a == Some(account))
            .map(|(id, _)| id)
            .collect();
        let arrived: Vec<&String> = received
            .iter()
            .filter(|r| r.body.contains(&format!("\"user_id\":\"{account}\"")))
            .map(|r| &r.id)
            .collect();
        assert_eq!(arrived, written, "order of {account}");
    }
}

#[tokio::test]
async fn a_claim_holds_until_its_lease_ends_and_an_account_waits_for_its_earlier_event() {
    let (_database, db) = database().await;
    let endpoints = [endpoint("http://127.0.0.1:9/hook", &[1])];
    let ids = enqueue(
        &db,
        &endpoints,
        &[
            ("user.registered", Some("a1")),
            ("user.logged_in", Some("a1")),
            ("user.registered", Some("a2")),
        ],
    )
    .await;
    let url = endpoints[0].url.as_str();
    let now = chrono::Utc::now();
    let minute = chrono::Duration::seconds(60);
    let event_ids = |claimed: &[outbox::Claimed]| -> Vec<String> {
        claimed.iter().map(|c| c.event_id.clone()).collect()
    };
    // An endpoint claims only its own deliveries.
    let elsewhere = outbox::claim_due(&db, "http://127.0.0.1:9/other", now, "first", now, 10)
        .await
        .unwrap();
    assert!(elsewhere.is_empty(), "{elsewhere:?}");

    // Only the first pending event of each account is claimable.
    let first = outbox::claim_due(&db, url, now, "first", now + minute, 10)
        .await
        .unwrap();
    assert_eq!(event_ids(&first), [ids[0].clone(), ids[2].clone()]);
    // Claimed: another instance gets nothing while the lease holds.
    let during = outbox::claim_due(&db, url, now, "second", now + minute, 10)
        .await
        .unwrap();
    assert!(during.is_empty(), "{during:?}");
    // The first instance died: after its lease the second takes over.
    let later = now + minute + chrono::Duration::seconds(1);
    let taken = outbox::claim_due(&db, url, later, "second", later + minute, 10)
        .await
        .unwrap();
    assert_eq!(event_ids(&taken), event_ids(&first));
    // Once a1's first is delivered, its second becomes claimable.
    outbox::mark_delivered(&db, taken[0].delivery_id, 200, timing(later), later)
        .await
        .unwrap();
    let next = outbox::claim_due(&db, url, later, "third", later + minute, 10)
        .await
        .unwrap();
    assert_eq!(event_ids(&next), [ids[1].clone()]);
    // A retry scheduled for later is not due before its time.
    outbox::mark_failed(
        &db,
        next[0].delivery_id,
        Some(503),
        "HTTP 503",
        outbox::AfterFailure::RetryAt(later + minute),
        timing(later),
        later,
    )
    .await
    .unwrap();
    assert!(
        outbox::claim_due(&db, url, later, "third", later + minute, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let due = later + minute;
    let retried = outbox::claim_due(&db, url, due, "third", due + minute, 10)
        .await
        .unwrap();
    // Due now: the retry, and a2's event whose claim ran out meanwhile.
    assert_eq!(event_ids(&retried), [ids[1].clone(), ids[2].clone()]);
    assert_eq!(retried[0].attempts, 1);
    let listed = outbox::list_deliveries(&db, None, Some(outbox::DELIVERED), 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].1.as_ref().unwrap().event_id, ids[0]);
}

#[tokio::test]
async fn a_server_with_endpoints_runs_the_worker_and_stops_it_with_itself() {
    let receiver = Receiver::start(&[]).await;
    let endpoints = [endpoint(&receiver.url, &[1])];
    let configured = endpoints.to_vec();
    let app =
        crate::helpers::TestApp::spawn_with(move |settings| settings.webhooks = configured).await;
    let ids = enqueue(app.db(), &endpoints, &[("user.registered", Some("a1"))]).await;
    let rows = until_settled(app.db(), 1).await;
    assert_eq!(rows[0].state, outbox::DELIVERED);
    assert_eq!(receiver.received()[0].id, ids[0]);
}

#[tokio::test]
async fn delivered_events_past_the_retention_are_purged_and_dead_ones_kept() {
    let (_database, db) = database().await;
    let endpoints = [endpoint("http://127.0.0.1:9/hook", &[1])];
    let now = chrono::Utc::now();
    let old = now - chrono::Duration::days(100);
    let mut written = Vec::new();
    for (account, at) in [("old_delivered", old), ("old_dead", old), ("recent", now)] {
        let txn = begin_write(&db).await.unwrap();
        let event = NewEvent {
            event_type: "user.registered".into(),
            account_id: Some(account.into()),
            data: json!({"user_id": account}),
        };
        written.push(
            outbox::enqueue(&txn, &subscriptions(&endpoints), event, at)
                .await
                .unwrap(),
        );
        txn.commit().await.unwrap();
    }
    let rows = deliveries(&db).await;
    outbox::mark_failed(
        &db,
        rows[0].id,
        Some(503),
        "HTTP 503",
        outbox::AfterFailure::RetryAt(now),
        timing(now),
        now,
    )
    .await
    .unwrap();
    outbox::mark_delivered(&db, rows[0].id, 200, timing(now), now)
        .await
        .unwrap();
    outbox::mark_failed(
        &db,
        rows[1].id,
        Some(400),
        "HTTP 400",
        outbox::AfterFailure::Dead,
        timing(now),
        now,
    )
    .await
    .unwrap();
    outbox::mark_delivered(&db, rows[2].id, 200, timing(now), now)
        .await
        .unwrap();
    let attempts_of = |id: i64| {
        let db = db.clone();
        async move {
            outbox::attempts_of(&db, id)
                .await
                .unwrap()
                .iter()
                .map(|a| (a.attempt, a.status, a.will_retry))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        attempts_of(rows[0].id).await,
        [(1, Some(503), true), (2, Some(200), false)]
    );

    let purged = outbox::purge_delivered(&db, now - chrono::Duration::days(90))
        .await
        .unwrap();
    assert_eq!(purged, 1);
    let left: Vec<String> = entity::webhook_events::Entity::find()
        .order_by_asc(entity::webhook_events::Column::Id)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.event_id)
        .collect();
    assert_eq!(
        left,
        [written[1].event_id.clone(), written[2].event_id.clone()]
    );
    let kept: Vec<i64> = deliveries(&db).await.iter().map(|d| d.id).collect();
    assert_eq!(kept, [rows[1].id, rows[2].id]);
    // The purged delivery's attempts went with it; the others' stay.
    assert!(attempts_of(rows[0].id).await.is_empty());
    assert_eq!(attempts_of(rows[1].id).await, [(1, Some(400), false)]);
    assert_eq!(attempts_of(rows[2].id).await, [(1, Some(200), false)]);
    let left = entity::webhook_delivery_attempts::Entity::find()
        .count(&db)
        .await
        .unwrap();
    assert_eq!(left, 2);
}

/// An attempt started at `at` that took 5 ms.
fn timing(at: chrono::DateTime<chrono::Utc>) -> outbox::AttemptTiming {
    outbox::AttemptTiming {
        started_at: at,
        duration_ms: 5,
    }
}
