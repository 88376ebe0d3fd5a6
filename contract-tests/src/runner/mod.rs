//! Runs the generated requests against a deployment and gathers what broke.
//!
//! Every target (operation × encoding) gets `cases` requests from its
//! strategy, each from its own seed. All cases run, so a report counts how
//! often each violation occurs; the first case of each distinct violation is
//! shrunk to a minimal request. With a regressions directory, the seeds of
//! failing cases are kept in proptest's `cc <hex>` format and replayed first
//! on the next run.
//!
//! - `config`: [`RunConfig`].
//! - `setup`: [`Checker`], connected, with its fixture accounts.
//! - `run`: every target's cases ([`Checker::run`]); `exchange`: one case.
//! - `shrink`: the smallest request showing each distinct violation.
//! - `regressions`: failing seeds kept and replayed.
//! - `outcome`: [`TargetReport`] and its [`Failure`]s.

mod config;
mod exchange;
mod outcome;
mod regressions;
mod run;
mod setup;
mod shrink;

pub use config::RunConfig;
pub use outcome::{Failure, Observed, TargetReport};
pub use setup::{Checker, SetupError};
pub(crate) use shrink::shrink_while;
