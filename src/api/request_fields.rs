//! Request objects: the fields of one operation, declared once with their
//! docs, and the extractors that read them — from a form or JSON body
//! ([`FormOrJson`], the POST operations), from the query string
//! ([`QueryFields`], the GET operations) or from one path segment
//! ([`Path`]) — reporting a bad field by its name ([`BadField`]).

use std::collections::BTreeSet;

use poem::{Request, RequestBody};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    registry::{MetaMediaType, MetaParamIn, MetaRequest, MetaSchemaRef, Registry},
    types::{ParseFromJSON, Type},
};
use serde_json::{Map, Value};

use super::{bad_request::BadField, utf8_fields};
use crate::domain::{NOT_UTF8, RequestField};

/// A request object: an OpenAPI object (its schema, with a doc on every
/// field) whose fields are read one by one, each refused by its name.
pub trait RequestFields: ParseFromJSON {
    /// Reads every field from `fields`.
    fn from_fields(fields: &mut FieldMap) -> Result<Self, BadField>;
}

/// The raw fields of a request, by name: JSON values, or strings for a form
/// or a query string; and the fields whose value is not UTF-8 text.
#[derive(Default)]
pub struct FieldMap {
    values: Map<String, Value>,
    not_utf8: BTreeSet<String>,
}

impl FieldMap {
    /// The field `name`, parsed; absent fields are what the type makes of
    /// absence (refused, `None`, or a default); a value that is not UTF-8
    /// text is refused.
    pub fn take<T: RequestField>(&mut self, name: &'static str) -> Result<T, BadField> {
        if self.not_utf8.contains(name) {
            return Err(BadField::new(name, NOT_UTF8));
        }
        T::from_optional_json(self.values.remove(name))
            .map_err(|reason| BadField::new(name, reason))
    }

    /// The fields of a URL-encoded form or query string, as strings; the
    /// first of repeated fields counts. Names that are not UTF-8 name no
    /// field a request reads and are ignored, as unknown fields are.
    fn from_form(encoded: &[u8]) -> Self {
        let mut fields = Self::default();
        for (name, value) in utf8_fields::form_pairs(encoded) {
            let Ok(name) = name else { continue };
            if fields.values.contains_key(&name) || fields.not_utf8.contains(&name) {
                continue;
            }
            match value {
                Ok(value) => {
                    fields.values.insert(name, Value::String(value));
                }
                Err(_) => {
                    fields.not_utf8.insert(name);
                }
            }
        }
        fields
    }

    /// The fields of a JSON body, which must be an object. A string that is
    /// not UTF-8 text makes its top-level field refused when it is read.
    fn from_json(body: &[u8]) -> Result<Self, BadField> {
        let not_an_object =
            || BadField::body("应为JSON对象或表单 (must be a JSON object or a form)");
        let not_json = || BadField::body("不是合法的JSON (not valid JSON)");
        match serde_json::from_slice(body) {
            Ok(Value::Object(values)) => Ok(Self {
                values,
                not_utf8: BTreeSet::new(),
            }),
            Ok(_) => Err(not_an_object()),
            Err(_) => {
                let repaired = utf8_fields::repair_json(body).ok_or_else(not_json)?;
                match serde_json::from_slice(&repaired.json) {
                    Ok(Value::Object(values)) => Ok(Self {
                        values,
                        not_utf8: repaired.not_utf8,
                    }),
                    Ok(_) => Err(not_an_object()),
                    Err(_) => Err(not_json()),
                }
            }
        }
    }
}

/// Declares a request object: the struct with its field docs (its schema
/// keeps the struct's name) and its [`RequestFields`] impl, so field names
/// and docs are written once for the GET and POST operations that share it.
macro_rules! request_object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                pub $field:ident: $ty:ty,
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, poem_openapi::Object)]
        pub struct $name {
            $(
                $(#[$field_meta])*
                pub $field: $ty,
            )+
        }

        impl $crate::api::request_fields::RequestFields for $name {
            fn from_fields(
                fields: &mut $crate::api::request_fields::FieldMap,
            ) -> Result<Self, $crate::api::bad_request::BadField> {
                Ok(Self {
                    $($field: fields.take(stringify!($field))?,)+
                })
            }
        }
    };
}
pub(crate) use request_object;

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

/// The fields of a POST, read into `T`.
///
/// They come from an `application/x-www-form-urlencoded` or `application/json`
/// body; when the body is empty, from the query string, because the original
/// document's examples put every parameter in the URL.
///
/// The document therefore marks the body optional (`required: false`): a POST
/// without one is answered (from its query string), and openapi-python-client
/// 0.29 generates a module that fails to import for a required body with two
/// media types. JSON is listed before the form because that generator sets
/// both kwargs for a body declared with one schema under two media types and
/// keeps the last Content-Type, and httpx then sends the form: listed in this
/// order, the header and the body agree.
pub struct FormOrJson<T>(pub T);

