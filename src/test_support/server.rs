//! The server under test, in process: the real [`Application`] on 127.0.0.1
//! port 0 over a [`TestDatabase`] of its own, with a [`RecordingSender`] and
//! a [`ManualClock`] in place of the outside effects; stopped when dropped.
//! Both test suites (the black-box suite and the contract tests) start their
//! servers here.

use std::sync::Arc;

use tokio::sync::oneshot;

use super::{
    databases::TestDatabase,
    doubles::{ManualClock, RecordingSender},
};
use crate::{
    Application,
    password_hasher::HashCost,
    settings::Settings,
    sms_sender::SmsSender,
    startup::{BackgroundTasks, Overrides, StatementObserver},
    state::AppState,
    webhooks::WorkerOptions,
};

/// What a [`TestServer`] is started with beyond its settings.
#[derive(Default)]
pub struct ServerOptions {
    /// The database; a fresh one of the run's backend when `None`.
    pub database: Option<TestDatabase>,
    /// The SMS sender; the server's [`RecordingSender`] when `None`.
    pub sender: Option<Arc<dyn SmsSender>>,
    /// The clock; a new [`ManualClock`] showing now when `None`.
    pub clock: Option<Arc<ManualClock>>,
    /// Shown every statement the server runs through its pool.
    pub statement_observer: Option<StatementObserver>,
    /// Whether the hourly purge runs (first at start-up); held when `None`,
    /// so that it races no test for the database: tests call the purges
    /// themselves, or ask for it.
    pub background_tasks: Option<BackgroundTasks>,
    /// The Argon2id parameters; [`HashCost::LIGHTEST`] when `None`, so that
    /// a suite's time goes into its checks (the tests about hashing itself,
    /// and every test of the real binary, hash at [`HashCost::OWASP`]).
    pub hash_cost: Option<HashCost>,
}

/// A running server, stopped when dropped (its database after it).
pub struct TestServer {
    /// The port it listens on.
    pub port: u16,
    /// The port of the admin API, when `--admin-listen` was given.
    pub admin_port: Option<u16>,
    /// Every SMS the server sent (unless another sender was given).
    pub sms: Arc<RecordingSender>,
    /// The server's clock, moved by tests instead of sleeping.
    pub clock: Arc<ManualClock>,
    /// The server's state, for looking into its database or calling flows.
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    // Dropped last: the database itself.
    database: TestDatabase,
}

impl TestServer {
    /// Starts a server on 127.0.0.1 port 0 with the default settings as
    /// `configure` changes them. Runs on the caller's tokio runtime.
    ///
    /// # Panics
    /// When the server cannot start.
    pub async fn start(configure: impl FnOnce(&mut Settings), options: ServerOptions) -> Self {
        let database = match options.database {
            Some(database) => database,
            None => TestDatabase::create().await,
        };
        let mut settings =
            Settings::new("127.0.0.1:0".parse().expect("an address"), database.url());
        // Every test client connects from 127.0.0.1 (or another loopback
        // address), playing as many users as it likes: the per-address
        // connection cap is as high as the global one unless a test sets it.
        settings.connections.max_connections_per_address =
            Some(settings.connections.max_connections);
        configure(&mut settings);
        let sms = Arc::new(RecordingSender::default());
        let clock = options
            .clock
            .unwrap_or_else(|| Arc::new(ManualClock::starting_now()));
        let overrides = Overrides {
            sms_sender: Some(options.sender.unwrap_or_else(|| sms.clone())),
            clock: Some(clock.clone()),
            statement_observer: options.statement_observer,
            sandbox: None,
            background_tasks: options.background_tasks.unwrap_or(BackgroundTasks::Held),
            hash_cost: Some(options.hash_cost.unwrap_or(HashCost::LIGHTEST)),
            // Deliveries are polled for often: tests wait for them.
            webhook_worker: Some(WorkerOptions {
                poll_interval: std::time::Duration::from_millis(100),
                ..WorkerOptions::default()
            }),
        };
        let application = Application::build_with(settings, overrides)
            .await
            .expect("the server starts");
        let state = application.state().clone();
        let port = application.port();
        let admin_port = application.admin_addr().map(|address| address.port());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(application.run_until(async move {
            let _ = stopped.await;
        }));
        Self {
            port,
            admin_port,
            sms,
            clock,
            state,
            stop: Some(stop),
            database,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's database.
    pub fn database(&self) -> &TestDatabase {
        &self.database
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
