//! Account events end to end: the flows publish them through HTTP, and a
//! local Standard Webhooks receiver (its signatures checked by this crate's
//! verifier and by the official Python `standardwebhooks` package) gets
//! each event type exactly once, in order; a 500 three times then a 200
//! arrives on the 4th attempt with the same `webhook-id`, and operators see
//! the four attempts (as they see an attempt that got no answer); a 400 is
//! not retried; a change that rolls back sends nothing; a SIGKILL between
//! the commit and the delivery still delivers after the restart; and two
//! instances on one PostgreSQL database deliver each event once.

use std::{collections::HashSet, time::Instant};

use account_api::{settings::WebhookEndpoint, test_support::TestDatabase, webhooks::Signer};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, EntityTrait, Statement};
use serde_json::{Value, json};

use crate::{
    admin::{admin, admin_token},
    helpers::{DEVICE, OTHER_PHONE, PASSWORD, PHONE, TestApp, on_postgresql_only, test_name},
    server_process::ServerProcess,
    webhooks::{DEADLINE, Received, Receiver, SECRET, deliveries, endpoint, until_settled},
};

/// A server with the admin API, delivering every event to `receiver` with
/// `schedule`; and an admin token.
async fn spawn_delivering(receiver: &Receiver, schedule: &[u64]) -> (TestApp, String) {
    let endpoints = vec![endpoint(&receiver.url, schedule)];
    let app = TestApp::spawn_with(move |settings| {
        settings.admin_listen = Some("127.0.0.1:0".parse().unwrap());
        settings.webhooks = endpoints;
    })
    .await;
    let token = admin_token(&app, "support").await;
    (app, token)
}

