//! `GET /sandbox/clock`: what the sandbox's clock shows.

use poem::web::Data;
use poem_openapi::OpenApi;

use super::{SandboxTags, replies::SandboxClockReply};
use crate::{api::envelope::Answer, sandbox::Sandbox};

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
