use serde_json::Value;

use super::{
    invalid::{Invalid, MISSING},
    request_field::RequestField,
};

/// Why a session id was refused.
const NOT_AN_ID: Invalid = Invalid("应为正整数 (must be a positive integer)");

/// The id of a session, as `GET sessions` lists it: a positive integer
/// written in ASCII decimal digits (no sign, no fraction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionId(i64);

impl SessionId {
    /// Accepts 1 to `i64::MAX` in plain decimal digits.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        if text.is_empty() {
            return Err(MISSING);
        }
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NOT_AN_ID);
        }
        match text.parse::<i64>() {
            Ok(id) if id > 0 => Ok(Self(id)),
            _ => Err(NOT_AN_ID),
        }
    }

    /// The id.
    pub fn get(self) -> i64 {
        self.0
    }
}

/// A JSON integer or a string of digits.
impl RequestField for SessionId {
    fn from_text(text: &str) -> Result<Self, Invalid> {
        Self::parse(text)
    }

    fn from_json(value: Value) -> Result<Self, Invalid> {
        match value {
            Value::Number(number) => Self::parse(&number.to_string()),
            Value::String(text) => Self::parse(&text),
            _ => Err(NOT_AN_ID),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_positive_decimal_integers_are_ids() {
        assert_eq!(SessionId::parse("1").unwrap().get(), 1);
        assert_eq!(SessionId::parse("0042").unwrap().get(), 42);
        assert_eq!(
            SessionId::parse("9223372036854775807").unwrap().get(),
            i64::MAX
        );
        assert_eq!(SessionId::parse(""), Err(MISSING));
        for bad in [
            "0",
            "-1",
            "+1",
            "1.0",
            "1e3",
            " 1",
            "abc",
            "１",
            "9223372036854775808",
        ] {
            assert_eq!(SessionId::parse(bad), Err(NOT_AN_ID), "{bad:?}");
        }
    }

    #[test]
    fn json_takes_integers_or_digit_strings() {
        assert_eq!(
            SessionId::from_optional_json(Some(Value::from(7))).unwrap(),
            SessionId(7)
        );
        assert_eq!(
            SessionId::from_optional_json(Some(Value::from("7"))).unwrap(),
            SessionId(7)
        );
        for bad in [
            Value::from(1.5),
            Value::from(-3),
            Value::Bool(true),
            serde_json::json!([1]),
        ] {
            assert!(
                SessionId::from_optional_json(Some(bad.clone())).is_err(),
                "{bad}"
            );
        }
        assert!(SessionId::from_optional_json(None).is_err());
    }
}
