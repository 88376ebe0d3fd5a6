//! The request body of every POST operation: a form or JSON, or the query string.

use poem::{Request, RequestBody};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    registry::{MetaMediaType, MetaRequest, Registry},
    types::ParseFromJSON,
};
use serde_json::{Map, Value};

use super::bad_request::BodyFieldError;

/// The fields of a POST, parsed into `T`.
///
/// They come from an `application/x-www-form-urlencoded` or `application/json`
/// body; when the body is empty, from the query string, because the original
/// document's examples put every parameter in the URL. A form field given twice
/// counts once (the first), as in the query string.
///
/// The document therefore marks the body optional (`required: false`): a POST
/// without one is answered (from its query string), and openapi-python-client
/// 0.29 generates a module that fails to import for a required body with two
/// media types. JSON is listed before the form because that generator sets
/// both kwargs for a body declared with one schema under two media types and
/// keeps the last Content-Type, and httpx then sends the form: listed in this
/// order, the header and the body agree.
pub struct FormOrJson<T>(pub T);

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

impl<'a, T: ParseFromJSON> ApiExtractor<'a> for FormOrJson<T> {
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
        let fields = if bytes.is_empty() {
            form_fields(request.uri().query().unwrap_or_default().as_bytes())
        } else {
            match media_type(request.content_type()) {
                Some(JSON) => serde_json::from_slice(&bytes)
                    .map_err(|_| BodyFieldError::body("不是合法的JSON (not valid JSON)"))?,
                Some(FORM) => form_fields(&bytes),
                _ => {
                    return Err(BodyFieldError::body(
                        "应为表单或JSON (Content-Type must be application/x-www-form-urlencoded or application/json)",
                    )
                    .into());
                }
            }
        };
        T::parse_from_json(Some(fields))
            .map(Self)
            .map_err(|err| BodyFieldError::from_parse_message(err.message()).into())
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

/// The fields of a URL-encoded form as a JSON object of strings; first occurrence wins.
fn form_fields(encoded: &[u8]) -> Value {
    let mut fields = Map::new();
    for (name, value) in form_urlencoded::parse(encoded) {
        fields
            .entry(name.into_owned())
            .or_insert_with(|| Value::String(value.into_owned()));
    }
    Value::Object(fields)
}

impl<T> FormOrJson<T> {
    /// The parsed fields.
    pub fn into_inner(self) -> T {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_of_repeated_form_fields_wins() {
        assert_eq!(
            form_fields(b"phone=13126939916&phone=2&name=%E4%BA%8E+x"),
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
