//! Every way a request can fail to parse, as `参数错误: <field> <reason>`.
//!
//! The field comes from our own structure — the request object's field
//! names, a path parameter's domain type — never from a library's message.

use std::borrow::Cow;

use poem::{error::ResponseError, http::StatusCode};
use poem_openapi::error::ContentTypeError;

use super::messages::BAD_PARAMETER;
use crate::domain::{Invalid, MISSING, SmsCodeInput};

/// A request field that did not parse: which, and why.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct BadField {
    /// The field, or `body` when the body as a whole is wrong.
    pub field: Cow<'static, str>,
    /// What is wrong with it.
    pub reason: Cow<'static, str>,
}

impl BadField {
    /// `field` refused for `reason`.
    pub fn new(field: impl Into<Cow<'static, str>>, reason: Invalid) -> Self {
        Self {
            field: field.into(),
            reason: reason.0.into(),
        }
    }

    /// An error about the body as a whole.
    pub fn body(reason: &'static str) -> Self {
        Self {
            field: "body".into(),
            reason: reason.into(),
        }
    }
}

impl BadField {
    /// The `msg` of the 400 answer naming this field.
    pub fn message(&self) -> String {
        format!("{BAD_PARAMETER}: {} {}", self.field, self.reason)
    }
}

/// The six digits of `code` when verification is on (`None` when off: the
/// original's codes are not checked, whatever they are); a missing or
/// malformed code is a bad field then.
pub fn checked_code(verifies: bool, code: Option<&SmsCodeInput>) -> Result<Option<&str>, BadField> {
    if !verifies {
        return Ok(None);
    }
    match code.map(SmsCodeInput::digits) {
        Some(Ok(digits)) => Ok(Some(digits)),
        Some(Err(invalid)) => Err(BadField::new("code", invalid)),
        None => Err(BadField::new("code", MISSING)),
    }
}

impl ResponseError for BadField {
    fn status(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }
}

/// The `msg` of the 400 answer for `err`, naming the field at fault.
pub fn message(err: &poem::Error) -> String {
    if let Some(bad) = err.downcast_ref::<BadField>() {
        return bad.message();
    }
    let (field, reason) = if err.is::<ContentTypeError>() {
        ("body", "不支持的Content-Type (unsupported content type)")
    } else {
        ("request", "无法解析 (could not be parsed)")
    };
    format!("{BAD_PARAMETER}: {field} {reason}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_field_is_named_with_its_reason() {
        let err = poem::Error::from(BadField::new(
            "expect",
            Invalid("应为0或1 (must be 0 or 1)"),
        ));
        assert_eq!(message(&err), "参数错误: expect 应为0或1 (must be 0 or 1)");
    }

    #[test]
    fn any_other_failure_blames_the_request() {
        let err = poem::Error::from_status(StatusCode::BAD_REQUEST);
        assert_eq!(
            message(&err),
            "参数错误: request 无法解析 (could not be parsed)"
        );
    }
}
