//! `account-api sandbox` as a frontend team drives it end to end: codes read
//! from the inbox, the clock moved, the data reset, application states set —
//! with verification on, as in production.

use std::{
    path::Path,
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{ApiClient, admin_json, send_admin, verify_code},
    server_process::ServerProcess,
};

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
    let verified = verify_code(&sandbox, PHONE, &reset_code).await;
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

/// Runs `account-api sandbox --listen 127.0.0.1:0 <args>` in `cwd` with a
/// clean environment and `TMPDIR=temp`, to its exit: a sandbox still running
/// after a minute opened what it was given, and is killed.
fn sandbox_refusal(cwd: &Path, temp: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_account-api"))
        .args(["sandbox", "--listen", "127.0.0.1:0"])
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("TMPDIR", temp)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the sandbox");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "the sandbox started with {args:?}:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn the_sandbox_never_opens_an_existing_database() {
    let dir = tempfile::tempdir().unwrap();
    let temp = tempfile::tempdir().unwrap();
    let existing = dir.path().join("real.db");
    std::fs::write(&existing, b"real data").unwrap();
    std::os::unix::fs::symlink(&existing, dir.path().join("link.db")).unwrap();
    std::os::unix::fs::symlink("missing.db", dir.path().join("dangling.db")).unwrap();
    std::fs::write(dir.path().join("orphan.db.secret"), b"").unwrap();
    let path = dir.path().display().to_string();
    // Each names real.db (or a link, or a key file that is not the
    // sandbox's), as SQLite reads the URL; the check must read it so too.
    for url in [
        format!("sqlite://{path}/real.db"),
        format!("sqlite://{path}/real%2Edb"),
        format!("sqlite://{path}/real%2edb?mode=rwc"),
        format!("sqlite://{path}/%72eal.db?mode=rwc&cache=shared"),
        format!("sqlite://file:{path}/real.db"),
        format!("sqlite://file://localhost{path}/real%252Edb"),
        format!("sqlite:file:{path}/real.db?mode=rwc"),
        "sqlite:real.db".to_owned(),
        "sqlite://./real%2Edb".to_owned(),
        "sqlite:file:real%252Edb".to_owned(),
        format!("sqlite://{path}/link.db"),
        format!("sqlite://{path}/dangling.db"),
        format!("sqlite://{path}/orphan.db"),
        "sqlite::memory:".to_owned(),
        "postgres://postgres@127.0.0.1:5432/postgres".to_owned(),
    ] {
        let output = sandbox_refusal(dir.path(), temp.path(), &["--database-url", &url]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success(),
            "the sandbox opened {url}: {stderr}"
        );
        assert!(stderr.contains("--database-url"), "{url}: {stderr}");
        assert!(!stderr.contains("panicked"), "{url}: {stderr}");
    }
    assert_eq!(
        std::fs::read(&existing).unwrap(),
        b"real data",
        "the existing file was touched"
    );
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["dangling.db", "link.db", "orphan.db.secret", "real.db"],
        "a refused sandbox created nothing"
    );
}

#[tokio::test]
async fn a_sandbox_on_an_encoded_file_name_uses_the_decoded_file_and_deletes_it() {
    let dir = tempfile::tempdir().unwrap();
    let temp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/fresh%20box.db", dir.path().display());
    let mut server = ServerProcess::sandbox_in(temp.path(), &["--database-url", &url]).await;
    assert_eq!(
        server
            .login("13900000001", "demo123456", "web")
            .await
            .code(),
        200
    );
    assert!(dir.path().join("fresh box.db").exists());
    assert!(dir.path().join("fresh box.db.secret").exists());
    assert!(server.stop().success());
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "the sandbox left {left:?}");
}

/// The names in `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_sandbox_stopped_by_sigterm_leaves_nothing_in_the_temporary_directory() {
    let temp = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::sandbox_in(temp.path(), &[]).await;
    assert_eq!(
        server
            .login("13900000001", "demo123456", "web")
            .await
            .code(),
        200
    );
    let running = names(temp.path());
    assert_eq!(running.len(), 1, "{running:?}");
    assert!(
        running[0].starts_with("account-api-sandbox-"),
        "{running:?}"
    );
    assert!(server.stop().success(), "{}", server.logs());
    assert_eq!(names(temp.path()), Vec::<String>::new());
}

