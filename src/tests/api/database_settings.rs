//! `--db-max-connections` and `--db-connect-timeout-secs` apply on both
//! backends: the pool never holds more connections than configured, and
//! waiting for one — or for a database that does not answer — ends at the
//! timeout with an error instead of hanging.

use std::{
    net::TcpListener,
    time::{Duration, Instant},
};

use account_api::{Application, settings::Settings, startup::StartupError, test_support::Backend};
use reqwest::Method;
use sea_orm::{ConnectionTrait, DatabaseTransaction, Statement, TransactionTrait};
use serde_json::json;

use crate::helpers::TestApp;

/// The connect timeout of the servers under test.
const TIMEOUT: Duration = Duration::from_secs(2);

#[tokio::test]
async fn the_pool_never_holds_more_connections_than_configured_and_a_request_waits_at_most_the_timeout()
 {
    let app = TestApp::spawn_with(|settings| {
        settings.database.db_max_connections = 2;
        settings.database.db_connect_timeout_secs = TIMEOUT.as_secs();
    })
    .await;
    // `/me` looks the session up through the pool (an unknown token: 401).
    let me = || {
        app.request(Method::GET, "/api/v4.0/me")
            .bearer_auth("0123456789abcdef0123456789abcdef")
    };
    assert_eq!(app.send(me()).await.code(), 401);

    // Take both connections of the pool.
    let first = account_api::store::begin_write(app.db())
        .await
        .unwrap_or_else(|err| panic!("the first connection of the pool: {err}"));
    let second = app
        .db()
        .begin_with_options(Default::default())
        .await
        .unwrap_or_else(|err| panic!("the second connection of the pool: {err}"));
    if app.backend() == Backend::Postgres {
        // Two real server sessions.
        let (a, b) = (backend_pid(&first).await, backend_pid(&second).await);
        assert_ne!(a, b);
    }

    let started = Instant::now();
    let starved = app.send(me()).await;
    let waited = started.elapsed();
    assert_eq!(starved.status, 500, "{}", starved.text);
    assert_eq!(
        starved.body,
        json!({"code": 500, "msg": "服务器内部错误", "data": ""})
    );
    assert!(
        waited >= TIMEOUT - Duration::from_millis(100) && waited < TIMEOUT * 3,
        "a request without a free connection answered after {waited:?}, not after the \
         {TIMEOUT:?} timeout"
    );

    drop(first);
    drop(second);
    assert_eq!(app.send(me()).await.code(), 401, "the pool recovers");
}

async fn backend_pid(txn: &DatabaseTransaction) -> i32 {
    txn.query_one_raw(Statement::from_string(
        txn.get_database_backend(),
        "SELECT pg_backend_pid()",
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get_by_index(0)
    .unwrap()
}

#[tokio::test]
async fn a_database_that_never_answers_fails_the_start_at_the_connect_timeout() {
    // A PostgreSQL "server" that accepts connections and never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let mut settings = Settings::new(
        "127.0.0.1:0".parse().unwrap(),
        format!("postgres://postgres@127.0.0.1:{port}/accounts?sslmode=disable"),
    );
    settings.database.db_connect_timeout_secs = TIMEOUT.as_secs();
    let started = Instant::now();
    let built = Application::build(settings).await;
    let took = started.elapsed();
    drop(silent);
    match built {
        Err(StartupError::Database { url, .. }) => assert!(url.contains(&port.to_string())),
        Err(other) => panic!("expected a database error, got {other}"),
        Ok(_) => panic!("the server started without a database"),
    }
    assert!(
        took < TIMEOUT * 3,
        "giving up on a silent database took {took:?} with a {TIMEOUT:?} timeout"
    );
}
