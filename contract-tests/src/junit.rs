//! A run as JUnit XML, the format GitLab, Jenkins, Azure Pipelines and the
//! GitHub test reporters display.
//!
//! The `contract` suite has one test case per operation × encoding × check
//! ([`Check`]): `GET /api/v4.0/isregister/{phone} [isregister params] body
//! matches schema`. A check fails when any answer of that target broke it;
//! its failure's message names each distinct violation with its schema path,
//! and its text holds, for each, the smallest request found, the answer and
//! every violation of that answer with its schema path (the text the run
//! prints).
//!
//! # Further suites
//!
//! [`suite`] makes a suite out of plain `(name, Result<(), String>)` cases,
//! an `Err` holding the failure's text (its first line becomes the
//! message). The `contract` suite is built with it, and a run that checks
//! more — a stateful model run, say — adds its own suite to the same report
//! with [`quick_junit::Report::add_test_suite`] before [`write()`].

use std::{path::Path, time::Duration};

use quick_junit::{NonSuccessKind, Report, TestCaseStatus, TestSuite};

use crate::{check::ViolationKind, report, runner::TargetReport};

/// What a test case of the `contract` suite checks of every answer of its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// An HTTP answer came.
    Answered,
    /// No 5xx.
    NoServerError,
    /// The status is declared for the operation.
    DeclaredStatus,
    /// The content type is declared for that status.
    DeclaredContentType,
    /// The body is what the schema declares (JSON, matching; none where none is declared).
    BodyMatchesSchema,
    /// Declared headers present when required and matching their schema.
    DeclaredHeaders,
}

impl Check {
    /// Every check, in the order of the test cases.
    pub const ALL: [Self; 6] = [
        Self::Answered,
        Self::NoServerError,
        Self::DeclaredStatus,
        Self::DeclaredContentType,
        Self::BodyMatchesSchema,
        Self::DeclaredHeaders,
    ];

    /// The test case's last words.
    pub fn name(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::NoServerError => "no server error",
            Self::DeclaredStatus => "declared status",
            Self::DeclaredContentType => "declared content type",
            Self::BodyMatchesSchema => "body matches schema",
            Self::DeclaredHeaders => "declared headers",
        }
    }

    /// The check a kind of violation breaks.
    pub fn of(kind: ViolationKind) -> Self {
        match kind {
            ViolationKind::NoAnswer => Self::Answered,
            ViolationKind::ServerError => Self::NoServerError,
            // An answer to no operation of the document has no declared status at all.
            ViolationKind::UndeclaredStatus | ViolationKind::UndocumentedOperation => {
                Self::DeclaredStatus
            }
            ViolationKind::UndeclaredContentType => Self::DeclaredContentType,
            ViolationKind::NotJson
            | ViolationKind::SchemaMismatch
            | ViolationKind::UnexpectedBody => Self::BodyMatchesSchema,
            ViolationKind::BadHeader => Self::DeclaredHeaders,
        }
    }
}

/// The JUnit report of a run that took `elapsed`: the `contract` suite of `reports`.
pub fn report(name: &str, reports: &[TargetReport], elapsed: Duration) -> Report {
    let mut report = Report::new(name);
    let mut suite = contract_suite(reports);
    suite.set_time(elapsed);
    report.add_test_suite(suite).set_time(elapsed);
    report
}

/// One case per target × [`Check`], failed with every distinct violation of that check.
pub fn contract_suite(reports: &[TargetReport]) -> TestSuite {
    let cases = reports.iter().flat_map(|target| {
        Check::ALL.into_iter().map(move |check| {
            let name = format!("{} {}", target.title(), check.name());
            (name, check_outcome(target, check))
        })
    });
    suite("contract", cases)
}

/// `Ok` when no answer of `target` broke `check`, else the failure's text.
fn check_outcome(target: &TargetReport, check: Check) -> Result<(), String> {
    let failures: Vec<_> = target
        .failures
        .iter()
        .filter(|failure| {
            failure
                .violations
                .iter()
                .find(|v| v.signature() == failure.signature)
                .is_some_and(|v| Check::of(v.kind) == check)
        })
        .collect();
    if failures.is_empty() {
        return Ok(());
    }
    let signatures: Vec<String> = failures
        .iter()
        .map(|f| {
            format!(
                "{} (in {} of {} cases)",
                f.signature, f.occurrences, target.cases
            )
        })
        .collect();
    let mut text = signatures.join("; ") + "\n";
    for (n, failure) in failures.iter().enumerate() {
        text.push_str(&format!(
            "\n=== violation {} of {}: {}\n{}",
            n + 1,
            failures.len(),
            failure.signature,
            report::failure_details(target, failure)
        ));
    }
    Err(text)
}

