//! Turns every way a request can fail to parse into `参数错误: <field> <reason>`.

use poem::{error::ResponseError, http::StatusCode};
use poem_openapi::error::{ContentTypeError, ParseParamError, ParsePathError};

use super::messages::BAD_PARAMETER;

/// A request body that did not parse, with the field at fault.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct BodyFieldError {
    /// The field, or `body` when the body as a whole is wrong.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl BodyFieldError {
    /// An error about the body as a whole.
    pub fn body(reason: &str) -> Self {
        Self {
            field: "body".to_owned(),
            reason: reason.to_owned(),
        }
    }

    /// The error for a poem-openapi parse message about a body object.
    pub fn from_parse_message(message: &str) -> Self {
        match split_parse_message(message) {
            Some((field, reason)) => Self {
                field: field.to_owned(),
                reason: reason.to_owned(),
            },
            None => Self::body("应为JSON对象或表单 (must be a JSON object or a form)"),
        }
    }
}

impl ResponseError for BodyFieldError {
    fn status(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }
}

/// The `msg` of the 400 answer for `err`, naming the field at fault.
pub fn message(err: &poem::Error) -> String {
    let (field, reason) = if let Some(e) = err.downcast_ref::<BodyFieldError>() {
        (e.field.as_str(), e.reason.as_str())
    } else if let Some(e) = err.downcast_ref::<ParseParamError>() {
        (e.name, reason_of(&e.reason))
    } else if let Some(e) = err.downcast_ref::<ParsePathError>() {
        // poem-openapi names path parameters `param0`, `param1`, ...; the
        // domain type in the reason carries the real name.
        split_parse_message(&e.reason).unwrap_or((e.name, &e.reason))
    } else if err.is::<ContentTypeError>() {
        ("body", "不支持的Content-Type (unsupported content type)")
    } else {
        ("request", "无法解析 (could not be parsed)")
    };
    format!("{BAD_PARAMETER}: {field} {reason}")
}

/// The reason inside a poem-openapi parse message, or the message itself.
fn reason_of(message: &str) -> &str {
    split_parse_message(message).map_or(message, |(_, reason)| reason)
}

/// Splits `failed to parse "<field>": <reason> (occurred while parsing "<Type>")`.
///
/// The domain types name themselves after their field (see
/// `domain::openapi_field`), so `<field>` is the request field at fault.
fn split_parse_message(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix("failed to parse \"")?;
    let (field, rest) = rest.split_once("\": ")?;
    let reason = rest
        .split_once(" (occurred while parsing")
        .map_or(rest, |(reason, _)| reason);
    Some((field, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_field_error_names_the_innermost_field() {
        let error = BodyFieldError::from_parse_message(
            r#"failed to parse "phone": 缺少参数 (missing) (occurred while parsing "RegisterForm")"#,
        );
        assert_eq!(error.field, "phone");
        assert_eq!(error.reason, "缺少参数 (missing)");
    }

    #[test]
    fn a_message_of_another_shape_blames_the_body() {
        let error =
            BodyFieldError::from_parse_message(r#"Expected input type "RegisterForm", found []."#);
        assert_eq!(error.field, "body");
    }

    #[test]
    fn a_query_parameter_error_is_named_by_its_parameter() {
        let err = poem::Error::from(ParseParamError {
            name: "expect",
            reason: r#"failed to parse "expect": 应为0或1 (must be 0 or 1)"#.to_owned(),
        });
        assert_eq!(message(&err), "参数错误: expect 应为0或1 (must be 0 or 1)");
    }
}
