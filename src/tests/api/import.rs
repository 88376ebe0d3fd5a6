//! `account-api import`: the legacy server's accounts brought across from
//! JSON Lines, on the run's backend. Every hash scheme (hashes made by the
//! libraries that write them, `legacy_vectors.json`) logs in over HTTP after
//! the import, right password 200 and Argon2id after, wrong one -1; legacy
//! tokens answer `/me`; a re-import is all unchanged, also after the logins
//! re-hashed; conflicts and line errors carry their line numbers; a dry run
//! writes nothing; `--all-or-nothing` imports nothing when a line is bad.

use std::{
    process::{Command, Output},
    sync::{Arc, atomic::AtomicBool},
};

use account_api::{
    import::{self, Input, Options, Report},
    password_hasher::{HashCost, PasswordHasher},
    test_support::TestDatabase,
};
use entity::{enterprises, sessions, users};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::{
    helpers::{DEVICE, TestApp},
    legacy_login::{legacy_gauge, login_vectors},
};

/// Imports `lines` into `app`'s database with `options`.
async fn import_lines(app: &TestApp, lines: &[Value], options: Options) -> Report {
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    import_text(app, &text, options).await
}

async fn import_text(app: &TestApp, text: &str, options: Options) -> Report {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    let hasher = PasswordHasher::with_cost(HashCost::LIGHTEST, 2, usize::MAX);
    let mut progress = Vec::new();
    import::run(
        app.db(),
        &hasher,
        Input::File(file.path().to_owned()),
        &options,
        Arc::new(AtomicBool::new(false)),
        &mut progress,
    )
    .await
    .expect("the import runs")
}

fn token_of(n: usize) -> String {
    format!("{n:08x}legacytoken{n:013x}")
}

/// An enterprise line, and a user line per scheme (with its legacy token),
/// the phones written in the legacy server's ways; and one in clear.
fn legacy_file() -> Vec<Value> {
    let mut lines = vec![json!({"type": "enterprise", "id": 7, "name": "apple"})];
    for (n, (scheme, vector)) in login_vectors().iter().enumerate() {
        let phone = match n % 3 {
            0 => format!("+86 139 0000 {n:04}"),
            1 => format!("86139 0000{n:04}"),
            _ => format!("139-0000-{n:04}"),
        };
        lines.push(json!({
            "type": "user",
            "user_id": format!("{n:032x}"),
            "phone": phone,
            "name": format!("user {scheme}"),
            "password_hash": vector.hash,
            "device_identifier": "legacy-device",
            "created_at": "2019-05-01T08:00:00Z",
            "enterprise_id": 7,
            "permissions": ["read"],
            "application": {"enterprise_id": 7, "state": (n % 3) as i64 - 1},
            "tokens": [token_of(n)],
        }));
    }
    lines.push(json!({
        "type": "user",
        "phone": "13800000001",
        "name": "in clear",
        "password": "cleartext1",
    }));
    lines
}

fn phone_of(n: usize) -> String {
    format!("1390000{n:04}")
}

fn assert_all_unchanged(report: &Report, lines: u64) {
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (0, 0, lines),
        "{report:#?}"
    );
    assert!(report.conflicts.is_empty(), "{:#?}", report.conflicts);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
}

