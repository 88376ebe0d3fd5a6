//! The cap of live sessions per account (`--max-sessions-per-account`,
//! default 20): a login past it ends the oldest live session, also when
//! many logins of one account arrive at once; and revoking the others is
//! one statement however many there are.

use std::sync::Arc;

use account_api::settings::Settings;
use chrono::Duration;
use entity::sessions;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::{assert_session_invalid, logged_in, me_with_bearer, registered, revoke};
use crate::helpers::{OTHER_PHONE, PHONE, TestApp};

/// The default cap.
const CAP: usize = 20;

/// How many sessions of `user_id` are live (neither revoked nor expired).
async fn live_count(app: &TestApp, user_id: &str) -> u64 {
    sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .count(app.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn twenty_five_logins_leave_the_newest_twenty_sessions() {
    let app = TestApp::spawn().await;
    let (first, user_id) = registered(&app, PHONE).await;
    let (stranger, _) = registered(&app, OTHER_PHONE).await;
    let mut tokens = vec![first];
    for n in 0..25 {
        app.clock.advance(Duration::seconds(1));
        tokens.push(logged_in(&app, PHONE, &format!("device-{n}")).await);
    }
    assert_eq!(live_count(&app, &user_id).await, CAP as u64);
    let (ended, live) = tokens.split_at(tokens.len() - CAP);
    assert_eq!(ended.len(), 6, "the registration's session and 5 logins");
    for token in ended {
        assert_session_invalid(&me_with_bearer(&app, token).await);
    }
    for token in live {
        assert_eq!(me_with_bearer(&app, token).await.code(), 200);
    }
    // Another account's session is untouched.
    assert_eq!(me_with_bearer(&app, &stranger).await.code(), 200);
    let listed = super::list(&app, live.last().unwrap()).await;
    assert_eq!(listed.data()["sessions"].as_array().unwrap().len(), CAP);
}

#[tokio::test]
async fn the_cap_is_configurable() {
    let app = TestApp::spawn_with(|settings: &mut Settings| {
        settings.limits.max_sessions_per_account = 2;
    })
    .await;
    let (first, user_id) = registered(&app, PHONE).await;
    let second = logged_in(&app, PHONE, "tablet").await;
    let third = logged_in(&app, PHONE, "laptop").await;
    assert_session_invalid(&me_with_bearer(&app, &first).await);
    assert_eq!(me_with_bearer(&app, &second).await.code(), 200);
    assert_eq!(me_with_bearer(&app, &third).await.code(), 200);
    assert_eq!(live_count(&app, &user_id).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_concurrent_logins_leave_at_most_the_cap_live() {
    // Passwords being verified count towards the lockout until they end:
    // raise it, so that all 40 are verified at once.
    let app = Arc::new(
        TestApp::spawn_with(|settings: &mut Settings| settings.limits.login_max_failures = 100)
            .await,
    );
    let (_, user_id) = registered(&app, PHONE).await;
    let logins: Vec<_> = (0..40)
        .map(|n| {
            let app = Arc::clone(&app);
            tokio::spawn(async move { logged_in(&app, PHONE, &format!("device-{n}")).await })
        })
        .collect();
    let mut tokens = Vec::new();
    for login in logins {
        tokens.push(login.await.unwrap());
    }
    assert_eq!(live_count(&app, &user_id).await, CAP as u64);
    let mut working = 0;
    for token in &tokens {
        if me_with_bearer(&app, token).await.code() == 200 {
            working += 1;
        }
    }
    assert_eq!(working, CAP, "tokens that still work");
}

#[tokio::test]
async fn revoking_the_others_is_one_statement_however_many_there_are() {
    let (app, recorded) = TestApp::spawn_recording_statements(|_| {}).await;
    let (current, user_id) = registered(&app, PHONE).await;
    for n in 0..12 {
        logged_in(&app, PHONE, &format!("device-{n}")).await;
    }
    recorded.lock().unwrap().clear();
    let revoked = revoke(&app, &current, &[("others", "true")]).await;
    assert_eq!(revoked.code(), 200, "{}", revoked.text);
    assert_eq!(revoked.data()["revoked"], 12);
    let updates: Vec<String> = recorded
        .lock()
        .unwrap()
        .iter()
        .map(|statement| statement.sql.clone())
        .filter(|sql| sql.starts_with("UPDATE \"sessions\""))
        .filter(|sql| sql.contains("\"revoked_at\""))
        .collect();
    assert_eq!(updates.len(), 1, "{updates:#?}");
    assert_eq!(live_count(&app, &user_id).await, 1);
    assert_eq!(me_with_bearer(&app, &current).await.code(), 200);
}
