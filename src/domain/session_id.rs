use serde_json::Value;

use super::{invalid::Invalid, positive_id, request_field::RequestField};

/// The id of a session, as `GET sessions` lists it: a positive integer
/// written in ASCII decimal digits (no sign, no fraction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionId(i64);

impl SessionId {
    /// Accepts 1 to `i64::MAX` in plain decimal digits.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        positive_id::parse(text).map(Self)
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
        positive_id::from_json(value).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{invalid::MISSING, positive_id::NOT_AN_ID};

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
