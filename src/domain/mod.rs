//! Validated request values ("parse, don't validate").
//!
//! Every value a client sends is turned into one of these types at the edge,
//! once. Each type has a private field and a `parse` constructor, so no code
//! can hold an unchecked phone number or password; [`RequestField`] reads
//! each from any request field. No web framework is known here: how each
//! type appears in the OpenAPI document lives in `api::field_schemas`.
//!
//! Beside them, [`account_event`]: the account events webhook endpoints
//! receive, one struct per type (their schemas are derived with schemars
//! and put into the OpenAPI document by `api::document`).

pub mod account_event;
mod character_classes;
mod client_ip;
mod code_purpose;
mod device_id;
mod expect;
mod flag;
mod invalid;
mod name;
mod password;
mod phone;
mod positive_id;
mod request_field;
mod sms_code;

pub use account_event::AccountEvent;
pub use client_ip::ClientIp;
pub use code_purpose::CodePurpose;
pub use device_id::DeviceId;
pub use expect::Expect;
pub use flag::Flag;
pub use invalid::{Invalid, MISSING, NOT_UTF8};
pub use name::Name;
pub use password::Password;
pub use phone::{Mobile, Phone};
pub use positive_id::{EnterpriseId, SessionId};
pub use request_field::RequestField;
pub use sms_code::SmsCodeInput;
