//! Start-up as an object: build binds the listener, tests read the port.

use std::{future::Future, io, net::SocketAddr, sync::Arc, time::Duration};

use poem::{
    Server,
    listener::{Acceptor, Listener, TcpAcceptor, TcpListener},
};

use crate::{
    api, database,
    password_hasher::PasswordHasher,
    service::{AppState, sms_codes::CodeKey},
    settings::Settings,
    sms_sender::{LogSender, SmsSender},
};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database could not be opened or migrated.
    #[error("database {url}: {source}")]
    Database {
        /// The URL, for the message.
        url: String,
        /// The cause.
        source: sea_orm::DbErr,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// The cause.
        source: io::Error,
    },
}

/// How long in-flight requests may take to finish after a stop signal.
const GRACE_PERIOD: Duration = Duration::from_secs(30);

/// A server bound to its address, ready to run.
pub struct Application {
    acceptor: TcpAcceptor,
    local_addr: SocketAddr,
    state: AppState,
}

impl Application {
    /// Opens and migrates the database and binds the listener, with the log sender.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with_sender(settings, Arc::new(LogSender)).await
    }

    /// As [`Application::build`], with the given SMS sender (tests pass a recording one).
    pub async fn build_with_sender(
        settings: Settings,
        sms_sender: Arc<dyn SmsSender>,
    ) -> Result<Self, StartupError> {
        let url = settings.database.database_url.clone();
        let database_error = |source| StartupError::Database {
            url: redact_password(&url),
            source,
        };
        let db = database::connect(&settings.database)
            .await
            .map_err(database_error)?;
        database::migrate(&db).await.map_err(database_error)?;

        let acceptor = TcpListener::bind(settings.listen)
            .into_acceptor()
            .await
            .map_err(|source| StartupError::Listen {
                address: settings.listen,
                source,
            })?;
        let local_addr = acceptor
            .local_addr()
            .first()
            .and_then(|addr| addr.as_socket_addr().copied())
            .unwrap_or(settings.listen);

        tracing::warn!(
            "SMS verification is OFF (the original document's behaviour): registration \
             and password reset accept any code, so anyone can reset any password"
        );
        let state = AppState {
            db,
            hasher: PasswordHasher::per_core(),
            sms_sender,
            code_key: Arc::new(CodeKey::random()),
        };
        Ok(Self {
            acceptor,
            local_addr,
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

    /// The shared state, for tests that look into the database.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes, then lets in-flight requests finish.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        tracing::info!(address = %self.local_addr, "listening");
        Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(api::app(self.state), stop, Some(GRACE_PERIOD))
            .await
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("stop signal received; finishing in-flight requests");
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
