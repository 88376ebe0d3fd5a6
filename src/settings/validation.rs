//! Checks of every setting, so that none turns into a failure later: a
//! refused value names its flag (and so its key in the configuration file).

use super::sections::{ForwardedHeader, SenderKind, Settings};

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

        for (index, endpoint) in self.webhooks.iter().enumerate() {
            endpoint.validate().map_err(|problem| SettingsError {
                flag: "[[webhooks]]",
                problem,
            })?;
            if self.webhooks[..index].iter().any(|e| e.url == endpoint.url) {
                return Err(SettingsError {
                    flag: "[[webhooks]]",
                    problem: format!("{} is listed twice", endpoint.url),
                });
            }
        }

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

        // At most a day: wrong tries start over after a day without a send.
        in_range(
            "--dead-code-lockout-secs",
            limits.dead_code_lockout_secs.into(),
            1..=86_400,
        )?;
        in_range(
            "--max-sessions-per-account",
            limits.max_sessions_per_account.into(),
            1..=10_000,
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
            "--write-timeout-secs",
            connections.write_timeout_secs,
            1..=3600,
        )?;
        in_range(
            "--max-connections",
            connections.max_connections.into(),
            1..=1_000_000,
        )?;
        // Above --max-connections it is --max-connections (documented):
        // its unset default is above a small --max-connections.
        if let Some(per_address) = connections.max_connections_per_address {
            in_range(
                "--max-connections-per-address",
                per_address.into(),
                1..=1_000_000,
            )?;
        }

        if !self.trust_forwarded_for && self.forwarded_header != ForwardedHeader::XForwardedFor {
            return Err(SettingsError {
                flag: "--forwarded-header",
                problem: "is read only with --trust-forwarded-for; give that too, or leave \
                          --forwarded-header unset"
                    .to_owned(),
            });
        }

        if let Err(problem) =
            super::allowed_origins::AllowedOrigins::parse(&self.cors_allowed_origins)
        {
            return Err(SettingsError {
                flag: "--cors-allowed-origins",
                problem,
            });
        }

        if let Some(metrics) = self.metrics_listen
            && metrics.port() != 0
            && metrics.port() == self.listen.port()
            && (metrics.ip() == self.listen.ip()
                || metrics.ip().is_unspecified()
                || self.listen.ip().is_unspecified())
        {
            return Err(SettingsError {
                flag: "--metrics-listen",
                problem: format!(
                    "{metrics} is --listen's own address; give another port, or leave it \
                     unset to serve /metrics on --listen"
                ),
            });
        }

        if let Some(admin) = self.admin_listen {
            let same_as = |other: std::net::SocketAddr| {
                admin.port() != 0
                    && admin.port() == other.port()
                    && (admin.ip() == other.ip()
                        || admin.ip().is_unspecified()
                        || other.ip().is_unspecified())
            };
            if same_as(self.listen) || self.metrics_listen.is_some_and(same_as) {
                return Err(SettingsError {
                    flag: "--admin-listen",
                    problem: format!(
                        "{admin} is the address of --listen or --metrics-listen; the admin \
                         API needs an address of its own"
                    ),
                });
            }
            if !admin.ip().is_loopback() && !self.admin_listen_public {
                return Err(SettingsError {
                    flag: "--admin-listen",
                    problem: format!(
                        "{admin} is not a loopback address; the admin API can read, disable \
                         and delete every account, so it listens on loopback only unless \
                         --admin-listen-public says the address is behind TLS and a firewall"
                    ),
                });
            }
        }

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
    use crate::settings::sections::{DEFAULT_DATABASE_URL, Settings, Verification};

    #[test]
    fn the_hardening_defaults_are_those_documented() {
        let settings = Settings::default();
        let limits = &settings.limits;
        assert_eq!(limits.reset_attempts_per_phone_per_hour, 10);
        assert_eq!(limits.reset_attempts_per_address_per_hour, 30);
        assert_eq!(limits.login_failures_per_address_per_hour, 100);
        assert_eq!(settings.audit_retention_days, 90);
        assert_eq!(limits.dead_code_lockout_secs, 900);
        assert_eq!(limits.max_sessions_per_account, 20);
        let connections = &settings.connections;
        assert!(connections.header_read_timeout_secs <= 30);
        assert!(connections.body_read_timeout_secs <= 30);
        assert!(connections.keep_alive_timeout_secs >= 60);
        assert_eq!(connections.write_timeout_secs, 30);
        assert_eq!(connections.max_connections_per_address, None);
        assert_eq!(connections.connections_per_address(false), 64);
        assert_eq!(
            connections.connections_per_address(true),
            connections.max_connections
        );
        assert_eq!(settings.validate(), Ok(()));
    }

    #[test]
    fn the_per_address_cap_is_never_above_the_global_one() {
        let mut settings = Settings::default();
        settings.connections.max_connections = 10;
        assert_eq!(settings.connections.connections_per_address(false), 10);
        settings.connections.max_connections_per_address = Some(100);
        assert_eq!(settings.connections.connections_per_address(false), 10);
        settings.connections.max_connections_per_address = Some(4);
        assert_eq!(settings.connections.connections_per_address(false), 4);
        assert_eq!(
            settings.connections.connections_per_address(true),
            4,
            "given, it applies behind a proxy too"
        );
        assert_eq!(settings.validate(), Ok(()));
    }

    #[test]
    fn validation_names_the_flag_of_the_value_it_refuses() {
        let valid = || Settings::new("127.0.0.1:5000".parse().unwrap(), DEFAULT_DATABASE_URL);
        let mut settings = valid();
        settings.limits.sends_per_phone_per_minute = 0;
        let refused = settings.validate().unwrap_err();
        assert_eq!(refused.flag, "--sends-per-phone-per-minute");
        assert!(
            refused.to_string().contains("at least 1 (got 0)"),
            "{refused}"
        );

        let mut settings = valid();
        settings.session_ttl_days = u32::MAX;
        assert_eq!(settings.validate().unwrap_err().flag, "--session-ttl-days");

        let mut settings = valid();
        settings.connections.write_timeout_secs = 0;
        assert_eq!(
            settings.validate().unwrap_err().flag,
            "--write-timeout-secs"
        );

        let mut settings = valid();
        settings.connections.max_connections_per_address = Some(0);
        assert_eq!(
            settings.validate().unwrap_err().flag,
            "--max-connections-per-address"
        );

        let mut settings = valid();
        settings.forwarded_header = crate::settings::ForwardedHeader::Forwarded;
        assert_eq!(settings.validate().unwrap_err().flag, "--forwarded-header");
        settings.trust_forwarded_for = true;
        assert_eq!(settings.validate(), Ok(()));

        let mut settings = valid();
        settings.listen = "0.0.0.0:5000".parse().unwrap();
        assert_eq!(settings.validate().unwrap_err().flag, "--sms-verification");
        settings.sms.verification = Some(Verification::Off);
        assert_eq!(settings.validate(), Ok(()));

        let mut settings = valid();
        settings.admin_listen = Some("0.0.0.0:5001".parse().unwrap());
        let refused = settings.validate().unwrap_err();
        assert_eq!(refused.flag, "--admin-listen");
        assert!(
            refused.to_string().contains("--admin-listen-public"),
            "{refused}"
        );
        settings.admin_listen_public = true;
        assert_eq!(settings.validate(), Ok(()));
        settings.admin_listen = Some("127.0.0.1:5000".parse().unwrap());
        assert_eq!(settings.validate().unwrap_err().flag, "--admin-listen");
        settings.admin_listen = Some("127.0.0.1:0".parse().unwrap());
        assert_eq!(settings.validate(), Ok(()));
    }
}
