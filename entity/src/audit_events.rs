//! The `audit_events` table: one row per security-relevant event.
//!
//! Sends, registrations, logins (success and failure), lockouts, password
//! resets, logouts and session revocations, with time, phone, client address
//! and device; never a password, code or token. The abuse limits count sends
//! and failures here.

use sea_orm::entity::prelude::*;

/// One audited event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    /// Auto-incremented primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When it happened (UTC).
    pub created_at: DateTimeUtc,
    /// What happened: `sms_send`, `register`, `login`, `lockout`, `password_reset`,
    /// `logout`, `session_revoke`, or an admin action (`admin_...`).
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub kind: String,
    /// How it ended, e.g. `sent`, `failed`, `test_number`, `success`, `wrong_password`.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub outcome: String,
    /// The phone concerned, if any.
    #[sea_orm(column_type = "String(StringLen::N(20))", nullable)]
    pub phone: Option<String>,
    /// The client's address, if known.
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub client_ip: Option<String>,
    /// The device identifier sent, if any.
    pub device: Option<String>,
    /// What the per-address limits count by: the IPv4 address, or the /64
    /// network of an IPv6 address (`2001:db8:1:2::/64`).
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub client_network: Option<String>,
    /// The name of the admin token behind an admin action, if it was one.
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub admin_token: Option<String>,
    /// The account an admin action concerned (`users.id`), kept after the
    /// account is deleted.
    #[sea_orm(column_type = "String(StringLen::N(32))", nullable)]
    pub user_id: Option<String>,
    /// The enterprise an admin action concerned (`enterprises.id`), kept
    /// after the enterprise is deleted.
    pub enterprise_id: Option<i64>,
    /// The application an admin action decided (`applications.id`).
    pub application_id: Option<i64>,
}

/// `audit_events` has no foreign keys (events outlive the rows they mention).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