#[tokio::test]
async fn every_scheme_is_imported_logs_in_and_a_re_import_is_unchanged() {
    let app = TestApp::spawn().await;
    let vectors = login_vectors();
    let lines = legacy_file();
    let total = lines.len() as u64;

    let report = import_lines(&app, &lines, Options::default()).await;
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert_eq!(
        report.users.created,
        vectors.len() as u64 + 1,
        "{report:#?}"
    );
    assert_eq!(report.enterprises.created, 1);
    assert_eq!(report.created, total);
    assert_eq!(report.sessions_opened, vectors.len() as u64);
    for scheme in vectors.keys() {
        assert_eq!(report.schemes.get(scheme.name()), Some(&1), "{scheme}");
    }
    assert_eq!(report.schemes.get("password"), Some(&1));
    assert!(report.written && !report.dry_run);
    let legacy = legacy_gauge(&app).await;
    assert!(legacy >= vectors.len() as u64 - 1, "{legacy}");

    // The hashes are stored as the legacy stack wrote them; the clear
    // password is hashed with Argon2id.
    for (n, vector) in vectors.values().enumerate() {
        let user = app.user(&phone_of(n)).await.expect("imported");
        assert_eq!(user.id, format!("{n:032x}"));
        assert_eq!(user.password_hash, vector.hash);
        assert_eq!(user.enterprise_id, Some(7));
    }
    let clear = app.user("13800000001").await.unwrap();
    assert!(clear.password_hash.starts_with("$argon2id$"));
    assert_eq!(clear.id.len(), 32);

    // The legacy tokens answer /me before anyone logs in.
    for (n, _) in vectors.values().enumerate() {
        let me = app
            .send_with_token(reqwest::Method::GET, "/api/v4.0/me", token_of(n))
            .await;
        assert_eq!(me.code(), 200, "{}", me.text);
        assert_eq!(me.data()["user_id"], format!("{n:032x}"), "{}", me.text);
    }
    // Stored hashed, as the server's own.
    let stored = sessions::Entity::find().all(app.db()).await.unwrap();
    assert!(stored.iter().all(|session| session.token_hash.len() == 64));
    assert!(
        stored
            .iter()
            .all(|session| !session.token_hash.contains("legacytoken"))
    );

    // Logging in: wrong -1, right 200 and re-hashed.
    for (n, (scheme, vector)) in vectors.iter().enumerate() {
        let phone = phone_of(n);
        let wrong = app.login(&phone, &vector.wrong_password, DEVICE).await;
        assert_eq!(wrong.code(), -1, "{scheme}: {}", wrong.text);
        let right = app.login(&phone, &vector.password, DEVICE).await;
        assert_eq!(right.code(), 200, "{scheme}: {}", right.text);
        let user = app.user(&phone).await.unwrap();
        assert!(user.password_hash.starts_with("$argon2id$"), "{scheme}");
        assert!(
            !app.state.hasher.needs_rehash(&user.password_hash),
            "{scheme}"
        );
    }
    let right = app.login("13800000001", "cleartext1", DEVICE).await;
    assert_eq!(right.code(), 200, "{}", right.text);
    assert_eq!(
        app.login("13800000001", "cleartext2", DEVICE).await.code(),
        -1
    );
    assert_eq!(legacy_gauge(&app).await, 0);

    // The same file again, after the cutover's logins: nothing to do.
    let again = import_lines(&app, &lines, Options::default()).await;
    assert_all_unchanged(&again, total);
    assert_eq!(again.sessions_opened, 0);
    assert_eq!(legacy_gauge(&app).await, 0);
    // And the passwords still work.
    let (_, first) = vectors.iter().next().unwrap();
    assert_eq!(
        app.login(&phone_of(0), &first.password, DEVICE)
            .await
            .code(),
        200
    );
}

/// A re-run reads each batch's accounts in one statement, by id (by phone
/// only for the line that gives no id), every table through an index, and
/// writes nothing.
#[tokio::test]
async fn a_re_import_reads_each_batch_by_id_through_indexes_and_writes_nothing() {
    let (app, recorded) = TestApp::spawn_recording_statements(|_| {}).await;
    let lines = legacy_file();
    let options = Options {
        batch_size: 4,
        ..Options::default()
    };
    let first = import_lines(&app, &lines, options.clone()).await;
    assert!(first.errors.is_empty(), "{:#?}", first.errors);
    recorded.lock().unwrap().clear();

    let again = import_lines(&app, &lines, options).await;
    assert_all_unchanged(&again, lines.len() as u64);
    let statements = recorded.lock().unwrap().clone();
    let writes: Vec<&str> = statements
        .iter()
        .map(|statement| statement.sql.trim_start())
        .filter(|sql| {
            ["INSERT", "UPDATE", "DELETE"]
                .iter()
                .any(|verb| sql.starts_with(verb))
        })
        .collect();
    assert!(writes.is_empty(), "{writes:#?}");
    let account_reads: Vec<_> = statements
        .iter()
        .filter(|statement| statement.sql.contains("FROM users WHERE"))
        .collect();
    let by_id = account_reads
        .iter()
        .filter(|statement| statement.sql.contains("WHERE users.id"))
        .count();
    assert_eq!(by_id, lines.len().div_ceil(4), "one read by id per batch");
    assert_eq!(
        account_reads.len(),
        by_id + 1,
        "and one by phone, for the line without an id"
    );
    for statement in account_reads {
        let plan = crate::query_plans::plan(&app, statement).await;
        let scans: Vec<&String> = plan
            .iter()
            .filter(|step| step.contains("Seq Scan") || step.trim_start().starts_with("SCAN "))
            .collect();
        assert!(scans.is_empty(), "{}\n{plan:#?}", statement.sql);
    }
}

