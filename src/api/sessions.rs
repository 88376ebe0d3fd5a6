//! `sessions`: the live sessions of the presented session's account, for the
//! app's "logged-in devices" screen (an extension; GET).

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use poem::web::Data;
use poem_openapi::{
    Object, OpenApi,
    registry::{MetaSchema, MetaSchemaRef},
    types::{Example, ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};
use serde_json::Value;

use super::{
    document::ApiTags,
    envelope::{Answer, reply_union, status_envelope, success_envelope},
    messages,
    session_token::{SessionFailureCodes, SessionToken},
};
use crate::{
    flows::sessions::{LiveSession, live_sessions},
    state::AppState,
};

/// `/sessions`' operation.
pub struct SessionsApi;

#[OpenApi(prefix_path = super::document::BASE_PATH, tag = "ApiTags::Extensions")]
impl SessionsApi {
    /// 已登录的设备 (the live sessions of this account)
    ///
    /// Not in the original document. Answers the live sessions (neither
    /// expired nor revoked) of the presented token's account, newest first:
    /// each with its `id` (what `sessions/revoke` takes), its device, when it
    /// was opened and last used (to the minute), and `current` true for the
    /// presented token's own. Code 401 `登录已失效，请重新登录` when the token
    /// is missing, unknown, expired or revoked.
    #[oai(path = "/sessions", method = "get", operation_id = "sessions")]
    async fn sessions(&self, state: Data<&AppState>, token: SessionToken) -> Answer<SessionsReply> {
        let Some(token) = token.token() else {
            return Answer::ok(session_invalid());
        };
        match live_sessions(&state, token).await {
            Ok(Some(live)) => Answer::ok(SessionsReply::Success(SessionsSuccess::new(
                messages::FETCHED,
                SessionsData {
                    sessions: live.into_iter().map(SessionEntry::from).collect(),
                },
            ))),
            Ok(None) => Answer::ok(session_invalid()),
            Err(err) => Answer::failed("sessions", &err),
        }
    }
}

fn session_invalid() -> SessionsReply {
    SessionsReply::failure(401, messages::SESSION_INVALID)
}

/// A time in UTC, sent as RFC 3339 to the second (`2026-12-01T08:00:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime(DateTime<Utc>);

impl Type for UtcTime {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "UtcTime".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut schema = MetaSchema::new_with_format("string", "date-time");
        schema.description = Some("UTC时间, RFC 3339 (a UTC time in RFC 3339, to the second)");
        MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(std::iter::once(self))
    }
}

impl ParseFromJSON for UtcTime {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        let value = value.unwrap_or_default();
        value
            .as_str()
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
            .map(|time| Self(time.with_timezone(&Utc)))
            .ok_or_else(|| ParseError::expected_type(value))
    }
}

impl ToJSON for UtcTime {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(
            self.0.to_rfc3339_opts(SecondsFormat::Secs, true),
        ))
    }
}

/// One live session of the account.
#[derive(Debug, Object)]
#[oai(example)]
pub struct SessionEntry {
    /// 会话id, 用于sessions/revoke (the session's id, what `sessions/revoke` takes)
    pub id: i64,
    /// 登录时的设备唯一标示 (the device identifier the session was opened with)
    pub device_identifier: String,
    /// 登录时间 (when the session was opened, UTC, RFC 3339)
    pub created_at: UtcTime,
    /// 最近使用时间, 精确到分钟 (when the session last authenticated a request, to the minute; UTC, RFC 3339)
    pub last_used_at: UtcTime,
    /// 是否为本次请求的会话 (true for the session of the presented token)
    pub current: bool,
}

impl From<LiveSession> for SessionEntry {
    fn from(session: LiveSession) -> Self {
        Self {
            id: session.id,
            device_identifier: session.device_identifier,
            created_at: UtcTime(session.created_at),
            last_used_at: UtcTime(session.last_used_at),
            current: session.current,
        }
    }
}

/// An example: the presented session, opened on this phone.
impl Example for SessionEntry {
    fn example() -> Self {
        let opened = DateTime::parse_from_rfc3339("2026-12-01T08:00:00Z")
            .expect("a valid time")
            .with_timezone(&Utc);
        Self {
            id: 2,
            device_identifier: "uuid".to_owned(),
            created_at: UtcTime(opened),
            last_used_at: UtcTime(opened + chrono::Duration::minutes(5)),
            current: true,
        }
    }
}

/// `data` of `sessions`: the live sessions, newest first.
#[derive(Debug, Object)]
#[oai(example)]
pub struct SessionsData {
    /// 未过期且未下线的会话, 最新的在前 (the live sessions, newest first)
    pub sessions: Vec<SessionEntry>,
}

/// An example: one session, the presented one.
impl Example for SessionsData {
    fn example() -> Self {
        Self {
            sessions: vec![SessionEntry::example()],
        }
    }
}

success_envelope!(
    /// The live sessions of the account (`/sessions`).
    SessionsSuccess,
    SessionsData,
    "获取成功",
    example = "获取成功"
);

status_envelope!(
    /// A refused `/sessions`.
    SessionsFailure,
    SessionFailureCodes,
    "401 登录已失效, 400 参数错误, 429 操作太频繁"
);

reply_union!(
    /// The answer of `/sessions`.
    SessionsReply,
    SessionsSuccess,
    SessionsFailure
);
