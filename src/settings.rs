//! Typed configuration: command-line flags, each with an environment fallback.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand};

/// The SQLite file used when no database URL is given.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://account-api.db";

/// account-api: the v4.0 account API (SMS codes, registration, login, password reset).
///
/// Without a subcommand it serves, as `account-api serve` does.
#[derive(Debug, Parser)]
#[command(version, about, long_about, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Settings of `serve`, accepted without the subcommand too.
    #[command(flatten)]
    pub serve: Settings,
}

impl Cli {
    /// The command to run, with `serve` for none.
    pub fn into_command(self) -> Command {
        self.command.unwrap_or(Command::Serve(self.serve))
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default): applies pending migrations, then listens
    /// until SIGINT or SIGTERM, letting in-flight requests finish.
    Serve(Settings),
    /// Print the OpenAPI document (JSON) to standard output; touches no database.
    Openapi,
    /// Apply pending database migrations and exit.
    Migrate(DatabaseSettings),
}

/// Everything `serve` needs.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, env = "ACCOUNT_API_LISTEN", default_value = "127.0.0.1:5000")]
    pub listen: SocketAddr,

    /// The database.
    #[command(flatten)]
    pub database: DatabaseSettings,
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// Database URL: `sqlite://FILE` (created on first start) or
    /// `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// Most connections the pool keeps open.
    #[arg(long, env = "ACCOUNT_API_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
}

impl Settings {
    /// Settings for a server on `listen` over `database_url`, everything else default.
    pub fn new(listen: SocketAddr, database_url: impl Into<String>) -> Self {
        Self {
            listen,
            database: DatabaseSettings {
                database_url: database_url.into(),
                db_max_connections: 16,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_subcommand_means_serve_with_defaults() {
        let cli = Cli::try_parse_from(["account-api"]).unwrap();
        match cli.into_command() {
            Command::Serve(settings) => {
                // The environment fallbacks apply when set, so expect them then.
                let listen = std::env::var("ACCOUNT_API_LISTEN");
                let url = std::env::var("DATABASE_URL");
                assert_eq!(
                    settings.listen.to_string(),
                    listen.as_deref().unwrap_or("127.0.0.1:5000")
                );
                assert_eq!(
                    settings.database.database_url,
                    url.as_deref().unwrap_or(DEFAULT_DATABASE_URL)
                );
            }
            other => panic!("expected serve, got {other:?}"),
        }
    }

    #[test]
    fn flags_work_with_and_without_the_subcommand() {
        for args in [
            &["account-api", "--listen", "0.0.0.0:8080"][..],
            &["account-api", "serve", "--listen", "0.0.0.0:8080"][..],
        ] {
            let Command::Serve(settings) = Cli::try_parse_from(args).unwrap().into_command() else {
                panic!("expected serve for {args:?}");
            };
            assert_eq!(settings.listen.port(), 8080);
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
