//! Running the model: sequences drawn from [`AccountModel`], each step
//! taken on the deployment and its answers compared with the model's; a
//! failure is shrunk to a minimal sequence, and the run ends in a
//! [`ModelReport`].

use std::{
    cell::{Cell, RefCell},
    collections::BTreeMap,
    fmt::Write as _,
    ops::RangeInclusive,
    sync::atomic::Ordering,
    time::Instant,
};

use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestError, TestRunner};
use proptest_state_machine::ReferenceStateMachine;

use super::{
    case::Case, deployment::Deployment, state::Setup, tally::outcome_kinds,
    transitions::AccountModel,
};

/// What a model run is.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// The run's name in its report.
    pub name: String,
    /// What the model knows of the deployment.
    pub setup: Setup,
    /// Sequences to run (before shrinking).
    pub cases: u32,
    /// Steps per sequence.
    pub lengths: RangeInclusive<usize>,
    /// Where failing sequences are saved and replayed first (relative to the
    /// working directory); `None` keeps none.
    pub regressions: Option<&'static str>,
}

impl ModelConfig {
    /// `cases` sequences for `setup`, of up to 24 steps with verification
    /// off and 32 with it on (it has more to reach), saving no regressions.
    pub fn new(name: impl Into<String>, setup: Setup, cases: u32) -> Self {
        let longest = if setup.verification { 32 } else { 24 };
        Self {
            name: name.into(),
            setup,
            cases,
            lengths: 1..=longest,
            regressions: None,
        }
    }
}

/// How a model run went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelReport {
    /// The run's name.
    pub name: String,
    /// Every answer was the model's.
    pub passed: bool,
    /// When it failed: the minimal sequence, each step with the model's
    /// prediction and the deployment's answer, and how they differ.
    pub failure: Option<String>,
    /// Sequences run (shrinking's replays not counted).
    pub cases: u32,
    /// Steps taken in all, shrinking's included.
    pub steps: u64,
    /// How long the run took, in milliseconds.
    pub millis: u128,
    /// How often each kind of answer was predicted: by operation, code and
    /// the rule that gave it.
    pub tally: BTreeMap<String, u32>,
}

impl ModelReport {
    /// The report as the binary prints it: a summary line, what the run
    /// covered, and the failure in full.
    pub fn text(&self) -> String {
        let mut out = format!(
            "{} {}: {} sequences, {} steps in {:.1} s; by operation, predicted code and rule:\n",
            if self.passed { "ok  " } else { "FAIL" },
            self.name,
            self.cases,
            self.steps,
            self.millis as f64 / 1000.0
        );
        for (kind, count) in &self.tally {
            let _ = writeln!(out, "  {kind:<56} {count:>5}");
        }
        if let Some(failure) = &self.failure {
            let _ = write!(out, "\n{failure}\n");
        }
        out
    }
}

/// Runs sequences against `deployment` as `config` says, comparing every
/// answer with the model's.
pub fn run(deployment: &dyn Deployment, config: &ModelConfig) -> ModelReport {
    let started = Instant::now();
    let proptest_config = Config {
        cases: config.cases,
        failure_persistence: config
            .regressions
            .map(|path| Box::new(FileFailurePersistence::Direct(path)) as _),
        ..Config::default()
    };
    let tally = RefCell::new(BTreeMap::<String, u32>::new());
    let last_difference = RefCell::new(None::<String>);
    let steps_taken = Cell::new(0_u64);
    let limits = config.setup.limits;
    let mut runner = TestRunner::new(proptest_config);
    let result = runner.run(
        &AccountModel::strategy(config.setup, config.lengths.clone()),
        |(mut model, steps, seen)| {
            let mut case = Case::start(deployment, config.setup).map_err(TestCaseError::fail)?;
            for (at, step) in steps.into_iter().enumerate() {
                // Tells the shrinker how far the case got.
                if let Some(seen) = &seen {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
                model = AccountModel::apply(model, &step);
                let expected = model
                    .expected
                    .clone()
                    .ok_or_else(|| TestCaseError::fail("the model predicted nothing"))?;
                {
                    let mut tally = tally.borrow_mut();
                    for kind in outcome_kinds(&step, &expected, &limits) {
                        *tally.entry(kind).or_default() += 1;
                    }
                }
                steps_taken.set(steps_taken.get() + 1);
                if let Err(why) = case.take(&step, &expected) {
                    let at = at + 1;
                    *last_difference.borrow_mut() = Some(format!(
                        "the server differs from the model at step {at} ({step:?}): {why}\n\n\
                         the steps, each with the model's prediction and the server's answer:\n{}",
                        case.log.join("\n")
                    ));
                    // Kept short: proptest keeps this for every shrinking attempt.
                    let first_line = why.lines().next().unwrap_or_default();
                    return Err(TestCaseError::fail(format!(
                        "the server differs from the model at step {at}: {first_line}"
                    )));
                }
            }
            Ok(())
        },
    );
    let failure = match result {
        Ok(()) => None,
        Err(TestError::Fail(why, (_, steps, _))) => {
            let numbered: String = steps
                .iter()
                .enumerate()
                .map(|(i, step)| format!("{:>3}. {step:?}\n", i + 1))
                .collect();
            let difference = last_difference.take().unwrap_or_default();
            Some(format!(
                "{why}\n\nminimal failing sequence ({} steps):\n{numbered}\n{difference}",
                steps.len()
            ))
        }
        Err(TestError::Abort(why)) => Some(format!("aborted: {why}")),
    };
    ModelReport {
        name: config.name.clone(),
        passed: failure.is_none(),
        failure,
        cases: config.cases,
        steps: steps_taken.get(),
        millis: started.elapsed().as_millis(),
        tally: tally.take(),
    }
}
