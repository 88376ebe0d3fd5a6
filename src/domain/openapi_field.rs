//! How the domain types appear in the OpenAPI document and are parsed from it.
//!
//! Each type reports the request field it stands for as its OpenAPI type name,
//! so a parse failure reads `failed to parse "phone": <reason>` and the API
//! layer can name the field in its `参数错误` answer (see `api::bad_request`).

use serde_json::Value;

use super::{Invalid, MISSING};

/// The text of a JSON field: strings as they are, numbers in decimal (some
/// apps send `"phone": 13126939916`), anything else refused.
pub(crate) fn text_from_json(value: Option<Value>) -> Result<String, Invalid> {
    match value {
        None | Some(Value::Null) => Err(MISSING),
        Some(Value::String(text)) => Ok(text),
        Some(Value::Number(number)) => Ok(number.to_string()),
        Some(_) => Err(Invalid("应为字符串 (must be a string)")),
    }
}

/// Implements the poem-openapi traits of a string-valued domain type.
///
/// `$field` is the request field name, `$configure` adds constraints to the
/// schema. With `secret` the value is never written back out as JSON.
macro_rules! string_field {
    ($ty:ident, $field:literal, $description:literal, $example:literal, |$schema:ident| $configure:block $(, $secret:ident)?) => {
        impl poem_openapi::types::Type for $ty {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> std::borrow::Cow<'static, str> {
                $field.into()
            }

            fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
                let mut $schema = poem_openapi::registry::MetaSchema::new("string");
                $schema.description = Some($description);
                $schema.example = Some(serde_json::Value::from($example));
                $configure
                poem_openapi::registry::MetaSchemaRef::Inline(Box::new($schema))
            }

            fn as_raw_value(&self) -> Option<&Self> {
                Some(self)
            }

            fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
                Box::new(std::iter::once(self))
            }
        }

        impl poem_openapi::types::ParseFromJSON for $ty {
            fn parse_from_json(
                value: Option<serde_json::Value>,
            ) -> poem_openapi::types::ParseResult<Self> {
                let text = $crate::domain::openapi_field::text_from_json(value)
                    .map_err(poem_openapi::types::ParseError::custom)?;
                Self::parse(&text).map_err(poem_openapi::types::ParseError::custom)
            }
        }

        impl poem_openapi::types::ParseFromParameter for $ty {
            fn parse_from_parameter(value: &str) -> poem_openapi::types::ParseResult<Self> {
                Self::parse(value).map_err(poem_openapi::types::ParseError::custom)
            }

            fn parse_from_parameters<I: IntoIterator<Item = A>, A: AsRef<str>>(
                iter: I,
            ) -> poem_openapi::types::ParseResult<Self> {
                match iter.into_iter().next() {
                    Some(value) => Self::parse_from_parameter(value.as_ref()),
                    None => Err(poem_openapi::types::ParseError::custom(
                        $crate::domain::MISSING,
                    )),
                }
            }
        }

        $crate::domain::openapi_field::string_field!(@to_json $ty $(, $secret)?);
    };
    (@to_json $ty:ident) => {
        impl poem_openapi::types::ToJSON for $ty {
            fn to_json(&self) -> Option<serde_json::Value> {
                Some(serde_json::Value::from(self.as_str()))
            }
        }
    };
    (@to_json $ty:ident, secret) => {
        impl poem_openapi::types::ToJSON for $ty {
            fn to_json(&self) -> Option<serde_json::Value> {
                None
            }
        }
    };
}

pub(crate) use string_field;
