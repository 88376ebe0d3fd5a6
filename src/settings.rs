//! Typed configuration: command-line flags, each with an environment fallback.

use std::net::SocketAddr;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

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

    /// Log lines as `pretty` text or as `json` objects (one per line).
    #[arg(long, env = "ACCOUNT_API_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable text (colored on a terminal).
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

impl Cli {
    /// The command to run, with `serve` for none.
    pub fn into_command(self) -> Command {
        self.command.unwrap_or(Command::Serve(self.serve))
    }
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
    /// Print the OpenAPI document (JSON) to standard output; touches no database.
    Openapi,
    /// Apply pending database migrations and exit.
    Migrate(DatabaseSettings),
    /// Load demo data (two enterprises, users in every application state)
    /// into the database and print their phones and password.
    Demo(DatabaseSettings),
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

    /// SMS verification and senders.
    #[command(flatten)]
    pub sms: SmsSettings,

    /// Abuse limits.
    #[command(flatten)]
    pub limits: LimitSettings,

    /// Trust the right-most `X-Forwarded-For` entry as the client address (set
    /// only behind a proxy that appends it); otherwise the connection's peer.
    #[arg(long, env = "ACCOUNT_API_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,

    /// How many days a session token stays valid (1 to 3650).
    #[arg(long, env = "ACCOUNT_API_SESSION_TTL_DAYS", default_value_t = 30)]
    pub session_ttl_days: u32,

    /// Days audit events are kept; the hourly task deletes older ones (at
    /// least 1: the longest limit window is a day).
    #[arg(long, env = "ACCOUNT_API_AUDIT_RETENTION_DAYS", default_value_t = 90)]
    pub audit_retention_days: u32,

    /// Password hashes that may wait for a hashing thread; when that many
    /// wait, register, login and forget_password answer 429 with
    /// `Retry-After: 1` at once (0: none wait).
    #[arg(long, env = "ACCOUNT_API_HASH_QUEUE_DEPTH", default_value_t = 64)]
    pub hash_queue_depth: u32,

    /// Connection deadlines and the connection cap.
    #[command(flatten)]
    pub connections: ConnectionSettings,
}

/// Deadlines and the cap that keep slow or idle clients from holding
/// connections (and file descriptors) forever.
#[derive(Debug, Clone, Args)]
pub struct ConnectionSettings {
    /// Seconds a client has to send a request's headers, from its first
    /// byte (or from the connection's start); then the connection is closed.
    #[arg(
        long,
        env = "ACCOUNT_API_HEADER_READ_TIMEOUT_SECS",
        default_value_t = 10
    )]
    pub header_read_timeout_secs: u64,

    /// Seconds a client has to send a request's body once its headers are
    /// in; then it gets the 408 envelope and the connection is closed.
    #[arg(long, env = "ACCOUNT_API_BODY_READ_TIMEOUT_SECS", default_value_t = 30)]
    pub body_read_timeout_secs: u64,

    /// Seconds an idle keep-alive connection stays open waiting for the next
    /// request (0: close every connection after one answer).
    #[arg(
        long,
        env = "ACCOUNT_API_KEEP_ALIVE_TIMEOUT_SECS",
        default_value_t = 75
    )]
    pub keep_alive_timeout_secs: u64,

    /// Most connections open at once; beyond it a new connection gets the
    /// 503 envelope at once and is closed.
    #[arg(long, env = "ACCOUNT_API_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: u32,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        Self {
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 30,
            keep_alive_timeout_secs: 75,
            max_connections: 1024,
        }
    }
}

/// Whether SMS codes are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Verification {
    /// The original's behaviour: codes are sent (to the configured sender)
    /// but never checked, so anyone can reset any password.
    Off,
    /// Production: register needs the sign-up code, a password reset needs
    /// the reset code.
    On,
}

/// Which SMS sender delivers codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SenderKind {
    /// Write phone and code to the log (info level); send nothing.
    Log,
    /// POST to an SMS provider over HTTP.
    Http,
}

/// A phone that always accepts a fixed code and never reaches the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestNumber {
    /// The phone, 11 digits.
    pub phone: String,
    /// Its fixed 6-digit code.
    pub code: String,
}

impl std::str::FromStr for TestNumber {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (phone, code) = text
            .split_once(':')
            .ok_or_else(|| format!("{text:?}: expected PHONE:CODE"))?;
        crate::domain::Phone::parse(phone).map_err(|err| format!("{text:?}: phone {err}"))?;
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{text:?}: the code must be 6 digits"));
        }
        Ok(Self {
            phone: phone.to_owned(),
            code: code.to_owned(),
        })
    }
}

