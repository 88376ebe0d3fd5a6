//! `GET /sandbox/clock`: what the sandbox's clock shows.

use poem::web::Data;
use poem_openapi::{Object, OpenApi};

use super::{SandboxTags, sms::SandboxFailure};
use crate::{
    api::envelope::{Answer, reply_union, success_envelope},
    sandbox::{Sandbox, clock::ClockReading},
};

/// The sandbox's clock.
#[derive(Debug, Object)]
pub struct SandboxClockData {
    /// 沙箱时间 (the time every operation sees, RFC 3339 UTC)
    pub now: String,
    /// 比系统时间快多少秒 (how many seconds ahead of the system time it is)
    pub offset_seconds: f64,
    /// 是否停止 (whether it stands still until moved)
    pub frozen: bool,
}

impl From<ClockReading> for SandboxClockData {
    fn from(reading: ClockReading) -> Self {
        Self {
            now: reading
                .now
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            offset_seconds: reading.offset.num_milliseconds() as f64 / 1000.0,
            frozen: reading.frozen,
        }
    }
}

success_envelope!(
    /// The sandbox's clock.
    SandboxClockSuccess,
    SandboxClockData,
    "获取成功"
);

reply_union!(
    /// The answer of the clock operations.
    SandboxClockReply,
    SandboxClockSuccess,
    SandboxFailure
);

impl SandboxClockReply {
    /// The clock's `reading`.
    pub fn reading(reading: ClockReading) -> Self {
        Self::Success(SandboxClockSuccess::new("获取成功", reading.into()))
    }
}

/// `GET /sandbox/clock`.
pub struct SandboxClockApi;

#[OpenApi(prefix_path = super::SANDBOX_PATH, tag = "SandboxTags::Sandbox")]
impl SandboxClockApi {
    /// 沙箱: 时钟 (sandbox: the clock)
    ///
    /// The time every operation of the sandbox sees: the system time plus the
    /// offset `POST /sandbox/clock/advance` added, or a frozen instant.
    #[oai(path = "/clock", method = "get", operation_id = "sandboxClock")]
    async fn clock(&self, sandbox: Data<&Sandbox>) -> Answer<SandboxClockReply> {
        Answer::ok(SandboxClockReply::reading(sandbox.clock.reading()))
    }
}
