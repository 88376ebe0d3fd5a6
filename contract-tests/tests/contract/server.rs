//! The server under test, in process: a real `account_api::Application` on
//! 127.0.0.1 port 0 over a fresh SQLite file in a temporary directory.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use account_api::{Application, settings::Settings, sms_sender::RecordingSender};
use tempfile::TempDir;
use tokio::{runtime::Runtime, sync::oneshot};

/// A running server with its own database and runtime, stopped when dropped.
pub struct TestServer {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// Every SMS the server "sent".
    #[allow(dead_code)]
    pub sms: Arc<RecordingSender>,
    stop: Option<oneshot::Sender<()>>,
    runtime: Option<Runtime>,
    // Dropped last: the database file lives in it.
    _dir: TempDir,
}

impl TestServer {
    /// Starts a server with the default settings (verification off), except
    /// that the limits shared by every test in the process — sends per client
    /// address and the service's daily budget — are lifted: every request
    /// here comes from 127.0.0.1, so those would otherwise trip across cases.
    pub fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("contract-tests-")
            .tempdir()
            .expect("a temporary directory");
        let database = dir.path().join("accounts.db");
        let mut settings = Settings::new(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            format!("sqlite://{}", database.display()),
        );
        settings.limits.sends_per_address_per_hour = u32::MAX / 2;
        settings.limits.daily_sms_budget = u32::MAX / 2;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let sms = Arc::new(RecordingSender::default());
        let application = runtime
            .block_on(Application::build_with_sender(settings, sms.clone()))
            .expect("the server starts");
        let base_url = format!("http://127.0.0.1:{}", application.port());
        let (stop, stopped) = oneshot::channel::<()>();
        runtime.spawn(application.run_until(async {
            let _ = stopped.await;
        }));
        Self {
            base_url,
            sms,
            stop: Some(stop),
            runtime: Some(runtime),
            _dir: dir,
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