#[tokio::test]
async fn a_killed_sandbox_is_cleaned_up_by_the_next_start_and_a_running_one_never() {
    let temp = tempfile::tempdir().unwrap();
    let mut killed = ServerProcess::sandbox_in(temp.path(), &[]).await;
    let killed_dir = names(temp.path());
    let running = ServerProcess::sandbox_in(temp.path(), &[]).await;
    let running_dir: Vec<String> = names(temp.path())
        .into_iter()
        .filter(|name| !killed_dir.contains(name))
        .collect();
    assert_eq!((killed_dir.len(), running_dir.len()), (1, 1));
    // Not a sandbox's to judge: no lock file (an older version's, say).
    let foreign = temp.path().join("account-api-sandbox-foreign");
    std::fs::create_dir(&foreign).unwrap();
    killed.kill();
    assert!(
        temp.path().join(&killed_dir[0]).exists(),
        "SIGKILL leaves it"
    );

    let next = ServerProcess::sandbox_in(temp.path(), &[]).await;
    let after = names(temp.path());
    assert!(
        !after.contains(&killed_dir[0]),
        "the killed sandbox's directory stayed: {after:?}"
    );
    assert!(
        after.contains(&running_dir[0]),
        "a running sandbox's directory went: {after:?}"
    );
    assert!(foreign.exists());
    assert_eq!(after.len(), 3, "{after:?}");
    // The running sandbox still has its database.
    let login = running.login("13900000002", "demo123456", "web").await;
    assert_eq!(login.code(), 200, "{}", login.text);
    assert!(
        next.logs().contains("removed the directories of sandboxes"),
        "{}",
        next.logs()
    );
}

#[tokio::test]
async fn the_sandbox_serves_the_admin_api_with_a_printed_token_to_drive_approvals() {
    let server = ServerProcess::sandbox(&["--admin-listen", "127.0.0.1:0"]).await;
    let sandbox = server.client();
    let token = server
        .first_printed_line()
        .await
        .expect("the admin token on standard output");
    assert!(token.starts_with("adm_") && token.len() == 68, "{token:?}");
    assert!(!server.logs().contains(&token), "the token is in the log");
    let admin_address = server
        .logged_field("serving the admin API", "admin_address")
        .expect("the admin address in the log");
    let admin = reqwest::Client::new();
    let url = |path: &str| format!("http://{admin_address}{path}");

    let refused = admin
        .get(url("/admin/v1/applications"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    // The demo's pending applications, pending first.
    let listed = admin_json(
        admin.get(url("/admin/v1/applications?state=pending")),
        &token,
    )
    .await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{listed}");
    let user_id = sandbox
        .login("13900000002", "demo123456", "web")
        .await
        .data()["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = items
        .iter()
        .find(|item| item["user_id"] == user_id.as_str())
        .expect("13900000002's pending application")["id"]
        .as_i64()
        .unwrap();
    let approval = admin
        .post(url(&format!("/admin/v1/applications/{id}/approve")))
        .json(&json!({"permissions": ["member"]}));
    let approved = send_admin(approval, &token).await;
    assert_eq!(approved.status(), 200);
    let login = sandbox.login("13900000002", "demo123456", "web").await;
    assert_eq!(login.data()["apply"]["apply_state"], "1", "{}", login.text);
    assert_eq!(login.data()["enterprise_id"], "1");
    assert_eq!(login.data()["pemissions"], json!(["member"]));
    // The admin API is not on the sandbox's own listener.
    let public = sandbox
        .send_with_token(Method::GET, "/admin/v1/applications", &token)
        .await;
    assert_eq!(public.status, 404);
}

#[tokio::test]
async fn every_account_event_is_listed_newest_first_without_an_endpoint_and_reset_empties_it() {
    let server = ServerProcess::sandbox(&[]).await;
    let sandbox = server.client();
    let demo = "13900000001";
    let events = |sandbox: ApiClient| async move {
        let listed = sandbox.get("/sandbox/events").await;
        assert_eq!(listed.code(), 200, "{}", listed.text);
        listed.data()["events"].as_array().unwrap().clone()
    };
    assert_eq!(events(sandbox.clone()).await, Vec::<Value>::new());

    let login = sandbox.login(demo, "demo123456", "phone-a").await;
    assert_eq!(login.code(), 200, "{}", login.text);
    let token = login.data()["token"].as_str().unwrap().to_owned();
    // A refused login is no event.
    assert_ne!(
        sandbox
            .login(demo, "wrong-password", "phone-a")
            .await
            .code(),
        200
    );
    let logout = sandbox
        .send_with_token(Method::POST, "/api/v4.0/logout", &token)
        .await;
    assert_eq!(logout.code(), 200, "{}", logout.text);

    let listed = events(sandbox.clone()).await;
    let types: Vec<&str> = listed
        .iter()
        .map(|e| e["payload"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["session.revoked", "user.logged_in"], "newest first");
    let logged_in = &listed[1];
    assert!(logged_in["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(logged_in["payload"]["data"]["device_id"], "phone-a");
    assert_eq!(logged_in["payload"]["data"]["change_device"], true);
    assert_eq!(listed[0]["payload"]["data"]["reason"], "logout");
    assert!(!listed.iter().any(|e| e.to_string().contains(&token)));

    let reset = sandbox.post_form("/sandbox/reset", &[]).await;
    assert_eq!(reset.code(), 200, "{}", reset.text);
    assert_eq!(events(sandbox).await, Vec::<Value>::new());
}
