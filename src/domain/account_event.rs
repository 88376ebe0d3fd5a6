//! Account events: what happened to an account, as webhook endpoints (and
//! the sandbox's `GET /sandbox/events`) receive it.
//!
//! Each event type has its own `data` struct; [`AccountEvent`] is one of
//! them. The payload sent is `{"type": …, "timestamp": …, "data": {…}}`
//! (the outbox in `store::webhooks` wraps `data`). `data` carries ids and
//! states, never a password, code or token. The OpenAPI document describes
//! each type from the same structs (their `JsonSchema`), listed in
//! [`EVENT_KINDS`].

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;

/// `user.registered`: an account was created (`register`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct UserRegistered {
    /// The new account's id.
    pub user_id: String,
    /// Its phone number (11 digits).
    pub phone: String,
    /// The device it was registered from (the app's `device_identifier`).
    pub device_id: String,
}

/// `user.logged_in`: a password login opened a session (`login`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct UserLoggedIn {
    /// The account's id.
    pub user_id: String,
    /// The device it logged in from.
    pub device_id: String,
    /// Whether that device differs from the one the account was bound to
    /// (the binding moved to it).
    pub change_device: bool,
}

/// `user.password_reset`: the password was reset (`forget_password`);
/// every session of the account ended with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct UserPasswordReset {
    /// The account's id.
    pub user_id: String,
    /// How many live sessions the reset ended.
    pub sessions_revoked: u64,
}

/// Why sessions ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevokeReason {
    /// The session's own token logged out (`logout`).
    Logout,
    /// The account revoked them (`sessions/revoke`).
    User,
    /// Support staff ended them (the admin API).
    Admin,
}

/// `session.revoked`: sessions of an account ended by a logout, by the
/// account itself, or by support staff. (A password reset and disabling
/// an account end every session too; their own events say so.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SessionRevoked {
    /// The account's id.
    pub user_id: String,
    /// The sessions ended (the ids `GET sessions` lists).
    pub session_ids: Vec<i64>,
    /// Who ended them.
    pub reason: RevokeReason,
}

/// `user.disabled`: support staff disabled the account (its sessions ended).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct UserDisabled {
    /// The account's id.
    pub user_id: String,
    /// How many live sessions ended with it.
    pub sessions_revoked: u64,
}

/// `user.enabled`: support staff enabled a disabled account again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct UserEnabled {
    /// The account's id.
    pub user_id: String,
}

/// `user.deleted`: support staff deleted the account with its sessions,
/// codes and applications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct UserDeleted {
    /// The deleted account's id.
    pub user_id: String,
}

/// `webhook.test`: sent by an operator (the admin API) to check an
/// endpoint; it concerns no account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct WebhookTest {
    /// Who asked for it (the admin token's name).
    pub requested_by: String,
}

/// `application.submitted`: the user applied to join an enterprise
/// (`applications`); the application is pending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ApplicationSubmitted {
    /// The applying account's id.
    pub user_id: String,
    /// The application's id (the admin API's).
    pub application_id: i64,
    /// The enterprise applied to.
    pub enterprise_id: i64,
}

/// `application.approved`: support staff approved an application; the
/// account is a member of the enterprise with these permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ApplicationApproved {
    /// The account's id.
    pub user_id: String,
    /// The application's id.
    pub application_id: i64,
    /// The enterprise it is now a member of.
    pub enterprise_id: i64,
    /// Its permissions from now on.
    pub permissions: Vec<String>,
}

/// `application.rejected`: support staff rejected an application; the
/// user may apply again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ApplicationRejected {
    /// The account's id.
    pub user_id: String,
    /// The application's id.
    pub application_id: i64,
    /// The enterprise applied to.
    pub enterprise_id: i64,
}

/// `member.permissions_changed`: support staff set the account's
/// permissions, or removed it from its enterprise (then `enterprise_id` is
/// null and `permissions` empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct MemberPermissionsChanged {
    /// The account's id.
    pub user_id: String,
    /// The enterprise it is a member of; null when none.
    pub enterprise_id: Option<i64>,
    /// Its permissions from now on.
    pub permissions: Vec<String>,
}

