//! The settings and their sections, each field's doc its `--help` text and
//! its description in the configuration file's schema, each default written
//! once in a `Default` impl.

use std::net::SocketAddr;

use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The SQLite file used when no database URL is given.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://account-api.db";

/// Everything `serve` needs.
#[derive(Debug, Clone, Args, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, env = "ACCOUNT_API_LISTEN", default_value_t = Settings::default().listen)]
    pub listen: SocketAddr,

    /// Serve `/metrics` on this address only (port 0 picks a free one);
    /// `--listen` then answers `/metrics` with 404 like any unknown path.
    /// Unset: `/metrics` is served on `--listen`.
    #[arg(long, env = "ACCOUNT_API_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Serve the admin API (`/admin/v1/...`, its document at
    /// `/admin/openapi.json`, Swagger UI at `/admin/swagger`) on this
    /// address only (port 0 picks a free one); never on `--listen`. Unset:
    /// no admin API. A loopback address unless `--admin-listen-public`.
    #[arg(long, env = "ACCOUNT_API_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,

    /// Allow `--admin-listen` on an address other than loopback: give it
    /// only once that address is reachable through TLS and a firewall that
    /// lets in support staff alone (admin tokens travel in every request).
    #[arg(long, env = "ACCOUNT_API_ADMIN_LISTEN_PUBLIC")]
    pub admin_listen_public: bool,

    /// Trust the right-most entry of the `--forwarded-header` as the client
    /// address (set only behind a proxy that appends it); otherwise the
    /// connection's peer. An entry that does not parse falls back to the
    /// peer, counted in `client_address_fallbacks_total` and warned about.
    #[arg(long, env = "ACCOUNT_API_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,

    /// The header the trusted proxy names the client in:
    /// `x-forwarded-for` (`X-Forwarded-For: ADDR`, with or without a port)
    /// or `forwarded` (RFC 7239, `Forwarded: for=ADDR`). Used only with
    /// `--trust-forwarded-for`.
    #[arg(long, env = "ACCOUNT_API_FORWARDED_HEADER", value_enum, default_value_t = Settings::default().forwarded_header)]
    pub forwarded_header: ForwardedHeader,

    /// How many days a session token stays valid (1 to 3650).
    #[arg(long, env = "ACCOUNT_API_SESSION_TTL_DAYS", default_value_t = Settings::default().session_ttl_days)]
    pub session_ttl_days: u32,

    /// Days audit events are kept; the hourly task deletes older ones (at
    /// least 1: the longest limit window is a day).
    #[arg(long, env = "ACCOUNT_API_AUDIT_RETENTION_DAYS", default_value_t = Settings::default().audit_retention_days)]
    pub audit_retention_days: u32,

    /// Password hashes that may wait for a hashing thread; when that many
    /// wait, register, login and forget_password answer 429 with
    /// `Retry-After: 1` at once (0: none wait).
    #[arg(long, env = "ACCOUNT_API_HASH_QUEUE_DEPTH", default_value_t = Settings::default().hash_queue_depth)]
    pub hash_queue_depth: u32,

    /// Web origins whose pages may call the API from a browser (CORS), as
    /// `scheme://host[:port]`, or `scheme://host:*` for any port
    /// (`http://localhost:*`); comma-separated. Empty: none (the `sandbox`
    /// allows `http://localhost:*` and `http://127.0.0.1:*`).
    #[arg(long, env = "ACCOUNT_API_CORS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub cors_allowed_origins: Vec<String>,

    /// The database.
    #[command(flatten)]
    pub database: DatabaseSettings,

    /// SMS verification and senders.
    #[command(flatten)]
    pub sms: SmsSettings,

    /// Abuse limits.
    #[command(flatten)]
    pub limits: LimitSettings,

    /// Connection deadlines and the connection cap.
    #[command(flatten)]
    pub connections: ConnectionSettings,

    /// Endpoints that receive account events (`[[webhooks]]`, file only).
    #[arg(skip)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<super::WebhookEndpoint>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 5000)),
            metrics_listen: None,
            admin_listen: None,
            admin_listen_public: false,
            trust_forwarded_for: false,
            forwarded_header: ForwardedHeader::XForwardedFor,
            session_ttl_days: 30,
            audit_retention_days: 90,
            hash_queue_depth: 64,
            cors_allowed_origins: Vec::new(),
            database: DatabaseSettings::default(),
            sms: SmsSettings::default(),
            limits: LimitSettings::default(),
            connections: ConnectionSettings::default(),
            webhooks: Vec::new(),
        }
    }
}

