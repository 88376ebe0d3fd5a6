//! `contract-tests compare` through the binary, between two servers in
//! process: two with the same settings must answer alike; a new one with a
//! send limit the old one lacked must be caught, shrunk to the two sends
//! that show it, reported by operation and field (and in JUnit), and exit
//! 1, unless an `--allow` file lists it.

use std::{path::Path, process::Command};

use account_api::settings::Verification;
use contract_tests::model::Limits;
use quick_junit::{Report, TestCaseStatus};

use crate::server::{TestServer, lifted};

/// `contract-tests compare --old <old> --new <new> <args>`: exit status and output.
fn compare(old: &str, new: &str, args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_contract-tests"))
        .args(["compare", "--old", old, "--new", new])
        .args(args)
        .env_remove("PROPTEST_CASES")
        .output()
        .expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}

fn junit(path: &Path) -> Report {
    let xml = std::fs::read_to_string(path).expect("the JUnit file is written");
    Report::deserialize_from_str(&xml).expect("a JUnit report")
}

#[test]
fn two_servers_with_the_same_settings_answer_alike() {
    let old = TestServer::start();
    let new = TestServer::start();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("compare.xml");
    let (status, text) = compare(
        &old.base_url,
        &new.base_url,
        &["--cases", "24", "--junit", path_str(&file)],
    );
    assert_eq!(status, Some(0), "{text}");
    assert!(
        text.contains("ok: the new deployment answers as the old one"),
        "{text}"
    );
    // Every operation the sequences use was sent, and its answers matched.
    let report = junit(&file);
    let suite = &report.test_suites[0];
    assert_eq!(suite.name.as_str(), "compare");
    let names: Vec<&str> = suite.test_cases.iter().map(|c| c.name.as_str()).collect();
    for operation in ["sendsms", "isregister", "register", "login", "me", "logout"] {
        assert!(
            names.contains(&format!("{operation} answers alike").as_str()),
            "{operation} was never sent: {names:?}\n{text}"
        );
    }
    assert!(
        suite
            .test_cases
            .iter()
            .all(|c| matches!(c.status, TestCaseStatus::Success { .. })),
        "{text}"
    );
    // One deployment against itself: each run on phones of its own.
    let (status, text) = compare(&new.base_url, &new.base_url, &["--cases", "8"]);
    assert_eq!(status, Some(0), "{text}");
}

#[test]
fn a_send_limit_the_old_server_lacked_is_caught_shrunk_and_allowed() {
    // The old server sends as often as asked; the new one once a minute per phone.
    let old = TestServer::start_with(
        Verification::Off,
        &lifted(Limits {
            sends_per_phone_per_minute: 1000,
            sends_per_phone_per_hour: 1000,
            sends_per_phone_per_day: 1000,
            ..Limits::default()
        }),
    );
    let new = TestServer::start();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("compare.xml");
    // Two sends to one phone within a sequence come in about one sequence
    // in twenty: enough sequences that the run cannot miss them (a few
    // requests each, as only these operations' steps are sent).
    let only = ["--only", "sendsms,sendsmsGet,isregister"];
    let cases = ["--cases", "240"];
    let (status, text) = compare(
        &old.base_url,
        &new.base_url,
        &[&["--junit", path_str(&file)][..], &cases, &only].concat(),
    );
    assert_eq!(status, Some(1), "{text}");
    assert!(text.contains("FAIL:"), "{text}");

    // Reported by operation and field, the old server's success against the limit.
    let section = text
        .split("=== difference ")
        .find(|s| s.contains(" /code: old \"200\", new \"429\""))
        .unwrap_or_else(|| panic!("no /code difference reported:\n{text}"));
    assert!(
        section.contains(": sendsms /code") || section.contains(": sendsmsGet /code"),
        "{section}"
    );
    // Shrunk to two sends to one phone, the second refused.
    let steps: Vec<&str> = section
        .lines()
        .filter(|line| {
            line.trim_start()
                .split(". ")
                .next()
                .is_some_and(|n| n.parse::<u32>().is_ok())
        })
        .collect();
    assert_eq!(steps.len(), 2, "{section}");
    let phone = |step: &str| {
        step.split("phone: ")
            .nth(1)
            .map(|p| p.split(',').next().map(str::to_owned))
    };
    assert!(
        steps.iter().all(|s| s.contains("SendSms { phone: Pool(")),
        "{section}"
    );
    assert_eq!(phone(steps[0]), phone(steps[1]), "{section}");
    assert!(steps[1].ends_with("<- differs"), "{section}");
    for field in ["/msg", "retry-after"] {
        assert!(
            text.contains(&format!(" {field}: old ")),
            "{field} not reported:\n{text}"
        );
    }
    // Nothing else differs: isregister is alike.
    assert!(!text.contains(": isregister "), "{text}");

    let report = junit(&file);
    let failed: Vec<&str> = report.test_suites[0]
        .test_cases
        .iter()
        .filter(|c| !matches!(c.status, TestCaseStatus::Success { .. }))
        .map(|c| c.name.as_str())
        .collect();
    assert!(
        !failed.is_empty() && failed.iter().all(|n| n.starts_with("sendsms")),
        "{failed:?}"
    );

    // Listed as known and accepted: the run passes, and says why.
    let allow = dir.path().join("accepted.txt");
    std::fs::write(
        &allow,
        "# operationId  field  why\n\
         sendsms     *  the old server had no send limit\n\
         sendsmsGet  *  the old server had no send limit\n\
         login /msg\n",
    )
    .expect("the allow file is written");
    let (status, text) = compare(
        &old.base_url,
        &new.base_url,
        &[&["--allow", path_str(&allow)][..], &cases, &only].concat(),
    );
    assert_eq!(status, Some(0), "{text}");
    assert!(
        text.contains("allowed by line 2 of --allow: the old server had no send limit")
            || text.contains("allowed by line 3 of --allow: the old server had no send limit"),
        "{text}"
    );
    assert!(
        text.contains("note: line 4 of --allow (login /msg) matched no difference"),
        "{text}"
    );

    // A typo in the allow file stops the run before it starts.
    std::fs::write(&allow, "sendSms /code\n").expect("the allow file is written");
    let (status, text) = compare(
        &old.base_url,
        &new.base_url,
        &["--cases", "1", "--allow", path_str(&allow)],
    );
    assert_eq!(status, Some(2), "{text}");
    assert!(text.contains("no operation \"sendSms\""), "{text}");
}