/// SMS verification and delivery.
#[derive(Debug, Clone, Args)]
pub struct SmsSettings {
    /// `off` (default, the original's behaviour: codes are not checked) or
    /// `on` (production: register and password reset need the SMS code).
    /// Left at its default, the server listens on loopback addresses only;
    /// on any other address give `off` explicitly.
    #[arg(
        long = "sms-verification",
        env = "ACCOUNT_API_SMS_VERIFICATION",
        value_enum
    )]
    pub verification: Option<Verification>,

    /// Secret that SMS codes are hashed under (HMAC-SHA256), at least 32
    /// characters. Without it one is generated once and kept beside a SQLite
    /// database (`<file>.secret`, mode 0600) or, for PostgreSQL, in the
    /// database, shared by every instance.
    #[arg(
        long = "sms-code-secret",
        env = "ACCOUNT_API_SMS_CODE_SECRET",
        hide_env_values = true
    )]
    pub code_secret: Option<String>,

    /// `log` (default: write phone and code to the log) or `http` (a provider).
    #[arg(long = "sms-sender", env = "ACCOUNT_API_SMS_SENDER", value_enum, default_value_t = SenderKind::Log)]
    pub sender: SenderKind,

    /// URL the `http` sender POSTs to.
    #[arg(long = "sms-http-url", env = "ACCOUNT_API_SMS_HTTP_URL")]
    pub http_url: Option<String>,

    /// JSON body of the `http` sender; `{phone}` and `{code}` are replaced.
    #[arg(
        long = "sms-http-template",
        env = "ACCOUNT_API_SMS_HTTP_TEMPLATE",
        default_value = r#"{"phone":"{phone}","code":"{code}"}"#
    )]
    pub http_template: String,

    /// Timeout of one provider request, in milliseconds (at least 1).
    #[arg(
        long = "sms-http-timeout-ms",
        env = "ACCOUNT_API_SMS_HTTP_TIMEOUT_MS",
        default_value_t = 5000
    )]
    pub http_timeout_ms: u64,

    /// Retries after a provider 5xx or timeout (0 for none).
    #[arg(
        long = "sms-http-retries",
        env = "ACCOUNT_API_SMS_HTTP_RETRIES",
        default_value_t = 2
    )]
    pub http_retries: u32,

    /// Test numbers, `PHONE:CODE,...`: they accept their fixed code, never
    /// reach the sender and are exempt from send limits (for QA automation).
    #[arg(
        long = "sms-test-numbers",
        env = "ACCOUNT_API_SMS_TEST_NUMBERS",
        value_delimiter = ','
    )]
    pub test_numbers: Vec<TestNumber>,

    /// Last day (UTC, `YYYY-MM-DD`) the test numbers work; after it they are
    /// ordinary numbers.
    #[arg(
        long = "sms-test-numbers-until",
        env = "ACCOUNT_API_SMS_TEST_NUMBERS_UNTIL"
    )]
    pub test_numbers_until: Option<NaiveDate>,
}

impl SmsSettings {
    /// The verification mode: `off` unless set.
    pub fn verification(&self) -> Verification {
        self.verification.unwrap_or(Verification::Off)
    }
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            verification: None,
            code_secret: None,
            sender: SenderKind::Log,
            http_url: None,
            http_template: r#"{"phone":"{phone}","code":"{code}"}"#.to_owned(),
            http_timeout_ms: 5000,
            http_retries: 2,
            test_numbers: Vec::new(),
            test_numbers_until: None,
        }
    }
}

