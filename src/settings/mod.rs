//! Typed configuration: what the server reads, from four places in order —
//! a command-line flag, its environment variable, the configuration file
//! (`--config FILE`, TOML), and the default. Each default is written once,
//! in the `Default` impls below; the flags show them in `--help`, the file
//! falls back to them, and `account-api config-schema` publishes them.
//!
//! The file has one key per flag, named like the flag with `_` for `-`
//! (`--login-max-failures` is `login_max_failures`), in the section of its
//! struct: top-level keys, then `[database]`, `[sms]` (whose keys drop the
//! flags' `sms_` prefix), `[limits]` and `[connections]`; `[[webhooks]]` entries are
//! file-only (no flag).

mod allowed_origins;
mod command_line;
#[cfg(test)]
mod flag_table;
mod sections;
mod validation;
mod webhooks;

pub use allowed_origins::AllowedOrigins;
pub use command_line::{
    AdminTokenAction, AdminTokenCommand, Cli, Command, DemoCommand, ImportCommand, LogFormat,
    SANDBOX_ORIGINS, SandboxCommand, SettingsSourceError, config_schema,
};
pub use sections::{
    ConnectionSettings, DEFAULT_DATABASE_URL, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
    DatabaseSettings, ForwardedHeader, LimitSettings, SenderKind, Settings, SmsSettings,
    TestNumber, Verification,
};
pub use validation::SettingsError;
pub use webhooks::{DEFAULT_RETRY_SCHEDULE_SECS, WebhookEndpoint, WebhookSecret, decode_secret};
