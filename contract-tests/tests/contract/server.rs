//! The server under test: `account_api::test_support::TestServer`, the same
//! in-process server the black-box suite starts (the real application on
//! 127.0.0.1 port 0 over a fresh database of its own — a SQLite file, or a
//! new PostgreSQL schema in the PostgreSQL run), on a runtime of its own.

use std::{sync::Arc, time::Duration};

use account_api::{
    clock::Clock,
    settings::{Settings, Verification},
    store::codes::CODE_LIFETIME,
    test_support::{ManualClock, RecordingSender, ServerOptions, TestServer as InProcess},
};
use contract_tests::model::Limits;
use tokio::runtime::Runtime;

/// One millisecond as the `chrono::Duration` the clock takes. This crate does
/// not depend on chrono (the library speaks HTTP only), so it is derived from
/// a duration the server exports: the code lifetime, divided down.
macro_rules! one_millisecond {
    () => {
        CODE_LIFETIME / i32::try_from(CODE_LIFETIME.num_milliseconds()).expect("minutes, not years")
    };
}

/// The shared in-process server on a runtime of its own (the contract
/// runner is synchronous), stopped when dropped.
pub struct TestServer {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// Every SMS the server "sent".
    pub sms: Arc<RecordingSender>,
    /// The server's clock, which only the test moves.
    pub clock: Arc<ManualClock>,
    server: Option<InProcess>,
    runtime: Option<Runtime>,
}

impl TestServer {
    /// Starts a server with the default settings (verification off), except
    /// that the limits shared by every test in the process — sends, wrong
    /// passwords and unverified password resets per client address, and the
    /// service's daily budget — are lifted: every request of the suite's
    /// checks comes from 127.0.0.1, so those would otherwise trip across cases.
    pub fn start() -> Self {
        Self::start_with(Verification::Off, &lifted(Limits::default()))
    }

    /// A server with SMS verification as given and the model's `limits`
    /// (the service's daily budget lifted, which every case shares), on a
    /// manual clock that only moves when the test moves it (see
    /// [`advance_millis`]), starting on a whole second so that every instant
    /// the test produces is a whole number of milliseconds.
    pub fn start_with(verification: Verification, limits: &Limits) -> Self {
        let clock = Arc::new(ManualClock::starting_now());
        let nanos = i64::from(clock.now().timestamp_subsec_nanos());
        advance_nanos(&clock, 1_000_000_000 - nanos);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let limits = *limits;
        let configure = move |settings: &mut Settings| {
            settings.sms.verification = Some(verification);
            settings.session_ttl_days = limits.session_ttl_days;
            let set = &mut settings.limits;
            set.sends_per_phone_per_minute = limits.sends_per_phone_per_minute;
            set.sends_per_phone_per_hour = limits.sends_per_phone_per_hour;
            set.sends_per_phone_per_day = limits.sends_per_phone_per_day;
            set.sends_per_address_per_hour = limits.sends_per_address_per_hour;
            set.daily_sms_budget = u32::MAX / 2;
            set.login_max_failures = limits.login_max_failures;
            set.login_lockout_minutes = limits.login_lockout_minutes;
            set.login_failures_per_address_per_hour = limits.login_failures_per_address_per_hour;
            set.code_max_tries = limits.code_max_tries;
            set.reset_attempts_per_phone_per_hour = limits.reset_attempts_per_phone_per_hour;
            set.reset_attempts_per_address_per_hour = limits.reset_attempts_per_address_per_hour;
            set.dead_code_lockout_secs = limits.dead_code_lockout_secs;
            set.max_sessions_per_account = limits.max_sessions_per_account;
        };
        let options = ServerOptions {
            clock: Some(Arc::clone(&clock)),
            ..ServerOptions::default()
        };
        let server = runtime.block_on(InProcess::start(configure, options));
        Self {
            base_url: server.base_url(),
            sms: Arc::clone(&server.sms),
            clock,
            server: Some(server),
            runtime: Some(runtime),
        }
    }

    /// The runtime the server runs on, for helpers such as the faulty proxy.
    pub fn runtime(&self) -> &Runtime {
        self.runtime.as_ref().expect("running")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Stops the server, then drops its database from within the runtime.
        if let (Some(server), Some(runtime)) = (self.server.take(), self.runtime.as_ref()) {
            let _guard = runtime.enter();
            drop(server);
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

/// `limits` with those per client address lifted.
pub fn lifted(limits: Limits) -> Limits {
    Limits {
        sends_per_address_per_hour: u32::MAX / 2,
        login_failures_per_address_per_hour: u32::MAX / 2,
        reset_attempts_per_address_per_hour: u32::MAX / 2,
        ..limits
    }
}

/// Moves `clock` forward by `millis` milliseconds.
pub fn advance_millis(clock: &ManualClock, millis: i64) {
    let millis = i32::try_from(millis).expect("at most 24 days at once");
    clock.advance(one_millisecond!() * millis);
}

fn advance_nanos(clock: &ManualClock, nanos: i64) {
    let nanos = i32::try_from(nanos).expect("less than a second");
    clock.advance(one_millisecond!() / 1_000_000 * nanos);
}
