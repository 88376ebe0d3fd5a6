//! The sandbox's operations (`account-api sandbox` only), described in
//! their own OpenAPI document at `/sandbox/openapi.json`: the SMS inbox,
//! the clock, and the fixtures. One file per endpoint, as for the API.

mod application;
mod clock;
mod clock_advance;
mod clock_freeze;
mod events;
mod fields;
mod replies;
mod reset;
mod sms;
mod sms_latest;

use poem_openapi::{OpenApiService, Tags};

/// The group the sandbox operations are listed under.
#[derive(Tags)]
pub enum SandboxTags {
    /// 沙箱接口, 仅 `account-api sandbox` 提供 (the sandbox: an SMS inbox, a
    /// clock to move, fixtures; only `account-api sandbox` serves them)
    #[oai(rename = "sandbox")]
    Sandbox,
}

/// Where the sandbox operations live.
pub const SANDBOX_PATH: &str = "/sandbox";

crate::api::document::operation_list!(
    /// Every sandbox operation, in the document's order.
    SandboxOperations,
    sandbox_operations = (
        sms::SandboxSmsApi,
        sms_latest::SandboxSmsLatestApi,
        events::SandboxEventsApi,
        clock::SandboxClockApi,
        clock_advance::SandboxClockAdvanceApi,
        clock_freeze::SandboxClockFreezeApi,
        reset::SandboxResetApi,
        application::SandboxApplicationApi,
    )
);

/// The sandbox's own document, as committed in `openapi/sandbox.json`.
pub fn sandbox_service() -> OpenApiService<SandboxOperations, ()> {
    OpenApiService::new(sandbox_operations(), "Account API sandbox", "4.0").description(
        "`account-api sandbox`: the real account server on a throwaway database, for \
         development and end-to-end tests of apps, never for production. SMS codes go \
         to an inbox a test reads (`GET /sandbox/sms`), time comes from a clock a test \
         moves (`POST /sandbox/clock/advance`), every account event it would send to a \
         webhook endpoint is listed (`GET /sandbox/events`), and `POST /sandbox/reset` \
         restores the demo data. Answers use the API's envelope `{code, msg, data}` with HTTP 200.",
    )
}

/// The sandbox's document as pretty JSON.
pub fn sandbox_json() -> String {
    sandbox_service().spec()
}