/// An enterprise line given again after the batch that created it is
/// unchanged, and users of later batches may refer to it.
#[tokio::test]
async fn an_enterprise_given_again_in_a_later_batch_is_unchanged() {
    let app = TestApp::spawn().await;
    let (_, vector) = login_vectors().into_iter().next().unwrap();
    let enterprise = json!({"type": "enterprise", "id": 7, "name": "apple"});
    let user = |n: usize| {
        json!({"type": "user", "phone": phone_of(n), "name": format!("user {n}"),
               "password_hash": vector.hash, "enterprise_id": 7})
    };
    let lines = [enterprise.clone(), user(1), user(2), enterprise, user(3)];
    let options = Options {
        batch_size: 2,
        ..Options::default()
    };
    let report = import_lines(&app, &lines, options.clone()).await;
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert!(report.conflicts.is_empty(), "{:#?}", report.conflicts);
    assert_eq!(
        (report.enterprises.created, report.enterprises.unchanged),
        (1, 1),
        "{report:#?}"
    );
    assert_eq!(report.users.created, 3);
    assert_eq!(app.user(&phone_of(3)).await.unwrap().enterprise_id, Some(7));

    let again = import_lines(&app, &lines, options).await;
    assert_all_unchanged(&again, lines.len() as u64);
}

#[tokio::test]
async fn conflicts_and_line_errors_are_reported_with_their_line_numbers() {
    let app = TestApp::spawn().await;
    let (_, vector) = login_vectors().into_iter().next().unwrap();
    let user = |id: &str, phone: &str, name: &str| {
        json!({"type": "user", "user_id": id, "phone": phone, "name": name,
               "password_hash": vector.hash})
    };
    let a = "a".repeat(32);
    let b = "b".repeat(32);
    let c = "c".repeat(32);
    let first = import_lines(
        &app,
        &[
            user(&a, "13900000001", "alice"),
            user(&b, "13900000002", "bob"),
        ],
        Options::default(),
    )
    .await;
    assert_eq!(first.users.created, 2, "{first:#?}");

    let text = [
        // 1: alice renamed: a conflict on the name.
        user(&a, "13900000001", "alice 2").to_string(),
        // 2: a phone that is no phone.
        user(&c, "1390000", "carol").to_string(),
        // 3: a hash in no known form.
        json!({"type": "user", "phone": "13900000003", "name": "dan",
               "password_hash": "{SSHA}abcdefgh"})
        .to_string(),
        // 4: blank, skipped.
        String::new(),
        // 5: a new account: imported despite the bad lines.
        user(&c, "13900000005", "carol").to_string(),
        // 6: bob's phone under another id.
        user(&"d".repeat(32), "13900000002", "bob").to_string(),
        // 7: not JSON.
        "{not json".to_owned(),
        // 8: an enterprise nobody gave.
        json!({"type": "user", "phone": "13900000008", "name": "erin",
               "password_hash": vector.hash, "enterprise_id": 99})
        .to_string(),
        // 9: bob unchanged.
        user(&b, "13900000002", "bob").to_string(),
    ]
    .join("\n");
    let report = import_text(&app, &text, Options::default()).await;
    let lines_of = |list: &[import::LineReport]| -> Vec<(u64, String)> {
        list.iter()
            .map(|item| (item.line, item.field.clone()))
            .collect()
    };
    assert_eq!(
        lines_of(&report.conflicts),
        [(1, "name".to_owned()), (6, "phone".to_owned())],
        "{:#?}",
        report.conflicts
    );
    assert_eq!(
        lines_of(&report.errors),
        [
            (2, "phone".to_owned()),
            (3, "password_hash".to_owned()),
            (7, "line".to_owned()),
            (8, "enterprise_id".to_owned())
        ],
        "{:#?}",
        report.errors
    );
    assert!(report.failed());
    assert_eq!((report.users.created, report.users.unchanged), (1, 1));
    assert!(app.user("13900000005").await.is_some(), "the good line");
    assert_eq!(
        app.user("13900000001").await.unwrap().name,
        "alice",
        "left alone"
    );
    assert!(
        report.summary().contains("line 3: password_hash"),
        "{}",
        report.summary()
    );
    // No reason repeats a hash.
    for item in report.errors.iter().chain(&report.conflicts) {
        assert!(!item.reason.contains("abcdefgh"), "{item:?}");
        assert!(!item.reason.contains(&vector.hash), "{item:?}");
    }

    // With --update the conflict on alice's name is resolved by the file.
    let updated = import_text(
        &app,
        &user(&a, "13900000001", "alice 2").to_string(),
        Options {
            update: true,
            ..Options::default()
        },
    )
    .await;
    assert_eq!(updated.users.updated, 1, "{updated:#?}");
    assert_eq!(app.user("13900000001").await.unwrap().name, "alice 2");
}

