//! The command line, and how a flag, its environment variable, the
//! configuration file and the default combine into the settings.

use std::path::{Path, PathBuf};

use clap::{
    ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum, parser::ValueSource,
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use super::sections::{DatabaseSettings, Settings};

/// account-api: the v4.0 account API (SMS codes, registration, login, password reset).
///
/// Without a subcommand it serves, as `account-api serve` does. Every
/// setting is taken from its flag, else its environment variable, else the
/// configuration file (`--config`), else its default.
#[derive(Debug, Parser)]
#[command(version, about, long_about, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Settings of `serve`, accepted without the subcommand too.
    #[command(flatten)]
    pub serve: Settings,

    /// Log lines as `pretty` text or as `json` objects (one per line).
    #[arg(long, env = "ACCOUNT_API_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,

    /// A configuration file (TOML, see `account-api config-schema`): its
    /// values apply where no flag or environment variable gives one.
    #[arg(long, env = "ACCOUNT_API_CONFIG", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable text (colored on a terminal).
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once at start-up; its size does not matter"
)]
pub enum Command {
    /// Serve the API (the default): applies pending migrations, then listens
    /// until SIGINT or SIGTERM, letting in-flight requests finish.
    Serve(Settings),
    /// Serve a sandbox for development and end-to-end tests, never for
    /// production: the real server on a throwaway database (a new SQLite
    /// file, deleted at exit) with the demo users, SMS verification on, an
    /// SMS inbox instead of a sender, a clock to move, and CORS for
    /// `http://localhost:*` and `http://127.0.0.1:*` (unless given).
    Sandbox(SandboxCommand),
    /// Print the OpenAPI document (JSON) to standard output; touches no database.
    Openapi,
    /// Print the sandbox's OpenAPI document (JSON); touches no database.
    SandboxOpenapi,
    /// Print the admin API's OpenAPI document (JSON); touches no database.
    AdminOpenapi,
    /// Print the JSON Schema of the configuration file (`--config`), for
    /// editors to complete and check it; touches no database.
    ConfigSchema,
    /// Apply pending database migrations and exit.
    Migrate(DatabaseSettings),
    /// Load demo data (two enterprises, users in every application state)
    /// into the database and print their phones and password.
    Demo(DemoCommand),
    /// Create, list or revoke the admin API's tokens (`serve --admin-listen`).
    AdminToken(AdminTokenCommand),
    /// Bring the legacy server's accounts across from JSON Lines (see
    /// src/import/README.md): applies pending migrations, then imports FILE
    /// (`-`: standard input) a batch at a time, prints a summary, and exits
    /// non-zero when a line had an error.
    Import(ImportCommand),
}

/// The settings of `import`.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportCommand {
    /// The JSON Lines file (`-`: standard input), read as a stream.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// The database.
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// Check every line and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace a stored account or enterprise that differs from its line
    /// (without it: reported as a conflict and left as it is).
    #[arg(long)]
    pub update: bool,
    /// Import nothing unless every line is good (one transaction, which on
    /// SQLite holds the write lock until the end).
    #[arg(long)]
    pub all_or_nothing: bool,
    /// Write the report as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Lines per batch (each batch is one transaction).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: u32,
    /// Days the sessions of imported tokens stay valid, as `serve`'s
    /// `--session-ttl-days`.
    #[arg(long, env = "ACCOUNT_API_SESSION_TTL_DAYS", default_value_t = Settings::default().session_ttl_days)]
    pub session_ttl_days: u32,
}

/// `admin-token`: what to do with the admin API's tokens.
#[derive(Debug, Clone, clap::Args)]
pub struct AdminTokenCommand {
    /// The action.
    #[command(subcommand)]
    pub action: AdminTokenAction,
}

