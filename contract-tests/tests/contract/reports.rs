//! What a run writes for CI, read back: the JUnit file (through quick-junit's
//! deserializer) lists every operation, encoding and check, and a failure
//! carries its request, answer and schema path; the coverage file counts
//! exactly the answers the server sent; `--min-coverage` fails a run below it.
//!
//! Each test runs the `contract-tests` binary against the in-process server
//! behind the recording proxy (`proxy`), which sees every answer the binary
//! received.

use std::collections::BTreeMap;

use contract_tests::{Document, junit::Check};
use quick_junit::{Report, TestCaseStatus};
use serde_json::Value;

use crate::{
    binary::{self, path_str},
    proxy::Proxy,
    server::TestServer,
};

/// Runs the binary with `args` against `base_url`: exit status, stdout, stderr.
fn run(base_url: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let ran = binary::run(["--base-url", base_url].iter().chain(args));
    (ran.status, ran.stdout, ran.stderr)
}

#[test]
fn the_junit_file_lists_every_check_and_a_failure_carries_request_answer_and_schema_path() {
    let server = TestServer::start();
    // isregister answers a code outside its enum; everything else is honest.
    let proxy = Proxy::start(server.runtime(), &server.base_url, |path, mut answer| {
        let envelope = serde_json::from_slice::<Value>(&answer.body);
        if let (true, Ok(mut json)) = (path.starts_with("/api/v4.0/isregister/"), envelope) {
            json["code"] = Value::from(7);
            answer.body = serde_json::to_vec(&json).expect("JSON serializes");
        }
        answer
    });
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("junit.xml");
    let (status, stdout, stderr) = run(
        &proxy.base_url,
        &["--cases", "6", "--junit", path_str(&file)],
    );
    assert_eq!(status, Some(1), "{stdout}\n{stderr}");

    let xml = std::fs::read_to_string(&file).expect("the JUnit file is written");
    let report = Report::deserialize_from_str(&xml).expect("a JUnit report");
    assert_eq!(report.test_suites.len(), 1);
    let suite = &report.test_suites[0];
    assert_eq!(suite.name.as_str(), "contract");
    let targets = Document::committed().targets();
    assert_eq!(suite.test_cases.len(), targets.len() * Check::ALL.len());
    for target in &targets {
        let title = format!(
            "{} [{} {}]",
            target.operation.title(),
            target.operation.operation_id,
            target.encoding.label()
        );
        for check in Check::ALL {
            let name = format!("{title} {}", check.name());
            assert!(
                suite.test_cases.iter().any(|c| c.name.as_str() == name),
                "no test case {name:?} in\n{xml}"
            );
        }
    }

    let failed: Vec<_> = suite
        .test_cases
        .iter()
        .filter(|c| matches!(c.status, TestCaseStatus::NonSuccess { .. }))
        .collect();
    let names: Vec<&str> = failed.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["GET /api/v4.0/isregister/{phone} [isregister params] body matches schema"],
        "{xml}"
    );
    assert_eq!((report.tests, report.failures), (suite.test_cases.len(), 1));
    let TestCaseStatus::NonSuccess {
        message,
        description,
        ..
    } = &failed[0].status
    else {
        unreachable!("filtered on NonSuccess");
    };
    let schema_path = "#/components/schemas/StatusReply/properties/code/enum";
    let message = message.as_ref().expect("a message").as_str();
    assert!(message.contains(schema_path), "{message}");
    let text = description.as_ref().expect("a text").as_str();
    for part in [
        "--- request\nGET /api/v4.0/isregister/",
        "--- response\nHTTP 200",
        r#"{"code":7,"#,
        &format!("schema path: {schema_path}"),
    ] {
        assert!(text.contains(part), "{part:?} missing from\n{text}");
    }
}

#[test]
fn coverage_counts_exactly_the_answers_the_server_sent() {
    let server = TestServer::start();
    let proxy = Proxy::start(server.runtime(), &server.base_url, |_, answer| answer);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("coverage.json");
    let (status, stdout, stderr) = run(
        &proxy.base_url,
        &[
            "--only",
            "isregister",
            "--cases",
            "48",
            "--coverage",
            path_str(&file),
            "--min-coverage",
            "25",
        ],
    );
    assert_eq!(status, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("coverage: "), "{stdout}");

    // What the server sent to isregister, by code (HTTP 2xx) and by status.
    let mut sent_codes: BTreeMap<String, u64> = BTreeMap::new();
    let mut sent_statuses: BTreeMap<String, u64> = BTreeMap::new();
    for (path, answer) in proxy.sent() {
        if !path.starts_with("/api/v4.0/isregister/") {
            continue;
        }
        *sent_statuses.entry(answer.status.to_string()).or_default() += 1;
        let body: Value = serde_json::from_slice(&answer.body).expect("an envelope");
        if (200..300).contains(&answer.status) {
            *sent_codes.entry(body["code"].to_string()).or_default() += 1;
        }
    }
    assert!(
        sent_codes.len() >= 2,
        "a run should see more than one code: {sent_codes:?}"
    );

    let coverage: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("the coverage file"))
            .expect("JSON");
    let operations = coverage["operations"].as_array().expect("operations");
    assert_eq!(operations.len(), 1, "{coverage:#}");
    let isregister = &operations[0];
    assert_eq!(isregister["operationId"], "isregister");
    let seen = |key: &str, field: &str| -> BTreeMap<String, u64> {
        isregister[key]
            .as_array()
            .expect("a list")
            .iter()
            .filter(|item| item["seen"].as_u64() > Some(0))
            .map(|item| {
                let value = match &item[field] {
                    Value::String(text) if field == "status" => text.clone(),
                    value => value.to_string(),
                };
                (value, item["seen"].as_u64().unwrap())
            })
            .collect()
    };
    assert_eq!(seen("codes", "code"), sent_codes, "{coverage:#}");
    assert_eq!(seen("statuses", "status"), sent_statuses, "{coverage:#}");
    let documented = |key: &str, field: &str| -> Vec<String> {
        isregister[key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|item| item["documented"] == true)
            .map(|item| item[field].to_string())
            .collect()
    };
    assert_eq!(documented("codes", "code"), ["200", "-1", "400", "429"]);
    assert_eq!(
        documented("statuses", "status"),
        [r#""200""#, r#""408""#, r#""413""#, r#""500""#]
    );
    let covered = isregister["covered"].as_u64().unwrap();
    assert_eq!(covered, coverage["covered"].as_u64().unwrap());
    let markdown = std::fs::read_to_string(dir.path().join("coverage.md")).expect("the Markdown");
    assert!(
        markdown.contains(&format!(
            "| `isregister` | `GET /api/v4.0/isregister/{{phone}}` | {covered}/8 "
        )),
        "{markdown}"
    );

    // 408, 413 and 500 never come from an honest server: 100% is out of reach.
    let (status, stdout, _) = run(
        &proxy.base_url,
        &[
            "--only",
            "isregister",
            "--cases",
            "8",
            "--min-coverage",
            "100",
        ],
    );
    assert_eq!(status, Some(1), "{stdout}");
    assert!(stdout.contains("is below --min-coverage 100%"), "{stdout}");
    let (status, _, stderr) = run(&proxy.base_url, &["--min-coverage", "101"]);
    assert_eq!(status, Some(2), "{stderr}");
    assert!(
        stderr.contains("101 is not a percentage from 0 to 100"),
        "{stderr}"
    );
}
