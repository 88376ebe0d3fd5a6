//! How a run goes: cases per target, parallelism, regressions, shrinking
//! and which operations.

use std::path::PathBuf;

use proptest::test_runner::Config;

/// How a run goes.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Cases per target.
    pub cases: u32,
    /// Targets checked at once.
    pub jobs: usize,
    /// Where failing seeds are kept and replayed from; `None` keeps nothing.
    pub regressions: Option<PathBuf>,
    /// The most shrinking steps (each one request) per distinct violation.
    pub max_shrink_steps: u32,
    /// Only these operationIds (all when empty).
    pub only: Vec<String>,
    /// Never these operationIds.
    pub skip: Vec<String>,
}

impl Default for RunConfig {
    /// 256 cases (or `PROPTEST_CASES`), two at once, nothing kept.
    fn default() -> Self {
        Self {
            cases: Config::default().cases,
            jobs: 2,
            regressions: None,
            max_shrink_steps: 256,
            only: Vec::new(),
            skip: Vec::new(),
        }
    }
}