/// The actions of `admin-token`, each on the database of `serve`.
#[derive(Debug, Clone, Subcommand)]
pub enum AdminTokenAction {
    /// Create a token and print it, once, alone on its line on standard
    /// output; only its SHA-256 is stored.
    Create {
        /// The token's name (1 to 64 ASCII letters, digits, `.`, `_`, `-`,
        /// `@`), unique; audit rows name the token by it.
        #[arg(long)]
        name: String,
        /// The database.
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// List the tokens: name, when created, when last used (never the token).
    List {
        /// The database.
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Revoke the token named NAME: the admin API refuses it at once.
    Revoke {
        /// The token's name.
        name: String,
        /// The database.
        #[command(flatten)]
        database: DatabaseSettings,
    },
}

impl AdminTokenAction {
    /// The database the action works on.
    pub fn database(&self) -> &DatabaseSettings {
        match self {
            Self::Create { database, .. }
            | Self::List { database }
            | Self::Revoke { database, .. } => database,
        }
    }

    fn database_mut(&mut self) -> &mut DatabaseSettings {
        match self {
            Self::Create { database, .. }
            | Self::List { database }
            | Self::Revoke { database, .. } => database,
        }
    }
}

/// The settings of `demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoCommand {
    /// The database.
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// Load the demo users (whose password is published) into a database
    /// that holds other accounts too. Without it `demo` refuses such a
    /// database: it is never meant for production data.
    #[arg(long)]
    pub allow_existing_accounts: bool,
}

/// The settings of `sandbox`: those of `serve`, with the sandbox's own
/// defaults where none is given.
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxCommand {
    /// The settings, as for `serve`.
    #[command(flatten)]
    pub settings: Settings,
    /// Whether a database was given (it must then be a SQLite file that does
    /// not exist); otherwise the sandbox makes a throwaway one.
    #[arg(skip)]
    pub database_given: bool,
    /// Serve on a `--listen` address other than loopback. The sandbox hands
    /// every SMS code to whoever asks (`GET /sandbox/sms`), so without this
    /// it listens on loopback only; give it only on a private network every
    /// client of which may read the codes (a container's, say).
    #[arg(long, env = "ACCOUNT_API_SANDBOX_ALLOW_REMOTE_CLIENTS")]
    pub allow_remote_clients: bool,
}

/// The origins the sandbox allows when none is given: any local web server.
pub const SANDBOX_ORIGINS: [&str; 2] = ["http://localhost:*", "http://127.0.0.1:*"];

/// Why the settings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SettingsSourceError {
    /// The configuration file could not be read.
    #[error("--config {}: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML of the settings.
    #[error("--config {}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with its line.
        message: String,
    },
}

impl Cli {
    /// Parses the process's arguments (exiting with clap's message on a bad
    /// one) and reads the configuration file: the command to run and the
    /// log format.
    pub fn load() -> Result<(Command, LogFormat), SettingsSourceError> {
        let matches = Self::command().get_matches();
        let cli = Self::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
        cli.resolve(&matches)
    }

    /// As [`Cli::load`], from `args`, with clap's errors returned.
    pub fn load_from<I, T>(args: I) -> Result<(Command, LogFormat), String>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = Self::command()
            .try_get_matches_from(args)
            .map_err(|err| err.to_string())?;
        let cli = Self::from_arg_matches(&matches).map_err(|err| err.to_string())?;
        cli.resolve(&matches).map_err(|err| err.to_string())
    }

    /// The command with the configuration file's values where `matches`
    /// took a setting from its default.
    fn resolve(self, matches: &ArgMatches) -> Result<(Command, LogFormat), SettingsSourceError> {
        let file = match &self.config {
            Some(path) => Some(read_file(path)?),
            None => None,
        };
        let log_format = self.log_format;
        let command = match self.command {
            None => Command::Serve(layered(self.serve, file, matches)),
            Some(Command::Serve(settings)) => {
                Command::Serve(layered(settings, file, subcommand_matches(matches)))
            }
            Some(Command::Migrate(database)) => Command::Migrate(layered(
                database,
                file.map(|file| file.database),
                subcommand_matches(matches),
            )),
            Some(Command::Demo(demo)) => Command::Demo(DemoCommand {
                database: layered(
                    demo.database,
                    file.map(|file| file.database),
                    subcommand_matches(matches),
                ),
                allow_existing_accounts: demo.allow_existing_accounts,
            }),
            Some(Command::Import(mut import)) => {
                let sub = subcommand_matches(matches);
                if !explicit(sub, "session_ttl_days")
                    && let Some(file) = &file
                {
                    import.session_ttl_days = file.session_ttl_days;
                }
                import.database = layered(import.database, file.map(|file| file.database), sub);
                Command::Import(import)
            }
            Some(Command::AdminToken(mut command)) => {
                let action = subcommand_matches(subcommand_matches(matches));
                let database = command.action.database_mut();
                *database = layered(database.clone(), file.map(|file| file.database), action);
                Command::AdminToken(command)
            }
            Some(Command::Sandbox(sandbox)) => {
                let sub = subcommand_matches(matches);
                let from_file = |read: fn(&Settings) -> bool| file.as_ref().is_some_and(read);
                let database_given = explicit(sub, "database_url")
                    || from_file(|file| file.database.database_url != super::DEFAULT_DATABASE_URL);
                let cors_given = explicit(sub, "cors_allowed_origins")
                    || from_file(|file| !file.cors_allowed_origins.is_empty());
                let mut settings = layered(sandbox.settings, file, sub);
                settings.sms.verification =
                    settings.sms.verification.or(Some(super::Verification::On));
                if !cors_given {
                    settings.cors_allowed_origins = SANDBOX_ORIGINS
                        .iter()
                        .map(|origin| (*origin).to_owned())
                        .collect();
                }
                Command::Sandbox(SandboxCommand {
                    settings,
                    database_given,
                    allow_remote_clients: sandbox.allow_remote_clients,
                })
            }
            Some(other) => other,
        };
        Ok((command, log_format))
    }
}

