//! A comparison as the binary prints it, and as JUnit XML.
//!
//! The differences no allow entry accepts come first, by operation: the
//! fields of one operation that one sequence shows (several fields of one
//! answer, most often) share a section, with that sequence, shrunk, and the
//! request and both answers of each step where they differ. The allowed
//! ones follow, a line each, then the requests per operation and the
//! verdict.

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

    /// One line: the field, both values, and how often it showed.
    pub fn line(&self) -> String {
        let difference = self.difference();
        format!(
            "{}: old {}, new {} (in {} sequence(s), {} answer(s))",
            self.title(),
            shown(difference.old.as_ref()),
            shown(difference.new.as_ref()),
            self.sequences,
            self.answers,
        )
    }
}

/// The section of `groups` (one operation, one example): their lines, the
/// example's steps with each differing one marked, and the request and both
/// answers of each.
fn section(groups: &[&Group]) -> String {
    let mut out = String::new();
    for group in groups {
        let _ = writeln!(out, "  {}", group.line());
    }
    let Some(first) = groups.first() else {
        return out;
    };
    let example = &first.example;
    let mut marked: Vec<usize> = groups.iter().map(|g| g.at).collect();
    marked.sort_unstable();
    marked.dedup();
    let _ = writeln!(
        out,
        "the shortest sequence found that shows it ({} shrinking steps; only the steps sent are listed):",
        first.shrink_steps
    );
    for (at, exchange) in example.old.exchanges.iter().enumerate() {
        let marker = if marked.contains(&at) {
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
    for at in marked {
        let (old, new) = (&example.old.exchanges[at], &example.new.exchanges[at]);
        let _ = write!(
            out,
            "--- step {}: the request to old (new got the same, with its own phones and tokens)\n{}\n\
             --- old answered\n{}\n--- new answered\n{}\n",
            old.position + 1,
            old.request,
            answer(&old.response),
            answer(&new.response),
        );
    }
    out
}

impl CompareReport {
    /// The differences no allow entry accepts, by operation and example:
    /// `(operationId, groups)`, in operation and field order.
    fn sections(&self) -> Vec<(&str, Vec<&Group>)> {
        let mut sections: Vec<(&str, Option<usize>, Vec<&Group>)> = Vec::new();
        for group in self.groups.iter().filter(|g| g.allowed.is_none()) {
            match sections
                .iter_mut()
                .find(|(op, id, _)| *op == group.operation_id && *id == group.example_id)
            {
                Some((_, _, groups)) => groups.push(group),
                None => sections.push((&group.operation_id, group.example_id, vec![group])),
            }
        }
        sections
            .into_iter()
            .map(|(op, _, groups)| (op, groups))
            .collect()
    }

    /// The report: each difference not allowed in full, the allowed ones in
    /// a line each, the requests per operation, and a verdict.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let refused = self.groups.iter().filter(|g| g.allowed.is_none()).count();
        for (operation_id, groups) in self.sections() {
            let fields: Vec<&str> = groups.iter().map(|g| g.field.as_str()).collect();
            let _ = write!(
                out,
                "\n=== {operation_id}: {} differ{}\n{}",
                fields.join(", "),
                if fields.len() == 1 { "s" } else { "" },
                section(&groups)
            );
        }
        let allowed: Vec<&Group> = self.groups.iter().filter(|g| g.allowed.is_some()).collect();
        if !allowed.is_empty() {
            let _ = writeln!(out, "\nallowed differences:");
            for group in &allowed {
                let entry = group.allowed.as_ref().expect("allowed");
                let _ = writeln!(
                    out,
                    "  {} — line {} of --allow{}",
                    group.line(),
                    entry.line,
                    if entry.reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", entry.reason)
                    }
                );
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
            "\n{} sequences, {requests} requests to each deployment, {} sequence(s) with \
             differences: {} field(s) of an operation differ, {} of them allowed, in {:.1} s",
            self.cases,
            self.differing_cases,
            self.groups.len(),
            allowed.len(),
            self.millis as f64 / 1000.0
        );
        for (operation_id, count) in &self.requests {
            let fields = |allowed: bool| {
                self.groups
                    .iter()
                    .filter(|g| &g.operation_id == operation_id && g.allowed.is_some() == allowed)
                    .count()
            };
            let _ = writeln!(
                out,
                "  {operation_id:<20} {count:>5} requests  {} field(s) differ, {} allowed",
                fields(false) + fields(true),
                fields(true)
            );
        }
        let _ = writeln!(
            out,
            "{}",
            if self.passed() {
                "ok: the new deployment answers as the old one".to_owned()
            } else {
                format!("FAIL: {refused} field(s) differ that --allow does not accept")
            }
        );
        out
    }

    /// The comparison as JUnit XML: a suite `compare` with a test case per
    /// operation the sequences sent (`login answers alike`), failed with
    /// the sections of its differences that no allow entry accepts.
    pub fn junit(&self) -> Report {
        let sections = self.sections();
        let cases = self.requests.keys().map(|operation_id| {
            let mine: Vec<&(&str, Vec<&Group>)> = sections
                .iter()
                .filter(|(op, _)| op == operation_id)
                .collect();
            let outcome = if mine.is_empty() {
                Ok(())
            } else {
                let fields: Vec<&str> = mine
                    .iter()
                    .flat_map(|(_, groups)| groups.iter().map(|g| g.field.as_str()))
                    .collect();
                let text: Vec<String> = mine.iter().map(|(_, groups)| section(groups)).collect();
                Err(format!(
                    "{operation_id}: {} differ{}\n{}",
                    fields.join(", "),
                    if fields.len() == 1 { "s" } else { "" },
                    text.join("\n")
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