impl Settings {
    /// Settings for a server on `listen` over `database_url`, everything else default.
    pub fn new(listen: SocketAddr, database_url: impl Into<String>) -> Self {
        Self {
            listen,
            database: DatabaseSettings {
                database_url: database_url.into(),
                ..DatabaseSettings::default()
            },
            ..Self::default()
        }
    }
}

/// The header a trusted proxy names the client in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: 198.51.100.7` (also `198.51.100.7:5555`,
    /// `[2001:db8::1]:443`, quoted): its right-most entry.
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=198.51.100.7` (also quoted, with a port,
    /// `for="[2001:db8::1]:443"`): the `for` of its right-most element.
    Forwarded,
}

/// Where the data lives.
#[derive(Debug, Clone, Args, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Database URL: `sqlite://FILE` (created on first start) or
    /// `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value_t = DatabaseSettings::default().database_url)]
    pub database_url: String,

    /// Most connections the pool keeps open.
    #[arg(long, env = "ACCOUNT_API_DB_MAX_CONNECTIONS", default_value_t = DatabaseSettings::default().db_max_connections)]
    pub db_max_connections: u32,

    /// Seconds to wait for a database connection before answering 500.
    #[arg(long, env = "ACCOUNT_API_DB_CONNECT_TIMEOUT_SECS", default_value_t = DatabaseSettings::default().db_connect_timeout_secs)]
    pub db_connect_timeout_secs: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            db_max_connections: 16,
            db_connect_timeout_secs: 5,
        }
    }
}

/// Whether SMS codes are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verification {
    /// The original's behaviour: codes are sent (to the configured sender)
    /// but never checked, so anyone can reset any password.
    Off,
    /// Production: register needs the sign-up code, a password reset needs
    /// the reset code.
    On,
}

/// Which SMS sender delivers codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SenderKind {
    /// Write phone and code to the log (info level); send nothing.
    Log,
    /// POST to an SMS provider over HTTP.
    Http,
}

/// A phone that always accepts a fixed code and never reaches the sender,
/// written `PHONE:CODE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "TestNumberText")]
pub struct TestNumber {
    /// The phone, 11 digits.
    pub phone: String,
    /// Its fixed 6-digit code.
    pub code: String,
}

