//! What every operation needs: the database, the outside effects, and the
//! configured rules ([`Policy`]). The HTTP layer hands it to the flows.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::DatabaseConnection;

use crate::{
    clock::Clock,
    database::LookupConnections,
    domain::Phone,
    password_hasher::PasswordHasher,
    settings::{ForwardedHeader, LimitSettings, Settings, TestNumber, Verification},
    sms_sender::SmsSender,
    store::{codes::CodeRules, secrets::CodeKey, webhooks::Routing},
};

/// What every operation needs.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// SQLite connections held for the phone lookup (none for PostgreSQL).
    pub lookups: LookupConnections,
    /// Bounded Argon2id hashing.
    pub hasher: PasswordHasher,
    /// Where SMS codes go.
    pub sms_sender: Arc<dyn SmsSender>,
    /// The key SMS codes are hashed under.
    pub code_key: Arc<CodeKey>,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// The configured rules.
    pub policy: Arc<Policy>,
}

/// The rules the operations follow, from the settings.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Whether SMS codes are checked.
    pub verification: Verification,
    /// The abuse limits.
    pub limits: LimitSettings,
    /// Phones with a fixed code that skip the sender and the send limits.
    pub test_numbers: Vec<TestNumber>,
    /// The last day the test numbers work.
    pub test_numbers_until: Option<NaiveDate>,
    /// How long a session lasts.
    pub session_lifetime: Duration,
    /// Whether a trusted proxy's header names the client.
    pub trust_forwarded_for: bool,
    /// The header it names the client in.
    pub forwarded_header: ForwardedHeader,
    /// How long audit events are kept.
    pub audit_retention: Duration,
    /// Where account events go (the `[[webhooks]]` endpoints).
    pub events: Routing,
}

impl Policy {
    /// The rules of `settings`.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            verification: settings.sms.verification(),
            limits: settings.limits.clone(),
            test_numbers: settings.sms.test_numbers.clone(),
            test_numbers_until: settings.sms.test_numbers_until,
            session_lifetime: Duration::days(i64::from(settings.session_ttl_days)),
            trust_forwarded_for: settings.trust_forwarded_for,
            forwarded_header: settings.forwarded_header,
            audit_retention: Duration::days(i64::from(settings.audit_retention_days)),
            events: Routing {
                subscriptions: crate::webhooks::subscriptions(&settings.webhooks),
                record_unsubscribed: false,
            },
        }
    }

    /// Whether SMS codes are checked.
    pub fn verifies_codes(&self) -> bool {
        self.verification == Verification::On
    }

    /// How many wrong tries kill a code, and for how long it stays dead.
    pub fn code_rules(&self) -> CodeRules {
        CodeRules {
            max_tries: self.limits.code_max_tries,
            dead_for: Duration::seconds(i64::from(self.limits.dead_code_lockout_secs)),
        }
    }

    /// The fixed code of `phone` if it is a test number still in force at `now`.
    pub fn test_code(&self, phone: &Phone, now: DateTime<Utc>) -> Option<&str> {
        if self
            .test_numbers_until
            .is_some_and(|last_day| now.date_naive() > last_day)
        {
            return None;
        }
        self.test_numbers
            .iter()
            .find(|number| number.phone == phone.as_str())
            .map(|number| number.code.as_str())
    }
}
