//! The breaking-change gate: the changes between two OpenAPI documents that
//! break a client generated from the older one.
//!
//! The rules are few and exact, with `$ref`s followed (into
//! `components/schemas`, through `oneOf`, `anyOf`, `allOf`, properties and
//! items); each change names its place with a JSON pointer into the old
//! document (what was removed) or the new one (everything else).
//!
//! Breaking:
//! - an operation removed (a path or one of its methods);
//! - a parameter removed, or a request body property (a field a client sends);
//! - a request media type removed, or the whole request body;
//! - a required parameter added, or an optional one made required; a request
//!   body property made required (or a required one added); a request body
//!   made required;
//! - a request enum value removed, or an enum put on a request value that had
//!   none (a client may send a value no longer accepted), or a request
//!   `oneOf`/`anyOf` alternative removed;
//! - a response property removed, or no longer required (a client reads it);
//! - a `type` changed, in a request or a response.
//!
//! Warnings (a generated client still compiles, but an exhaustive `switch`
//! over the old values no longer is): a response enum widened (a value added,
//! or the enum dropped), a response `oneOf`/`anyOf` alternative added.
//!
//! Everything else passes: added operations, added optional parameters and
//! properties, added response properties, descriptions and examples.
//!
//! - `operations`: paths, methods, parameters, request bodies and responses.
//! - `schema`: two schemas compared in the direction their values travel.

mod operations;
mod schema;

use std::fmt;

use crate::document::Document;

/// How bad a change is for a generated client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// A client generated from the old document breaks.
    Breaking,
    /// It still works, but may meet values it was not written for.
    Warning,
}

/// Which document a change's pointer points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// The old document: the place of something removed.
    Old,
    /// The new document.
    New,
}

/// One change between the documents.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Change {
    /// Breaking or a warning.
    pub severity: Severity,
    /// The document `pointer` points into.
    pub side: Side,
    /// Where, e.g. `#/components/schemas/LoginData/properties/pemissions`.
    pub pointer: String,
    /// What changed, in words.
    pub message: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Breaking => "BREAKING",
            Severity::Warning => "WARNING ",
        };
        let side = match self.side {
            Side::Old => "old",
            Side::New => "new",
        };
        write!(f, "{severity} {side} {}  {}", self.pointer, self.message)
    }
}

/// Every breaking change and warning from `old` to `new`, breaking ones
/// first, each once.
pub fn diff(old: &Document, new: &Document) -> Vec<Change> {
    let mut changes = operations::compare(old, new);
    changes.sort();
    changes.dedup();
    changes
}

/// The lines `contract-tests diff` prints: each change, then a count.
pub fn render(changes: &[Change]) -> String {
    let mut out = String::new();
    for change in changes {
        out.push_str(&change.to_string());
        out.push('\n');
    }
    let breaking = changes
        .iter()
        .filter(|c| c.severity == Severity::Breaking)
        .count();
    let warnings = changes.len() - breaking;
    out.push_str(&format!(
        "{breaking} breaking change{}, {warnings} warning{}\n",
        if breaking == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    ));
    out
}