/// `PHONE:CODE`, as the configuration file writes a test number.
#[derive(JsonSchema)]
#[schemars(
    title = "TestNumber",
    description = "A test number and its fixed code, `PHONE:CODE`."
)]
#[allow(dead_code, reason = "only its schema is used")]
struct TestNumberText(#[schemars(regex(pattern = r"^1[0-9]{10}:[0-9]{6}$"))] String);

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

impl TryFrom<String> for TestNumber {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

impl From<TestNumber> for String {
    fn from(number: TestNumber) -> Self {
        format!("{}:{}", number.phone, number.code)
    }
}

/// SMS verification and delivery.
#[derive(Debug, Clone, Args, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SmsSettings {
    /// `off` (the original's behaviour: codes are not checked) or `on`
    /// (production: register and password reset need the SMS code). Left
    /// unset it is `off`, and the server listens on loopback addresses only;
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

    /// `log` (write phone and code to the log) or `http` (a provider).
    #[arg(long = "sms-sender", env = "ACCOUNT_API_SMS_SENDER", value_enum, default_value_t = SmsSettings::default().sender)]
    pub sender: SenderKind,

    /// URL the `http` sender POSTs to.
    #[arg(long = "sms-http-url", env = "ACCOUNT_API_SMS_HTTP_URL")]
    pub http_url: Option<String>,

    /// JSON body of the `http` sender; `{phone}` and `{code}` are replaced.
    #[arg(long = "sms-http-template", env = "ACCOUNT_API_SMS_HTTP_TEMPLATE", default_value_t = SmsSettings::default().http_template)]
    pub http_template: String,

    /// Timeout of one provider request, in milliseconds (at least 1).
    #[arg(long = "sms-http-timeout-ms", env = "ACCOUNT_API_SMS_HTTP_TIMEOUT_MS", default_value_t = SmsSettings::default().http_timeout_ms)]
    pub http_timeout_ms: u64,

    /// Retries after a provider 5xx or timeout (0 for none).
    #[arg(long = "sms-http-retries", env = "ACCOUNT_API_SMS_HTTP_RETRIES", default_value_t = SmsSettings::default().http_retries)]
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
/// Each is at least 1.
#[derive(Debug, Clone, Args, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    /// Most SMS sends to one phone per 60 seconds.
    #[arg(long, env = "ACCOUNT_API_SENDS_PER_PHONE_PER_MINUTE", default_value_t = LimitSettings::default().sends_per_phone_per_minute)]
    pub sends_per_phone_per_minute: u32,
    /// Most SMS sends to one phone per hour.
    #[arg(long, env = "ACCOUNT_API_SENDS_PER_PHONE_PER_HOUR", default_value_t = LimitSettings::default().sends_per_phone_per_hour)]
    pub sends_per_phone_per_hour: u32,
    /// Most SMS sends to one phone per day.
    #[arg(long, env = "ACCOUNT_API_SENDS_PER_PHONE_PER_DAY", default_value_t = LimitSettings::default().sends_per_phone_per_day)]
    pub sends_per_phone_per_day: u32,
    /// Most SMS sends requested from one client address (IPv6: its /64) per hour.
    #[arg(long, env = "ACCOUNT_API_SENDS_PER_ADDRESS_PER_HOUR", default_value_t = LimitSettings::default().sends_per_address_per_hour)]
    pub sends_per_address_per_hour: u32,
    /// Most SMS sends of the whole service per UTC day: the kill switch against SMS pumping.
    #[arg(long, env = "ACCOUNT_API_DAILY_SMS_BUDGET", default_value_t = LimitSettings::default().daily_sms_budget)]
    pub daily_sms_budget: u32,
    /// Wrong passwords for one phone within the lockout window that lock its login.
    #[arg(long, env = "ACCOUNT_API_LOGIN_MAX_FAILURES", default_value_t = LimitSettings::default().login_max_failures)]
    pub login_max_failures: u32,
    /// Minutes of the failure window, and of the lockout it causes (at most 1440).
    #[arg(long, env = "ACCOUNT_API_LOGIN_LOCKOUT_MINUTES", default_value_t = LimitSettings::default().login_lockout_minutes)]
    pub login_lockout_minutes: u32,
    /// Wrong passwords from one client address (IPv6: its /64) per hour,
    /// over all phones, after which its logins answer 429.
    #[arg(long, env = "ACCOUNT_API_LOGIN_FAILURES_PER_ADDRESS_PER_HOUR", default_value_t = LimitSettings::default().login_failures_per_address_per_hour)]
    pub login_failures_per_address_per_hour: u32,
    /// Wrong tries after which an SMS code is dead (per phone and purpose).
    #[arg(long, env = "ACCOUNT_API_CODE_MAX_TRIES", default_value_t = LimitSettings::default().code_max_tries)]
    pub code_max_tries: u32,
    /// `forget_password` attempts without a verified reset window for one
    /// phone per hour (verification on), after which it answers 429.
    #[arg(long, env = "ACCOUNT_API_RESET_ATTEMPTS_PER_PHONE_PER_HOUR", default_value_t = LimitSettings::default().reset_attempts_per_phone_per_hour)]
    pub reset_attempts_per_phone_per_hour: u32,
    /// `forget_password` attempts without a verified reset window from one
    /// client address (IPv6: its /64) per hour (verification on).
    #[arg(long, env = "ACCOUNT_API_RESET_ATTEMPTS_PER_ADDRESS_PER_HOUR", default_value_t = LimitSettings::default().reset_attempts_per_address_per_hour)]
    pub reset_attempts_per_address_per_hour: u32,
    /// Seconds a code killed by `--code-max-tries` wrong tries stays dead,
    /// from its last wrong try (1 to 86400): meanwhile `sendsms` for that
    /// phone and purpose answers 429 and sends nothing; after it, a new send
    /// gives a fresh code with no wrong tries.
    #[arg(long, env = "ACCOUNT_API_DEAD_CODE_LOCKOUT_SECS", default_value_t = LimitSettings::default().dead_code_lockout_secs)]
    pub dead_code_lockout_secs: u32,
    /// Most live sessions of one account (1 to 10000); a login or
    /// registration past it ends the oldest.
    #[arg(long, env = "ACCOUNT_API_MAX_SESSIONS_PER_ACCOUNT", default_value_t = LimitSettings::default().max_sessions_per_account)]
    pub max_sessions_per_account: u32,
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
            dead_code_lockout_secs: 900,
            max_sessions_per_account: 20,
        }
    }
}

