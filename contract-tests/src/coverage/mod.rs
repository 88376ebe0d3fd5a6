//! Coverage: for each operation, which of its documented envelope codes and
//! HTTP statuses a run observed.
//!
//! - Documented **statuses** are the keys of the operation's `responses`
//!   (`200`, `408`, `5XX`, `default`); an answer counts for the key that
//!   declares its status, as the checker matches it.
//! - Documented **codes** are the values of the envelope's `code` property
//!   in the schemas of the operation's 2xx responses — the business answers,
//!   which all come with HTTP 200 — with `$ref`s followed through `oneOf`,
//!   `anyOf` and `allOf` (`enum: [200]` of a success envelope, `enum: [-1,
//!   400, 429]` of its failure). Error statuses carry their status as the
//!   code, so the status covers them. A code is written as JSON: `"200"`
//!   (sendsms's string) is not `200`.
//! - Observed are the answers the run received (every case and every
//!   shrinking step, see [`TargetReport::observed`]); values the document
//!   does not declare are listed too, as undocumented, and never count.
//!
//! `render` prints the table, the Markdown and the JSON of a [`Coverage`].

mod render;

use serde_json::Value;

use crate::{check::declared_status, document::Document, runner::TargetReport};

/// One documented or observed value: a code or a status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The code as JSON text (`"200"`, `-1`), or the status key (`200`, `5XX`).
    pub value: String,
    /// Whether the document declares it for the operation.
    pub documented: bool,
    /// How many answers had it.
    pub seen: u32,
}

/// The coverage of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationCoverage {
    /// Its `operationId`.
    pub operation_id: String,
    /// `METHOD /path`.
    pub title: String,
    /// Documented codes first (in document order), then undocumented ones seen.
    pub codes: Vec<Item>,
    /// Documented statuses first (in document order), then undocumented ones seen.
    pub statuses: Vec<Item>,
}

impl OperationCoverage {
    /// Documented codes and statuses.
    pub fn documented(&self) -> usize {
        self.items().filter(|i| i.documented).count()
    }

    /// Documented codes and statuses that were seen.
    pub fn covered(&self) -> usize {
        self.items().filter(|i| i.documented && i.seen > 0).count()
    }

    fn items(&self) -> impl Iterator<Item = &Item> {
        self.codes.iter().chain(&self.statuses)
    }
}

/// What a run covered, operation by operation, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// The operations the run checked.
    pub operations: Vec<OperationCoverage>,
}

impl Coverage {
    /// The coverage of `reports` (a run's, any encodings) against `document`.
    pub fn measure(document: &Document, reports: &[TargetReport]) -> Self {
        let mut operations = Vec::new();
        for operation in document.operations() {
            let mine: Vec<&TargetReport> = reports
                .iter()
                .filter(|r| r.target.operation.operation_id == operation.operation_id)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let responses = &document.operation_json(&operation)["responses"];
            let mut codes: Vec<Item> = documented_codes(document, responses)
                .into_iter()
                .map(|value| item(value, true))
                .collect();
            let mut statuses: Vec<Item> = responses
                .as_object()
                .into_iter()
                .flatten()
                .map(|(key, _)| item(key.clone(), true))
                .collect();
            for ((status, code), count) in mine.iter().flat_map(|r| &r.observed) {
                let status_key = match status {
                    None => "no answer".to_owned(),
                    Some(status) => {
                        declared_status(responses, *status).unwrap_or_else(|| status.to_string())
                    }
                };
                count_in(&mut statuses, status_key, *count);
                if let (Some(200..=299), Some(code)) = (status, code) {
                    count_in(&mut codes, code.clone(), *count);
                }
            }
            operations.push(OperationCoverage {
                operation_id: operation.operation_id.clone(),
                title: operation.title(),
                codes,
                statuses,
            });
        }
        Self { operations }
    }

    /// Documented codes and statuses of every operation.
    pub fn documented(&self) -> usize {
        self.operations
            .iter()
            .map(OperationCoverage::documented)
            .sum()
    }

    /// Of those, the ones seen.
    pub fn covered(&self) -> usize {
        self.operations.iter().map(OperationCoverage::covered).sum()
    }

    /// `covered` as a percentage of `documented` (100 when nothing is documented).
    pub fn percent(&self) -> f64 {
        percent(self.covered(), self.documented())
    }
}

/// `part` of `whole` in percent; 100 of nothing.
pub(crate) fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        // Counts of a document's codes and statuses: far below f64's exact range.
        #[allow(clippy::cast_precision_loss)]
        let ratio = part as f64 / whole as f64;
        ratio * 100.0
    }
}

fn item(value: String, documented: bool) -> Item {
    Item {
        value,
        documented,
        seen: 0,
    }
}