/// One account event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountEvent {
    /// `user.registered`.
    Registered(UserRegistered),
    /// `user.logged_in`.
    LoggedIn(UserLoggedIn),
    /// `user.password_reset`.
    PasswordReset(UserPasswordReset),
    /// `session.revoked`.
    SessionRevoked(SessionRevoked),
    /// `user.disabled`.
    Disabled(UserDisabled),
    /// `user.enabled`.
    Enabled(UserEnabled),
    /// `user.deleted`.
    Deleted(UserDeleted),
    /// `webhook.test`.
    Test(WebhookTest),
    /// `application.submitted`.
    ApplicationSubmitted(ApplicationSubmitted),
    /// `application.approved`.
    ApplicationApproved(ApplicationApproved),
    /// `application.rejected`.
    ApplicationRejected(ApplicationRejected),
    /// `member.permissions_changed`.
    PermissionsChanged(MemberPermissionsChanged),
}

impl AccountEvent {
    /// Its `type`, e.g. `user.registered`.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::Registered(_) => "user.registered",
            Self::LoggedIn(_) => "user.logged_in",
            Self::PasswordReset(_) => "user.password_reset",
            Self::SessionRevoked(_) => "session.revoked",
            Self::Disabled(_) => "user.disabled",
            Self::Enabled(_) => "user.enabled",
            Self::Deleted(_) => "user.deleted",
            Self::Test(_) => "webhook.test",
            Self::ApplicationSubmitted(_) => "application.submitted",
            Self::ApplicationApproved(_) => "application.approved",
            Self::ApplicationRejected(_) => "application.rejected",
            Self::PermissionsChanged(_) => "member.permissions_changed",
        }
    }

    /// The account it concerns (its events are delivered in order), if any.
    pub fn account_id(&self) -> Option<&str> {
        match self {
            Self::Registered(e) => Some(&e.user_id),
            Self::LoggedIn(e) => Some(&e.user_id),
            Self::PasswordReset(e) => Some(&e.user_id),
            Self::SessionRevoked(e) => Some(&e.user_id),
            Self::Disabled(e) => Some(&e.user_id),
            Self::Enabled(e) => Some(&e.user_id),
            Self::Deleted(e) => Some(&e.user_id),
            Self::Test(_) => None,
            Self::ApplicationSubmitted(e) => Some(&e.user_id),
            Self::ApplicationApproved(e) => Some(&e.user_id),
            Self::ApplicationRejected(e) => Some(&e.user_id),
            Self::PermissionsChanged(e) => Some(&e.user_id),
        }
    }

    /// Its `data` object.
    pub fn data(&self) -> serde_json::Value {
        let data = match self {
            Self::Registered(e) => serde_json::to_value(e),
            Self::LoggedIn(e) => serde_json::to_value(e),
            Self::PasswordReset(e) => serde_json::to_value(e),
            Self::SessionRevoked(e) => serde_json::to_value(e),
            Self::Disabled(e) => serde_json::to_value(e),
            Self::Enabled(e) => serde_json::to_value(e),
            Self::Deleted(e) => serde_json::to_value(e),
            Self::Test(e) => serde_json::to_value(e),
            Self::ApplicationSubmitted(e) => serde_json::to_value(e),
            Self::ApplicationApproved(e) => serde_json::to_value(e),
            Self::ApplicationRejected(e) => serde_json::to_value(e),
            Self::PermissionsChanged(e) => serde_json::to_value(e),
        };
        data.expect("event data serializes")
    }
}

/// One event type, as the OpenAPI document lists it.
#[derive(Debug, Clone, Copy)]
pub struct EventKind {
    /// Its `type`.
    pub event_type: &'static str,
    /// The name of its `data` schema (the payload's is this + `Event`).
    pub name: &'static str,
    /// One line on when it is sent.
    pub summary: &'static str,
    /// Its `data` schema.
    pub schema: fn(&mut SchemaGenerator) -> Schema,
}

