//! A comparison as the binary prints it, and as JUnit XML.

use std::{fmt::Write as _, time::Duration};

use quick_junit::Report;

use super::{CompareReport, Group};
use crate::junit;

fn shown(value: Option<&String>) -> &str {
    value.map_or("(absent)", String::as_str)
}

impl Group {
    /// `operationId field`, as an allow file names it.
    pub fn title(&self) -> String {
        format!("{} {}", self.operation_id, self.field)
    }

    /// The group in full: how often, the sequence, the step's request and
    /// both answers.
    pub fn details(&self) -> String {
        let difference = self.difference();
        let mut out = format!(
            "{}: old {}, new {}\nseen in {} sequence(s), {} answer(s); ",
            self.title(),
            shown(difference.old.as_ref()),
            shown(difference.new.as_ref()),
            self.sequences,
            self.answers,
        );
        if let Some(allowed) = &self.allowed {
            let _ = writeln!(
                out,
                "allowed by line {} of --allow{}",
                allowed.line,
                if allowed.reason.is_empty() {
                    String::new()
                } else {
                    format!(": {}", allowed.reason)
                }
            );
            return out;
        }
        let old = &self.example.old.exchanges[self.at];
        let new = &self.example.new.exchanges[self.at];
        let _ = writeln!(
            out,
            "the sequence below is the shortest found ({} shrinking steps)",
            self.shrink_steps
        );
        for exchange in &self.example.old.exchanges {
            let marker = if exchange.position == old.position {
                "   <- differs"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "{:>3}. {}{marker}",
                exchange.position + 1,
                exchange.step
            );
        }
        let answer = |response: &Result<_, String>| match response {
            Ok(response) => format!("{response}"),
            Err(err) => format!("no answer: {err}"),
        };
        let _ = write!(
            out,
            "--- request of step {} (to old; new got the same with its own phones and tokens)\n{}\n\
             --- old answered\n{}\n--- new answered\n{}\n",
            old.position + 1,
            old.request,
            answer(&old.response),
            answer(&new.response),
        );
        out
    }
}

impl CompareReport {
    /// The report: what was compared, each difference not allowed in full,
    /// the allowed ones in a line each, and a verdict.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let refused: Vec<&Group> = self.groups.iter().filter(|g| g.allowed.is_none()).collect();
        let allowed: Vec<&Group> = self.groups.iter().filter(|g| g.allowed.is_some()).collect();
        for (n, group) in refused.iter().enumerate() {
            let _ = write!(
                out,
                "\n=== difference {} of {}: {}",
                n + 1,
                refused.len(),
                group.details()
            );
        }
        if !allowed.is_empty() {
            let _ = writeln!(out, "\nallowed differences:");
            for group in &allowed {
                let _ = write!(out, "  {}", group.details());
            }
        }
        for entry in &self.unused_allowed {
            let _ = writeln!(
                out,
                "note: line {} of --allow ({} {}) matched no difference",
                entry.line, entry.operation_id, entry.field
            );
        }
        let requests: u32 = self.requests.values().sum();
        let _ = writeln!(
            out,
            "\n{} sequences, {requests} requests to each deployment, {} with differences: \
             {} difference(s) by operation and field, {} allowed, in {:.1} s",
            self.cases,
            self.differing_cases,
            self.groups.len(),
            allowed.len(),
            self.millis as f64 / 1000.0
        );
        for (operation_id, count) in &self.requests {
            let groups = self
                .groups
                .iter()
                .filter(|g| &g.operation_id == operation_id)
                .count();
            let _ = writeln!(
                out,
                "  {operation_id:<20} {count:>5} requests  {groups} difference(s)"
            );
        }
        let _ = writeln!(
            out,
            "{}",
            if self.passed() {
                "ok: the new deployment answers as the old one".to_owned()
            } else {
                format!(
                    "FAIL: {} difference(s) not allowed by --allow",
                    refused.len()
                )
            }
        );
        out
    }

    /// The comparison as JUnit XML: a suite `compare` with a test case per
    /// operation the sequences sent, failed with the details of each of its
    /// differences that no allow entry accepts.
    pub fn junit(&self) -> Report {
        let cases = self.requests.keys().map(|operation_id| {
            let refused: Vec<String> = self
                .groups
                .iter()
                .filter(|g| &g.operation_id == operation_id && g.allowed.is_none())
                .map(Group::details)
                .collect();
            let outcome = if refused.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{} field(s) differ: {}\n\n{}",
                    refused.len(),
                    self.groups
                        .iter()
                        .filter(|g| &g.operation_id == operation_id && g.allowed.is_none())
                        .map(|g| g.field.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    refused.join("\n")
                ))
            };
            (format!("{operation_id} answers alike"), outcome)
        });
        let mut suite = junit::suite("compare", cases);
        suite.set_time(Duration::from_millis(
            u64::try_from(self.millis).unwrap_or(u64::MAX),
        ));
        let mut report = Report::new(format!(
            "contract-tests compare --old {} --new {}",
            self.old, self.new
        ));
        report.add_test_suite(suite);
        report
    }
}
