use serde_json::Value;

use super::{
    invalid::{Invalid, MISSING},
    request_field::RequestField,
};

/// Why a flag was refused.
const NOT_A_BOOLEAN: Invalid = Invalid("应为true或false (must be true or false)");

/// A yes-or-no request field: `true` or `false` (a JSON boolean, or that
/// word in a form or query string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(bool);

impl Flag {
    /// Accepts exactly `true` or `false`.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        match text {
            "" => Err(MISSING),
            "true" => Ok(Self(true)),
            "false" => Ok(Self(false)),
            _ => Err(NOT_A_BOOLEAN),
        }
    }

    /// Whether it is `true`.
    pub fn is_set(self) -> bool {
        self.0
    }
}

/// A JSON boolean, or the string `true` or `false`.
impl RequestField for Flag {
    fn from_text(text: &str) -> Result<Self, Invalid> {
        Self::parse(text)
    }

    fn from_json(value: Value) -> Result<Self, Invalid> {
        match value {
            Value::Bool(set) => Ok(Self(set)),
            Value::String(text) => Self::parse(&text),
            _ => Err(NOT_A_BOOLEAN),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_two_words_are_flags() {
        assert_eq!(Flag::parse("true"), Ok(Flag(true)));
        assert_eq!(Flag::parse("false"), Ok(Flag(false)));
        assert_eq!(Flag::parse(""), Err(MISSING));
        for bad in ["1", "0", "TRUE", "True", "yes", " true"] {
            assert_eq!(Flag::parse(bad), Err(NOT_A_BOOLEAN), "{bad:?}");
        }
    }

    #[test]
    fn json_takes_booleans_or_the_words() {
        assert_eq!(
            Flag::from_optional_json(Some(Value::Bool(true))).unwrap(),
            Flag(true)
        );
        assert_eq!(
            Flag::from_optional_json(Some(Value::from("false"))).unwrap(),
            Flag(false)
        );
        assert!(Flag::from_optional_json(Some(Value::from(1))).is_err());
    }
}
