use std::borrow::Cow;

use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};
use serde_json::Value;

use super::{invalid::Invalid, openapi_field::RequestField};

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

impl Type for Expect {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "expect".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut schema = MetaSchema::new_with_format("integer", "int32");
        schema.description = Some(
            "期望: 0(默认)是期望没注册(用于注册), 1是期望注册过(用于忘记密码) \
             (0, the default: the phone should not be registered yet, for sign-up; \
             1: it should be registered, for a password reset)",
        );
        schema.enum_items = vec![Value::from(0), Value::from(1)];
        schema.default = Some(Value::from(0));
        schema.example = Some(Value::from(1));
        MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(std::iter::once(self))
    }
}

impl ParseFromJSON for Expect {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        Self::from_optional_json(value).map_err(ParseError::custom)
    }
}

impl ToJSON for Expect {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(self.as_number()))
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
        assert_eq!(Expect::parse_from_json(None).unwrap(), Expect::Unregistered);
        assert_eq!(
            Expect::parse_from_json(Some(Value::from(1))).unwrap(),
            Expect::Registered
        );
        assert_eq!(
            Expect::parse_from_json(Some(Value::from("1"))).unwrap(),
            Expect::Registered
        );
        assert!(Expect::parse_from_json(Some(Value::from(2))).is_err());
        assert!(Expect::parse_from_json(Some(Value::Bool(true))).is_err());
    }
}
