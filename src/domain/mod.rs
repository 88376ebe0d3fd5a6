//! Validated request values ("parse, don't validate").
//!
//! Every value a client sends is turned into one of these types at the edge,
//! once. Each type has a private field and a `parse` constructor, so no code
//! can hold an unchecked phone number or password. The OpenAPI side of each
//! type (schema, parsing from a query parameter or a JSON/form field) lives in
//! [`openapi_field`], shared by all of them.

mod device_id;
mod expect;
mod name;
mod openapi_field;
mod password;
mod phone;
mod sms_code;

pub use device_id::DeviceId;
pub use expect::Expect;
pub use name::Name;
pub use password::Password;
pub use phone::{Mobile, Phone};
pub use sms_code::SmsCodeInput;

/// Why a value was refused, in the words shown to the app after `参数错误: <field>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub &'static str);

/// The reason given for a parameter that is absent or empty.
pub const MISSING: Invalid = Invalid("缺少参数 (missing)");