/// Waits until `receiver` has accepted (2xx) `count` requests; their bodies.
async fn until_received(receiver: &Receiver, count: usize) -> Vec<Received> {
    let start = Instant::now();
    loop {
        let accepted: Vec<Received> = receiver
            .received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.answered))
            .collect();
        if accepted.len() >= count {
            return accepted;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "{} of {count} events accepted in time: {:#?}",
            accepted.len(),
            receiver.received()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn body(received: &Received) -> Value {
    serde_json::from_str(&received.body).expect("a JSON body")
}

/// Every request's signature verifies with this crate's verifier and, when
/// it is installed, with the official Python package (in CI always).
fn assert_signed(received: &[Received]) {
    let signer = Signer::from_secrets(SECRET).unwrap();
    for r in received {
        let timestamp: i64 = r.timestamp.parse().unwrap();
        assert!(
            signer.verify(&r.id, timestamp, r.body.as_bytes(), &r.signature),
            "{r:?}"
        );
    }
    verify_with_standardwebhooks(received);
}

/// Verifies every request with `standardwebhooks.Webhook.verify`, in one
/// Python process (the frontend checks' virtual environment, or python3).
/// Without the package it says so loudly, and fails when `CI` is set.
pub fn verify_with_standardwebhooks(received: &[Received]) {
    let script = r#"
import sys, json
from standardwebhooks.webhooks import Webhook
secret = sys.argv[1]
wh = Webhook(secret)
for r in json.load(sys.stdin):
    headers = {"webhook-id": r["id"], "webhook-timestamp": r["timestamp"], "webhook-signature": r["signature"]}
    assert wh.verify(r["body"], headers) == json.loads(r["body"])
print("verified", flush=True)
"#;
    let input: Vec<Value> = received
        .iter()
        .map(|r| json!({"id": r.id, "timestamp": r.timestamp, "signature": r.signature, "body": r.body}))
        .collect();
    let Some(out) = account_api::test_support::run_standardwebhooks(
        script,
        &[SECRET],
        Value::Array(input).to_string().as_bytes(),
        "the events were verified by this crate only",
    ) else {
        return;
    };
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "verified",
        "standardwebhooks refused a request: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every payload is valid under the schema of its type's request in the
/// served document's `x-webhooks`.
fn assert_described(document: &Value, bodies: &[Value]) {
    let parsed = contract_tests::document::Document::parse(&document.to_string()).unwrap();
    for b in bodies {
        let event_type = b["type"].as_str().unwrap();
        let schema = &document["x-webhooks"][event_type]["post"]["requestBody"]["content"]["application/json"]
            ["schema"];
        assert!(schema.is_object(), "{event_type} is not in x-webhooks");
        let validator =
            contract_tests::schema::SchemaValidator::compile(&parsed, schema, event_type).unwrap();
        let errors = validator.errors(b);
        assert!(errors.is_empty(), "{b}: {errors:?}");
    }
}

/// The token of a login's or registration's answer.
fn token_of(data: &Value) -> String {
    data["token"].as_str().expect("a token").to_owned()
}

#[tokio::test]
async fn each_event_type_arrives_exactly_once_in_order_signed_and_without_secrets() {
    let receiver = Receiver::start(&[]).await;
    let (app, admin_key) = spawn_delivering(&receiver, &[1]).await;

    // user.registered
    let registered = app.registered(PHONE, PASSWORD, DEVICE).await;
    let user_id = registered["user_id"].as_str().unwrap().to_owned();
    let first = token_of(&registered);
    // user.logged_in from another device, then from the same one.
    let tablet = app.login(PHONE, PASSWORD, "tablet").await;
    assert_eq!(tablet.code(), 200, "{}", tablet.text);
    let again = app.login(PHONE, PASSWORD, "tablet").await;
    let current = token_of(again.data());
    // session.revoked (user): every session but the current one.
    let revoked = app
        .send(
            app.request(Method::POST, "/api/v4.0/sessions/revoke")
                .bearer_auth(&current)
                .form(&[("others", "true")]),
        )
        .await;
    assert_eq!(revoked.code(), 200, "{}", revoked.text);
    // session.revoked (logout)
    let logout = app
        .send_with_token(Method::POST, "/api/v4.0/logout", &current)
        .await;
    assert_eq!(logout.code(), 200, "{}", logout.text);
    // user.password_reset (verification is off in these servers)
    let live = token_of(app.login(PHONE, PASSWORD, DEVICE).await.data());
    let reset = app
        .get(&format!(
            "/api/v4.0/forget_password?phone={PHONE}&password=n3wpassword"
        ))
        .await;
    assert_eq!(reset.code(), 200, "{}", reset.text);
    // user.disabled, user.enabled, session.revoked (admin), user.deleted
    let user_path = format!("/admin/v1/users/{user_id}");
    for (method, path) in [
        (Method::POST, format!("{user_path}/disable")),
        (Method::POST, format!("{user_path}/enable")),
    ] {
        let answer = admin(&app, Some(&admin_key), method, &path).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    assert_eq!(app.login(PHONE, "n3wpassword", DEVICE).await.code(), 200);
    for (method, path) in [
        (Method::POST, format!("{user_path}/sessions/revoke")),
        (Method::DELETE, user_path.clone()),
    ] {
        let answer = admin(&app, Some(&admin_key), method, &path).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }

    let expected = [
        "user.registered",
        "user.logged_in",
        "user.logged_in",
        "session.revoked",
        "session.revoked",
        "user.logged_in",
        "user.password_reset",
        "user.disabled",
        "user.enabled",
        "user.logged_in",
        "session.revoked",
        "user.deleted",
    ];
    let received = until_received(&receiver, expected.len()).await;
    let rows = until_settled(app.db(), expected.len()).await;
    assert!(rows.iter().all(|d| d.attempts == 1), "{rows:#?}");
    assert_eq!(receiver.received().len(), expected.len(), "exactly once");
    let bodies: Vec<Value> = received.iter().map(body).collect();
    let types: Vec<&str> = bodies.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(types, expected, "in order");
    let ids: HashSet<&str> = received.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), expected.len(), "one webhook-id per event");
    assert_signed(&received);

    assert_described(app.document(), &bodies);
    for b in &bodies {
        assert_eq!(b["data"]["user_id"], user_id.as_str(), "{b}");
        assert!(b["timestamp"].as_str().unwrap().ends_with('Z'), "{b}");
        assert_eq!(
            b.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["type", "timestamp", "data"]
        );
    }
    assert_eq!(
        bodies[0]["data"],
        json!({"user_id": user_id, "phone": PHONE, "device_id": DEVICE})
    );
    assert_eq!(bodies[1]["data"]["change_device"], true);
    assert_eq!(bodies[1]["data"]["device_id"], "tablet");
    assert_eq!(bodies[2]["data"]["change_device"], false);
    assert_eq!(bodies[3]["data"]["reason"], "user");
    assert_eq!(
        bodies[3]["data"]["session_ids"].as_array().unwrap().len(),
        2
    );
    assert_eq!(bodies[4]["data"]["reason"], "logout");
    assert_eq!(
        bodies[4]["data"]["session_ids"].as_array().unwrap().len(),
        1
    );
    assert_eq!(bodies[6]["data"]["sessions_revoked"], 1);
    assert_eq!(bodies[7]["data"]["sessions_revoked"], 0);
    assert_eq!(bodies[10]["data"]["reason"], "admin");
    // No password, code or token, in a body or in the outbox.
    let stored = app.everything_stored().await;
    for r in &received {
        for secret in [
            PASSWORD,
            "n3wpassword",
            first.as_str(),
            live.as_str(),
            current.as_str(),
        ] {
            assert!(!r.body.contains(secret), "{secret} in {}", r.body);
        }
    }
    for token in [&first, &live, &current] {
        assert!(
            !stored.contains(token.as_str()),
            "a token is stored in clear"
        );
    }
}

#[tokio::test]
async fn no_event_is_written_when_no_endpoint_receives_it() {
    let receiver = Receiver::start(&[]).await;
    let only_deletions = WebhookEndpoint {
        events: Some(vec!["user.deleted".into()]),
        ..endpoint(&receiver.url, &[1])
    };
    let app = TestApp::spawn_with(move |settings| settings.webhooks = vec![only_deletions]).await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), 200);
    let events = entity::webhook_events::Entity::find()
        .all(app.db())
        .await
        .unwrap();
    assert!(events.is_empty(), "{events:#?}");
    assert!(deliveries(app.db()).await.is_empty());
}