/// Whether `matches` took `id` from a flag or an environment variable.
fn explicit(matches: &ArgMatches, id: &str) -> bool {
    matches!(
        matches
            .try_get_raw(id)
            .ok()
            .flatten()
            .and_then(|_| matches.value_source(id)),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    )
}

/// The matches of the subcommand given.
fn subcommand_matches(matches: &ArgMatches) -> &ArgMatches {
    matches.subcommand().map_or(matches, |(_, sub)| sub)
}

/// The settings of the configuration file at `path` (defaults where it says nothing).
fn read_file(path: &Path) -> Result<Settings, SettingsSourceError> {
    let text = std::fs::read_to_string(path).map_err(|source| SettingsSourceError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|err| SettingsSourceError::Invalid {
        path: path.to_owned(),
        message: err.to_string(),
    })
}

/// `parsed` (flags, environment and defaults) with every value that came
/// from a default replaced by the file's (which is the default again where
/// the file says nothing).
///
/// clap knows where each value came from; the settings' keys are the
/// arguments' ids, unique across the sections, which is how a value is
/// found in the file's settings.
fn layered<T: Serialize + DeserializeOwned>(parsed: T, file: Option<T>, matches: &ArgMatches) -> T {
    let Some(file) = file else {
        return parsed;
    };
    let given = serde_json::to_value(&parsed).expect("settings serialize");
    let mut result = serde_json::to_value(&file).expect("settings serialize");
    for id in matches.ids() {
        let id = id.as_str();
        if let (true, Some(path)) = (explicit(matches, id), path_of(&given, id)) {
            let value = pointer(&given, &path).cloned().unwrap_or(Value::Null);
            if let Some(slot) = pointer_mut(&mut result, &path) {
                *slot = value;
            }
        }
    }
    serde_json::from_value(result).expect("values of the settings' own types deserialize")
}

/// The keys leading to `key` in `tree`, if it is there.
pub(super) fn path_of(tree: &Value, key: &str) -> Option<Vec<String>> {
    let object = tree.as_object()?;
    if object.contains_key(key) {
        return Some(vec![key.to_owned()]);
    }
    object.iter().find_map(|(name, child)| {
        let mut path = path_of(child, key)?;
        path.insert(0, name.clone());
        Some(path)
    })
}

fn pointer<'a>(tree: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(tree, |node, key| node.get(key))
}

fn pointer_mut<'a>(tree: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(tree, |node, key| node.get_mut(key))
}