impl<'a, T: RequestFields> ApiExtractor<'a> for FormOrJson<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: Some(
                "表单或JSON; 请求体为空时从查询字符串读取参数 \
                 (a form or a JSON object with the same field names; when the body is \
                 empty, the parameters are read from the query string instead, as in \
                 the original document's examples)",
            ),
            content: vec![
                MetaMediaType {
                    content_type: JSON,
                    schema: T::schema_ref(),
                },
                MetaMediaType {
                    content_type: FORM,
                    schema: T::schema_ref(),
                },
            ],
            required: false,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let bytes = body.take()?.into_bytes().await?;
        let mut fields = if bytes.is_empty() {
            FieldMap::from_form(request.uri().query().unwrap_or_default().as_bytes())
        } else {
            match media_type(request.content_type()) {
                Some(JSON) => FieldMap::from_json(&bytes)?,
                Some(FORM) => FieldMap::from_form(&bytes),
                _ => {
                    return Err(BadField::body(
                        "应为表单或JSON (Content-Type must be application/x-www-form-urlencoded or application/json)",
                    )
                    .into());
                }
            }
        };
        Ok(Self(T::from_fields(&mut fields)?))
    }
}

impl<T> FormOrJson<T> {
    /// The parsed fields.
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// `application/json` or the form type when `content_type` is one of them
/// (parameters such as `charset` and letter case ignored).
fn media_type(content_type: Option<&str>) -> Option<&'static str> {
    let essence = content_type?.split(';').next()?.trim();
    [JSON, FORM]
        .into_iter()
        .find(|known| essence.eq_ignore_ascii_case(known))
}

/// The fields of a GET, read from the query string into `T`.
///
/// In the document each field of `T` is a query parameter of its own, with
/// the field's doc: the extractor stands in for them as one parameter whose
/// schema is `T`'s object schema, and [`super::document::QueryParameters`]
/// spreads it into its fields. `T` is not registered as a component.
pub struct QueryFields<T>(pub T);

impl<'a, T: RequestFields> ApiExtractor<'a> for QueryFields<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];

    type ParamType = ();
    type ParamRawType = ();

    fn register(_registry: &mut Registry) {}

    fn param_in() -> Option<MetaParamIn> {
        Some(MetaParamIn::Query)
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        // The object's schema itself, inline, for the document to spread.
        let mut registry = Registry::new();
        T::register(&mut registry);
        let schema = registry.schemas.remove(T::name().as_ref())?;
        Some(MetaSchemaRef::Inline(Box::new(schema)))
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let query = request.uri().query().unwrap_or_default();
        let mut fields = FieldMap::from_form(query.as_bytes());
        Ok(Self(T::from_fields(&mut fields)?))
    }
}

impl<T> QueryFields<T> {
    /// The parsed fields.
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// A path parameter, parsed by its domain type; a bad one is named by the
/// type's field name (`mobile`, `phone`).
///
/// Named `Path` like poem-openapi's own: its `#[OpenApi]` macro recognizes
/// a path parameter by that type name and routes it under its own name.
pub struct Path<T>(pub T);

impl<'a, T: RequestField + Type> ApiExtractor<'a> for Path<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
    const PARAM_IS_REQUIRED: bool = true;

    type ParamType = T;
    type ParamRawType = T::RawValueType;

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn param_in() -> Option<MetaParamIn> {
        Some(MetaParamIn::Path)
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        Some(T::schema_ref())
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let parsed = match request.raw_path_param(param_opts.name) {
            Some(text) => T::from_text(text),
            None => T::when_missing(),
        };
        parsed
            .map(Self)
            .map_err(|reason| BadField::new(T::name(), reason).into())
    }
}

impl<T> std::ops::Deref for Path<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Name, Password, Phone};

    #[test]
    fn the_first_of_repeated_form_fields_wins() {
        let fields = FieldMap::from_form(b"phone=13126939916&phone=2&name=%E4%BA%8E+x");
        assert_eq!(
            Value::Object(fields.values),
            serde_json::json!({"phone": "13126939916", "name": "于 x"})
        );
    }

    #[test]
    fn a_value_that_is_not_utf8_is_refused_by_its_field_name() {
        let mut fields =
            FieldMap::from_form(b"password=%FF%FF&password=123456&name=ok&phone=%FE%80&%FF=x");
        let refused = fields.take::<Password>("password").unwrap_err();
        assert_eq!(
            refused.message(),
            "参数错误: password 不是合法的UTF-8文本 (not valid UTF-8)"
        );
        assert_eq!(fields.take::<Name>("name").unwrap().as_str(), "ok");
        assert!(fields.take::<Option<Phone>>("phone").is_err());
        // A valid first value wins over a later one that is not text.
        let mut fields = FieldMap::from_form(b"name=a&name=%FF");
        assert_eq!(fields.take::<Name>("name").unwrap().as_str(), "a");

        let mut fields = FieldMap::from_json(b"{\"name\":\"\\udc80\",\"phone\":\"1\"}").unwrap();
        assert_eq!(fields.take::<Name>("phone").unwrap().as_str(), "1");
        assert_eq!(fields.take::<Name>("name").unwrap_err().field, "name");
        assert!(FieldMap::from_json(b"[\"\xFF\"]").is_err());
        assert!(FieldMap::from_json(b"{\"a\":\"\xFF\"").is_err());
    }

    #[test]
    fn media_types_ignore_parameters_and_case() {
        assert_eq!(
            media_type(Some("application/json; charset=utf-8")),
            Some(JSON)
        );
        assert_eq!(
            media_type(Some("Application/X-WWW-Form-Urlencoded")),
            Some(FORM)
        );
        assert_eq!(media_type(Some("text/plain")), None);
        assert_eq!(media_type(None), None);
    }
}
