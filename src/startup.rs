//! Start-up as an object: build binds the listener, tests read the port.

use std::{future::Future, io, net::SocketAddr, sync::Arc, time::Duration};

use tokio::net::TcpListener;

use crate::{
    api,
    clock::{Clock, SystemClock},
    database, demo,
    flows::housekeeping,
    http_server,
    password_hasher::{HashCost, PasswordHasher},
    sandbox::{Sandbox, database::ThrowawayDatabase},
    settings::{
        AllowedOrigins, ConnectionSettings, SandboxCommand, SenderKind, Settings, Verification,
    },
    sms_sender::{HttpSender, LogSender, SmsSender},
    state::{AppState, Policy},
    store::secrets,
    webhooks::{self, Endpoint, WorkerOptions},
};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A setting makes no sense.
    #[error("{0}")]
    Settings(#[from] crate::settings::SettingsError),
    /// The database could not be opened or migrated.
    #[error("database {url}: {source}")]
    Database {
        /// The URL, for the message.
        url: String,
        /// The cause.
        source: sea_orm::DbErr,
    },
    /// The SMS code secret could not be loaded or created.
    #[error("{0}")]
    Secret(#[from] secrets::SecretError),
    /// The SMS sender is misconfigured.
    #[error("SMS sender: {0}")]
    Sender(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// The cause.
        source: io::Error,
    },
    /// The admin address could not be bound.
    #[error("--admin-listen {address}: cannot listen: {source}")]
    AdminListen {
        /// The address.
        address: SocketAddr,
        /// The cause.
        source: io::Error,
    },
    /// A webhook endpoint cannot be set up (its secret file, its client).
    #[error("[[webhooks]]: {0}")]
    Webhooks(String),
    /// The metrics address could not be bound.
    #[error("--metrics-listen {address}: cannot listen: {source}")]
    MetricsListen {
        /// The address.
        address: SocketAddr,
        /// The cause.
        source: io::Error,
    },
}

/// How long in-flight requests may take to finish after a stop signal.
const GRACE_PERIOD: Duration = Duration::from_secs(30);
/// How long the webhook worker's attempts under way may take to finish
/// after the server stopped.
const WORKER_STOP_GRACE: Duration = Duration::from_secs(5);
/// How often expired and long-revoked sessions, and audit events older
/// than the retention, are deleted.
const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// Replacements for the outside effects, for tests.
#[derive(Default, Clone)]
pub struct Overrides {
    /// The SMS sender instead of the configured one.
    pub sms_sender: Option<Arc<dyn SmsSender>>,
    /// The clock instead of the system clock.
    pub clock: Option<Arc<dyn Clock>>,
    /// Called with every statement the server sends through its pool, after
    /// the migrations (tests read the query plans of what the server runs).
    pub statement_observer: Option<StatementObserver>,
    /// The sandbox: its inbox takes the codes and its clock gives the time
    /// (unless the two above say otherwise), and its operations are served.
    pub sandbox: Option<Sandbox>,
    /// Whether the hourly purge runs (first at start-up).
    pub background_tasks: BackgroundTasks,
    /// The Argon2id parameters instead of OWASP's (test servers whose tests
    /// are not about hashing use the lightest).
    pub hash_cost: Option<HashCost>,
    /// How the webhook delivery worker runs (when `[[webhooks]]` are
    /// configured) instead of [`WorkerOptions::default`]: tests poll faster.
    pub webhook_worker: Option<WorkerOptions>,
}

/// Whether the server runs its periodic tasks (the hourly purge of expired
/// sessions and old audit events, whose first run is at start-up).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum BackgroundTasks {
    /// They run: what a deployed server does.
    #[default]
    Run,
    /// They do not run: tests that call the purges themselves, or that need
    /// every connection of a small pool, are not raced by them.
    Held,
}

/// A function shown every statement the server runs.
pub type StatementObserver = Arc<dyn Fn(&sea_orm::Statement) + Send + Sync>;

/// A server bound to its address, ready to run.
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    /// `/metrics`'s own listener (`--metrics-listen`), and its address.
    metrics: Option<(TcpListener, SocketAddr)>,
    /// The admin API's listener (`--admin-listen`), and its address.
    admin: Option<(TcpListener, SocketAddr)>,
    connections: ConnectionSettings,
    /// Whether a proxy is trusted (the per-address cap's default follows it).
    trust_forwarded_for: bool,
    cors: AllowedOrigins,
    sandbox: Option<Sandbox>,
    background_tasks: BackgroundTasks,
    /// The configured webhook endpoints, and how their worker runs.
    webhooks: Vec<Endpoint>,
    webhook_worker: WorkerOptions,
    state: AppState,
}

