//! The binary as an operator runs it: `openapi` without a database, and a
//! graceful stop on SIGTERM that lets in-flight requests finish.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Duration,
};

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_account-api");

/// Registrations sent just before SIGTERM: about half a second of hashing on
/// two cores, so that many are still in flight when the signal arrives.
const REQUESTS: usize = 48;

#[test]
fn the_openapi_command_prints_the_committed_document_without_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BINARY)
        .arg("openapi")
        .current_dir(dir.path())
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let committed: Value =
        serde_json::from_str(include_str!("../../../openapi/openapi.json")).unwrap();
    assert_eq!(printed, committed);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "it created files"
    );
}

#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish_then_stops() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Command::new(BINARY)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/db.sqlite", dir.path().display()),
        )
        .env("RUST_LOG", "info")
        .env("ACCOUNT_API_LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The address is in the "listening" log line.
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("the server logs before it exits")
            .unwrap();
        let entry: Value = serde_json::from_str(&line).unwrap_or_default();
        if entry["fields"]["message"] == "listening" {
            break entry["fields"]["address"].as_str().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));

    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let requests: Vec<_> = (0..REQUESTS)
        .map(|n| {
            let client = client.clone();
            let url = format!(
                "http://{address}/api/v4.0/register?phone=1390000{n:04}&name=n&password=123456&device_identifier=d"
            );
            tokio::spawn(async move { client.post(url).send().await })
        })
        .collect();
    // Let the requests arrive: they queue behind two Argon2 hashes at a
    // time, so once the first registration is stored the others have been
    // taken up and most are still waiting for their hash. (A fixed sleep
    // raced the requests' arrival on a busy machine.)
    let db = sea_orm::Database::connect(format!("sqlite://{}/db.sqlite", dir.path().display()))
        .await
        .unwrap();
    let waited = std::time::Instant::now();
    while entity::users::Entity::find().count(&db).await.unwrap_or(0) == 0 {
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "no registration was stored within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    // Every request the server took up must be answered in full: each
    // registration stored is one answered 200. A request still in the
    // listener's backlog when it closed was never taken up; its client sees
    // the connection refused or reset, and nothing of it is stored.
    let mut answered = Vec::new();
    for (n, request) in requests.into_iter().enumerate() {
        if let Ok(response) = request.await.unwrap() {
            let body: Value = response.json().await.expect("a whole answer");
            assert_eq!(body["code"], 200, "{body}");
            answered.push(format!("1390000{n:04}"));
        }
    }
    let status = tokio::task::spawn_blocking(move || server.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "the server exited with {status}");
    assert!(
        answered.len() >= 8,
        "only {} of {REQUESTS} registrations were in flight at SIGTERM",
        answered.len()
    );
    let mut stored: Vec<String> = entity::users::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|user| user.phone)
        .collect();
    stored.sort();
    answered.sort();
    assert_eq!(stored, answered, "stored registrations that got no answer");
    let after = client.get(format!("http://{address}/livez")).send().await;
    assert!(after.is_err(), "the server still answers after stopping");
}
