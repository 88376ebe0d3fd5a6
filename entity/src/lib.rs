//! SeaORM entities of the account API database.
//!
//! Each module describes one table with the classic SeaORM layout: a `Model`
//! (one row), the derived `Entity`, `Column`, `PrimaryKey` and `ActiveModel`,
//! and a `Relation` enum with `Related` impls for the foreign keys. The schema
//! itself is created by the `migration` crate; these types must match it.
//!
//! # Layout
//!
//! - [`admin_tokens`]: the admin API's tokens, stored as SHA-256 hashes.
//! - [`enterprises`]: enterprises that users can join.
//! - [`users`]: accounts, keyed by a 32-hex-character id, unique by phone.
//! - [`applications`]: a user's applications to join an enterprise.
//! - [`sessions`]: login sessions, stored as the SHA-256 of their token.
//! - [`imported_password_hashes`]: the legacy hash scheme an imported
//!   account still holds, and a digest of the hash its import gave.
//! - [`sms_codes`]: the one live SMS code per phone and purpose, plus the
//!   password-reset window.
//! - [`audit_events`]: the ledger of security-relevant events.
//! - [`audit_refusals`]: requests refused by a limit, counted per key per hour.
//! - [`sms_budget_days`]: the SMS sends of each day, against the daily budget.
//! - [`server_secrets`]: generated secrets shared by every instance.
//! - [`webhook_events`]: the outbox of account events.
//! - [`webhook_deliveries`]: each event's delivery to each endpoint.
//! - [`webhook_delivery_attempts`]: each attempt of a delivery.
//! - [`prelude`]: the `Entity` of every table under its table-like name.
//!
//! All times are UTC ([`sea_orm::prelude::DateTimeUtc`], stored as
//! `TIMESTAMP WITH TIME ZONE`).

pub mod admin_tokens;
pub mod applications;
pub mod audit_events;
pub mod audit_refusals;
pub mod enterprises;
pub mod imported_password_hashes;
pub mod server_secrets;
pub mod sessions;
pub mod sms_budget_days;
pub mod sms_codes;
pub mod users;
pub mod webhook_deliveries;
pub mod webhook_delivery_attempts;
pub mod webhook_events;

/// The `Entity` of every table, named after the table (`Users`, `SmsCodes`, ...).
pub mod prelude {
    /// The `admin_tokens` table.
    pub use crate::admin_tokens::Entity as AdminTokens;
    /// The `applications` table.
    pub use crate::applications::Entity as Applications;
    /// The `audit_events` table.
    pub use crate::audit_events::Entity as AuditEvents;
    /// The `audit_refusals` table.
    pub use crate::audit_refusals::Entity as AuditRefusals;
    /// The `enterprises` table.
    pub use crate::enterprises::Entity as Enterprises;
    /// The `imported_password_hashes` table.
    pub use crate::imported_password_hashes::Entity as ImportedPasswordHashes;
    /// The `server_secrets` table.
    pub use crate::server_secrets::Entity as ServerSecrets;
    /// The `sessions` table.
    pub use crate::sessions::Entity as Sessions;
    /// The `sms_budget_days` table.
    pub use crate::sms_budget_days::Entity as SmsBudgetDays;
    /// The `sms_codes` table.
    pub use crate::sms_codes::Entity as SmsCodes;
    /// The `users` table.
    pub use crate::users::Entity as Users;
    /// The `webhook_deliveries` table.
    pub use crate::webhook_deliveries::Entity as WebhookDeliveries;
    /// The `webhook_delivery_attempts` table.
    pub use crate::webhook_delivery_attempts::Entity as WebhookDeliveryAttempts;
    /// The `webhook_events` table.
    pub use crate::webhook_events::Entity as WebhookEvents;
}
