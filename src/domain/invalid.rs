//! Why a request value was refused, in the words the app shows.

/// Why a value was refused, in the words shown to the app after `参数错误: <field>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub &'static str);

/// The reason given for a parameter that is absent or empty.
pub const MISSING: Invalid = Invalid("缺少参数 (missing)");