/// Abuse limits; counted in the database, so every instance shares them.
#[derive(Debug, Clone, Args)]
pub struct LimitSettings {
    /// Most SMS sends to one phone per 60 seconds (every limit here is at least 1).
    #[arg(
        long,
        env = "ACCOUNT_API_SENDS_PER_PHONE_PER_MINUTE",
        default_value_t = 1
    )]
    pub sends_per_phone_per_minute: u32,
    /// Most SMS sends to one phone per hour.
    #[arg(
        long,
        env = "ACCOUNT_API_SENDS_PER_PHONE_PER_HOUR",
        default_value_t = 5
    )]
    pub sends_per_phone_per_hour: u32,
    /// Most SMS sends to one phone per day.
    #[arg(
        long,
        env = "ACCOUNT_API_SENDS_PER_PHONE_PER_DAY",
        default_value_t = 10
    )]
    pub sends_per_phone_per_day: u32,
    /// Most SMS sends requested from one client address (IPv6: its /64) per hour.
    #[arg(
        long,
        env = "ACCOUNT_API_SENDS_PER_ADDRESS_PER_HOUR",
        default_value_t = 20
    )]
    pub sends_per_address_per_hour: u32,
    /// Most SMS sends of the whole service per day: the kill switch against SMS pumping.
    #[arg(long, env = "ACCOUNT_API_DAILY_SMS_BUDGET", default_value_t = 10_000)]
    pub daily_sms_budget: u32,
    /// Wrong passwords for one phone within the lockout window that lock its login.
    #[arg(long, env = "ACCOUNT_API_LOGIN_MAX_FAILURES", default_value_t = 5)]
    pub login_max_failures: u32,
    /// Minutes of the failure window, and of the lockout it causes.
    #[arg(long, env = "ACCOUNT_API_LOGIN_LOCKOUT_MINUTES", default_value_t = 15)]
    pub login_lockout_minutes: u32,
    /// Wrong passwords from one client address (IPv6: its /64) per hour,
    /// over all phones, after which its logins answer 429.
    #[arg(
        long,
        env = "ACCOUNT_API_LOGIN_FAILURES_PER_ADDRESS_PER_HOUR",
        default_value_t = 100
    )]
    pub login_failures_per_address_per_hour: u32,
    /// Wrong tries after which an SMS code is dead (per phone and purpose).
    #[arg(long, env = "ACCOUNT_API_CODE_MAX_TRIES", default_value_t = 5)]
    pub code_max_tries: u32,
    /// `forget_password` attempts without a verified reset window for one
    /// phone per hour (verification on), after which it answers 429.
    #[arg(
        long,
        env = "ACCOUNT_API_RESET_ATTEMPTS_PER_PHONE_PER_HOUR",
        default_value_t = 10
    )]
    pub reset_attempts_per_phone_per_hour: u32,
    /// `forget_password` attempts without a verified reset window from one
    /// client address (IPv6: its /64) per hour (verification on).
    #[arg(
        long,
        env = "ACCOUNT_API_RESET_ATTEMPTS_PER_ADDRESS_PER_HOUR",
        default_value_t = 30
    )]
    pub reset_attempts_per_address_per_hour: u32,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            sends_per_phone_per_minute: 1,
            sends_per_phone_per_hour: 5,
            sends_per_phone_per_day: 10,
            sends_per_address_per_hour: 20,
            daily_sms_budget: 10_000,
            login_max_failures: 5,
            login_lockout_minutes: 15,
            login_failures_per_address_per_hour: 100,
            code_max_tries: 5,
            reset_attempts_per_phone_per_hour: 10,
            reset_attempts_per_address_per_hour: 30,
        }
    }
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

    /// Seconds to wait for a database connection before answering 500.
    #[arg(long, env = "ACCOUNT_API_DB_CONNECT_TIMEOUT_SECS", default_value_t = 5)]
    pub db_connect_timeout_secs: u64,
}

impl Settings {
    /// Settings for a server on `listen` over `database_url`, everything else default.
    pub fn new(listen: SocketAddr, database_url: impl Into<String>) -> Self {
        Self {
            listen,
            database: DatabaseSettings {
                database_url: database_url.into(),
                db_max_connections: 16,
                db_connect_timeout_secs: 5,
            },
            sms: SmsSettings::default(),
            limits: LimitSettings::default(),
            trust_forwarded_for: false,
            session_ttl_days: 30,
            audit_retention_days: 90,
            hash_queue_depth: 64,
            connections: ConnectionSettings::default(),
        }
    }
}

/// A setting that makes no sense, named by its flag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag}: {problem}")]
pub struct SettingsError {
    /// The flag, e.g. `--login-max-failures`.
    pub flag: &'static str,
    /// What is wrong with its value.
    pub problem: String,
}

