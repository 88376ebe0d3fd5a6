//! The configuration file as an operator uses it: `account-api config-schema`
//! checks it, the server honours it, and flags win over it.

use std::process::Command;

use account_api::test_support::TestDatabase;
use serde_json::Value;

use crate::{
    helpers::{DEVICE, PASSWORD, PHONE},
    server_process::ServerProcess,
};

const BINARY: &str = env!("CARGO_BIN_EXE_account-api");

/// A file that changes what a client can see: a lockout after 2 wrong
/// passwords, test numbers, and the sends of one phone.
const FILE: &str = r#"
session_ttl_days = 7

[sms]
test_numbers = ["13800000000:246810"]

[limits]
login_max_failures = 2
sends_per_phone_per_minute = 3
"#;

#[tokio::test]
async fn the_schema_checks_the_file_and_the_server_honours_it() {
    let schema = Command::new(BINARY).arg("config-schema").output().unwrap();
    assert!(schema.status.success());
    let schema: Value = serde_json::from_slice(&schema.stdout).expect("the schema is JSON");
    let file: Value = serde_json::to_value(toml::from_str::<toml::Value>(FILE).unwrap()).unwrap();
    assert!(
        jsonschema::is_valid(&schema, &file),
        "the schema refuses the file"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("account-api.toml");
    std::fs::write(&path, FILE).unwrap();
    let database = TestDatabase::create().await;
    let server = ServerProcess::start(database.url(), &["--config", path.to_str().unwrap()]).await;

    assert_eq!(server.register(PHONE, PASSWORD, DEVICE).await.code(), 200);
    for _ in 0..2 {
        assert_eq!(server.login(PHONE, "wrong-pass", DEVICE).await.code(), -1);
    }
    assert_eq!(
        server.login(PHONE, PASSWORD, DEVICE).await.code(),
        429,
        "login_max_failures = 2 from the file"
    );
    for _ in 0..3 {
        let sent = server.get("/api/v4.0/sendsms/13900000077").await;
        assert_eq!(sent.code(), "200", "{}", sent.text);
    }
    assert_eq!(
        server.get("/api/v4.0/sendsms/13900000077").await.code(),
        "429"
    );
    assert!(
        server.logs().contains("1 SMS test number(s)"),
        "the file's test numbers were not announced"
    );
}

#[tokio::test]
async fn a_flag_or_environment_variable_wins_over_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("account-api.toml");
    std::fs::write(&path, FILE).unwrap();
    let database = TestDatabase::create().await;
    let server = ServerProcess::start(
        database.url(),
        &[
            "--config",
            path.to_str().unwrap(),
            "--login-max-failures",
            "3",
        ],
    )
    .await;
    assert_eq!(server.register(PHONE, PASSWORD, DEVICE).await.code(), 200);
    for _ in 0..2 {
        server.login(PHONE, "wrong-pass", DEVICE).await;
    }
    assert_eq!(server.login(PHONE, PASSWORD, DEVICE).await.code(), 200);
}

#[test]
fn a_file_with_a_mistake_is_refused_at_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("account-api.toml");
    std::fs::write(&path, "[limits]\nlogin_max_failure = 2\n").unwrap();
    let output = Command::new(BINARY)
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&path)
        .env_clear()
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("login_max_failure"), "{stderr}");
    assert!(stderr.contains("account-api.toml"), "{stderr}");
}
