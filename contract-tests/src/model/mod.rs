//! A deployment against a reference model of the contract, step by step, in
//! both verification modes.
//!
//! Random sequences of sendsms / isregister / register / login / verify_code
//! / forget_password (and `/me`, `/logout` when the document has them) over
//! a small pool of phones, names, passwords and devices run against the
//! deployment and against the model, plain Rust that states the contract.
//! Every answer must be the one the model predicts: code and msg, and for
//! accounts `change_device`, `apply` (`{}`: these users never applied to an
//! enterprise), `enterprise_id` (the number -1 in register, the string "-1"
//! in login), `name`, `pemissions`, `user_id`, and a new distinct token per
//! session; and every answer keeps the document. A failure is shrunk and
//! reported as the minimal sequence of steps.
//!
//! - **Verification off** (the original document's mode): codes are neither
//!   checked nor needed (forget_password's optional `code` is ignored
//!   whatever it is, from either client address); the send limit and the
//!   login lockout are reached within the minute the case takes.
//! - **Verification on** (production), on a deployment whose clock the model
//!   moves and whose codes it reads (`account-api sandbox`, or the server in
//!   process with a manual clock and a recording sender). Steps say which
//!   code to use — the right one, a wrong one, the previous (superseded)
//!   one, the other purpose's, none or a malformed one — and the case reads
//!   the real code the deployment sent. "Time passes" steps move the clock
//!   (61 s, 5, 10 minutes, the lockout, an hour, a day, and a second short of
//!   each edge that matters at the moment), and a "resend" step asks for a
//!   code several times a minute apart, so code expiry, the reset window,
//!   the hour and day send limits and the end of a lockout are reached; a
//!   "poll" step sends forget_password several times 30 s apart, towards
//!   the limit of unverified resets. The reset window belongs to its
//!   verifier: verify_code and forget_password come from the case's first
//!   client address or from a second one, and a verified reset code opens
//!   the window for the address that verified it alone.
//!
//! Where the model moves the deployment's clock, every request moves it by
//! one millisecond first (and the model's by the same), so no two events
//! share an instant, and the model predicts the exact `Retry-After` of every
//! 429; where it reads the codes, it checks that exactly one 6-digit code
//! was sent per `"200"` of sendsms and none otherwise.
//!
//! Each case gets phones of its own (`10` + nine digits), so cases never see
//! each other's accounts, codes or limits, and shrinking replays from a
//! clean slate; the limits per client address (sends, wrong passwords and
//! unverified resets an hour) start from none in each case as well: each
//! case starts a day after the last on a clock the model moves, and from
//! client addresses of its own on a deployment reached over loopback.
//!
//! # Layout
//!
//! - `limits`: the contract's numbers, and [`Limits`], the deployment's.
//! - `steps`: the steps and their arguments; `expected`: the predictions.
//! - `state`: the model, its [`Setup`] and its answers; `rules`: the codes,
//!   windows and limits behind them.
//! - `args`, `transitions`, `transitions_on`: the strategies of steps.
//! - `case`: one case on the deployment; `requests`: steps as requests;
//!   `compare`: answers against predictions; `tally`: what a run covered.
//! - `deployment`: what differs between deployments ([`Deployment`]), and
//!   [`Remote`]; `driver`: the run ([`run`], [`ModelReport`]); `options`:
//!   `--model`'s flags ([`ModelArgs`]); `replay`: sequences taken on a
//!   deployment with no prediction ([`Sequence`], for `contract-tests compare`).

mod args;
mod case;
mod compare;
mod deployment;
mod driver;
mod expected;
mod limits;
mod options;
mod replay;
mod requests;
mod rules;
mod state;
mod steps;
mod tally;
mod transitions;
mod transitions_on;

pub use deployment::{Capabilities, Deployment, Remote};
pub use driver::{ModelConfig, ModelReport, run};
pub use limits::{Limits, Ms};
pub use options::{ModelArgs, VerificationFlag, run_against};
pub use replay::{Exchange, LONGEST_SEQUENCE, Replayed, Sequence, sequences};
pub use state::Setup;
