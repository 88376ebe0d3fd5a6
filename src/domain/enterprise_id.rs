use serde_json::Value;

use super::{
    invalid::{Invalid, MISSING},
    request_field::RequestField,
};

/// Why an enterprise id was refused.
const NOT_AN_ID: Invalid = Invalid("应为正整数 (must be a positive integer)");

/// The id of an enterprise, as `GET enterprises` lists it: a positive
/// integer written in ASCII decimal digits (no sign, no fraction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnterpriseId(i64);

impl EnterpriseId {
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
impl RequestField for EnterpriseId {
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
        assert_eq!(EnterpriseId::parse("7").unwrap().get(), 7);
        assert_eq!(EnterpriseId::parse(""), Err(MISSING));
        for bad in ["0", "-1", "+1", "1.0", " 1", "abc", "9223372036854775808"] {
            assert_eq!(EnterpriseId::parse(bad), Err(NOT_AN_ID), "{bad:?}");
        }
        assert_eq!(
            EnterpriseId::from_optional_json(Some(Value::from(3))).unwrap(),
            EnterpriseId(3)
        );
        assert!(EnterpriseId::from_optional_json(Some(Value::Bool(true))).is_err());
        assert!(EnterpriseId::from_optional_json(None).is_err());
    }
}
