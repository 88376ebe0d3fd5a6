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

use std::{net::SocketAddr, sync::Arc};

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

/// Refuses a `listen` address other than loopback unless
/// `allow_remote_clients`: whoever reaches the sandbox reads every SMS code.
pub fn check_listen(listen: SocketAddr, allow_remote_clients: bool) -> Result<(), String> {
    if listen.ip().to_canonical().is_loopback() {
        return Ok(());
    }
    if allow_remote_clients {
        tracing::warn!(
            address = %listen,
            "the sandbox serves every client that reaches {listen}, and hands each of them \
             every SMS code (--allow-remote-clients)"
        );
        return Ok(());
    }
    Err(format!(
        "--listen {listen}: the sandbox hands every SMS code to whoever asks \
         (GET /sandbox/sms), so it listens on loopback only (127.0.0.1, [::1]); on a \
         private network whose every client may read the codes, give \
         --allow-remote-clients"
    ))
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}
