//! `account-api sandbox` as a frontend team drives it end to end: codes read
//! from the inbox, the clock moved, the data reset, application states set —
//! with verification on, as in production.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{helpers::ApiClient, server_process::ServerProcess};

const PHONE: &str = "13712345678";
const PASSWORD: &str = "sandbox-1";

async fn latest_code(sandbox: &ApiClient, phone: &str) -> String {
    let latest = sandbox.get(&format!("/sandbox/sms/{phone}/latest")).await;
    assert_eq!(latest.code(), 200, "{}", latest.text);
    latest.data()["code"].as_str().unwrap().to_owned()
}

async fn advance(sandbox: &ApiClient, seconds: u64) -> Value {
    let moved = sandbox
        .post_json("/sandbox/clock/advance", &json!({"seconds": seconds}))
        .await;
    assert_eq!(moved.code(), 200, "{}", moved.text);
    moved.data().clone()
}

#[tokio::test]
async fn sign_up_login_lockout_time_travel_and_reset_through_the_sandbox() {
    let server = ServerProcess::sandbox(&[]).await;
    let sandbox = server.client();

    // Sign-up with the code from the inbox: verification is on.
    let sent = sandbox.get(&format!("/api/v4.0/sendsms/{PHONE}")).await;
    assert_eq!(sent.code(), "200", "{}", sent.text);
    let inbox = sandbox.get("/sandbox/sms").await;
    let newest = &inbox.data()["messages"][0];
    assert_eq!(newest["phone"], PHONE);
    assert_eq!(newest["purpose"], "sign_up");
    let code = latest_code(&sandbox, PHONE).await;
    assert_eq!(newest["code"], code.as_str());
    // Any other code is refused (the helper sends 123456).
    let wrong_code = sandbox.register(PHONE, PASSWORD, "web").await;
    let expected = if code == "123456" { 200 } else { -2 };
    assert_eq!(
        wrong_code.code(),
        expected,
        "verification is off: {}",
        wrong_code.text
    );
    let registered = if expected == 200 {
        wrong_code
    } else {
        sandbox
            .post_form(
                "/api/v4.0/register",
                &[
                    ("phone", PHONE),
                    ("name", "沙箱"),
                    ("password", PASSWORD),
                    ("device_identifier", "web"),
                    ("code", &code),
                ],
            )
            .await
    };
    assert_eq!(registered.code(), 200, "{}", registered.text);
    assert_eq!(sandbox.login(PHONE, PASSWORD, "web").await.code(), 200);

    // Five wrong passwords lock login; fifteen minutes later it opens again.
    for _ in 0..5 {
        assert_eq!(sandbox.login(PHONE, "wrong-pass", "web").await.code(), -1);
    }
    let locked = sandbox.login(PHONE, PASSWORD, "web").await;
    assert_eq!(locked.code(), 429);
    let offset = advance(&sandbox, 15 * 60).await["offset_seconds"]
        .as_f64()
        .unwrap();
    assert!(offset >= 900.0, "offset {offset}");
    assert_eq!(sandbox.login(PHONE, PASSWORD, "web").await.code(), 200);

    // A password reset with the reset code from the inbox.
    advance(&sandbox, 61).await;
    let reset_sent = sandbox
        .get(&format!("/api/v4.0/sendsms/{PHONE}?expect=1"))
        .await;
    assert_eq!(reset_sent.code(), "200", "{}", reset_sent.text);
    let reset_code = latest_code(&sandbox, PHONE).await;
    let latest = sandbox.get(&format!("/sandbox/sms/{PHONE}/latest")).await;
    assert_eq!(latest.data()["purpose"], "password_reset");
    let verified = sandbox
        .get(&format!(
            "/api/v4.0/verify_code?phone={PHONE}&code={reset_code}"
        ))
        .await;
    assert_eq!(verified.code(), 200, "{}", verified.text);
    let reset = sandbox
        .post_form(
            "/api/v4.0/forget_password",
            &[
                ("phone", PHONE),
                ("password", "sandbox-2"),
                ("code", &reset_code),
            ],
        )
        .await;
    assert_eq!(reset.code(), 200, "{}", reset.text);
    assert_eq!(sandbox.login(PHONE, "sandbox-2", "web").await.code(), 200);

    // Back to the demo data: the new account is gone, the demo users are there.
    let fresh = sandbox.post_query_only("/sandbox/reset").await;
    assert_eq!(fresh.code(), 200, "{}", fresh.text);
    assert_eq!(fresh.data()["users"].as_array().unwrap().len(), 5);
    assert_eq!(
        sandbox
            .get(&format!("/api/v4.0/isregister/{PHONE}?expect=1"))
            .await
            .code(),
        -1
    );
    assert_eq!(
        sandbox.get("/sandbox/sms").await.data()["messages"],
        json!([])
    );
    assert_eq!(
        sandbox.get("/sandbox/clock").await.data()["offset_seconds"],
        0.0
    );
    let password = fresh.data()["password"].as_str().unwrap().to_owned();
    assert_eq!(
        sandbox.login("13900000001", &password, "web").await.code(),
        200
    );
}

