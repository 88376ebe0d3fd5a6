use serde_json::Value;

use super::{invalid::Invalid, request_field::RequestField};

/// Why an `expect` was refused.
const NOT_ZERO_OR_ONE: Invalid = Invalid("应为0或1 (must be 0 or 1)");

/// What the caller expects of a phone: `0` not registered yet (sign-up, the
/// default), `1` registered (password reset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expect {
    /// `0`: the phone should be free, for sign-up.
    #[default]
    Unregistered,
    /// `1`: the phone should belong to an account, for a password reset.
    Registered,
}

impl Expect {
    /// Accepts exactly `0` or `1`.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        match text {
            "0" => Ok(Self::Unregistered),
            "1" => Ok(Self::Registered),
            _ => Err(NOT_ZERO_OR_ONE),
        }
    }

    /// The wire value, `0` or `1`.
    pub fn as_number(self) -> i16 {
        match self {
            Self::Unregistered => 0,
            Self::Registered => 1,
        }
    }
}

/// A number or a string in JSON; absent, the default `0`.
impl RequestField for Expect {
    fn from_text(text: &str) -> Result<Self, Invalid> {
        Self::parse(text)
    }

    fn from_json(value: Value) -> Result<Self, Invalid> {
        match value {
            Value::Number(number) => Self::parse(&number.to_string()),
            Value::String(text) => Self::parse(&text),
            _ => Err(NOT_ZERO_OR_ONE),
        }
    }

    fn when_missing() -> Result<Self, Invalid> {
        Ok(Self::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_zero_and_one_are_accepted() {
        assert_eq!(Expect::parse("0"), Ok(Expect::Unregistered));
        assert_eq!(Expect::parse("1"), Ok(Expect::Registered));
        for bad in ["", "2", "-1", "01", "1.0", "true", "yes", "１"] {
            assert!(Expect::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn json_takes_numbers_or_strings_and_defaults_to_zero() {
        assert_eq!(
            Expect::from_optional_json(None).unwrap(),
            Expect::Unregistered
        );
        assert_eq!(
            Expect::from_optional_json(Some(Value::from(1))).unwrap(),
            Expect::Registered
        );
        assert_eq!(
            Expect::from_optional_json(Some(Value::from("1"))).unwrap(),
            Expect::Registered
        );
        assert!(Expect::from_optional_json(Some(Value::from(2))).is_err());
        assert!(Expect::from_optional_json(Some(Value::Bool(true))).is_err());
    }
}
