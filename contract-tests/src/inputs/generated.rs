//! What a generated request is before it goes on the wire: its fields, in
//! order, and the shape of its body.

use serde_json::Value;

use crate::document::Location;

/// One generated input: where it goes and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The input's name.
    pub name: String,
    /// Where it travels.
    pub location: Location,
    /// Its value; strings, numbers or (in JSON bodies) anything.
    pub value: Value,
}

/// What the body looks like, beyond its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyShape {
    /// The fields, encoded as the target says.
    Fields,
    /// This raw text as the body instead (JSON that is not an object, or not JSON).
    Raw(String),
    /// The fields form-encoded, under a content type the document does not declare.
    WrongContentType(String),
    /// The fields plus a padding field, over 64 KiB in all.
    Oversized,
}

/// A generated request, before it is put on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedRequest {
    /// Every field, in order; duplicates are deliberate.
    pub fields: Vec<Field>,
    /// The body's shape.
    pub body: BodyShape,
    /// Whether a JSON body's content type says `charset=utf-8`.
    pub json_charset: bool,
}

/// The text of a scalar as it goes into a query string or form.
pub fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
