//! What every numeric id a request names accepts: a positive integer in
//! plain ASCII decimal digits, as text or (in JSON) a number or a string of
//! digits. `SessionId` and `EnterpriseId` are this rule under two names.

use serde_json::Value;

use super::invalid::{Invalid, MISSING};

/// Why an id was refused.
pub(super) const NOT_AN_ID: Invalid = Invalid("应为正整数 (must be a positive integer)");

/// Accepts 1 to `i64::MAX` in plain decimal digits.
pub(super) fn parse(text: &str) -> Result<i64, Invalid> {
    if text.is_empty() {
        return Err(MISSING);
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NOT_AN_ID);
    }
    match text.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(NOT_AN_ID),
    }
}

/// A JSON integer or a string of digits.
pub(super) fn from_json(value: Value) -> Result<i64, Invalid> {
    match value {
        Value::Number(number) => parse(&number.to_string()),
        Value::String(text) => parse(&text),
        _ => Err(NOT_AN_ID),
    }
}
