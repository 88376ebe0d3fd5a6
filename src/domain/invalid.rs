//! Why a request value was refused, in the words the app shows.

/// Why a value was refused, in the words shown to the app after `参数错误: <field>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub &'static str);

/// The reason given for a parameter that is absent or empty.
pub const MISSING: Invalid = Invalid("缺少参数 (missing)");

/// The reason given for a field whose bytes are not UTF-8 text (a form or
/// query string's `%FF`, raw bytes, or a JSON string's lone surrogate
/// `\udc80`): refused rather than read with replacement characters, which
/// would make different bytes the same password.
pub const NOT_UTF8: Invalid = Invalid("不是合法的UTF-8文本 (not valid UTF-8)");