/// Adds `count` to the item `value`, listed as undocumented when it is new.
fn count_in(items: &mut Vec<Item>, value: String, count: u32) {
    match items.iter_mut().find(|i| i.value == value) {
        Some(existing) => existing.seen += count,
        None => items.push(Item {
            seen: count,
            ..item(value, false)
        }),
    }
}

/// The `code` values the 2xx responses' schemas declare, in document order, once each.
fn documented_codes(document: &Document, responses: &Value) -> Vec<String> {
    let mut codes = Vec::new();
    for (status, response) in responses.as_object().into_iter().flatten() {
        if !status.starts_with('2') {
            continue;
        }
        let response = document.resolve(response);
        for (_, media) in response["content"].as_object().into_iter().flatten() {
            collect_codes(document, &media["schema"], &mut codes, 0);
        }
    }
    codes
}

fn collect_codes(document: &Document, schema: &Value, codes: &mut Vec<String>, depth: u32) {
    if depth > 16 {
        return;
    }
    let schema = document.resolve(schema);
    for keyword in ["oneOf", "anyOf", "allOf"] {
        for alternative in schema[keyword].as_array().into_iter().flatten() {
            collect_codes(document, alternative, codes, depth + 1);
        }
    }
    let code = document.resolve(&schema["properties"]["code"]);
    for value in code["enum"].as_array().into_iter().flatten() {
        let value = value.to_string();
        if !codes.contains(&value) {
            codes.push(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn codes_of(document: &Document, id: &str) -> Vec<String> {
        let operation = document.operation_by_id(id).expect("documented");
        documented_codes(document, &document.operation_json(&operation)["responses"])
    }

    #[test]
    fn documented_codes_are_the_envelope_code_enums_of_the_2xx_answers() {
        let document = Document::committed();
        assert_eq!(
            codes_of(&document, "isregister"),
            ["200", "-1", "400", "429"]
        );
        // A oneOf of success and failure, each behind a $ref.
        assert_eq!(codes_of(&document, "login"), ["200", "-1", "400", "429"]);
        // sendsms's codes are strings, and say so.
        assert_eq!(
            codes_of(&document, "sendsms"),
            [r#""200""#, r#""-1""#, r#""400""#, r#""429""#]
        );
        assert!(codes_of(&document, "healthz").is_empty());
    }

    #[test]
    fn every_answer_counts_for_its_status_and_code() {
        let document = Document::committed();
        let target = document
            .targets()
            .into_iter()
            .find(|t| t.operation.operation_id == "isregister")
            .unwrap();
        let seen = |status: Option<u16>, code: Option<&str>| (status, code.map(str::to_owned));
        let observed: BTreeMap<_, u32> = [
            (seen(Some(200), Some("200")), 3),
            (seen(Some(200), Some("-1")), 2),
            (seen(Some(200), Some("7")), 1),
            (seen(Some(413), Some("413")), 1),
            (seen(None, None), 1),
        ]
        .into();
        let report = TargetReport {
            target,
            cases: 8,
            replayed: 0,
            failing_cases: 1,
            failures: Vec::new(),
            answers: BTreeMap::new(),
            observed,
        };
        let coverage = Coverage::measure(&document, &[report]);
        assert_eq!(coverage.operations.len(), 1);
        let isregister = &coverage.operations[0];
        /// (value, documented, seen) of each item.
        fn listed(items: &[Item]) -> Vec<(&str, bool, u32)> {
            items
                .iter()
                .map(|i| (i.value.as_str(), i.documented, i.seen))
                .collect()
        }
        let codes = [
            ("200", true, 3),
            ("-1", true, 2),
            ("400", true, 0),
            ("429", true, 0),
            ("7", false, 1),
        ];
        assert_eq!(listed(&isregister.codes), codes);
        let statuses = [
            ("200", true, 6),
            ("408", true, 0),
            ("413", true, 1),
            ("500", true, 0),
            ("no answer", false, 1),
        ];
        assert_eq!(listed(&isregister.statuses), statuses);
        assert_eq!((coverage.covered(), coverage.documented()), (4, 8));
        assert!((coverage.percent() - 50.0).abs() < f64::EPSILON);

        let json = coverage.json();
        assert_eq!(json["operations"][0]["codes"][1]["code"], -1);
        assert_eq!(json["operations"][0]["codes"][4]["documented"], false);
        assert_eq!(json["operations"][0]["statuses"][2]["status"], "413");
        assert!(coverage.table().contains("7×1!"), "{}", coverage.table());
        let markdown = coverage.markdown();
        assert!(markdown.contains("`429` ✗"), "{markdown}");
        assert!(markdown.contains("`7` ×1 *undocumented*"), "{markdown}");
    }
}