/// The JSON Schema of the configuration file, generated from [`Settings`].
pub fn config_schema() -> String {
    serde_json::to_string_pretty(&schemars::schema_for!(Settings)).expect("a schema serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::sections::{DEFAULT_DATABASE_URL, TestNumber, Verification};

    fn serve(args: &[&str]) -> Settings {
        match Cli::load_from(std::iter::once("account-api").chain(args.iter().copied())) {
            Ok((Command::Serve(settings), _)) => settings,
            other => panic!("expected serve for {args:?}, got {other:?}"),
        }
    }

    #[test]
    fn no_subcommand_means_serve_with_defaults() {
        let settings = serve(&[]);
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

    #[test]
    fn flags_work_with_and_without_the_subcommand() {
        for args in [
            &["--listen", "0.0.0.0:8080"][..],
            &["serve", "--listen", "0.0.0.0:8080"][..],
        ] {
            assert_eq!(serve(args).listen.port(), 8080);
        }
    }

    #[test]
    fn the_defaults_of_the_command_line_are_those_of_the_code() {
        // Environment fallbacks would make the parsed side differ; none are set in CI.
        assert_eq!(
            format!("{:?}", serve(&[])),
            format!("{:?}", Settings::default())
        );
    }

    #[test]
    fn the_file_fills_what_no_flag_gives_and_a_flag_wins_over_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("account-api.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:8080\"\nsession_ttl_days = 7\n\n[sms]\nverification = \"on\"\n\
             test_numbers = [\"13800000000:123456\"]\n\n[limits]\nlogin_max_failures = 3\n\
             sends_per_phone_per_hour = 4\n",
        )
        .unwrap();
        let config = path.to_str().unwrap();
        let settings = serve(&["--config", config, "--sends-per-phone-per-hour", "9"]);
        assert_eq!(settings.listen.port(), 8080);
        assert_eq!(settings.session_ttl_days, 7);
        assert_eq!(settings.sms.verification, Some(Verification::On));
        assert_eq!(
            settings.sms.test_numbers,
            ["13800000000:123456".parse::<TestNumber>().unwrap()]
        );
        assert_eq!(settings.limits.login_max_failures, 3);
        assert_eq!(settings.limits.sends_per_phone_per_hour, 9, "the flag wins");
        assert_eq!(
            settings.limits.daily_sms_budget, 10_000,
            "the default stays"
        );
        // After the subcommand too, and for the database commands.
        assert_eq!(serve(&["serve", "--config", config]).session_ttl_days, 7);
    }

    #[test]
    fn a_bad_file_is_refused_naming_the_file_and_the_key() {
        let dir = tempfile::tempdir().unwrap();
        for (text, expected) in [
            ("[limits]\nlogin_max_failure = 3\n", "login_max_failure"),
            (
                "[limits]\nlogin_max_failures = \"three\"\n",
                "login_max_failures",
            ),
            (
                "session_ttl_days = 7\nsession_ttl_days = 8\n",
                "session_ttl_days",
            ),
        ] {
            let path = dir.path().join("bad.toml");
            std::fs::write(&path, text).unwrap();
            let refused =
                Cli::load_from(["account-api", "--config", path.to_str().unwrap()]).unwrap_err();
            assert!(refused.contains("--config"), "{refused}");
            assert!(refused.contains(expected), "{refused}");
        }
        let missing = Cli::load_from(["account-api", "--config", "/nonexistent/x.toml"]);
        assert!(missing.unwrap_err().contains("/nonexistent/x.toml"));
    }

    #[test]
    fn every_setting_has_one_key_of_its_own() {
        fn leaves(tree: &Value, keys: &mut Vec<String>) {
            for (key, value) in tree.as_object().unwrap() {
                match value {
                    Value::Object(_) => leaves(value, keys),
                    _ => keys.push(key.clone()),
                }
            }
        }
        let mut keys = Vec::new();
        leaves(
            &serde_json::to_value(Settings::default()).unwrap(),
            &mut keys,
        );
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(keys.len(), unique.len(), "keys appear twice: {keys:?}");
        // Each is an argument of `serve`.
        let command = Cli::command();
        for key in keys {
            assert!(
                command
                    .get_arguments()
                    .any(|arg| arg.get_id() == key.as_str()),
                "{key} is no argument"
            );
        }
    }

    #[test]
    fn the_schema_describes_every_key_with_its_default() {
        let schema: Value = serde_json::from_str(&config_schema()).unwrap();
        let limits = &schema["$defs"]["LimitSettings"]["properties"];
        assert_eq!(limits["login_max_failures"]["default"], 5);
        assert!(limits["login_max_failures"]["description"].is_string());
        assert_eq!(schema["properties"]["listen"]["default"], "127.0.0.1:5000");
    }

    #[test]
    fn test_numbers_parse_as_phone_and_code_pairs() {
        let settings = serve(&[
            "--sms-test-numbers",
            "13800000000:123456,13800000001:654321",
        ]);
        assert_eq!(settings.sms.test_numbers.len(), 2);
        assert_eq!(settings.sms.test_numbers[1].code, "654321");
        for bad in [
            "13800000000",
            "13800000000:12345",
            "2380000000:123456",
            "13800000000:abcdef",
        ] {
            assert!(bad.parse::<TestNumber>().is_err(), "{bad} was accepted");
        }
    }

    /// The example configuration file of the operators' page.
    fn readme_example() -> String {
        let readme = include_str!("../OPERATIONS.md");
        let start = readme
            .find("```toml\n# account-api.toml\n")
            .expect("src/OPERATIONS.md shows an example account-api.toml");
        let text = &readme[start + "```toml\n".len()..];
        text[..text.find("```").expect("the block ends")].to_owned()
    }

    #[test]
    fn the_example_file_of_the_readme_is_read_as_it_says() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("account-api.toml");
        std::fs::write(&path, readme_example()).unwrap();
        let settings = serve(&["--config", path.to_str().unwrap()]);
        assert_eq!(settings.listen.to_string(), "0.0.0.0:5000");
        assert!(settings.trust_forwarded_for);
        assert_eq!(
            settings.database.database_url,
            "postgres://account_api@db.internal:5432/accounts"
        );
        assert_eq!(settings.sms.verification, Some(Verification::On));
        assert_eq!(settings.sms.sender, crate::settings::SenderKind::Http);
        assert_eq!(
            settings.sms.http_url.as_deref(),
            Some("https://sms.example/send")
        );
        assert_eq!(settings.sms.test_numbers.len(), 1);
        assert_eq!(settings.connections.max_connections, 4096);
        assert_eq!(settings.validate(), Ok(()));
    }

    #[test]
    fn the_schema_accepts_the_readme_example_and_refuses_mistakes() {
        let schema: Value = serde_json::from_str(&config_schema()).unwrap();
        let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
        let example: Value = toml::from_str::<toml::Value>(&readme_example())
            .map(|value| serde_json::to_value(value).unwrap())
            .unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&example)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        for wrong in [
            serde_json::json!({"limits": {"login_max_failure": 3}}),
            serde_json::json!({"limits": {"login_max_failures": "three"}}),
            serde_json::json!({"sms": {"verification": "maybe"}}),
            serde_json::json!({"sms": {"test_numbers": ["13800000000"]}}),
            serde_json::json!({"listener": "0.0.0.0:5000"}),
        ] {
            assert!(!validator.is_valid(&wrong), "the schema accepted {wrong}");
        }
    }

    #[test]
    fn webhook_endpoints_are_read_from_the_file_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("account-api.toml");
        std::fs::write(
            &path,
            "[[webhooks]]\nurl = \"https://h.example/x\"\n\
             secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n",
        )
        .unwrap();
        let mut settings = serve(&["--config", path.to_str().unwrap()]);
        assert_eq!(settings.webhooks.len(), 1);
        assert_eq!(
            settings.webhooks[0].retry_schedule_secs,
            crate::settings::DEFAULT_RETRY_SCHEDULE_SECS
        );
        assert_eq!(settings.validate(), Ok(()));
        settings.webhooks.push(settings.webhooks[0].clone());
        let refused = settings.validate().unwrap_err();
        assert_eq!(refused.flag, "[[webhooks]]");
        assert!(refused.problem.contains("twice"), "{refused}");
        settings.webhooks.truncate(1);
        settings.webhooks[0].retry_schedule_secs = vec![0];
        assert_eq!(settings.validate().unwrap_err().flag, "[[webhooks]]");

        let schema: Value = serde_json::from_str(&config_schema()).unwrap();
        let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
        let good = serde_json::json!({"webhooks": [
            {"url": "https://h.example/x", "secret": "whsec_x", "retry_schedule_secs": [1, 2]}
        ]});
        assert!(validator.is_valid(&good));
        let wrong =
            serde_json::json!({"webhooks": [{"url": "https://h.example/x", "secrets": "x"}]});
        assert!(!validator.is_valid(&wrong));
        assert!(
            Cli::command()
                .get_arguments()
                .all(|arg| arg.get_id() != "webhooks")
        );
    }

    #[test]
    fn the_metrics_address_and_the_one_time_consents_are_read() {
        assert_eq!(serve(&[]).metrics_listen, None);
        let flagged = serve(&["--metrics-listen", "127.0.0.1:9100"]);
        assert_eq!(
            flagged.metrics_listen,
            Some("127.0.0.1:9100".parse().unwrap())
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("account-api.toml");
        std::fs::write(&path, "metrics_listen = \"127.0.0.1:9101\"\n").unwrap();
        let from_file = serve(&["--config", path.to_str().unwrap()]);
        assert_eq!(
            from_file.metrics_listen,
            Some("127.0.0.1:9101".parse().unwrap())
        );

        match Cli::load_from(["account-api", "sandbox", "--allow-remote-clients"]) {
            Ok((Command::Sandbox(sandbox), _)) => assert!(sandbox.allow_remote_clients),
            other => panic!("{other:?}"),
        }
        match Cli::load_from(["account-api", "demo", "--database-url", "sqlite://d.db"]) {
            Ok((Command::Demo(demo), _)) => {
                assert!(!demo.allow_existing_accounts);
                assert_eq!(demo.database.database_url, "sqlite://d.db");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_connection_and_proxy_settings_come_from_their_flags_and_the_file() {
        use crate::settings::ForwardedHeader;
        let defaults = serve(&[]);
        assert_eq!(defaults.connections.write_timeout_secs, 30);
        assert_eq!(defaults.connections.max_connections_per_address, None);
        assert_eq!(defaults.forwarded_header, ForwardedHeader::XForwardedFor);
        let flagged = serve(&[
            "--write-timeout-secs",
            "7",
            "--max-connections-per-address",
            "9",
            "--trust-forwarded-for",
            "--forwarded-header",
            "forwarded",
        ]);
        assert_eq!(flagged.connections.write_timeout_secs, 7);
        assert_eq!(flagged.connections.max_connections_per_address, Some(9));
        assert_eq!(flagged.forwarded_header, ForwardedHeader::Forwarded);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("account-api.toml");
        std::fs::write(
            &path,
            "trust_forwarded_for = true\nforwarded_header = \"forwarded\"\n\n\
             [connections]\nwrite_timeout_secs = 5\nmax_connections_per_address = 8\n",
        )
        .unwrap();
        let config = path.to_str().unwrap();
        let from_file = serve(&["--config", config]);
        assert_eq!(from_file.connections.write_timeout_secs, 5);
        assert_eq!(from_file.connections.max_connections_per_address, Some(8));
        assert_eq!(from_file.forwarded_header, ForwardedHeader::Forwarded);
        assert_eq!(from_file.validate(), Ok(()));
        let overridden = serve(&["--config", config, "--max-connections-per-address", "3"]);
        assert_eq!(overridden.connections.max_connections_per_address, Some(3));
    }

    #[test]
    fn admin_token_actions_take_the_database_from_the_flag_or_the_file() {
        let action = |args: &[&str]| match Cli::load_from(
            std::iter::once("account-api").chain(args.iter().copied()),
        ) {
            Ok((Command::AdminToken(command), _)) => command.action,
            other => panic!("{other:?}"),
        };
        match action(&[
            "admin-token",
            "create",
            "--name",
            "alice",
            "--database-url",
            "sqlite://a.db",
        ]) {
            AdminTokenAction::Create { name, database } => {
                assert_eq!(name, "alice");
                assert_eq!(database.database_url, "sqlite://a.db");
            }
            other => panic!("{other:?}"),
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("account-api.toml");
        std::fs::write(&path, "[database]\ndatabase_url = \"sqlite://file.db\"\n").unwrap();
        let config = path.to_str().unwrap();
        for args in [
            &["admin-token", "list", "--config", config][..],
            &["admin-token", "revoke", "alice", "--config", config][..],
        ] {
            assert_eq!(
                action(args).database().database_url,
                "sqlite://file.db",
                "{args:?}"
            );
        }
        assert!(Cli::load_from(["account-api", "admin-token", "create"]).is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
