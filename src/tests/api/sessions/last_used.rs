//! `sessions.last_used_at`: every authenticated operation records when its
//! session was used, but at most once a minute, however many requests arrive.

use std::sync::Arc;

use chrono::Duration;
use entity::audit_events;
use futures_util::future::join_all;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Statement};

use super::{list, logout, me_with_bearer, registered, revoke, rfc3339, row_of};
use crate::helpers::{PHONE, TestApp};

#[tokio::test]
async fn last_used_is_rewritten_by_every_authenticated_operation_at_most_once_a_minute() {
    let app = TestApp::spawn().await;
    let (token, _) = registered(&app, PHONE).await;
    let opened = row_of(&app, &token).await;
    assert_eq!(opened.last_used_at, opened.created_at);
    let last_used = async |app: &TestApp| row_of(app, &token).await.last_used_at;

    // Within the minute: not rewritten.
    app.clock.advance(Duration::seconds(60));
    assert_eq!(me_with_bearer(&app, &token).await.code(), 200);
    assert_eq!(last_used(&app).await, opened.created_at);

    // Past it, by each operation in turn.
    let mut elapsed = Duration::seconds(60);
    for operation in ["me", "sessions", "revoke", "logout"] {
        app.clock.advance(Duration::seconds(61));
        elapsed += Duration::seconds(61);
        let answer = match operation {
            "me" => me_with_bearer(&app, &token).await,
            "sessions" => list(&app, &token).await,
            "revoke" => revoke(&app, &token, &[("id", "999999")]).await,
            _ => logout(&app, &token).await,
        };
        assert_ne!(answer.code(), 401, "{operation}: {}", answer.text);
        assert_eq!(
            last_used(&app).await,
            opened.created_at + elapsed,
            "{operation} did not record the use"
        );
        if operation == "sessions" {
            let listed = &answer.data()["sessions"][0];
            assert_eq!(listed["last_used_at"], rfc3339(opened.created_at + elapsed));
        }
        // A second request within the minute leaves the time as it is.
        if operation != "logout" {
            app.clock.advance(Duration::seconds(30));
            elapsed += Duration::seconds(30);
            assert_eq!(me_with_bearer(&app, &token).await.code(), 200);
            assert_eq!(
                last_used(&app).await,
                opened.created_at + elapsed - Duration::seconds(30),
                "rewritten within the minute after {operation}"
            );
        }
    }
}

/// Counts every write of `sessions.last_used_at` into `last_used_writes`.
async fn count_last_used_writes(app: &TestApp) {
    let statements: &[&str] = match app.db().get_database_backend() {
        sea_orm::DbBackend::Postgres => &[
            "CREATE TABLE last_used_writes (n INTEGER)",
            "CREATE FUNCTION count_last_used_write() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN INSERT INTO last_used_writes (n) VALUES (1); RETURN NULL; END $$",
            "CREATE TRIGGER count_last_used_writes AFTER UPDATE OF last_used_at ON sessions \
             FOR EACH ROW EXECUTE FUNCTION count_last_used_write()",
        ],
        _ => &[
            "CREATE TABLE last_used_writes (n INTEGER)",
            "CREATE TRIGGER count_last_used_writes AFTER UPDATE OF last_used_at ON sessions \
             BEGIN INSERT INTO last_used_writes (n) VALUES (1); END",
        ],
    };
    for sql in statements {
        app.db().execute_unprepared(sql).await.unwrap();
    }
}

async fn last_used_writes(app: &TestApp) -> i64 {
    let backend = app.db().get_database_backend();
    let row = app
        .db()
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM last_used_writes",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_concurrent_requests_within_a_minute_write_last_used_once() {
    let app = Arc::new(TestApp::spawn().await);
    let (token, _) = registered(&app, PHONE).await;
    let opened = row_of(&app, &token).await;
    let events = audit_events::Entity::find().count(app.db()).await.unwrap();
    count_last_used_writes(&app).await;

    app.clock.advance(Duration::seconds(61));
    for round in ["stale", "fresh"] {
        let answers = join_all((0..40).map(|_| {
            let app = Arc::clone(&app);
            let token = token.clone();
            async move { me_with_bearer(&app, &token).await }
        }))
        .await;
        for answer in &answers {
            assert_eq!(answer.code(), 200, "{round}: {}", answer.text);
        }
        assert_eq!(last_used_writes(&app).await, 1, "{round}: writes");
        assert_eq!(
            row_of(&app, &token).await.last_used_at,
            opened.created_at + Duration::seconds(61)
        );
    }
    let after = audit_events::Entity::find().count(app.db()).await.unwrap();
    assert_eq!(after, events, "/me is not audited");
}
