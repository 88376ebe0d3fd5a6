//! The statement log (`RUST_LOG=account_api::sql=debug`) of the real binary,
//! on a first start over a fresh database of the run's backend (so that, on
//! PostgreSQL, the SMS code key is inserted): it shows every statement with
//! its values, except those of the secret columns. An account is signed up
//! with a code, logs in, resets its password with a code and logs in again;
//! no password, password hash, session token or its hash, SMS code or its
//! hash, nor the code key appears in the log.

use std::ffi::OsStr;

use account_api::test_support::Backend;
use entity::{server_secrets, sessions, sms_codes, users};
use reqwest::Method;
use sea_orm::{ColumnTrait, Database, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    helpers::{DEVICE, NAME, sha256_hex, verify_code},
    server_process::ServerProcess,
};

const PHONE: &str = "13700000021";
const FIRST_PASSWORD: &str = "FirstPass-123";
const SECOND_PASSWORD: &str = "SecondPass-456";

/// The statements of a JSON log, in order.
fn statements(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|entry| entry.pointer("/fields/message") == Some(&json!("statement")))
        .filter_map(|entry| {
            entry
                .pointer("/fields/statement")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect()
}

async fn password_hash(db: &DatabaseConnection) -> String {
    users::Entity::find()
        .filter(users::Column::Phone.eq(PHONE))
        .one(db)
        .await
        .unwrap()
        .expect("the account")
        .password_hash
}

/// Sends a code for [`PHONE`] (`expect` as `sendsms` takes it) and returns
/// it: the `nth` (from 0) the log sender wrote; panics without one.
async fn code_sent(server: &ServerProcess, expect: u8, nth: usize) -> String {
    let sent = server
        .get(&format!("/api/v4.0/sendsms/{PHONE}?expect={expect}"))
        .await;
    assert_eq!(sent.code(), &json!("200"), "{}", sent.text);
    server
        .nth_logged_code(PHONE, nth)
        .await
        .unwrap_or_else(|| panic!("no code number {nth} in the log:\n{}", server.logs()))
}

/// `method path` with the bearer `token` through `server` answers code 200.
async fn succeeds_with_token(server: &ServerProcess, method: Method, path: &str, token: &str) {
    let answer = server
        .send(server.request(method, path).bearer_auth(token))
        .await;
    assert_eq!(answer.code(), 200, "{path}: {}", answer.text);
}

async fn logged_in(server: &ServerProcess, password: &str) -> String {
    let login = server.login(PHONE, password, DEVICE).await;
    assert_eq!(login.code(), 200, "{}", login.text);
    login.data()["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_statement_log_shows_the_statements_but_no_secret() {
    let database = account_api::test_support::TestDatabase::create().await;
    let server = ServerProcess::start_with_env(
        database.url(),
        &[
            "--sms-verification",
            "on",
            "--log-format",
            "json",
            // The reset code follows the sign-up code within the minute.
            "--sends-per-phone-per-minute",
            "5",
        ],
        &[("RUST_LOG", OsStr::new("info,account_api::sql=debug"))],
    )
    .await;
    let db = Database::connect(database.url()).await.unwrap();

    let sign_up_code = code_sent(&server, 0, 0).await;
    let registered = server
        .post_form(
            "/api/v4.0/register",
            &[
                ("phone", PHONE),
                ("name", NAME),
                ("password", FIRST_PASSWORD),
                ("device_identifier", DEVICE),
                ("code", &sign_up_code),
            ],
        )
        .await;
    assert_eq!(registered.code(), 200, "{}", registered.text);
    let first_hash = password_hash(&db).await;
    let mut tokens = vec![registered.data()["token"].as_str().unwrap().to_owned()];
    tokens.push(logged_in(&server, FIRST_PASSWORD).await);
    succeeds_with_token(&server, Method::GET, "/api/v4.0/me", &tokens[1]).await;

    let reset_code = code_sent(&server, 1, 1).await;
    let verified = verify_code(&server, PHONE, &reset_code).await;
    assert_eq!(verified.code(), 200, "{}", verified.text);
    let reset = server
        .post_form(
            "/api/v4.0/forget_password",
            &[("phone", PHONE), ("password", SECOND_PASSWORD)],
        )
        .await;
    assert_eq!(reset.code(), 200, "{}", reset.text);
    tokens.push(logged_in(&server, SECOND_PASSWORD).await);
    succeeds_with_token(&server, Method::POST, "/api/v4.0/logout", &tokens[2]).await;

    // Every secret, as the database holds it or the client saw it.
    let second_hash = password_hash(&db).await;
    assert_ne!(first_hash, second_hash);
    let mut secrets = vec![
        ("the first password", FIRST_PASSWORD.to_owned()),
        ("the second password", SECOND_PASSWORD.to_owned()),
        ("the first password hash", first_hash),
        ("the second password hash", second_hash),
    ];
    for token in &tokens {
        secrets.push(("a session token", token.clone()));
        secrets.push(("a session token's hash", sha256_hex(token)));
    }
    let stored_sessions = sessions::Entity::find().all(&db).await.unwrap();
    assert_eq!(stored_sessions.len(), tokens.len());
    for session in stored_sessions {
        secrets.push(("a stored token hash", session.token_hash));
    }
    let codes = sms_codes::Entity::find().all(&db).await.unwrap();
    assert!(!codes.is_empty());
    for code in codes {
        secrets.push(("a code hash", code.code_hash));
    }
    let key = match database.backend() {
        Backend::Postgres => {
            let stored = server_secrets::Entity::find().all(&db).await.unwrap();
            assert_eq!(stored.len(), 1, "the code key is kept in the database");
            stored[0].value.clone()
        }
        Backend::Sqlite => {
            let file = account_api::database::sqlite_file(database.url())
                .unwrap()
                .expect("a database file");
            let key_file = account_api::database::with_suffix(&file, ".secret");
            std::fs::read_to_string(key_file).unwrap().trim().to_owned()
        }
    };
    assert_eq!(key.len(), 64, "the code key in hex: {key}");
    secrets.push(("the code key", key));
    db.close().await.unwrap();

    let log = server.logs();
    let logged = statements(&log);
    assert!(
        logged.len() >= 10,
        "only {} statements logged:\n{log}",
        logged.len()
    );
    // The values are in place, those of the secret columns redacted.
    let user_insert = logged
        .iter()
        .find(|statement| statement.starts_with(r#"INSERT INTO "users""#))
        .unwrap_or_else(|| panic!("no INSERT INTO users in the log:\n{log}"));
    assert!(user_insert.contains(&format!("'{PHONE}'")), "{user_insert}");
    assert!(user_insert.contains("'<redacted>'"), "{user_insert}");
    if database.backend() == Backend::Postgres {
        let key_insert = logged
            .iter()
            .find(|statement| statement.starts_with(r#"INSERT INTO "server_secrets""#))
            .unwrap_or_else(|| panic!("no INSERT INTO server_secrets in the log:\n{log}"));
        assert!(key_insert.contains("'<redacted>'"), "{key_insert}");
    }
    for (what, secret) in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "{what} ({secret}) is in the log:\n{log}"
        );
    }
    // A code is six digits, which a timestamp may hold: look for it as a
    // value. (The log sender writes the codes on lines of their own: that
    // is its purpose.)
    for code in [&sign_up_code, &reset_code] {
        let quoted = format!("'{code}'");
        assert!(
            !logged.iter().any(|statement| statement.contains(&quoted)),
            "the code {code} is in a statement:\n{log}"
        );
    }
}
