//! The numeric ids a request names — [`SessionId`] and [`EnterpriseId`] —
//! and the one rule both follow: a positive integer in plain ASCII decimal
//! digits, as text or (in JSON) a number or a string of digits.

use serde_json::Value;

use super::{
    invalid::{Invalid, MISSING},
    request_field::RequestField,
};

/// Why an id was refused.
pub(super) const NOT_AN_ID: Invalid = Invalid("应为正整数 (must be a positive integer)");

/// Accepts 1 to `i64::MAX` in plain decimal digits.
fn parse(text: &str) -> Result<i64, Invalid> {
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
fn from_json(value: Value) -> Result<i64, Invalid> {
    match value {
        Value::Number(number) => parse(&number.to_string()),
        Value::String(text) => parse(&text),
        _ => Err(NOT_AN_ID),
    }
}

/// Declares an id type that follows the rule of this module.
macro_rules! positive_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name(i64);

        impl $name {
            /// Accepts 1 to `i64::MAX` in plain decimal digits.
            pub fn parse(text: &str) -> Result<Self, Invalid> {
                parse(text).map(Self)
            }

            /// The id.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        /// A JSON integer or a string of digits.
        impl RequestField for $name {
            fn from_text(text: &str) -> Result<Self, Invalid> {
                Self::parse(text)
            }

            fn from_json(value: Value) -> Result<Self, Invalid> {
                from_json(value).map(Self)
            }
        }
    };
}

positive_id! {
    /// The id of a session, as `GET sessions` lists it: a positive integer
    /// written in ASCII decimal digits (no sign, no fraction).
    SessionId
}

positive_id! {
    /// The id of an enterprise, as `GET enterprises` lists it: a positive
    /// integer written in ASCII decimal digits (no sign, no fraction).
    EnterpriseId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_positive_decimal_integers_are_ids() {
        assert_eq!(SessionId::parse("1").unwrap().get(), 1);
        assert_eq!(SessionId::parse("0042").unwrap().get(), 42);
        assert_eq!(EnterpriseId::parse("7").unwrap().get(), 7);
        assert_eq!(
            SessionId::parse("9223372036854775807").unwrap().get(),
            i64::MAX
        );
        assert_eq!(SessionId::parse(""), Err(MISSING));
        assert_eq!(EnterpriseId::parse(""), Err(MISSING));
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
            assert_eq!(EnterpriseId::parse(bad), Err(NOT_AN_ID), "{bad:?}");
        }
    }

    #[test]
    fn json_takes_integers_or_digit_strings() {
        assert_eq!(
            SessionId::from_optional_json(Some(Value::from(7))).unwrap(),
            SessionId(7)
        );
        assert_eq!(
            EnterpriseId::from_optional_json(Some(Value::from("7"))).unwrap(),
            EnterpriseId(7)
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
            assert!(
                EnterpriseId::from_optional_json(Some(bad.clone())).is_err(),
                "{bad}"
            );
        }
        assert!(SessionId::from_optional_json(None).is_err());
    }
}
