//! `GET /sandbox/events`: every account event the sandbox would send,
//! newest first.

use poem::web::Data;
use poem_openapi::{Object, OpenApi};

use super::{SandboxTags, replies::SandboxFailure};
use crate::{
    api::envelope::{Answer, reply_union, success_envelope},
    flows::events,
    state::AppState,
};

/// The most events listed.
const MOST: u64 = 1000;

/// One account event.
#[derive(Debug, Object)]
pub struct SandboxEvent {
    /// 事件id, 即webhook-id (the event's id, `msg_…`: the `webhook-id` a webhook endpoint receives)
    pub id: String,
    /// 事件内容 (the payload a webhook endpoint receives: `{"type", "timestamp", "data"}`, each type described in `x-webhooks` of `/openapi.json`)
    pub payload: serde_json::Value,
}

/// The events.
#[derive(Debug, Object)]
pub struct SandboxEvents {
    /// 全部事件, 最新在前 (every event, newest first; at most the newest 1000)
    pub events: Vec<SandboxEvent>,
}

success_envelope!(
    /// The events.
    SandboxEventsSuccess,
    SandboxEvents,
    "获取成功"
);

reply_union!(
    /// The answer of `GET /sandbox/events`.
    SandboxEventsReply,
    SandboxEventsSuccess,
    SandboxFailure
);

/// `GET /sandbox/events`.
pub struct SandboxEventsApi;

#[OpenApi(prefix_path = super::SANDBOX_PATH, tag = "SandboxTags::Sandbox")]
impl SandboxEventsApi {
    /// 沙箱: 账号事件 (sandbox: every account event)
    ///
    /// Every account event the sandbox would send to a webhook endpoint
    /// (`user.registered`, `user.logged_in`, ...), newest first, as the
    /// endpoint would receive it: written only when its change committed,
    /// whether or not `[[webhooks]]` are configured. `POST /sandbox/reset`
    /// empties the list.
    #[oai(path = "/events", method = "get", operation_id = "sandboxEvents")]
    async fn events(&self, state: Data<&AppState>) -> Answer<SandboxEventsReply> {
        match events::recorded(&state, MOST).await {
            Ok(recorded) => {
                let events = recorded
                    .into_iter()
                    .map(|event| SandboxEvent {
                        id: event.id,
                        payload: event.payload,
                    })
                    .collect();
                Answer::ok(SandboxEventsReply::Success(SandboxEventsSuccess::new(
                    "获取成功",
                    SandboxEvents { events },
                )))
            }
            Err(err) => Answer::failed("sandbox events", &err),
        }
    }
}