impl Application {
    /// Opens and migrates the database and binds the listener.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with(settings, Overrides::default()).await
    }

    /// As [`Application::build`], with outside effects replaced.
    pub async fn build_with(
        settings: Settings,
        overrides: Overrides,
    ) -> Result<Self, StartupError> {
        settings.validate()?;
        crate::http_server::raise_open_file_limit(settings.connections.max_connections);
        let url = settings.database.database_url.clone();
        let database_error = |source| StartupError::Database {
            url: redact_password(&url),
            source,
        };
        let db = database::connect(&settings.database)
            .await
            .map_err(database_error)?;
        database::migrate(&db).await.map_err(database_error)?;
        let mut db = db;
        let observer = overrides.statement_observer;
        let logged = tracing::enabled!(target: database::STATEMENT_LOG, tracing::Level::DEBUG);
        if observer.is_some() || logged {
            db.set_metric_callback(move |info| {
                if let Some(observer) = &observer {
                    observer(info.statement);
                }
                if logged {
                    database::log_statement(info.statement);
                }
            });
        }

        let listen_error = |source| StartupError::Listen {
            address: settings.listen,
            source,
        };
        let listener = TcpListener::bind(settings.listen)
            .await
            .map_err(listen_error)?;
        let local_addr = listener.local_addr().map_err(listen_error)?;
        let metrics = match settings.metrics_listen {
            Some(address) => {
                let metrics_error = |source| StartupError::MetricsListen { address, source };
                let listener = TcpListener::bind(address).await.map_err(metrics_error)?;
                let bound = listener.local_addr().map_err(metrics_error)?;
                Some((listener, bound))
            }
            None => None,
        };
        let admin = match settings.admin_listen {
            Some(address) => {
                let admin_error = |source| StartupError::AdminListen { address, source };
                let listener = TcpListener::bind(address).await.map_err(admin_error)?;
                let bound = listener.local_addr().map_err(admin_error)?;
                Some((listener, bound))
            }
            None => None,
        };

        let webhooks = settings
            .webhooks
            .iter()
            .map(Endpoint::from_settings)
            .collect::<Result<Vec<_>, _>>()
            .map_err(StartupError::Webhooks)?;

        let code_key = secrets::load_code_key(
            settings.sms.code_secret.as_deref(),
            &settings.database.database_url,
            &db,
        )
        .await?;
        let sandbox = overrides.sandbox;
        let background_tasks = overrides.background_tasks;
        let sms_sender = match (overrides.sms_sender, &sandbox) {
            (Some(sender), _) => sender,
            (None, Some(sandbox)) => sandbox.inbox.clone(),
            (None, None) => configured_sender(&settings)?,
        };
        let clock = match (overrides.clock, &sandbox) {
            (Some(clock), _) => clock,
            (None, Some(sandbox)) => sandbox.clock.clone(),
            (None, None) => Arc::new(SystemClock),
        };
        warn_about_unsafe_settings(&settings);
        // One per core (a lookup runs on the thread that asks), at least two.
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let lookups =
            database::LookupConnections::open(&settings.database.database_url, cores.max(2))
                .await
                .map_err(database_error)?;
        let mut policy = Policy::from_settings(&settings);
        // The sandbox shows every event at `GET /sandbox/events`: it keeps
        // them even when no endpoint receives them.
        policy.events.record_unsubscribed = sandbox.is_some();
        let state = AppState {
            db,
            lookups,
            hasher: PasswordHasher::per_core_with_cost(
                overrides.hash_cost.unwrap_or_default(),
                settings.hash_queue_depth as usize,
            ),
            sms_sender,
            code_key: Arc::new(code_key),
            clock,
            policy: Arc::new(policy),
        };
        let cors = AllowedOrigins::parse(&settings.cors_allowed_origins)
            .expect("validated with the settings");
        Ok(Self {
            listener,
            local_addr,
            metrics,
            admin,
            connections: settings.connections.clone(),
            trust_forwarded_for: settings.trust_forwarded_for,
            cors,
            sandbox,
            background_tasks,
            webhooks,
            webhook_worker: overrides.webhook_worker.unwrap_or_default(),
            state,
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The address `/metrics` is served on when it has a listener of its own.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(_, address)| *address)
    }

    /// The address the admin API is served on (`--admin-listen`), if any.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().map(|(_, address)| *address)
    }

    /// The shared state, for tests that look into the database.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> io::Result<()> {
        let stop = shutdown_signal();
        self.run_until(stop).await
    }

    /// Serves until `stop` completes, then lets in-flight requests finish.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        use futures_util::FutureExt;
        // Logged first: tests and scripts take the line saying "listening"
        // as the server's readiness and read its address.
        if let Some((_, address)) = &self.metrics {
            tracing::info!(metrics_address = %address, "serving /metrics on its own address");
        }
        if let Some((_, address)) = &self.admin {
            tracing::info!(admin_address = %address, "serving the admin API on its own address");
        }
        tracing::info!(address = %self.local_addr, "listening");
        let purge = (self.background_tasks == BackgroundTasks::Run)
            .then(|| tokio::spawn(purge_periodically(self.state.clone())));
        // The webhook worker shares only the database pool with the
        // requests: a slow or dead receiver holds up none of them.
        let worker = match self.webhooks.is_empty() {
            true => None,
            false => {
                let endpoints = self.webhooks.len();
                let worker =
                    webhooks::spawn(self.state.db.clone(), self.webhooks, self.webhook_worker)
                        .map_err(io::Error::other)?;
                tracing::info!(
                    endpoints,
                    "delivering account events to the webhook endpoints"
                );
                Some(worker)
            }
        };
        let body_read_timeout = Duration::from_secs(self.connections.body_read_timeout_secs);
        let options = api::AppOptions {
            body_read_timeout,
            cors: self.cors,
            sandbox: self.sandbox,
            serve_metrics: self.metrics.is_none(),
        };
        let limits =
            http_server::ConnectionLimits::new(&self.connections, self.trust_forwarded_for);
        let stop = stop.boxed().shared();
        let metrics_served = {
            let stop = stop.clone();
            let state = self.state.clone();
            async move {
                match self.metrics {
                    Some((listener, _)) => {
                        let app = api::metrics_app(state, body_read_timeout);
                        http_server::serve(listener, app, limits, stop, GRACE_PERIOD).await
                    }
                    None => Ok(()),
                }
            }
        };
        let admin_served = {
            let stop = stop.clone();
            let state = self.state.clone();
            async move {
                match self.admin {
                    Some((listener, _)) => {
                        let app = api::admin::admin_app(state, body_read_timeout);
                        http_server::serve(listener, app, limits, stop, GRACE_PERIOD).await
                    }
                    None => Ok(()),
                }
            }
        };
        let served = http_server::serve(
            self.listener,
            api::app(self.state, options),
            limits,
            stop,
            GRACE_PERIOD,
        );
        let (served, metrics_served, admin_served) =
            tokio::join!(served, metrics_served, admin_served);
        if let Some(purge) = purge {
            purge.abort();
        }
        if let Some(worker) = worker {
            // An attempt still under way after this is abandoned: its claim
            // expires and an instance delivers it again (at least once).
            worker.stop_within(WORKER_STOP_GRACE).await;
        }
        tracing::info!("stopped");
        served.and(metrics_served).and(admin_served)
    }
}

