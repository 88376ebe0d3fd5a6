//! `POST /sandbox/clock/advance`: move the sandbox's clock forward.

use chrono::Duration;
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

/// The longest step: ten years, so no instant overflows.
const MAX_SECONDS: f64 = 10.0 * 366.0 * 86_400.0;

request_object! {
    /// The fields of `sandbox/clock/advance`.
    pub struct SandboxAdvanceForm {
        /// 前进的秒数, 可带小数 (how many seconds to move forward, 0 or more; decimals for milliseconds)
        pub seconds: f64,
    }
}

/// `POST /sandbox/clock/advance`.
pub struct SandboxClockAdvanceApi;

#[OpenApi(prefix_path = super::SANDBOX_PATH, tag = "SandboxTags::Sandbox")]
impl SandboxClockAdvanceApi {
    /// 沙箱: 时钟前进 (sandbox: move the clock forward)
    ///
    /// Moves the clock every operation sees by `seconds`, so a test sees a
    /// code expire (5 minutes), a reset window close (10), a lockout end
    /// (15) or a session lapse (30 days) without waiting. `seconds` comes
    /// from a form or JSON body, or the query string.
    #[oai(
        path = "/clock/advance",
        method = "post",
        operation_id = "sandboxClockAdvance"
    )]
    async fn advance(
        &self,
        sandbox: Data<&Sandbox>,
        body: FormOrJson<SandboxAdvanceForm>,
    ) -> Answer<SandboxClockReply> {
        let seconds = body.into_inner().seconds;
        if seconds > MAX_SECONDS {
            return Answer::ok(SandboxClockReply::failure(
                400,
                "参数错误: seconds 最多十年 (at most ten years)",
            ));
        }
        let step = Duration::milliseconds((seconds * 1000.0).round() as i64);
        Answer::ok(SandboxClockReply::reading(sandbox.clock.advance(step)))
    }
}
