//! How the domain types are read from a request field.
//!
//! [`RequestField`] is the one parser of every field, whatever carries it
//! (a query string, a form, JSON, a path segment); the OpenAPI side of each
//! type (`api::field_schemas`) delegates to it, so the schema and the
//! parsing cannot disagree.

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
