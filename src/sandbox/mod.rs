//! `account-api sandbox`: the real server on a throwaway database, for
//! development and end-to-end tests of apps — never for production.
//!
//! It swaps two outside effects: SMS codes go to an [`Inbox`] a test reads
//! instead of to a phone, and time comes from a [`SandboxClock`] a test can
//! move. [`fixtures`] restores the initial data and sets a user's enterprise
//! application to any state. The HTTP side of all three lives in
//! `api::sandbox`, described in its own OpenAPI document.
//!
//! # Layout
//!
//! - [`clock`]: the clock a test moves ([`SandboxClock`]).
//! - [`inbox`]: the SMS inbox ([`Inbox`]).
//! - [`fixtures`]: the initial data and the application states.
//! - [`database`]: the throwaway database the sandbox runs on.

pub mod clock;
pub mod database;
pub mod fixtures;
pub mod inbox;

use std::sync::Arc;

pub use clock::SandboxClock;
pub use inbox::Inbox;

/// What the sandbox operations reach: its clock and its inbox.
#[derive(Clone)]
pub struct Sandbox {
    /// The clock every operation reads.
    pub clock: Arc<SandboxClock>,
    /// Where SMS codes go.
    pub inbox: Arc<Inbox>,
}

impl Sandbox {
    /// A sandbox whose clock shows the system time, with an empty inbox.
    pub fn new() -> Self {
        let clock = Arc::new(SandboxClock::default());
        let inbox = Arc::new(Inbox::new(clock.clone()));
        Self { clock, inbox }
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}
