//! A [`Coverage`] as the table a run prints, as Markdown and as JSON, and
//! both written beside each other.

use std::{fmt::Write as _, path::Path};

use serde_json::{Value, json};

use super::{Coverage, Item, OperationCoverage, percent};

impl Coverage {
    /// The table printed after a run: one line per operation, each value
    /// with how often it was seen (`×0`: documented, never seen; `!`: seen,
    /// not documented).
    pub fn table(&self) -> String {
        let mut out = format!(
            "coverage: {:.1}% of the documented codes and HTTP statuses ({} of {})\n",
            self.percent(),
            self.covered(),
            self.documented()
        );
        for operation in &self.operations {
            let _ = writeln!(
                out,
                "  {:<18} {:>2}/{:<2} {:>5.1}%  codes {}  statuses {}",
                operation.operation_id,
                operation.covered(),
                operation.documented(),
                operation_percent(operation),
                plain(&operation.codes),
                plain(&operation.statuses),
            );
        }
        out
    }

    /// The same as a Markdown table.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "# Contract coverage\n\n{:.1}% of the documented codes and HTTP statuses were seen ({} of {}).\n\n",
            self.percent(),
            self.covered(),
            self.documented()
        );
        out.push_str("| operation | request | covered | codes | HTTP statuses |\n");
        out.push_str("|---|---|---|---|---|\n");
        for operation in &self.operations {
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {}/{} ({:.1}%) | {} | {} |",
                operation.operation_id,
                operation.title,
                operation.covered(),
                operation.documented(),
                operation_percent(operation),
                markdown_items(&operation.codes),
                markdown_items(&operation.statuses),
            );
        }
        out.push_str(
            "\n✗: documented, never seen. *undocumented*: seen, not in the document (a violation).\n",
        );
        out
    }

    /// The same as JSON: codes as the JSON values they are (`"200"` a
    /// string, `-1` a number), statuses as the document's keys.
    pub fn json(&self) -> Value {
        let operations: Vec<Value> = self
            .operations
            .iter()
            .map(|operation| {
                let items = |items: &[Item], key: &str, as_json: bool| -> Vec<Value> {
                    items
                        .iter()
                        .map(|item| {
                            let value = if as_json {
                                serde_json::from_str(&item.value)
                                    .unwrap_or_else(|_| Value::String(item.value.clone()))
                            } else {
                                Value::String(item.value.clone())
                            };
                            json!({key: value, "documented": item.documented, "seen": item.seen})
                        })
                        .collect()
                };
                json!({
                    "operationId": operation.operation_id,
                    "request": operation.title,
                    "covered": operation.covered(),
                    "documented": operation.documented(),
                    "percent": operation_percent(operation),
                    "codes": items(&operation.codes, "code", true),
                    "statuses": items(&operation.statuses, "status", false),
                })
            })
            .collect();
        json!({
            "covered": self.covered(),
            "documented": self.documented(),
            "percent": self.percent(),
            "operations": operations,
        })
    }

    /// Writes the JSON to `path` and the Markdown beside it, `path` with
    /// the extension `.md`.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let markdown = path.with_extension("md");
        if markdown == path {
            return Err(format!(
                "{}: the coverage file is JSON; its Markdown goes beside it with the extension .md",
                path.display()
            ));
        }
        let text = serde_json::to_string_pretty(&self.json()).expect("JSON serializes");
        std::fs::write(path, text + "\n")
            .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
        std::fs::write(&markdown, self.markdown())
            .map_err(|err| format!("cannot write {}: {err}", markdown.display()))
    }
}

fn operation_percent(operation: &OperationCoverage) -> f64 {
    percent(operation.covered(), operation.documented())
}

fn plain(items: &[Item]) -> String {
    if items.is_empty() {
        return "-".to_owned();
    }
    let shown: Vec<String> = items
        .iter()
        .map(|item| {
            let mark = if item.documented { "" } else { "!" };
            format!("{}×{}{mark}", item.value, item.seen)
        })
        .collect();
    shown.join(" ")
}

fn markdown_items(items: &[Item]) -> String {
    if items.is_empty() {
        return "—".to_owned();
    }
    let shown: Vec<String> = items
        .iter()
        .map(|item| match (item.documented, item.seen) {
            (true, 0) => format!("`{}` ✗", item.value),
            (true, seen) => format!("`{}` ×{seen}", item.value),
            (false, seen) => format!("`{}` ×{seen} *undocumented*", item.value),
        })
        .collect();
    shown.join(", ")
}
