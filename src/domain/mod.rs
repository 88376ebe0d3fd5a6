//! Validated request values ("parse, don't validate").
//!
//! Every value a client sends is turned into one of these types at the edge,
//! once. Each type has a private field and a `parse` constructor, so no code
//! can hold an unchecked phone number or password. The OpenAPI side of each
//! type (schema, parsing from any request field) lives in [`openapi_field`],
//! shared by all of them.

mod client_ip;
mod code_purpose;
mod device_id;
mod expect;
mod name;
mod openapi_field;
mod password;
mod phone;
mod sms_code;

pub use client_ip::ClientIp;
pub use code_purpose::CodePurpose;
pub use device_id::DeviceId;
pub use expect::Expect;
pub use name::Name;
pub use openapi_field::RequestField;
pub use password::Password;
pub use phone::{Mobile, Phone};
pub use sms_code::SmsCodeInput;

/// Why a value was refused, in the words shown to the app after `参数错误: <field>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub &'static str);

/// The reason given for a parameter that is absent or empty.
pub const MISSING: Invalid = Invalid("缺少参数 (missing)");

/// Control characters (Unicode category Cc, what [`char::is_control`] tests),
/// as the inside of a character class of an OpenAPI `pattern`. Stored text
/// refuses them: PostgreSQL cannot store U+0000 in text at all, and a tab or
/// line break inside a display name or device identifier is never meant.
const CONTROL_CLASS: &str = r"\u0000-\u001f\u007f-\u009f";

/// White space as [`str::trim`] removes it (Unicode White_Space), as the
/// inside of a character class of an OpenAPI `pattern`.
const WHITE_SPACE_CLASS: &str =
    r"\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