/// `GET /admin/v1/webhooks/deliveries/{id}`, answered 200.
async fn delivery_through_the_admin_api(app: &TestApp, admin_key: &str, id: i64) -> Value {
    let path = format!("/admin/v1/webhooks/deliveries/{id}");
    let answer = admin(app, Some(admin_key), Method::GET, &path).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body
}

/// A field of every entry of a delivery's `attempt_history`.
fn of_each_attempt(delivery: &Value, field: &str) -> Vec<Value> {
    delivery["attempt_history"]
        .as_array()
        .expect("an attempt_history array")
        .iter()
        .map(|attempt| attempt[field].clone())
        .collect()
}

#[tokio::test]
async fn a_500_three_times_then_a_200_arrives_on_the_fourth_attempt_with_the_same_id() {
    let receiver = Receiver::start(&[500, 500, 500]).await;
    let (app, admin_key) = spawn_delivering(&receiver, &[1, 1, 1]).await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    until_received(&receiver, 1).await;
    let rows = until_settled(app.db(), 1).await;
    assert_eq!(rows[0].state, "delivered");
    assert_eq!(rows[0].attempts, 4);
    let received = receiver.received();
    let answers: Vec<u16> = received.iter().map(|r| r.answered).collect();
    assert_eq!(answers, [500, 500, 500, 200]);
    assert!(received.iter().all(|r| r.id == received[0].id));
    assert_eq!(body(&received[3])["type"], "user.registered");
    assert_signed(&received);

    // Operators see each attempt, oldest first, with its status and timing.
    let delivery = delivery_through_the_admin_api(&app, &admin_key, rows[0].id).await;
    assert_eq!(delivery["event_id"], received[0].id.as_str(), "{delivery}");
    assert_eq!(delivery["attempts"], 4);
    assert_eq!(
        of_each_attempt(&delivery, "status"),
        [json!(500), json!(500), json!(500), json!(200)],
        "{delivery}"
    );
    assert_eq!(
        of_each_attempt(&delivery, "attempt"),
        [json!(1), json!(2), json!(3), json!(4)]
    );
    assert_eq!(
        of_each_attempt(&delivery, "error"),
        [
            json!("HTTP 500"),
            json!("HTTP 500"),
            json!("HTTP 500"),
            Value::Null
        ]
    );
    assert_eq!(
        of_each_attempt(&delivery, "will_retry"),
        [json!(true), json!(true), json!(true), json!(false)]
    );
    for duration in of_each_attempt(&delivery, "duration_ms") {
        assert!(duration.as_i64().is_some_and(|ms| ms >= 0), "{delivery}");
    }
    let started: Vec<chrono::DateTime<chrono::FixedOffset>> =
        of_each_attempt(&delivery, "started_at")
            .iter()
            .map(|at| chrono::DateTime::parse_from_rfc3339(at.as_str().unwrap()).unwrap())
            .collect();
    assert!(started.is_sorted(), "oldest first: {delivery}");
}

