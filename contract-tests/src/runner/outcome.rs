//! What a run gives back: per target, its cases and each distinct violation
//! with the smallest request that shows it.

use std::collections::BTreeMap;

use crate::{
    check::Violation,
    document::Target,
    http::{HttpRequest, HttpResponse},
};

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