/// Every event type, in the order the document lists them.
pub const EVENT_KINDS: &[EventKind] = &[
    EventKind {
        event_type: "user.registered",
        name: "UserRegistered",
        summary: "An account was created (register).",
        schema: UserRegistered::json_schema,
    },
    EventKind {
        event_type: "user.logged_in",
        name: "UserLoggedIn",
        summary: "A password login opened a session (login).",
        schema: UserLoggedIn::json_schema,
    },
    EventKind {
        event_type: "user.password_reset",
        name: "UserPasswordReset",
        summary: "The password was reset (forget_password); every session ended.",
        schema: UserPasswordReset::json_schema,
    },
    EventKind {
        event_type: "session.revoked",
        name: "SessionRevoked",
        summary: "Sessions ended: a logout, the account's own revocation, or support staff's.",
        schema: SessionRevoked::json_schema,
    },
    EventKind {
        event_type: "user.disabled",
        name: "UserDisabled",
        summary: "Support staff disabled the account; its sessions ended.",
        schema: UserDisabled::json_schema,
    },
    EventKind {
        event_type: "user.enabled",
        name: "UserEnabled",
        summary: "Support staff enabled the account again.",
        schema: UserEnabled::json_schema,
    },
    EventKind {
        event_type: "user.deleted",
        name: "UserDeleted",
        summary: "Support staff deleted the account.",
        schema: UserDeleted::json_schema,
    },
    EventKind {
        event_type: "webhook.test",
        name: "WebhookTest",
        summary: "An operator's test of the endpoint (admin API); concerns no account.",
        schema: WebhookTest::json_schema,
    },
    EventKind {
        event_type: "application.submitted",
        name: "ApplicationSubmitted",
        summary: "The user applied to join an enterprise (applications); it is pending.",
        schema: ApplicationSubmitted::json_schema,
    },
    EventKind {
        event_type: "application.approved",
        name: "ApplicationApproved",
        summary: "Support staff approved an application; the user is a member.",
        schema: ApplicationApproved::json_schema,
    },
    EventKind {
        event_type: "application.rejected",
        name: "ApplicationRejected",
        summary: "Support staff rejected an application.",
        schema: ApplicationRejected::json_schema,
    },
    EventKind {
        event_type: "member.permissions_changed",
        name: "MemberPermissionsChanged",
        summary: "Support staff set a member's permissions, or removed it from its enterprise.",
        schema: MemberPermissionsChanged::json_schema,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn every_variant() -> Vec<AccountEvent> {
        let user_id = "0123456789abcdef0123456789abcdef".to_owned();
        vec![
            AccountEvent::Registered(UserRegistered {
                user_id: user_id.clone(),
                phone: "13800000001".into(),
                device_id: "d".into(),
            }),
            AccountEvent::LoggedIn(UserLoggedIn {
                user_id: user_id.clone(),
                device_id: "d".into(),
                change_device: true,
            }),
            AccountEvent::PasswordReset(UserPasswordReset {
                user_id: user_id.clone(),
                sessions_revoked: 2,
            }),
            AccountEvent::SessionRevoked(SessionRevoked {
                user_id: user_id.clone(),
                session_ids: vec![1, 2],
                reason: RevokeReason::Logout,
            }),
            AccountEvent::Disabled(UserDisabled {
                user_id: user_id.clone(),
                sessions_revoked: 0,
            }),
            AccountEvent::Enabled(UserEnabled {
                user_id: user_id.clone(),
            }),
            AccountEvent::Deleted(UserDeleted {
                user_id: user_id.clone(),
            }),
            AccountEvent::Test(WebhookTest {
                requested_by: "ops".into(),
            }),
            AccountEvent::ApplicationSubmitted(ApplicationSubmitted {
                user_id: user_id.clone(),
                application_id: 1,
                enterprise_id: 2,
            }),
            AccountEvent::ApplicationApproved(ApplicationApproved {
                user_id: user_id.clone(),
                application_id: 1,
                enterprise_id: 2,
                permissions: vec!["member".into()],
            }),
            AccountEvent::ApplicationRejected(ApplicationRejected {
                user_id: user_id.clone(),
                application_id: 1,
                enterprise_id: 2,
            }),
            AccountEvent::PermissionsChanged(MemberPermissionsChanged {
                user_id,
                enterprise_id: None,
                permissions: vec![],
            }),
        ]
    }

    #[test]
    fn every_variant_has_its_kind_in_order_and_its_data_is_an_object() {
        let events = every_variant();
        let types: Vec<&str> = events.iter().map(AccountEvent::event_type).collect();
        let kinds: Vec<&str> = EVENT_KINDS.iter().map(|k| k.event_type).collect();
        assert_eq!(types, kinds);
        for event in &events {
            assert!(event.data().is_object(), "{event:?}");
        }
        let revoked = &events[3].data();
        assert_eq!(revoked["reason"], "logout");
        assert_eq!(revoked["session_ids"], serde_json::json!([1, 2]));
    }
}
