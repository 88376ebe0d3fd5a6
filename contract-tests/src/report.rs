//! The text a run prints: a line per target, then each violation in full.

use std::fmt::Write as _;

use crate::runner::{Failure, TargetReport};

/// `ok   GET /api/v4.0/isregister/{phone} [isregister params]  256 cases, 0 violations; answers -1×40 200×90 400×126`.
pub fn summary_line(report: &TargetReport) -> String {
    let status = if report.failures.is_empty() {
        "ok  "
    } else {
        "FAIL"
    };
    let replayed = if report.replayed > 0 {
        format!(" ({} replayed)", report.replayed)
    } else {
        String::new()
    };
    let distinct = if report.failures.is_empty() {
        String::new()
    } else {
        format!(" ({} distinct)", report.failures.len())
    };
    let answers: Vec<String> = report
        .answers
        .iter()
        .map(|(kind, count)| format!("{kind}×{count}"))
        .collect();
    format!(
        "{status} {:<62} {:>4} cases{replayed}, {} violations{distinct}; answers {}",
        report.title(),
        report.cases,
        report.failing_cases,
        answers.join(" "),
    )
}

/// Every violation of `report` with its (shrunk) request, response and schema path.
pub fn details(report: &TargetReport) -> String {
    let mut out = String::new();
    for (n, failure) in report.failures.iter().enumerate() {
        let _ = write!(
            out,
            "\n=== {} — violation {} of {}: {}\n{}",
            report.title(),
            n + 1,
            report.failures.len(),
            failure.signature,
            failure_details(report, failure)
        );
    }
    out
}

/// One distinct violation of `report`: how often it was seen, the smallest
/// request that shows it, the response and every violation of that
/// response with its schema path.
pub fn failure_details(report: &TargetReport, failure: &Failure) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "seen in {} of {} cases; the request below is the smallest found ({} shrinking steps)",
        failure.occurrences, report.cases, failure.shrink_steps
    );
    let _ = writeln!(out, "--- request\n{}", failure.request);
    match &failure.response {
        Ok(response) => {
            let _ = writeln!(out, "--- response\n{response}");
        }
        Err(err) => {
            let _ = writeln!(out, "--- response\n(none: {err})");
        }
    }
    let _ = writeln!(out, "--- violations");
    for violation in &failure.violations {
        let _ = writeln!(out, "  * {violation}");
    }
    out
}

/// The totals line.
pub fn totals(reports: &[TargetReport]) -> String {
    let cases: u32 = reports.iter().map(|r| r.cases).sum();
    let failing: u32 = reports.iter().map(|r| r.failing_cases).sum();
    let bad_targets = reports.iter().filter(|r| !r.failures.is_empty()).count();
    format!(
        "{} operation/encoding pairs, {cases} cases, {failing} with violations in {bad_targets} of them",
        reports.len()
    )
}
