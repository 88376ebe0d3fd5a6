//! `--allow FILE`: the differences a team knows of and accepts.
//!
//! One difference a line: an operationId, a field, and optionally why,
//! separated by white space; `#` starts a comment, blank lines are skipped.
//!
//! ```text
//! # operationId  field        why
//! sendsms        /code        the old server had no send limit
//! sendsms        retry-after  the old server had no send limit
//! *              /msg         every message was reworded
//! ```
//!
//! The field is one that `compare` reports: `status`, `content-type`,
//! `retry-after`, `body` or a JSON pointer into the body (`/data/name`);
//! `*` in either column matches any operation or any field.

use std::path::Path;

use super::answer::ANSWER_FIELDS;

/// One accepted difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    /// The operationId, or `*`.
    pub operation_id: String,
    /// The field, or `*`.
    pub field: String,
    /// Why it is accepted (may be empty).
    pub reason: String,
    /// Its line in the file.
    pub line: usize,
}

impl Allowed {
    /// Whether this entry accepts a difference of `field` in `operation_id`'s answers.
    pub fn matches(&self, operation_id: &str, field: &str) -> bool {
        (self.operation_id == "*" || self.operation_id == operation_id)
            && (self.field == "*" || self.field == field)
    }
}

/// Reads an allow file; `operation_ids` are those the document has (an
/// entry naming another is a typo, and an error).
pub fn read(path: &Path, operation_ids: &[String]) -> Result<Vec<Allowed>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    parse(&text, operation_ids).map_err(|err| format!("{}:{err}", path.display()))
}

/// The entries of an allow file's `text`; `Err` names the first bad line.
pub fn parse(text: &str, operation_ids: &[String]) -> Result<Vec<Allowed>, String> {
    let mut allowed = Vec::new();
    for (at, line) in text.lines().enumerate() {
        let line_number = at + 1;
        let content = line.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        let mut words = content.splitn(2, char::is_whitespace);
        let operation_id = words.next().unwrap_or_default().to_owned();
        let rest = words.next().unwrap_or_default().trim_start();
        let mut words = rest.splitn(2, char::is_whitespace);
        let field = words.next().unwrap_or_default().to_owned();
        let reason = words.next().unwrap_or_default().trim().to_owned();
        if field.is_empty() {
            return Err(format!(
                "{line_number}: {content:?} names no field: give `operationId field [why]`"
            ));
        }
        if operation_id != "*" && !operation_ids.contains(&operation_id) {
            return Err(format!(
                "{line_number}: the document has no operation {operation_id:?} (its operationIds: {})",
                operation_ids.join(", ")
            ));
        }
        if field != "*" && !field.starts_with('/') && !ANSWER_FIELDS.contains(&field.as_str()) {
            return Err(format!(
                "{line_number}: {field:?} is not a field compare reports: a JSON pointer such as \
                 /msg, or one of {}, or *",
                ANSWER_FIELDS.join(", ")
            ));
        }
        allowed.push(Allowed {
            operation_id,
            field,
            reason,
            line: line_number,
        });
    }
    Ok(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Vec<String> {
        vec!["sendsms".to_owned(), "login".to_owned()]
    }

    #[test]
    fn entries_with_and_without_a_reason_and_wildcards() {
        let text = "# accepted\n\nsendsms /code   the old server had no limit # sic\n\
                    login\tretry-after\n* /msg reworded\n";
        let allowed = parse(text, &ids()).unwrap();
        assert_eq!(allowed.len(), 3);
        assert_eq!(allowed[0].reason, "the old server had no limit");
        assert_eq!(allowed[0].line, 3);
        assert_eq!(allowed[1].field, "retry-after");
        assert!(allowed[1].reason.is_empty());
        assert!(allowed[2].matches("login", "/msg"));
        assert!(!allowed[2].matches("login", "/code"));
        assert!(allowed[0].matches("sendsms", "/code"));
        assert!(!allowed[0].matches("sendsmsGet", "/code"));
    }

    #[test]
    fn typos_are_errors_with_their_line() {
        let err = parse("sendsms\n", &ids()).unwrap_err();
        assert!(
            err.starts_with("1: ") && err.contains("names no field"),
            "{err}"
        );
        let err = parse("# x\nsendSms /code\n", &ids()).unwrap_err();
        assert!(
            err.starts_with("2: ") && err.contains("no operation"),
            "{err}"
        );
        let err = parse("login code\n", &ids()).unwrap_err();
        assert!(err.contains("not a field"), "{err}");
    }
}
