//! Small JSON types the derives of poem-openapi cannot express: an integer
//! code restricted to a fixed set, the empty string, the empty object, and the
//! login's `apply` (either `{}` or the three-field object).
//!
//! Each states its exact values in its schema (`enum`, `maxProperties`,
//! `oneOf`), so clients generated from the document get literal types.

use std::{borrow::Cow, marker::PhantomData};

use poem_openapi::{
    Enum, Object,
    registry::{MetaSchema, MetaSchemaRef, Registry},
    types::{Example, ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};
use serde_json::Value;

/// A fixed set of integer `code` values, the ones one envelope may carry.
pub trait CodeSet: Send + Sync + 'static {
    /// The allowed codes, in the order the document lists them.
    const CODES: &'static [i32];
    /// What the codes mean, for the schema's description.
    const DESCRIPTION: &'static str;
}

/// Declares a [`CodeSet`] marker type.
macro_rules! code_set {
    ($(#[$doc:meta])* $name:ident = [$($code:literal),+], $description:literal) => {
        $(#[$doc])*
        pub struct $name;

        impl $crate::api::wire_types::CodeSet for $name {
            const CODES: &'static [i32] = &[$($code),+];
            const DESCRIPTION: &'static str = $description;
        }
    };
}
pub(crate) use code_set;

/// An integer `code` that can only be one of `S::CODES`.
pub struct Code<S>(i32, PhantomData<S>);

impl<S> std::fmt::Debug for Code<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Code({})", self.0)
    }
}

impl<S: CodeSet> Code<S> {
    /// Wraps `code`, which must be one of the set (a programming error otherwise).
    pub fn new(code: i32) -> Self {
        assert!(
            S::CODES.contains(&code),
            "code {code} is not one of {:?}",
            S::CODES
        );
        Self(code, PhantomData)
    }

    /// The number sent.
    pub fn get(&self) -> i32 {
        self.0
    }
}

impl<S: CodeSet> Type for Code<S> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "code".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut schema = MetaSchema::new_with_format("integer", "int32");
        schema.description = Some(S::DESCRIPTION);
        schema.enum_items = S::CODES.iter().map(|&code| Value::from(code)).collect();
        MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(std::iter::once(self))
    }
}

impl<S: CodeSet> ParseFromJSON for Code<S> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        let value = value.unwrap_or_default();
        match value.as_i64().and_then(|code| i32::try_from(code).ok()) {
            Some(code) if S::CODES.contains(&code) => Ok(Self(code, PhantomData)),
            _ => Err(ParseError::expected_type(value)),
        }
    }
}

impl<S: CodeSet> ToJSON for Code<S> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(self.0))
    }
}

/// The empty string `""`, sent as `data` in every answer that carries no object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmptyString;

impl Type for EmptyString {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "EmptyString".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut schema = MetaSchema::new("string");
        schema.description = Some("总是空字符串 (always the empty string)");
        schema.enum_items = vec![Value::from("")];
        MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(std::iter::once(self))
    }
}

impl ParseFromJSON for EmptyString {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(text)) if text.is_empty() => Ok(Self),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl ToJSON for EmptyString {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(""))
    }
}

/// The empty object `{}`, a named component so that generated clients call
/// it `EmptyObject` rather than `ApplyType1` or `RegisterDataApply`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmptyObject;

impl Type for EmptyObject {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "EmptyObject".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Reference("EmptyObject".into())
    }

    fn register(registry: &mut Registry) {
        registry.create_schema::<Self, _>("EmptyObject".into(), |_| {
            let mut schema = MetaSchema::new("object");
            schema.description = Some("空对象 (the empty object)");
            schema.max_properties = Some(0);
            schema
        });
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(std::iter::once(self))
    }
}

impl ParseFromJSON for EmptyObject {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::Object(map)) if map.is_empty() => Ok(Self),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl ToJSON for EmptyObject {
    fn to_json(&self) -> Option<Value> {
        Some(Value::Object(Default::default()))
    }
}

