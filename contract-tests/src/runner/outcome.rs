//! What a run gives back: per target, its cases and each distinct violation
//! with the smallest request that shows it.

use std::collections::BTreeMap;

use crate::{
    check::Violation,
    document::Target,
    http::{HttpRequest, HttpResponse},
};

/// Answers counted by HTTP status and envelope `code` (see [`TargetReport::observed`]).
pub type Observed = BTreeMap<(Option<u16>, Option<String>), u32>;

/// One distinct violation of a target, with the smallest request that shows it.
#[derive(Debug, Clone)]
pub struct Failure {
    /// What makes it distinct.
    pub signature: String,
    /// In how many cases it occurred.
    pub occurrences: u32,
    /// The (shrunk) request.
    pub request: HttpRequest,
    /// What came back.
    pub response: Result<HttpResponse, String>,
    /// Everything wrong with that response.
    pub violations: Vec<Violation>,
    /// How many shrinking steps made the request smaller.
    pub shrink_steps: u32,
}

/// What happened to one target.
#[derive(Debug, Clone)]
pub struct TargetReport {
    /// The target.
    pub target: Target,
    /// Cases run, replayed regressions included.
    pub cases: u32,
    /// Of those, replayed from the regressions file.
    pub replayed: u32,
    /// Cases with at least one violation.
    pub failing_cases: u32,
    /// One entry per distinct violation.
    pub failures: Vec<Failure>,
    /// How often each answer came: the envelope's `code` for HTTP 200
    /// (`"200"` quoted when it is a string), else `HTTP <status>`.
    pub answers: BTreeMap<String, u32>,
    /// How often each HTTP status and envelope `code` came back, over every
    /// answer the target received (shrinking steps included): the status,
    /// and the `code` of a JSON body as JSON text (`"200"` quoted when it is
    /// a string), `None` without one. `None` as the status: no answer.
    pub observed: Observed,
}

impl TargetReport {
    /// `METHOD /path [operationId, encoding]`.
    pub fn title(&self) -> String {
        format!(
            "{} [{} {}]",
            self.target.operation.title(),
            self.target.operation.operation_id,
            self.target.encoding.label()
        )
    }
}

/// Counts `response` in `observed`: its status and its JSON body's `code`.
pub(super) fn observe(observed: &mut Observed, response: &Result<HttpResponse, String>) {
    let key = match response {
        Err(_) => (None, None),
        Ok(response) => (
            Some(response.status),
            serde_json::from_slice::<serde_json::Value>(&response.body)
                .ok()
                .and_then(|body| body.get("code").map(serde_json::Value::to_string)),
        ),
    };
    *observed.entry(key).or_default() += 1;
}
