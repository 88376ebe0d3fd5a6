//! `account-api demo`: every state of `login`'s `apply`, loadable twice.

use serde_json::json;

use account_api::{
    demo::{self, DEMO_PASSWORD},
    test_support::TestDatabase,
};
use sea_orm::EntityTrait;

use crate::helpers::{DEVICE, PASSWORD, PHONE, TestApp};

#[tokio::test]
async fn demo_users_show_every_application_state_at_login() {
    let app = TestApp::spawn().await;
    let users = demo::load(app.db(), &app.state.hasher).await.unwrap();
    assert_eq!(users.len(), 5);
    // Loading again adds nothing and fails nothing.
    assert_eq!(
        demo::load(app.db(), &app.state.hasher).await.unwrap(),
        users
    );

    let mut states = Vec::new();
    for user in &users {
        let login = app.login(user.phone, DEMO_PASSWORD, "demo-device").await;
        assert_eq!(login.code(), 200, "{}: {}", user.phone, login.text);
        states.push(login.data()["apply"]["apply_state"].clone());
    }
    assert_eq!(
        states,
        [json!(null), json!("0"), json!("1"), json!("-1"), json!("0")]
    );

    let member = app.login("13900000003", DEMO_PASSWORD, "demo-device").await;
    assert_ne!(member.data()["enterprise_id"], "-1");
    assert_eq!(
        member.data()["pemissions"],
        json!(["member", "approve_applications"])
    );
    let never = app.login("13900000001", DEMO_PASSWORD, "demo-device").await;
    assert_eq!(never.data()["apply"], json!({}));
    let reapplied = app.login("13900000005", DEMO_PASSWORD, "demo-device").await;
    assert_eq!(reapplied.data()["apply"]["apply_name"], "apple");
}

/// Runs `account-api demo --database-url <url> <flags>` to its exit.
async fn run_demo(url: &str, flags: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_account-api"));
    command
        .args(["demo", "--database-url", url])
        .args(flags)
        .env_clear();
    tokio::task::spawn_blocking(move || command.output().expect("run the binary"))
        .await
        .unwrap()
}

async fn phones(app: &TestApp) -> Vec<String> {
    let mut phones: Vec<String> = entity::users::Entity::find()
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .map(|user| user.phone)
        .collect();
    phones.sort();
    phones
}

#[tokio::test]
async fn demo_refuses_a_database_with_other_accounts_unless_told_and_reruns_on_its_own() {
    // Twice on a database of its own: both load (README runs it so).
    let own = TestDatabase::create().await;
    for run in 0..2 {
        let output = run_demo(own.url(), &[]).await;
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "run {run}: {output:?}");
        assert!(stdout.contains("13900000005"), "{stdout}");
    }

    // A database in use: refused, naming the flag, and nothing added.
    let database = TestDatabase::create().await;
    let url = database.url().to_owned();
    let app = TestApp::spawn_on(database, |_| {}).await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    let refused = run_demo(&url, &[]).await;
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(stderr.contains("--allow-existing-accounts"), "{stderr}");
    assert!(stderr.contains("1 account"), "{stderr}");
    assert_eq!(phones(&app).await, [PHONE]);

    let allowed = run_demo(&url, &["--allow-existing-accounts"]).await;
    assert!(allowed.status.success(), "{allowed:?}");
    assert_eq!(phones(&app).await.len(), 6);
    // Still refused without the flag: the other account is still there.
    assert!(!run_demo(&url, &[]).await.status.success());
    assert_eq!(phones(&app).await.len(), 6);
}