#[tokio::test]
async fn an_attempt_without_an_answer_shows_its_error_and_no_status() {
    // A port nothing listens on: bound, then closed.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/hook");
    let endpoints = vec![endpoint(&url, &[1])];
    let app = TestApp::spawn_with(move |settings| {
        settings.admin_listen = Some("127.0.0.1:0".parse().unwrap());
        settings.webhooks = endpoints;
    })
    .await;
    let admin_key = admin_token(&app, "support").await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let rows = until_settled(app.db(), 1).await;
    assert_eq!(rows[0].state, "dead");

    let delivery = delivery_through_the_admin_api(&app, &admin_key, rows[0].id).await;
    assert_eq!(
        of_each_attempt(&delivery, "status"),
        [Value::Null, Value::Null],
        "{delivery}"
    );
    assert_eq!(
        of_each_attempt(&delivery, "error"),
        [json!("connection error"), json!("connection error")]
    );
    assert_eq!(
        of_each_attempt(&delivery, "will_retry"),
        [json!(true), json!(false)]
    );
    for duration in of_each_attempt(&delivery, "duration_ms") {
        assert!(duration.as_i64().is_some_and(|ms| ms >= 0), "{delivery}");
    }
}

#[tokio::test]
async fn a_400_is_not_retried_and_the_accounts_next_event_follows() {
    let receiver = Receiver::start(&[400]).await;
    let (app, _) = spawn_delivering(&receiver, &[1, 1, 1]).await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), 200);
    until_received(&receiver, 1).await;
    let rows = until_settled(app.db(), 2).await;
    assert_eq!(rows[0].state, "dead");
    assert_eq!(rows[0].attempts, 1);
    assert_eq!(rows[0].last_status, Some(400));
    assert_eq!(rows[1].state, "delivered");
    let types: Vec<(String, u16)> = receiver
        .received()
        .iter()
        .map(|r| (body(r)["type"].as_str().unwrap().to_owned(), r.answered))
        .collect();
    assert_eq!(
        types,
        [
            ("user.registered".to_owned(), 400),
            ("user.logged_in".to_owned(), 200)
        ]
    );
}

