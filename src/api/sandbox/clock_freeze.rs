//! `POST /sandbox/clock/freeze`: stop the sandbox's clock, or let it run.

use poem::web::Data;
use poem_openapi::OpenApi;

use super::{SandboxTags, replies::SandboxClockReply};
use crate::{
    api::{
        envelope::Answer,
        request_fields::{FormOrJson, request_object},
    },
    sandbox::Sandbox,
};

request_object! {
    /// The fields of `sandbox/clock/freeze`.
    pub struct SandboxFreezeForm {
        /// true: 停在当前时刻; false: 从当前时刻继续走 (true: stand still at the time shown; false: run on from it)
        pub frozen: bool,
    }
}

/// `POST /sandbox/clock/freeze`.
pub struct SandboxClockFreezeApi;

#[OpenApi(prefix_path = super::SANDBOX_PATH, tag = "SandboxTags::Sandbox")]
impl SandboxClockFreezeApi {
    /// 沙箱: 停止或继续时钟 (sandbox: stop or run the clock)
    ///
    /// With `frozen` true the clock stands still at the time it shows, and
    /// moves only by `POST /sandbox/clock/advance`: for tests that need
    /// exact timings. With false it runs on from the time it shows.
    #[oai(
        path = "/clock/freeze",
        method = "post",
        operation_id = "sandboxClockFreeze"
    )]
    async fn freeze(
        &self,
        sandbox: Data<&Sandbox>,
        body: FormOrJson<SandboxFreezeForm>,
    ) -> Answer<SandboxClockReply> {
        let frozen = body.into_inner().frozen;
        Answer::ok(SandboxClockReply::reading(sandbox.clock.set_frozen(frozen)))
    }
}
