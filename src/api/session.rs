//! Extensions beyond the original document: the session's account and logout.

use poem::web::Data;
use poem_openapi::{
    OpenApi, SecurityScheme,
    auth::{ApiKey, Bearer},
};

use super::{
    ApiTags,
    account::{internal_error, login_data},
    client_address::ClientAddress,
    envelopes::{Answer, LogoutReply, MeFailure, MeReply, MeSuccess},
    messages,
    wire_types::{Code, EmptyString},
};
use crate::service::{AppState, accounts};

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
    fn token(&self) -> Option<&str> {
        match self {
            Self::Bearer(BearerToken(bearer)) => Some(bearer.token.as_str()),
            Self::Header(HeaderToken(key)) | Self::Query(QueryToken(key)) => Some(key.key.as_str()),
            Self::Missing => None,
        }
        .filter(|token| !token.is_empty())
    }
}

/// The session extensions.
pub struct SessionApi;

#[OpenApi(prefix_path = "/api/v4.0", tag = "ApiTags::Extensions")]
impl SessionApi {
    /// 当前会话的账号 (the account of the presented session)
    ///
    /// Not in the original document. Answers the account in the login `data`
    /// shape, with the presented token and `change_device` false; code 401
    /// `登录已失效，请重新登录` when the token is missing, unknown, expired or
    /// revoked.
    #[oai(path = "/me", method = "get", operation_id = "me")]
    async fn me(&self, state: Data<&AppState>, token: SessionToken) -> Answer<MeReply> {
        let Some(token) = token.token() else {
            return Answer::ok(session_invalid());
        };
        match accounts::session_account(&state, token).await {
            Ok(Some(account)) => match login_data(account, token, false) {
                Ok(data) => Answer::ok(MeReply::Success(MeSuccess {
                    code: Code::new(200),
                    msg: messages::FETCHED.to_owned(),
                    data,
                })),
                Err(err) => internal_error("me", &err),
            },
            Ok(None) => Answer::ok(session_invalid()),
            Err(err) => internal_error("me", &err),
        }
    }

    /// 退出登录 (log out)
    ///
    /// Not in the original document. Revokes the presented token: 200
    /// `退出成功`; code 401 when it is missing, unknown, expired or already
    /// revoked.
    #[oai(path = "/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        state: Data<&AppState>,
        client: ClientAddress,
        token: SessionToken,
    ) -> Answer<LogoutReply> {
        let Some(token) = token.token() else {
            return Answer::ok(LogoutReply::new(401, messages::SESSION_INVALID));
        };
        match accounts::logout(&state, token, client.get()).await {
            Ok(true) => Answer::ok(LogoutReply::new(200, messages::LOGGED_OUT)),
            Ok(false) => Answer::ok(LogoutReply::new(401, messages::SESSION_INVALID)),
            Err(err) => internal_error("logout", &err),
        }
    }
}

fn session_invalid() -> MeReply {
    MeReply::Failure(MeFailure {
        code: Code::new(401),
        msg: messages::SESSION_INVALID.to_owned(),
        data: EmptyString,
    })
}