#[tokio::test]
async fn every_application_state_can_be_set_and_login_reports_it() {
    let server = ServerProcess::sandbox(&[]).await;
    let sandbox = server.client();
    let phone = "13900000001";
    let set = |state: &'static str, extra: &'static [(&'static str, &'static str)]| {
        let mut fields = vec![("state", state)];
        fields.extend_from_slice(extra);
        let sandbox = sandbox.clone();
        async move {
            let answer = sandbox
                .post_form(&format!("/sandbox/users/{phone}/application"), &fields)
                .await;
            assert_eq!(answer.code(), 200, "{}", answer.text);
            let login = sandbox.login(phone, "demo123456", "web").await;
            assert_eq!(login.code(), 200, "{}", login.text);
            login.data().clone()
        }
    };
    let approved = set(
        "approved",
        &[("enterprise", "cherry"), ("permissions", "member,admin")],
    )
    .await;
    assert_eq!(approved["apply"]["apply_state"], "1");
    assert_eq!(approved["apply"]["apply_name"], "cherry");
    assert_eq!(approved["pemissions"], json!(["member", "admin"]));
    assert_ne!(approved["enterprise_id"], "-1");
    let pending = set("pending", &[]).await;
    assert_eq!(pending["apply"]["apply_state"], "0");
    assert_eq!(pending["apply"]["apply_name"], "apple");
    assert_eq!(pending["enterprise_id"], "-1");
    let rejected = set("rejected", &[]).await;
    assert_eq!(rejected["apply"]["apply_state"], "-1");
    let none = set("none", &[]).await;
    assert_eq!(none["apply"], json!({}));
    assert_eq!(none["pemissions"], json!([]));

    let unknown = sandbox
        .post_form(
            "/sandbox/users/13911112222/application",
            &[("state", "pending")],
        )
        .await;
    assert_eq!(unknown.code(), -1);
    let bad = sandbox
        .post_form(
            &format!("/sandbox/users/{phone}/application"),
            &[("state", "maybe")],
        )
        .await;
    assert_eq!(bad.code(), 400);
    assert!(bad.msg().starts_with("参数错误: state "), "{}", bad.msg());
}

#[tokio::test]
async fn the_frozen_clock_moves_only_when_advanced_and_bad_steps_are_refused() {
    let server = ServerProcess::sandbox(&[]).await;
    let sandbox = server.client();
    let frozen = sandbox
        .post_form("/sandbox/clock/freeze", &[("frozen", "true")])
        .await;
    assert_eq!(frozen.data()["frozen"], true);
    let now = frozen.data()["now"].clone();
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    assert_eq!(sandbox.get("/sandbox/clock").await.data()["now"], now);
    let moved = sandbox
        .post_query_only("/sandbox/clock/advance?seconds=0.25")
        .await;
    assert_ne!(moved.data()["now"], now);
    for bad in ["-1", "soon", ""] {
        let refused = sandbox
            .post_query_only(&format!("/sandbox/clock/advance?seconds={bad}"))
            .await;
        assert_eq!(refused.code(), 400, "{bad}: {}", refused.text);
        assert!(
            refused.msg().starts_with("参数错误: seconds "),
            "{}",
            refused.msg()
        );
    }
}

#[tokio::test]
async fn the_sandbox_has_its_own_document_and_serve_has_none_of_it() {
    let server = ServerProcess::sandbox(&[]).await;
    let document: Value = server
        .send(server.request(Method::GET, "/sandbox/openapi.json"))
        .await
        .body;
    let committed: Value =
        serde_json::from_str(include_str!("../../../openapi/sandbox.json")).unwrap();
    assert_eq!(document, committed);
    let swagger = server.get("/swagger/").await;
    assert!(
        swagger.text.contains("sandboxClockAdvance"),
        "Swagger UI lists no sandbox operation"
    );
    assert!(swagger.text.contains("loginGet"));

    let database = account_api::test_support::TestDatabase::create().await;
    let serve = ServerProcess::start(database.url(), &[]).await;
    assert_eq!(serve.get("/sandbox/sms").await.status, 404);
    assert_eq!(serve.get("/sandbox/openapi.json").await.status, 404);
}

#[test]
fn the_sandbox_never_opens_an_existing_database() {
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("accounts.db");
    std::fs::write(&existing, b"").unwrap();
    for url in [
        format!("sqlite://{}", existing.display()),
        "postgres://postgres@127.0.0.1:5432/postgres".to_owned(),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_account-api"))
            .args(["sandbox", "--listen", "127.0.0.1:0", "--database-url", &url])
            .env_clear()
            .output()
            .unwrap();
        assert!(!output.status.success(), "the sandbox opened {url}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--database-url"), "{stderr}");
    }
    assert_eq!(
        std::fs::read(&existing).unwrap(),
        b"",
        "the existing file was touched"
    );
}
