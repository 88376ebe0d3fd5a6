//! The session token of the extensions (`/me`, `/logout`, `/sessions`,
//! `/sessions/revoke`), however an app presents it: `Authorization: Bearer`,
//! or a `token` header or query parameter as legacy apps send it.

use poem_openapi::{
    SecurityScheme,
    auth::{ApiKey, Bearer},
};

use super::wire_types::code_set;

code_set!(
    /// Failure codes of the session extensions.
    SessionFailureCodes = [400, 401, 429],
    "401 登录已失效 (token missing, unknown, expired or revoked); 400 参数错误; 429 操作太频繁"
);

/// `Authorization: Bearer <token>`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "32 lowercase hex characters")]
pub struct BearerToken(Bearer);

/// The `token` header, as legacy apps send it.
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_name = "token", key_in = "header")]
pub struct HeaderToken(ApiKey);

/// The `token` query parameter, as legacy apps send it.
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_name = "token", key_in = "query")]
pub struct QueryToken(ApiKey);

/// The session token, however it is presented.
#[derive(SecurityScheme)]
pub enum SessionToken {
    /// `Authorization: Bearer <token>`.
    Bearer(BearerToken),
    /// The `token` header.
    Header(HeaderToken),
    /// The `token` query parameter.
    Query(QueryToken),
    /// None presented: answered with code 401.
    #[oai(fallback)]
    Missing,
}

impl SessionToken {
    /// The token presented, if one was (an empty one is none).
    pub fn token(&self) -> Option<&str> {
        match self {
            Self::Bearer(BearerToken(bearer)) => Some(bearer.token.as_str()),
            Self::Header(HeaderToken(key)) | Self::Query(QueryToken(key)) => Some(key.key.as_str()),
            Self::Missing => None,
        }
        .filter(|token| !token.is_empty())
    }
}
