//! How the domain types are read from a request field and how they appear
//! in the OpenAPI document.
//!
//! [`RequestField`] is the one parser of every field, whatever carries it
//! (a query string, a form, JSON, a path segment); poem-openapi's own
//! traits delegate to it, so the schema and the parsing cannot disagree.

use serde_json::Value;

use super::invalid::{Invalid, MISSING};

/// A value read from one request field.
pub trait RequestField: Sized {
    /// From the text of a query string, form field or path segment.
    fn from_text(text: &str) -> Result<Self, Invalid>;

    /// From a JSON value: strings as they are, numbers in decimal (some apps
    /// send `"phone": 13126939916`), anything else refused.
    fn from_json(value: Value) -> Result<Self, Invalid> {
        match value {
            Value::String(text) => Self::from_text(&text),
            Value::Number(number) => Self::from_text(&number.to_string()),
            _ => Err(Invalid("应为字符串 (must be a string)")),
        }
    }

    /// When the field is absent (or JSON `null`).
    fn when_missing() -> Result<Self, Invalid> {
        Err(MISSING)
    }

    /// From an optional JSON value, as a request object hands it over.
    fn from_optional_json(value: Option<Value>) -> Result<Self, Invalid> {
        match value {
            None | Some(Value::Null) => Self::when_missing(),
            Some(value) => Self::from_json(value),
        }
    }
}

/// An optional field: absent is `None`.
impl<T: RequestField> RequestField for Option<T> {
    fn from_text(text: &str) -> Result<Self, Invalid> {
        T::from_text(text).map(Some)
    }

    fn from_json(value: Value) -> Result<Self, Invalid> {
        T::from_json(value).map(Some)
    }

    fn when_missing() -> Result<Self, Invalid> {
        Ok(None)
    }
}

/// Implements [`RequestField`] and the poem-openapi traits of a
/// string-valued domain type with a `parse(&str)` constructor.
///
/// `$field` is the request field name, which is also the schema's type name
/// (a path parameter's errors name it); `$configure` adds constraints to the
/// schema. With `secret` the value is never written back out as JSON.
macro_rules! string_field {
    ($ty:ident, $field:literal, $description:literal, $example:literal, |$schema:ident| $configure:block $(, $secret:ident)?) => {
        impl $crate::domain::openapi_field::RequestField for $ty {
            fn from_text(text: &str) -> Result<Self, $crate::domain::invalid::Invalid> {
                Self::parse(text)
            }
        }

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
                <Self as $crate::domain::openapi_field::RequestField>::from_optional_json(value)
                    .map_err(poem_openapi::types::ParseError::custom)
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