/// Makes every write of a delivery of an event naming `phone` fail: the
/// event row is written first, in the same transaction, then this fails.
async fn fail_deliveries_naming(db: &DatabaseConnection, phone: &str) {
    let backend = db.get_database_backend();
    let statements = match backend {
        sea_orm::DatabaseBackend::Postgres => vec![
            format!(
                "CREATE FUNCTION fail_delivery() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN IF (SELECT payload FROM webhook_events WHERE id = NEW.event_id) \
                 LIKE '%{phone}%' THEN RAISE EXCEPTION 'injected failure'; END IF; \
                 RETURN NEW; END $$"
            ),
            "CREATE TRIGGER fail_delivery BEFORE INSERT ON webhook_deliveries \
             FOR EACH ROW EXECUTE FUNCTION fail_delivery()"
                .to_owned(),
        ],
        _ => vec![format!(
            "CREATE TRIGGER fail_delivery BEFORE INSERT ON webhook_deliveries \
             WHEN (SELECT payload FROM webhook_events WHERE id = NEW.event_id) LIKE '%{phone}%' \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        )],
    };
    for sql in statements {
        db.execute_raw(Statement::from_string(backend, sql))
            .await
            .expect("the trigger is created");
    }
}

#[tokio::test]
async fn a_registration_that_rolls_back_after_its_event_was_written_sends_nothing() {
    let receiver = Receiver::start(&[]).await;
    let (app, _) = spawn_delivering(&receiver, &[1]).await;
    fail_deliveries_naming(app.db(), PHONE).await;
    let failed = app.register(PHONE, PASSWORD, DEVICE).await;
    assert_ne!(failed.code(), 200, "{}", failed.text);
    assert!(
        app.user(PHONE).await.is_none(),
        "the account was rolled back"
    );
    // A later registration goes through: once it arrives, the worker has
    // had every chance to send the first.
    app.registered(OTHER_PHONE, PASSWORD, DEVICE).await;
    let received = until_received(&receiver, 1).await;
    until_settled(app.db(), 1).await;
    assert_eq!(receiver.received().len(), 1);
    assert_eq!(body(&received[0])["data"]["phone"], OTHER_PHONE);
    let events = entity::webhook_events::Entity::find()
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(
        events.len(),
        1,
        "the rolled back event is gone: {events:#?}"
    );
}

/// A configuration file with one `[[webhooks]]` entry for `url`.
fn config_file(dir: &std::path::Path, url: &str) -> String {
    let path = dir.join("account-api.toml");
    std::fs::write(
        &path,
        format!(
            "[[webhooks]]\nurl = \"{url}\"\nsecret = \"{SECRET}\"\n\
             retry_schedule_secs = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
        ),
    )
    .unwrap();
    path.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_committed_before_a_sigkill_is_delivered_after_the_restart() {
    let database = TestDatabase::create().await;
    // The receiver refuses with 503 until the server is dead: nothing can
    // have been accepted before the kill.
    let receiver = Receiver::start(&[]).await;
    receiver.script.lock().unwrap().then = 503;
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), &receiver.url);
    let mut server = ServerProcess::start(database.url(), &["--config", &config]).await;
    let registered = server.client().registered(PHONE, PASSWORD, DEVICE).await;
    server.kill();
    assert!(
        receiver.received().iter().all(|r| r.answered == 503),
        "accepted before the kill"
    );

    receiver.script.lock().unwrap().then = 200;
    let _restarted = ServerProcess::start(database.url(), &["--config", &config]).await;
    let received = until_received(&receiver, 1).await;
    let db = Database::connect(database.url()).await.unwrap();
    let rows = until_settled(&db, 1).await;
    assert_eq!(rows[0].state, "delivered");
    let event = body(&received[0]);
    assert_eq!(event["type"], "user.registered");
    assert_eq!(event["data"]["user_id"], registered["user_id"]);
    // Every attempt, before the kill and after, carried the same id.
    assert!(receiver.received().iter().all(|r| r.id == received[0].id));
    assert_signed(&received);
    let _ = db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgresql_database_deliver_each_event_once() {
    if !on_postgresql_only(
        test_name!(),
        "several instances share a PostgreSQL database; SQLite is one machine's file",
    ) {
        return;
    }
    let database = TestDatabase::create().await;
    let receiver = Receiver::start(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), &receiver.url);
    let first = ServerProcess::start(database.url(), &["--config", &config]).await;
    let second = ServerProcess::start(database.url(), &["--config", &config]).await;
    let clients = [first.client(), second.client()];
    let accounts = 10;
    for n in 0..accounts {
        let phone = format!("1390000{n:04}");
        let through = &clients[n % 2];
        through.registered(&phone, PASSWORD, DEVICE).await;
        // Each account logs in through the other instance, then this one.
        for client in [&clients[(n + 1) % 2], through] {
            assert_eq!(client.login(&phone, PASSWORD, DEVICE).await.code(), 200);
        }
    }
    let expected = accounts * 3;
    let received = until_received(&receiver, expected).await;
    let db = Database::connect(database.url()).await.unwrap();
    let rows = until_settled(&db, expected).await;
    assert!(
        rows.iter()
            .all(|d| d.state == "delivered" && d.attempts == 1),
        "{rows:#?}"
    );
    assert_eq!(
        receiver.received().len(),
        expected,
        "each event exactly once"
    );
    let ids: HashSet<&str> = received.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), expected);
    // Per account: registered, then its two logins.
    for n in 0..accounts {
        let phone = format!("1390000{n:04}");
        let user_id = received
            .iter()
            .map(body)
            .find(|b| b["data"]["phone"] == phone.as_str())
            .unwrap()["data"]["user_id"]
            .clone();
        let types: Vec<String> = received
            .iter()
            .map(body)
            .filter(|b| b["data"]["user_id"] == user_id)
            .map(|b| b["type"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            types,
            ["user.registered", "user.logged_in", "user.logged_in"],
            "{phone}"
        );
    }
    let claimed_by: HashSet<Option<String>> = rows.iter().map(|d| d.claimed_by.clone()).collect();
    // Claims are cleared when an outcome is recorded.
    assert_eq!(claimed_by, HashSet::from([None]));
    let _ = db.close().await;
}

