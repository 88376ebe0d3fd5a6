//! The sandbox operations' request fields beyond the domain types: a number
//! of seconds, a yes/no, a name, an application state.

use poem_openapi::Enum;
use serde_json::Value;

use crate::domain::{Invalid, RequestField};

/// A number of seconds: an integer or a decimal, not negative.
impl RequestField for f64 {
    fn from_text(text: &str) -> Result<Self, Invalid> {
        let seconds: f64 = text
            .trim()
            .parse()
            .map_err(|_| Invalid("应为秒数 (must be a number of seconds)"))?;
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(Invalid(
                "应为不小于0的秒数 (must be a number of seconds, 0 or more)",
            ));
        }
        Ok(seconds)
    }
}

/// `true`/`false` (or `1`/`0`).
impl RequestField for bool {
    fn from_text(text: &str) -> Result<Self, Invalid> {
        match text {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(Invalid("应为true或false (must be true or false)")),
        }
    }

    fn from_json(value: Value) -> Result<Self, Invalid> {
        match value {
            Value::Bool(flag) => Ok(flag),
            Value::String(text) => Self::from_text(&text),
            Value::Number(number) => Self::from_text(&number.to_string()),
            _ => Err(Invalid("应为true或false (must be true or false)")),
        }
    }
}

/// Any text.
impl RequestField for String {
    fn from_text(text: &str) -> Result<Self, Invalid> {
        Ok(text.to_owned())
    }
}

/// 申请状态 (the state to put the application in: `none` never applied,
/// `pending`, `approved` a member with permissions, `rejected`)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase", rename = "SandboxApplicationState")]
pub enum ApplicationStateField {
    /// Never applied: `apply` is `{}`.
    None,
    /// Waiting: `apply_state` `"0"`.
    Pending,
    /// A member: `apply_state` `"1"`, `enterprise_id` and `pemissions` set.
    Approved,
    /// Refused: `apply_state` `"-1"`.
    Rejected,
}

impl RequestField for ApplicationStateField {
    fn from_text(text: &str) -> Result<Self, Invalid> {
        match text {
            "none" => Ok(Self::None),
            "pending" => Ok(Self::Pending),
            "approved" => Ok(Self::Approved),
            "rejected" => Ok(Self::Rejected),
            _ => Err(Invalid(
                "应为none, pending, approved或rejected (must be none, pending, approved or rejected)",
            )),
        }
    }
}
