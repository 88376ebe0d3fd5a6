//! Validated request values ("parse, don't validate").
//!
//! Every value a client sends is turned into one of these types at the edge,
//! once. Each type has a private field and a `parse` constructor, so no code
//! can hold an unchecked phone number or password. The OpenAPI side of each
//! type (schema, parsing from any request field) lives in `openapi_field`,
//! shared by all of them.

mod character_classes;
mod client_ip;
mod code_purpose;
mod device_id;
mod expect;
mod flag;
mod invalid;
mod name;
mod openapi_field;
mod password;
mod phone;
mod session_id;
mod sms_code;

pub use client_ip::ClientIp;
pub use code_purpose::CodePurpose;
pub use device_id::DeviceId;
pub use expect::Expect;
pub use flag::Flag;
pub use invalid::{Invalid, MISSING, NOT_UTF8};
pub use name::Name;
pub use openapi_field::RequestField;
pub use password::Password;
pub use phone::{Mobile, Phone};
pub use session_id::SessionId;
pub use sms_code::SmsCodeInput;
