//! The bodies the admin operations answer with, shared by their files,
//! and the parsing of their common parameters.

use chrono::{DateTime, SecondsFormat, Utc};
use poem_openapi::Object;

use super::problem::AdminError;
use crate::flows::admin_users::{Application, AuditEvent, Session, User, application_states};

/// A time as RFC 3339 UTC text (`2026-12-06T03:30:00Z`).
pub fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An account in a list, or as a change left it.
#[derive(Debug, Clone, Object)]
pub struct UserItem {
    /// The account's id (32 lowercase hex characters).
    pub user_id: String,
    /// Its phone.
    pub phone: String,
    /// Its display name.
    pub name: String,
    /// The enterprise it is a member of; null when none.
    pub enterprise_id: Option<i64>,
    /// Whether it is disabled (cannot log in; its sessions ended).
    pub disabled: bool,
}

impl From<&User> for UserItem {
    fn from(user: &User) -> Self {
        Self {
            user_id: user.id.clone(),
            phone: user.phone.clone(),
            name: user.name.clone(),
            enterprise_id: user.enterprise_id,
            disabled: user.disabled_at.is_some(),
        }
    }
}

/// A session of an account (never its token).
#[derive(Debug, Clone, Object)]
pub struct SessionItem {
    /// The session's id.
    pub id: i64,
    /// The device it was opened from.
    pub device: String,
    /// When it was opened.
    pub created_at: String,
    /// When it last authenticated a request (to the minute).
    pub last_used_at: String,
    /// When it expires.
    pub expires_at: String,
    /// When it was revoked; null while it has not been.
    pub revoked_at: Option<String>,
    /// Whether it is live now (neither expired nor revoked).
    pub live: bool,
}

impl SessionItem {
    /// `session` as of `now`.
    pub fn new(session: &Session, now: DateTime<Utc>) -> Self {
        Self {
            id: session.id,
            device: session.device_identifier.clone(),
            created_at: time(session.created_at),
            last_used_at: time(session.last_used_at),
            expires_at: time(session.expires_at),
            revoked_at: session.revoked_at.map(time),
            live: session.revoked_at.is_none() && session.expires_at > now,
        }
    }
}

/// The state of an application, by name.
pub fn application_state(state: i16) -> &'static str {
    match state {
        application_states::STATE_APPROVED => "approved",
        application_states::STATE_REJECTED => "rejected",
        _ => "pending",
    }
}

/// The state named `text` (`pending`, `approved`, `rejected`).
pub fn parse_application_state(field: &str, text: &str) -> Result<i16, AdminError> {
    match text {
        "pending" => Ok(application_states::STATE_PENDING),
        "approved" => Ok(application_states::STATE_APPROVED),
        "rejected" => Ok(application_states::STATE_REJECTED),
        _ => Err(AdminError::bad_field(
            field,
            "must be pending, approved or rejected",
        )),
    }
}

/// An application to join an enterprise.
#[derive(Debug, Clone, Object)]
pub struct ApplicationItem {
    /// The application's id.
    pub id: i64,
    /// The applying account.
    pub user_id: String,
    /// The enterprise applied to.
    pub enterprise_id: i64,
    /// `pending`, `approved` or `rejected`.
    pub state: String,
    /// When it was made.
    pub created_at: String,
    /// When its state last changed.
    pub updated_at: String,
}

impl From<&Application> for ApplicationItem {
    fn from(application: &Application) -> Self {
        Self {
            id: application.id,
            user_id: application.user_id.clone(),
            enterprise_id: application.enterprise_id,
            state: application_state(application.state).to_owned(),
            created_at: time(application.created_at),
            updated_at: time(application.updated_at),
        }
    }
}

/// An audit event concerning an account.
#[derive(Debug, Clone, Object)]
pub struct EventItem {
    /// The event's id.
    pub id: i64,
    /// When it happened.
    pub at: String,
    /// What happened (`login`, `sms_send`, `admin_disable`, ...).
    pub kind: String,
    /// How it ended (`success`, `wrong_password`, ...).
    pub outcome: String,
    /// The client's address, if known.
    pub client_ip: Option<String>,
    /// The device identifier sent, if any.
    pub device: Option<String>,
    /// The name of the admin token behind an admin action.
    pub admin_token: Option<String>,
}

impl From<&AuditEvent> for EventItem {
    fn from(event: &AuditEvent) -> Self {
        Self {
            id: event.id,
            at: time(event.created_at),
            kind: event.kind.clone(),
            outcome: event.outcome.clone(),
            client_ip: event.client_ip.clone(),
            device: event.device.clone(),
            admin_token: event.admin_token.clone(),
        }
    }
}

/// `user_id` if it has the shape of one (32 lowercase hex characters);
/// otherwise no account has it, a 404.
pub fn known_user_id(user_id: &str) -> Result<&str, AdminError> {
    if user_id.len() == 32
        && user_id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(user_id)
    } else {
        Err(no_such_user(user_id))
    }
}

/// `text` as a positive id in decimal digits, if it is one.
pub fn parse_id(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|id| *id > 0)
}

/// The 404 of an unknown account.
pub fn no_such_user(user_id: &str) -> AdminError {
    AdminError::not_found(format!("no account has the id {user_id:?}"))
}

/// The most permissions an account has.
pub const MAX_PERMISSIONS: usize = 64;
/// The most characters of one permission.
pub const MAX_PERMISSION_CHARS: usize = 64;

/// `permissions` as stored: each 1 to 64 characters, no control
/// characters, at most 64 of them; repeats dropped, the order kept.
pub fn checked_permissions(permissions: Vec<String>) -> Result<Vec<String>, AdminError> {
    if permissions.len() > MAX_PERMISSIONS {
        return Err(AdminError::bad_field(
            "permissions",
            format!("must be at most {MAX_PERMISSIONS} permissions"),
        ));
    }
    let mut kept: Vec<String> = Vec::with_capacity(permissions.len());
    for permission in permissions {
        let chars = permission.chars().count();
        if chars == 0 || chars > MAX_PERMISSION_CHARS || permission.chars().any(char::is_control) {
            return Err(AdminError::bad_field(
                "permissions",
                format!(
                    "each must be 1 to {MAX_PERMISSION_CHARS} characters, none a control \
                     character"
                ),
            ));
        }
        if !kept.contains(&permission) {
            kept.push(permission);
        }
    }
    Ok(kept)
}

/// An account's membership: its enterprise and permissions.
#[derive(Debug, Clone, Object)]
pub struct MemberItem {
    /// The account's id.
    pub user_id: String,
    /// The enterprise it is a member of; null when none.
    pub enterprise_id: Option<i64>,
    /// Its permissions (`pemissions` in the v4.0 login).
    pub permissions: Vec<String>,
}

impl MemberItem {
    /// The membership of `user`.
    pub fn new(user: &User) -> Result<Self, AdminError> {
        let permissions = serde_json::from_value(user.permissions.clone())
            .map_err(|err| AdminError::internal("permissions", &err))?;
        Ok(Self {
            user_id: user.id.clone(),
            enterprise_id: user.enterprise_id,
            permissions,
        })
    }
}
