//! The server under test, in process: a real `account_api::Application` on
//! 127.0.0.1 port 0 over a fresh database of its own — a SQLite file in a
//! temporary directory, or a new PostgreSQL schema in the PostgreSQL run
//! (`account_api::test_support`).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use account_api::{
    Application,
    clock::Clock,
    settings::{Settings, Verification},
    startup::Overrides,
    store::codes::CODE_LIFETIME,
    test_support::{ManualClock, RecordingSender, TestDatabase},
};
use tokio::{runtime::Runtime, sync::oneshot};

/// One millisecond as the `chrono::Duration` the clock takes. This crate does
/// not depend on chrono (the library speaks HTTP only), so it is derived from
/// a duration the server exports: the code lifetime, divided down.
macro_rules! one_millisecond {
    () => {
        CODE_LIFETIME / i32::try_from(CODE_LIFETIME.num_milliseconds()).expect("minutes, not years")
    };
}

/// A running server with its own database and runtime, stopped when dropped.
pub struct TestServer {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// Every SMS the server "sent".
    pub sms: Arc<RecordingSender>,
    /// The server's clock, when the test moves it ([`TestServer::start_verifying`]).
    pub clock: Option<Arc<ManualClock>>,
    stop: Option<oneshot::Sender<()>>,
    runtime: Option<Runtime>,
    // Dropped last, after the server has stopped.
    _database: TestDatabase,
}

impl TestServer {
    /// Starts a server with the default settings (verification off), except
    /// that the limits shared by every test in the process — sends, wrong
    /// passwords and unverified password resets per client address, and the
    /// service's daily budget — are lifted: every request here comes from
    /// 127.0.0.1 (or 127.0.0.2), so those would otherwise trip across cases.
    pub fn start() -> Self {
        Self::launch(Verification::Off, None)
    }

    /// As [`TestServer::start`], with SMS verification on (the production
    /// mode) and a manual clock that only moves when the test moves it (see
    /// [`advance_millis`]), starting on a whole second so that every instant
    /// the test produces is a whole number of milliseconds.
    pub fn start_verifying() -> Self {
        let clock = Arc::new(ManualClock::starting_now());
        let nanos = i64::from(clock.now().timestamp_subsec_nanos());
        advance_nanos(&clock, 1_000_000_000 - nanos);
        Self::launch(Verification::On, Some(clock))
    }

    fn launch(verification: Verification, clock: Option<Arc<ManualClock>>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let database = runtime.block_on(TestDatabase::create());
        let mut settings = Settings::new(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            database.url().to_owned(),
        );
        settings.sms.verification = Some(verification);
        settings.limits.sends_per_address_per_hour = u32::MAX / 2;
        settings.limits.daily_sms_budget = u32::MAX / 2;
        settings.limits.login_failures_per_address_per_hour = u32::MAX / 2;
        settings.limits.reset_attempts_per_address_per_hour = u32::MAX / 2;
        let sms = Arc::new(RecordingSender::default());
        let overrides = Overrides {
            sms_sender: Some(sms.clone()),
            clock: clock.clone().map(|clock| clock as Arc<dyn Clock>),
            ..Overrides::default()
        };
        let application = runtime
            .block_on(Application::build_with(settings, overrides))
            .expect("the server starts");
        let base_url = format!("http://127.0.0.1:{}", application.port());
        let (stop, stopped) = oneshot::channel::<()>();
        runtime.spawn(application.run_until(async {
            let _ = stopped.await;
        }));
        Self {
            base_url,
            sms,
            clock,
            stop: Some(stop),
            runtime: Some(runtime),
            _database: database,
        }
    }

    /// The runtime the server runs on, for helpers such as the faulty proxy.
    pub fn runtime(&self) -> &Runtime {
        self.runtime.as_ref().expect("running")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
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
