//! The result of a health check, as `/livez` and `/healthz` answer it.

use poem_openapi::{Enum, Object};

/// 检查结果: `ok` 或 `unavailable` (whether a check passed: `ok` or `unavailable`)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum CheckStatus {
    /// The check passed.
    Ok,
    /// The check failed.
    Unavailable,
}

/// The result of a check.
#[derive(Debug, Object)]
pub struct Check {
    // A bare `$ref`: `CheckStatus` describes itself.
    pub status: CheckStatus,
}