#[tokio::test]
async fn a_dry_run_checks_every_line_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let mut lines = legacy_file();
    lines.push(json!({"type": "user", "phone": "12", "name": "x", "password": "123456"}));
    let report = import_lines(
        &app,
        &lines,
        Options {
            dry_run: true,
            ..Options::default()
        },
    )
    .await;
    assert!(report.dry_run && !report.written);
    assert_eq!(report.created, lines.len() as u64 - 1, "{report:#?}");
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].line, lines.len() as u64);
    assert_eq!(users::Entity::find().count(app.db()).await.unwrap(), 0);
    assert_eq!(
        enterprises::Entity::find().count(app.db()).await.unwrap(),
        0
    );
    assert_eq!(sessions::Entity::find().count(app.db()).await.unwrap(), 0);
}

#[tokio::test]
async fn all_or_nothing_imports_nothing_when_a_line_is_bad() {
    let app = TestApp::spawn().await;
    let mut lines = legacy_file();
    lines.push(json!({"type": "user", "phone": "13900009999", "name": "x"}));
    let options = Options {
        all_or_nothing: true,
        batch_size: 4,
        ..Options::default()
    };
    let report = import_lines(&app, &lines, options.clone()).await;
    assert!(!report.written, "{report:#?}");
    assert_eq!(report.errors.len(), 1);
    assert!(report.summary().contains("nothing was imported"));
    assert_eq!(users::Entity::find().count(app.db()).await.unwrap(), 0);
    assert_eq!(
        enterprises::Entity::find().count(app.db()).await.unwrap(),
        0
    );

    // Without the bad line, everything, in small batches.
    lines.pop();
    let report = import_lines(&app, &lines, options).await;
    assert!(report.written && report.errors.is_empty(), "{report:#?}");
    assert_eq!(
        users::Entity::find().count(app.db()).await.unwrap(),
        lines.len() as u64 - 1
    );
}

fn run_import(url: &str, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_account-api"))
        .arg("import")
        .args(args)
        .args(["--database-url", url])
        .env_clear()
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the binary");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn the_command_imports_standard_input_writes_its_report_and_fails_on_a_bad_line() {
    let database = TestDatabase::create().await;
    let url = database.url().to_owned();
    let (_, vector) = login_vectors().into_iter().next().unwrap();
    let good = json!({"type": "user", "phone": "+86 139 0000 0001", "name": "alice",
                      "password_hash": vector.hash, "tokens": ["cli-token-1"]});
    let bad = json!({"type": "user", "phone": "13900000002", "name": "bob",
                     "password_hash": "not a hash"});
    let input = format!("{good}\n{bad}\n");
    let dir = tempfile::tempdir().unwrap();
    let report_path = dir.path().join("report.json");
    let report_arg = report_path.to_str().unwrap().to_owned();
    let output = {
        let url = url.clone();
        let input = input.clone();
        let report_arg = report_arg.clone();
        tokio::task::spawn_blocking(move || {
            run_import(&url, &["-", "--report", &report_arg], &input)
        })
        .await
        .unwrap()
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 created"), "{stdout}");
    assert!(stdout.contains("error: line 2: password_hash"), "{stdout}");
    assert!(stderr.contains("1 line(s) had errors"), "{stderr}");
    assert!(!stdout.contains(&vector.hash) && !stderr.contains(&vector.hash));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    for key in ["created", "unchanged", "updated"] {
        assert!(report[key].is_u64(), "{key}: {report}");
    }
    assert_eq!(report["created"], 1);
    assert_eq!(report["errors"][0]["line"], 2);
    assert_eq!(report["errors"][0]["field"], "password_hash");
    assert_eq!(report["conflicts"], json!([]));
    assert_eq!(report["schemes"][vector.scheme.as_str()], 1);

    // The server over that database: the account logs in, the token answers.
    let app = TestApp::spawn_on(database, |_| {}).await;
    let me = app
        .send_with_token(reqwest::Method::GET, "/api/v4.0/me", "cli-token-1")
        .await;
    assert_eq!(me.code(), 200, "{}", me.text);
    let login = app.login("13900000001", &vector.password, DEVICE).await;
    assert_eq!(login.code(), 200, "{}", login.text);

    // A dry run of the good line alone: unchanged, exit 0, nothing written.
    let output = tokio::task::spawn_blocking(move || {
        run_import(&url, &["-", "--dry-run"], &format!("{good}\n"))
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("1 unchanged"), "{stdout}");
    assert!(stdout.contains("dry run: nothing was written"), "{stdout}");
}