/// Runs `account-api sandbox` until SIGINT or SIGTERM: the server on a
/// throwaway database with the demo users, the sandbox's inbox and clock,
/// and its operations; the database is deleted when it stops.
pub async fn run_sandbox(command: SandboxCommand) -> Result<(), String> {
    let SandboxCommand {
        mut settings,
        database_given,
        allow_remote_clients,
    } = command;
    crate::sandbox::check_listen(settings.listen, allow_remote_clients)?;
    let requested = database_given.then(|| settings.database.database_url.clone());
    let database = ThrowawayDatabase::open(requested.as_deref())?;
    settings.database.database_url = database.url().to_owned();
    let sandbox = Sandbox::new();
    let overrides = Overrides {
        sandbox: Some(sandbox),
        ..Overrides::default()
    };
    let application = Application::build_with(settings, overrides)
        .await
        .map_err(|err| err.to_string())?;
    let users = demo::load(&application.state.db, &application.state.hasher)
        .await
        .map_err(|err| format!("loading the demo data failed: {err}"))?;
    tracing::warn!(
        address = %application.local_addr(),
        "SANDBOX: a throwaway database, SMS codes in GET /sandbox/sms, a clock moved by \
         POST /sandbox/clock/advance; never use it in production"
    );
    for user in users {
        tracing::info!(
            phone = user.phone,
            password = demo::DEMO_PASSWORD,
            shows = user.shows,
            "demo user"
        );
    }
    if application.admin_addr().is_some() {
        print_sandbox_admin_token(&application.state).await?;
    }
    let served = application.run_until_stopped().await;
    drop(database);
    served.map_err(|err| format!("server failed: {err}"))
}

