//! `account-api admin-token create | list | revoke` against the run's
//! backend: the token printed once, alone on its line; only its SHA-256
//! stored; listed without it; revoked by name.

use std::process::{Command, Output};

use account_api::test_support::TestDatabase;
use entity::admin_tokens;
use sea_orm::{Database, EntityTrait};

use crate::helpers::{is_lower_hex, sha256_hex};

/// Runs the binary with `args` and the database `url`, no other settings.
pub fn admin_token(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_account-api"))
        .arg("admin-token")
        .args(args)
        .args(["--database-url", url])
        .env_clear()
        .env("RUST_LOG", "info")
        .output()
        .expect("run the binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `output` is of a refused command whose message names `what`.
fn assert_refused_naming(output: &Output, what: &str) {
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains(what), "{stderr}");
}

#[tokio::test]
async fn a_token_is_printed_once_stored_hashed_listed_without_it_and_revoked() {
    let database = TestDatabase::create().await;
    let url = database.url().to_owned();
    let run = move |args: Vec<&'static str>| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || admin_token(&url, &args))
    };

    let created = run(vec!["create", "--name", "alice"]).await.unwrap();
    assert!(created.status.success(), "{}", text(&created.stderr));
    let stdout = text(&created.stdout);
    assert_eq!(stdout.lines().count(), 1, "alone on its line: {stdout:?}");
    assert!(stdout.ends_with('\n'));
    let token = stdout.trim_end().to_owned();
    let hex = token.strip_prefix("adm_").expect("the adm_ prefix");
    assert!(is_lower_hex(hex, 64), "{token}");
    assert!(!text(&created.stderr).contains(hex), "the token in the log");

    let db = Database::connect(database.url()).await.unwrap();
    let stored = admin_tokens::Entity::find().all(&db).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].name, "alice");
    assert_eq!(stored[0].token_hash, sha256_hex(&token));
    assert_eq!(stored[0].last_used_at, None);

    let taken = run(vec!["create", "--name", "alice"]).await.unwrap();
    assert_refused_naming(&taken, "--name");
    assert!(taken.stdout.is_empty(), "{}", text(&taken.stdout));
    let bad = run(vec!["create", "--name", "has space"]).await.unwrap();
    assert_refused_naming(&bad, "--name");

    let second = run(vec!["create", "--name", "bob"]).await.unwrap();
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert_ne!(text(&second.stdout).trim_end(), token);

    let listed = run(vec!["list"]).await.unwrap();
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let list = text(&listed.stdout);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    assert!(lines[0].starts_with("NAME") && lines[0].contains("LAST USED"));
    assert!(lines[1].starts_with("alice ") && lines[1].ends_with("never"));
    assert!(lines[2].starts_with("bob "));
    assert!(!list.contains(hex) && !list.contains(&stored[0].token_hash));

    let revoked = run(vec!["revoke", "alice"]).await.unwrap();
    assert!(revoked.status.success(), "{}", text(&revoked.stderr));
    let left = admin_tokens::Entity::find().all(&db).await.unwrap();
    assert_eq!(
        left.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["bob"]
    );
    let again = run(vec!["revoke", "alice"]).await.unwrap();
    assert_refused_naming(&again, "alice");
    // The name is free again.
    let recreated = run(vec!["create", "--name", "alice"]).await.unwrap();
    assert!(recreated.status.success(), "{}", text(&recreated.stderr));
}