/// 申请状态, 字符串: "-1" 拒绝, "0" 申请中, "1" 通过 (the state of an
/// application to join an enterprise, as a string: "-1" rejected, "0"
/// pending, "1" approved)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "ApplyState")]
pub enum ApplyState {
    /// 拒绝 (rejected)
    #[oai(rename = "-1")]
    Rejected,
    /// 申请中 (pending)
    #[oai(rename = "0")]
    Pending,
    /// 通过 (approved)
    #[oai(rename = "1")]
    Approved,
}

/// The user's latest application to join an enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(example)]
pub struct ApplyDetails {
    /// 申请企业的id (id of the enterprise applied to)
    pub apply_eid: i64,
    /// 申请企业的名字 (name of the enterprise applied to)
    pub apply_name: String,
    // A bare `$ref` (no field doc): a description beside it would wrap it in
    // `allOf`, which openapi-python-client cannot read. `ApplyState` describes itself.
    #[allow(missing_docs, reason = "a bare `$ref`: see above")]
    pub apply_state: ApplyState,
}

/// The original document's example.
impl Example for ApplyDetails {
    fn example() -> Self {
        Self {
            apply_eid: 1,
            apply_name: "apple".to_owned(),
            apply_state: ApplyState::Pending,
        }
    }
}

/// `apply` in the login answer: `{}` when the user never applied, else [`ApplyDetails`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Apply {
    /// The user never applied to an enterprise: `{}`.
    Never,
    /// The latest application.
    Latest(ApplyDetails),
}

impl Type for Apply {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "Apply".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Reference("Apply".into())
    }

    fn register(registry: &mut Registry) {
        registry.create_schema::<Self, _>("Apply".into(), |registry| {
            ApplyDetails::register(registry);
            EmptyObject::register(registry);
            let mut schema = MetaSchema::new("object");
            schema.description = Some(
                "申请状态: 从未申请时为空对象, 否则为最近一次申请 \
                 (the user's latest application to join an enterprise; {} when never applied)",
            );
            // The details first: generated clients try the alternatives in
            // order, and an `{}` model that keeps extra keys would swallow them.
            schema.one_of = vec![ApplyDetails::schema_ref(), EmptyObject::schema_ref()];
            schema
        });
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(std::iter::once(self))
    }
}

impl ParseFromJSON for Apply {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::Object(map)) if map.is_empty() => Ok(Self::Never),
            other => ApplyDetails::parse_from_json(other)
                .map(Self::Latest)
                .map_err(ParseError::propagate),
        }
    }
}

impl ToJSON for Apply {
    fn to_json(&self) -> Option<Value> {
        match self {
            Self::Never => EmptyObject.to_json(),
            Self::Latest(details) => details.to_json(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    code_set!(TestCodes = [200, -1], "test");

    #[test]
    fn a_code_outside_its_set_does_not_parse() {
        assert_eq!(
            Code::<TestCodes>::parse_from_json(Some(Value::from(-1)))
                .unwrap()
                .get(),
            -1
        );
        assert!(Code::<TestCodes>::parse_from_json(Some(Value::from(7))).is_err());
        assert!(Code::<TestCodes>::parse_from_json(Some(Value::from("200"))).is_err());
    }

    #[test]
    fn apply_is_the_empty_object_or_the_three_fields() {
        assert_eq!(Apply::Never.to_json(), Some(serde_json::json!({})));
        let latest = Apply::Latest(ApplyDetails {
            apply_eid: 1,
            apply_name: "apple".into(),
            apply_state: ApplyState::Pending,
        });
        assert_eq!(
            latest.to_json(),
            Some(serde_json::json!({"apply_eid": 1, "apply_name": "apple", "apply_state": "0"}))
        );
        assert_eq!(Apply::parse_from_json(latest.to_json()).unwrap(), latest);
    }
}