/// Deadlines and the cap that keep slow or idle clients from holding
/// connections (and file descriptors) forever.
#[derive(Debug, Clone, Args, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionSettings {
    /// Seconds a client has to send a request's headers, from its first
    /// byte (or from the connection's start); then the connection is closed.
    #[arg(long, env = "ACCOUNT_API_HEADER_READ_TIMEOUT_SECS", default_value_t = ConnectionSettings::default().header_read_timeout_secs)]
    pub header_read_timeout_secs: u64,

    /// Seconds a client has to send a request's body once its headers are
    /// in; then it gets the 408 envelope and the connection is closed.
    #[arg(long, env = "ACCOUNT_API_BODY_READ_TIMEOUT_SECS", default_value_t = ConnectionSettings::default().body_read_timeout_secs)]
    pub body_read_timeout_secs: u64,

    /// Seconds an idle keep-alive connection stays open waiting for the next
    /// request (0: close every connection after one answer).
    #[arg(long, env = "ACCOUNT_API_KEEP_ALIVE_TIMEOUT_SECS", default_value_t = ConnectionSettings::default().keep_alive_timeout_secs)]
    pub keep_alive_timeout_secs: u64,

    /// Seconds an answer may make no progress (the client reads none of it)
    /// before its connection is closed (1 to 3600).
    #[arg(long, env = "ACCOUNT_API_WRITE_TIMEOUT_SECS", default_value_t = ConnectionSettings::default().write_timeout_secs)]
    pub write_timeout_secs: u64,

    /// Most connections open at once; beyond it a new connection gets the
    /// 503 envelope at once and is closed.
    #[arg(long, env = "ACCOUNT_API_MAX_CONNECTIONS", default_value_t = ConnectionSettings::default().max_connections)]
    pub max_connections: u32,

    /// Most connections open at once from one client address (an IPv6
    /// client: its /64); beyond it a new connection from there gets the 503
    /// envelope at once and is closed. Counted by the connection's peer,
    /// never by `X-Forwarded-For`. Unset: 64, or `--max-connections` with
    /// `--trust-forwarded-for` (every connection then comes from the proxy).
    /// Above `--max-connections` it is `--max-connections`.
    #[arg(long, env = "ACCOUNT_API_MAX_CONNECTIONS_PER_ADDRESS")]
    pub max_connections_per_address: Option<u32>,
}

/// The per-address connection cap when `--max-connections-per-address` is
/// not given and no proxy is trusted.
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: u32 = 64;

impl ConnectionSettings {
    /// The per-address connection cap in force: the one given, else the
    /// default for a server behind a trusted proxy or not; never above
    /// `--max-connections`.
    pub fn connections_per_address(&self, trust_forwarded_for: bool) -> u32 {
        let given = self
            .max_connections_per_address
            .unwrap_or(if trust_forwarded_for {
                self.max_connections
            } else {
                DEFAULT_MAX_CONNECTIONS_PER_ADDRESS
            });
        given.min(self.max_connections)
    }
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        Self {
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 30,
            keep_alive_timeout_secs: 75,
            write_timeout_secs: 30,
            max_connections: 1024,
            max_connections_per_address: None,
        }
    }
}