/// Creates the sandbox's admin token (named `sandbox`) in its throwaway
/// database and prints it on standard output, alone on its line, as
/// `admin-token create` does: frontend tests read it there to drive
/// approvals through the admin API (`--admin-listen`).
async fn print_sandbox_admin_token(state: &AppState) -> Result<(), String> {
    use std::io::Write;
    let token = crate::flows::admin_tokens::create(&state.db, "sandbox", state.clock.now())
        .await
        .map_err(|err| format!("creating the sandbox's admin token failed: {err}"))?
        .map_err(|refusal| format!("creating the sandbox's admin token failed: {refusal:?}"))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", token.reveal())
        .and_then(|()| stdout.flush())
        .map_err(|err| format!("cannot write the admin token to standard output: {err}"))?;
    tracing::info!(
        name = "sandbox",
        "SANDBOX: an admin token for the admin API is printed on standard output"
    );
    Ok(())
}

/// Warns about settings that are allowed but unsafe in production.
fn warn_about_unsafe_settings(settings: &Settings) {
    let connections = &settings.connections;
    if let Some(per_address) = connections.max_connections_per_address
        && settings.trust_forwarded_for
        && per_address < connections.max_connections
    {
        tracing::warn!(
            max_connections_per_address = per_address,
            max_connections = connections.max_connections,
            "--max-connections-per-address {per_address} counts connections by their peer, \
             and with --trust-forwarded-for the peer is the proxy: it may hold only \
             {per_address} connections at once; unset it to allow the proxy \
             --max-connections"
        );
    }
    if settings.sms.verification() == Verification::Off {
        tracing::warn!(
            "SMS verification is OFF (the original document's behaviour): registration \
             and password reset accept any code, so anyone can reset any password; \
             set --sms-verification on in production"
        );
    }
    let test_numbers = settings.sms.test_numbers.len();
    if test_numbers > 0 {
        match settings.sms.test_numbers_until {
            Some(last_day) => tracing::warn!(
                test_numbers,
                until = %last_day,
                "{test_numbers} SMS test number(s) with a fixed code are configured, \
                 working until {last_day} (UTC) inclusive"
            ),
            None => tracing::warn!(
                test_numbers,
                "{test_numbers} SMS test number(s) with a fixed code are configured, \
                 working indefinitely: set --sms-test-numbers-until to end them"
            ),
        }
    }
}

/// The sender the settings choose.
fn configured_sender(settings: &Settings) -> Result<Arc<dyn SmsSender>, StartupError> {
    match settings.sms.sender {
        SenderKind::Log => Ok(Arc::new(LogSender)),
        SenderKind::Http => {
            let url = settings.sms.http_url.as_deref().ok_or_else(|| {
                StartupError::Sender("--sms-sender http needs --sms-http-url".to_owned())
            })?;
            let sender = HttpSender::new(
                url,
                &settings.sms.http_template,
                Duration::from_millis(settings.sms.http_timeout_ms),
                settings.sms.http_retries,
            )
            .map_err(|err| StartupError::Sender(err.0))?;
            Ok(Arc::new(sender))
        }
    }
}

/// Every [`PURGE_INTERVAL`], deletes expired sessions and audit events
/// older than the retention.
async fn purge_periodically(state: AppState) {
    let mut ticks = tokio::time::interval(PURGE_INTERVAL);
    loop {
        ticks.tick().await;
        match housekeeping::purge_sessions(&state).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "purged expired sessions"),
            Err(err) => tracing::warn!(error = %err, "purging expired sessions failed"),
        }
        match housekeeping::purge_audit_events(&state).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "purged audit events past their retention"),
            Err(err) => tracing::warn!(error = %err, "purging old audit events failed"),
        }
    }
}

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are
/// installed when this is called, not when the future is first polled, so a
/// signal sent as soon as "listening" is logged stops the server gracefully
/// instead of killing it.
fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            let (mut interrupt, mut terminate) = match (interrupt, terminate) {
                (Ok(interrupt), Ok(terminate)) => (interrupt, terminate),
                (Err(err), _) | (_, Err(err)) => {
                    tracing::error!(error = %err, "cannot listen for SIGINT and SIGTERM");
                    return std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            tracing::info!("stop signal received; finishing in-flight requests");
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("stop signal received; finishing in-flight requests");
    }
}

/// `url` with any password replaced, fit for a log line.
pub fn redact_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_password;

    #[test]
    fn passwords_in_database_urls_are_hidden() {
        assert_eq!(
            redact_password("postgres://app:s3cret@db:5432/accounts"),
            "postgres://app:***@db:5432/accounts"
        );
        assert_eq!(
            redact_password("postgres://app@db/accounts"),
            "postgres://app@db/accounts"
        );
        assert_eq!(
            redact_password("sqlite://account-api.db"),
            "sqlite://account-api.db"
        );
    }
}
