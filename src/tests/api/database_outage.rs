//! The database goes away and comes back: every request meanwhile gets the
//! 500 envelope within the connect timeout (no hang, no panic), `/healthz`
//! answers 503, and the server recovers by itself.

use std::time::{Duration, Instant};

use account_api::test_support::TestDatabase;
use reqwest::Method;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::json;

use crate::helpers::{
    ApiClient, DEVICE, PASSWORD, PHONE, TestApp, TestResponse, on_postgresql_only, test_name,
};

/// The connect timeout of the server under test.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// What a request may take beyond the connect timeout while the database is down.
const SLACK: Duration = Duration::from_secs(3);

/// Sends `request` and returns the answer and how long it took.
async fn timed(client: &ApiClient, request: reqwest::RequestBuilder) -> (TestResponse, Duration) {
    let started = Instant::now();
    let answer = client.send(request).await;
    (answer, started.elapsed())
}

async fn set_allow_connections(admin: &DatabaseConnection, database: &str, allow: bool) {
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{database}\" WITH ALLOW_CONNECTIONS {allow}"
        ))
        .await
        .expect("ALTER DATABASE");
    if !allow {
        // End the server's open connections too: the database is gone for it.
        admin
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{database}' AND pid <> pg_backend_pid()"
            ))
            .await
            .expect("terminate the server's connections");
    }
}

#[tokio::test]
async fn while_the_database_is_down_requests_fail_fast_with_the_500_envelope_and_the_server_recovers()
 {
    if !on_postgresql_only(
        test_name!(),
        "an embedded SQLite file cannot go down while the process that has it open runs \
         (open files survive chmod, rename and unlink), so there is no outage to simulate",
    ) {
        return;
    }
    let database = TestDatabase::create_dedicated().await;
    let name = database
        .postgres_database()
        .expect("a dedicated PostgreSQL database")
        .to_owned();
    let admin = database.postgres_admin().await.expect("PostgreSQL");
    let app = TestApp::spawn_on(database, |settings| {
        settings.database.db_connect_timeout_secs = CONNECT_TIMEOUT.as_secs();
    })
    .await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(app.get("/healthz").await.status, 200);

    set_allow_connections(&admin, &name, false).await;

    let internal_error = json!({"code": 500, "msg": "服务器内部错误", "data": ""});
    let login = app.request(Method::POST, "/api/v4.0/login").form(&[
        ("phone", PHONE),
        ("password", PASSWORD),
        ("device_identifier", DEVICE),
    ]);
    let requests = [
        ("login", login, internal_error.clone()),
        (
            "register",
            app.register_request("13800000001", PASSWORD, DEVICE),
            internal_error.clone(),
        ),
        (
            "isregister",
            app.request(Method::GET, &format!("/api/v4.0/isregister/{PHONE}")),
            internal_error.clone(),
        ),
        (
            "forget_password",
            app.request(
                Method::GET,
                &format!("/api/v4.0/forget_password?phone={PHONE}&password=n3w-pass"),
            ),
            internal_error.clone(),
        ),
        (
            "sendsms",
            app.request(Method::GET, "/api/v4.0/sendsms/13800000002"),
            json!({"code": "500", "msg": "服务器内部错误"}),
        ),
        (
            "me",
            app.request(Method::GET, "/api/v4.0/me")
                .bearer_auth("0123456789abcdef0123456789abcdef"),
            internal_error.clone(),
        ),
    ];
    for (operation, request, expected) in requests {
        let (answer, took) = timed(&app, request).await;
        assert_eq!(answer.status, 500, "{operation}: {}", answer.text);
        assert_eq!(answer.body, expected, "{operation}");
        assert!(
            took < CONNECT_TIMEOUT + SLACK,
            "{operation} took {took:?} with the database down"
        );
    }
    let (health, took) = timed(&app, app.request(Method::GET, "/healthz")).await;
    assert_eq!(health.status, 503, "{}", health.text);
    assert_eq!(health.body, json!({"status": "unavailable"}));
    assert!(took < CONNECT_TIMEOUT + SLACK, "/healthz took {took:?}");
    assert_eq!(app.get("/livez").await.status, 200, "the process is alive");

    set_allow_connections(&admin, &name, true).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.get("/healthz").await.status != 200 {
        assert!(
            Instant::now() < deadline,
            "the server did not recover within 30 s of the database's return"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let login = app.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(login.code(), 200, "after the outage: {}", login.text);
    let _ = admin.close().await;
}