#[tokio::test]
async fn operators_list_deliveries_replay_dead_ones_and_send_a_test_event() {
    // The first event is refused for good; everything after is accepted.
    let receiver = Receiver::start(&[400]).await;
    let (app, admin_key) = spawn_delivering(&receiver, &[1]).await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    until_settled(app.db(), 1).await;
    let get = |path: String| {
        let app = &app;
        let key = admin_key.clone();
        async move { admin(app, Some(&key), Method::GET, &path).await }
    };
    let url = receiver.url.clone();

    let endpoints = get("/admin/v1/webhooks/endpoints".into()).await;
    assert_eq!(endpoints.status, 200, "{}", endpoints.text);
    assert_eq!(endpoints.body["items"], json!([{"url": url}]));
    let dead = get("/admin/v1/webhooks/deliveries?state=dead".into()).await;
    assert_eq!(dead.status, 200, "{}", dead.text);
    let items = dead.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", dead.text);
    let delivery = &items[0];
    assert_eq!(delivery["event_type"], "user.registered");
    assert_eq!(delivery["state"], "dead");
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(delivery["last_status"], 400);
    assert!(delivery["last_attempt_at"].is_string());
    assert!(delivery["next_attempt_at"].is_null());
    let id = delivery["id"].as_i64().unwrap();
    let none = get("/admin/v1/webhooks/deliveries?state=delivered".into()).await;
    assert_eq!(none.body["items"], json!([]));
    let bad = get("/admin/v1/webhooks/deliveries?state=lost".into()).await;
    crate::admin::assert_problem(&bad, 400, Some("state"));

    // Replayed: delivered with the same webhook-id.
    let replay = format!("/admin/v1/webhooks/deliveries/{id}/replay");
    let replayed = admin(&app, Some(&admin_key), Method::POST, &replay).await;
    assert_eq!(replayed.status, 200, "{}", replayed.text);
    assert_eq!(replayed.body["replayed"], 1);
    let received = until_received(&receiver, 1).await;
    until_settled(app.db(), 1).await;
    assert_eq!(received[0].id, delivery["event_id"].as_str().unwrap());
    let again = admin(&app, Some(&admin_key), Method::POST, &replay).await;
    crate::admin::assert_problem(&again, 409, None);
    let one = get(format!("/admin/v1/webhooks/deliveries/{id}")).await;
    assert_eq!(one.body["state"], "delivered");
    assert_eq!(one.body["attempts"], 1, "counted from zero again");
    assert!(one.body["delivered_at"].is_string());
    // Both attempts are kept: the refusal, then the replay's first.
    let history: Vec<(Value, Value, Value)> = one.body["attempt_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["attempt"].clone(),
                a["status"].clone(),
                a["error"].clone(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            (
                json!(1),
                json!(400),
                json!("refused with HTTP 400 (not retried)")
            ),
            (json!(1), json!(200), Value::Null)
        ],
        "{}",
        one.text
    );
    // The list shows no history (one delivery's view does).
    assert!(dead.body["items"][0].get("attempt_history").is_none());
    let missing = get("/admin/v1/webhooks/deliveries/999999".into()).await;
    crate::admin::assert_problem(&missing, 404, None);
    let all = admin(
        &app,
        Some(&admin_key),
        Method::POST,
        "/admin/v1/webhooks/deliveries/replay",
    )
    .await;
    assert_eq!(all.body["replayed"], 0, "{}", all.text);

    // A test event, to a configured endpoint only.
    let client = reqwest::Client::new();
    let test = client
        .post(app.admin_url("/admin/v1/webhooks/test"))
        .bearer_auth(&admin_key)
        .json(&json!({"url": url}))
        .send()
        .await
        .unwrap();
    assert_eq!(test.status(), 200);
    let sent: Value = test.json().await.unwrap();
    let received = until_received(&receiver, 2).await;
    assert_eq!(received[1].id, sent["event_id"].as_str().unwrap());
    let test_event = body(&received[1]);
    assert_eq!(test_event["type"], "webhook.test");
    assert_eq!(test_event["data"], json!({"requested_by": "support"}));
    assert_signed(&received);
    let unknown = client
        .post(app.admin_url("/admin/v1/webhooks/test"))
        .bearer_auth(&admin_key)
        .json(&json!({"url": "http://127.0.0.1:9/elsewhere"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let unauthorized = admin(&app, None, Method::GET, "/admin/v1/webhooks/deliveries").await;
    assert_eq!(unauthorized.status, 401);
}