/// A suite named `name` of `cases`: each passed (`Ok`) or failed with the
/// `Err`'s text, whose first line is the failure's message.
pub fn suite(
    name: &str,
    cases: impl IntoIterator<Item = (String, Result<(), String>)>,
) -> TestSuite {
    let mut suite = TestSuite::new(name);
    for (case_name, outcome) in cases {
        let status = match outcome {
            Ok(()) => TestCaseStatus::success(),
            Err(text) => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status
                    .set_message(text.lines().next().unwrap_or_default())
                    .set_description(text.as_str());
                status
            }
        };
        let mut case = quick_junit::TestCase::new(case_name, status);
        case.set_classname(name);
        suite.add_test_case(case);
    }
    suite
}

/// Writes `report` to `path`.
pub fn write(report: &Report, path: &Path) -> Result<(), String> {
    let xml = report
        .to_string()
        .map_err(|err| format!("cannot serialize the JUnit report: {err}"))?;
    std::fs::write(path, xml).map_err(|err| format!("cannot write {}: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_violation_fails_its_own_check() {
        assert_eq!(Check::of(ViolationKind::NoAnswer), Check::Answered);
        assert_eq!(Check::of(ViolationKind::ServerError), Check::NoServerError);
        assert_eq!(
            Check::of(ViolationKind::UndeclaredContentType),
            Check::DeclaredContentType
        );
        for kind in [
            ViolationKind::NotJson,
            ViolationKind::SchemaMismatch,
            ViolationKind::UnexpectedBody,
        ] {
            assert_eq!(Check::of(kind), Check::BodyMatchesSchema);
        }
        assert_eq!(Check::of(ViolationKind::BadHeader), Check::DeclaredHeaders);
    }

    #[test]
    fn a_violation_fails_the_case_of_its_check_only() {
        use std::collections::BTreeMap;

        use crate::{
            check::Violation,
            document::Document,
            http::{HttpRequest, HttpResponse},
            runner::Failure,
        };

        let target = Document::committed().targets().remove(0);
        let violation = Violation {
            kind: ViolationKind::SchemaMismatch,
            message: "7 is not one of 200".to_owned(),
            schema_path: Some("#/components/schemas/X/properties/code/enum".to_owned()),
        };
        let failure = Failure {
            signature: violation.signature(),
            occurrences: 3,
            request: HttpRequest {
                method: "GET".to_owned(),
                path_and_query: "/api/v4.0/x".to_owned(),
                headers: Vec::new(),
                body: None,
            },
            response: Ok(HttpResponse {
                status: 200,
                content_type: Some("application/json".to_owned()),
                headers: Vec::new(),
                body: br#"{"code":7}"#.to_vec(),
            }),
            violations: vec![violation],
            shrink_steps: 2,
        };
        let report = TargetReport {
            target,
            cases: 8,
            replayed: 0,
            failing_cases: 3,
            failures: vec![failure],
            answers: BTreeMap::new(),
            observed: BTreeMap::new(),
        };
        let suite = contract_suite(&[report]);
        assert_eq!((suite.tests, suite.failures), (Check::ALL.len(), 1));
        let failed = suite
            .test_cases
            .iter()
            .find(|c| matches!(c.status, TestCaseStatus::NonSuccess { .. }))
            .unwrap();
        assert!(
            failed.name.as_str().ends_with(" body matches schema"),
            "{}",
            failed.name.as_str()
        );
        let TestCaseStatus::NonSuccess {
            message,
            description,
            ..
        } = &failed.status
        else {
            unreachable!()
        };
        assert_eq!(
            message.as_ref().unwrap().as_str(),
            "body does not match the schema @ #/components/schemas/X/properties/code/enum (in 3 of 8 cases)"
        );
        let text = description.as_ref().unwrap().as_str();
        for part in [
            "--- request\nGET /api/v4.0/x",
            "--- response\nHTTP 200",
            r#"{"code":7}"#,
            "schema path: #/components/schemas/X/properties/code/enum",
        ] {
            assert!(text.contains(part), "{part:?} missing from\n{text}");
        }
    }

    #[test]
    fn a_further_suite_of_plain_cases_reads_back_as_junit() {
        let mut report = Report::new("contract-tests");
        report.add_test_suite(suite(
            "model",
            [
                ("verification off".to_owned(), Ok(())),
                (
                    "verification on".to_owned(),
                    Err("step 3: login answered -1, the model 200\nthe whole sequence".to_owned()),
                ),
            ],
        ));
        let xml = report.to_string().unwrap();
        let back = Report::deserialize_from_str(&xml).unwrap();
        assert_eq!((back.tests, back.failures), (2, 1));
        let cases = &back.test_suites[0].test_cases;
        assert_eq!(cases[0].name.as_str(), "verification off");
        assert_eq!(cases[1].classname.as_ref().unwrap().as_str(), "model");
        let TestCaseStatus::NonSuccess {
            message,
            description,
            ..
        } = &cases[1].status
        else {
            panic!("{:?}", cases[1].status);
        };
        assert_eq!(
            message.as_ref().unwrap().as_str(),
            "step 3: login answered -1, the model 200"
        );
        assert!(
            description
                .as_ref()
                .unwrap()
                .as_str()
                .ends_with("the whole sequence")
        );
    }
}