/// Refuses `value` of `flag` outside `range`.
fn in_range(
    flag: &'static str,
    value: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<(), SettingsError> {
    if range.contains(&value) {
        return Ok(());
    }
    let problem = if *range.end() == u64::MAX {
        format!("must be at least {} (got {value})", range.start())
    } else {
        format!(
            "must be between {} and {} (got {value})",
            range.start(),
            range.end()
        )
    };
    Err(SettingsError { flag, problem })
}

impl Settings {
    /// Checks every value, so that none turns into a failure later (a limit
    /// of 0, a lifetime that overflows), and refuses the original's
    /// unverified mode on a public address unless it was asked for.
    pub fn validate(&self) -> Result<(), SettingsError> {
        const ANY: u64 = u64::MAX;
        let database = &self.database;
        in_range(
            "--db-max-connections",
            database.db_max_connections.into(),
            1..=10_000,
        )?;
        in_range(
            "--db-connect-timeout-secs",
            database.db_connect_timeout_secs,
            1..=3600,
        )?;

        let sms = &self.sms;
        in_range("--sms-http-timeout-ms", sms.http_timeout_ms, 1..=600_000)?;
        in_range("--sms-http-retries", sms.http_retries.into(), 0..=10)?;
        if sms.sender == SenderKind::Http && sms.http_url.as_deref().is_none_or(str::is_empty) {
            return Err(SettingsError {
                flag: "--sms-http-url",
                problem: "is needed by --sms-sender http".to_owned(),
            });
        }
        for (index, number) in sms.test_numbers.iter().enumerate() {
            if sms.test_numbers[..index]
                .iter()
                .any(|earlier| earlier.phone == number.phone)
            {
                return Err(SettingsError {
                    flag: "--sms-test-numbers",
                    problem: format!("{} is listed twice", number.phone),
                });
            }
        }

        let limits = &self.limits;
        for (flag, value) in [
            (
                "--sends-per-phone-per-minute",
                limits.sends_per_phone_per_minute,
            ),
            (
                "--sends-per-phone-per-hour",
                limits.sends_per_phone_per_hour,
            ),
            ("--sends-per-phone-per-day", limits.sends_per_phone_per_day),
            (
                "--sends-per-address-per-hour",
                limits.sends_per_address_per_hour,
            ),
            ("--daily-sms-budget", limits.daily_sms_budget),
            ("--login-max-failures", limits.login_max_failures),
            (
                "--login-failures-per-address-per-hour",
                limits.login_failures_per_address_per_hour,
            ),
            ("--code-max-tries", limits.code_max_tries),
            (
                "--reset-attempts-per-phone-per-hour",
                limits.reset_attempts_per_phone_per_hour,
            ),
            (
                "--reset-attempts-per-address-per-hour",
                limits.reset_attempts_per_address_per_hour,
            ),
        ] {
            in_range(flag, value.into(), 1..=ANY)?;
        }
        // The lockout looks back twice its window; a day keeps that within
        // any retention of the audit ledger.
        in_range(
            "--login-lockout-minutes",
            limits.login_lockout_minutes.into(),
            1..=1440,
        )?;

        in_range("--session-ttl-days", self.session_ttl_days.into(), 1..=3650)?;
        in_range(
            "--audit-retention-days",
            self.audit_retention_days.into(),
            1..=36_500,
        )?;
        in_range(
            "--hash-queue-depth",
            self.hash_queue_depth.into(),
            0..=100_000,
        )?;

        let connections = &self.connections;
        in_range(
            "--header-read-timeout-secs",
            connections.header_read_timeout_secs,
            1..=3600,
        )?;
        in_range(
            "--body-read-timeout-secs",
            connections.body_read_timeout_secs,
            1..=3600,
        )?;
        in_range(
            "--keep-alive-timeout-secs",
            connections.keep_alive_timeout_secs,
            0..=86_400,
        )?;
        in_range(
            "--max-connections",
            connections.max_connections.into(),
            1..=1_000_000,
        )?;

        if sms.verification.is_none() && !self.listen.ip().is_loopback() {
            return Err(SettingsError {
                flag: "--sms-verification",
                problem: format!(
                    "is off by default, which lets anyone reset any password; refusing to \
                     listen on {} with it: give --sms-verification on (production) or, to \
                     serve the original's behaviour on purpose, --sms-verification off",
                    self.listen
                ),
            });
        }
        Ok(())
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
    fn the_defaults_in_code_are_those_of_the_command_line() {
        let Command::Serve(parsed) = Cli::try_parse_from(["account-api"]).unwrap().into_command()
        else {
            panic!("expected serve");
        };
        let built = Settings::new(parsed.listen, parsed.database.database_url.clone());
        // Environment fallbacks would make the parsed side differ; none are set in CI.
        assert_eq!(
            format!("{:?}", parsed.limits),
            format!("{:?}", built.limits)
        );
        assert_eq!(
            format!("{:?}", parsed.sms.test_numbers),
            format!("{:?}", built.sms.test_numbers)
        );
        assert_eq!(parsed.sms.http_template, built.sms.http_template);
        assert_eq!(parsed.sms.verification, built.sms.verification);
        assert_eq!(parsed.session_ttl_days, built.session_ttl_days);
    }

    #[test]
    fn test_numbers_parse_as_phone_and_code_pairs() {
        let cli = Cli::try_parse_from([
            "account-api",
            "--sms-test-numbers",
            "13800000000:123456,13800000001:654321",
        ])
        .unwrap();
        assert_eq!(cli.serve.sms.test_numbers.len(), 2);
        assert_eq!(cli.serve.sms.test_numbers[1].code, "654321");
        for bad in [
            "13800000000",
            "13800000000:12345",
            "2380000000:123456",
            "13800000000:abcdef",
        ] {
            assert!(bad.parse::<TestNumber>().is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
