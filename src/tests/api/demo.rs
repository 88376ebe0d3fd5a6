//! `account-api demo`: every state of `login`'s `apply`, loadable twice.

use serde_json::json;

use account_api::demo::{self, DEMO_PASSWORD};

use crate::helpers::TestApp;

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
