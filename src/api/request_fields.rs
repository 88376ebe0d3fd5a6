//! Request objects: the fields of one operation, declared once with their
//! docs, and the extractors that read them — from a form or JSON body
//! ([`FormOrJson`], the POST operations), from the query string
//! ([`QueryFields`], the GET operations) or from one path segment
//! ([`Path`]) — reporting a bad field by its name ([`BadField`]).

use poem::{Request, RequestBody};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    registry::{MetaMediaType, MetaParamIn, MetaRequest, MetaSchemaRef, Registry},
    types::{ParseFromJSON, Type},
};
use serde_json::{Map, Value};

use super::bad_request::BadField;
use crate::domain::RequestField;

/// A request object: an OpenAPI object (its schema, with a doc on every
/// field) whose fields are read one by one, each refused by its name.
pub trait RequestFields: ParseFromJSON {
    /// Reads every field from `fields`.
    fn from_fields(fields: &mut FieldMap) -> Result<Self, BadField>;
}

/// The raw fields of a request, by name: JSON values, or strings for a form
/// or a query string.
pub struct FieldMap(Map<String, Value>);

impl FieldMap {
    /// The field `name`, parsed; absent fields are what the type makes of
    /// absence (refused, `None`, or a default).
    pub fn take<T: RequestField>(&mut self, name: &'static str) -> Result<T, BadField> {
        T::from_optional_json(self.0.remove(name)).map_err(|reason| BadField::new(name, reason))
    }

    /// The fields of a URL-encoded form or query string, as strings; the
    /// first of repeated fields counts.
    fn from_form(encoded: &[u8]) -> Self {
        let mut fields = Map::new();
        for (name, value) in form_urlencoded::parse(encoded) {
            fields
                .entry(name.into_owned())
                .or_insert_with(|| Value::String(value.into_owned()));
        }
        Self(fields)
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
                Some(JSON) => match serde_json::from_slice(&bytes) {
                    Ok(Value::Object(object)) => FieldMap(object),
                    Ok(_) => {
                        return Err(BadField::body(
                            "应为JSON对象或表单 (must be a JSON object or a form)",
                        )
                        .into());
                    }
                    Err(_) => return Err(BadField::body("不是合法的JSON (not valid JSON)").into()),
                },
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

    #[test]
    fn the_first_of_repeated_form_fields_wins() {
        let FieldMap(fields) = FieldMap::from_form(b"phone=13126939916&phone=2&name=%E4%BA%8E+x");
        assert_eq!(
            Value::Object(fields),
            serde_json::json!({"phone": "13126939916", "name": "于 x"})
        );
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
