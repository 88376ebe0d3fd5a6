//! `contract-tests compare` through the binary, between two servers in
//! process: two with the same settings must answer alike; a new one with a
//! login lockout the old one lacked must be caught, shrunk to the three
//! logins that show it, reported by operation and field (and in JUnit), and
//! exit 1, unless an `--allow` file lists it.

use account_api::settings::Verification;
use contract_tests::model::Limits;
use quick_junit::TestCaseStatus;

use crate::{
    binary::{self, junit, path_str},
    server::{TestServer, lifted},
};

/// `contract-tests compare --old <old> --new <new> <args>`: exit status and output.
fn compare(old: &str, new: &str, args: &[&str]) -> (Option<i32>, String) {
    let ran = binary::run(["compare", "--old", old, "--new", new].iter().chain(args));
    (ran.status, ran.text())
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
fn a_login_lockout_the_old_server_lacked_is_caught_shrunk_and_allowed() {
    // The old server never locks a phone out; the new one after two wrong passwords.
    let with_lockout_after = |failures| {
        TestServer::start_with(
            Verification::Off,
            &lifted(Limits {
                login_max_failures: failures,
                ..Limits::default()
            }),
        )
    };
    let old = with_lockout_after(1000);
    let new = with_lockout_after(2);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("compare.xml");
    // No account is registered, so every login fails, and the new server
    // refuses the third to a phone: one sequence in three or four shows it,
    // so 48 miss it about once in a million runs.
    let only = ["--only", "login,loginGet,isregister"];
    let cases = ["--cases", "48"];
    let (status, text) = compare(
        &old.base_url,
        &new.base_url,
        &[&["--junit", path_str(&file)][..], &cases, &only].concat(),
    );
    assert_eq!(status, Some(1), "{text}");
    assert!(text.contains("FAIL:"), "{text}");

    // Reported by operation and field: the old server's "wrong password"
    // against the new one's lockout.
    let section = text
        .split("\n=== ")
        .find(|s| s.contains(" /code: old -1, new 429"))
        .unwrap_or_else(|| panic!("no /code difference reported:\n{text}"));
    assert!(
        section.starts_with("login: ") || section.starts_with("loginGet: "),
        "{section}"
    );
    // Shrunk to three logins to one phone, the third refused.
    let steps: Vec<&str> = section
        .lines()
        .filter(|line| {
            let number = line.trim_start().split(". ").next().unwrap_or_default();
            number.parse::<u32>().is_ok()
        })
        .collect();
    assert_eq!(steps.len(), 3, "{section}");
    let phone = |step: &str| {
        step.split("phone: ")
            .nth(1)?
            .split(',')
            .next()
            .map(str::to_owned)
    };
    assert!(
        steps.iter().all(|s| s.contains("Login { phone: Pool(")),
        "{section}"
    );
    assert!(
        steps.iter().all(|s| phone(s) == phone(steps[0])),
        "{section}"
    );
    assert!(steps[2].ends_with("<- differs"), "{section}");
    for field in ["/msg", "retry-after"] {
        assert!(
            text.contains(&format!(" {field}: old ")),
            "{field} not reported:\n{text}"
        );
    }
    // Nothing else differs: isregister answers alike.
    assert!(!text.contains("isregister /"), "{text}");

    let report = junit(&file);
    let failed: Vec<&str> = report.test_suites[0]
        .test_cases
        .iter()
        .filter(|c| !matches!(c.status, TestCaseStatus::Success { .. }))
        .map(|c| c.name.as_str())
        .collect();
    assert!(
        !failed.is_empty() && failed.iter().all(|n| n.starts_with("login")),
        "{failed:?}"
    );

    // Listed as known and accepted: the run passes, and says why.
    let allow = dir.path().join("accepted.txt");
    std::fs::write(
        &allow,
        "# operationId  field  why\n\
         login     *  the old server never locked a phone out\n\
         loginGet  *  the old server never locked a phone out\n\
         sendsms /msg\n",
    )
    .expect("the allow file is written");
    let (status, text) = compare(
        &old.base_url,
        &new.base_url,
        &[&["--allow", path_str(&allow)][..], &cases, &only].concat(),
    );
    assert_eq!(status, Some(0), "{text}");
    assert!(
        text.contains("of --allow: the old server never locked a phone out"),
        "{text}"
    );
    assert!(
        text.contains("note: line 4 of --allow (sendsms /msg) matched no difference"),
        "{text}"
    );

    // A typo in the allow file stops the run before it starts.
    std::fs::write(&allow, "logIn /code\n").expect("the allow file is written");
    let (status, text) = compare(
        &old.base_url,
        &new.base_url,
        &["--cases", "1", "--allow", path_str(&allow)],
    );
    assert_eq!(status, Some(2), "{text}");
    assert!(text.contains("no operation \"logIn\""), "{text}");
}
