//! Members as support staff change them: an account's permissions set, an
//! account removed from its enterprise. Each change is one transaction
//! with its audit row, which names the admin token, and its event
//! (`member.permissions_changed`).

use super::{error::FlowError, events};
use crate::{
    domain::{AccountEvent, account_event::MemberPermissionsChanged},
    state::AppState,
    store::{
        self, LockKey, admin_users,
        audit::{self, Kind, Subject},
        enterprises,
    },
};

pub use crate::store::users::User;

/// Sets the permissions of `user_id`, by the admin token `admin`; the
/// account as it is now, `None` if there is none.
pub async fn set_permissions(
    state: &AppState,
    admin: &str,
    user_id: &str,
    permissions: &[String],
) -> Result<Option<User>, FlowError> {
    let txn = store::begin_write(&state.db).await?;
    store::lock_keys(&txn, &[LockKey::applications_of(user_id)]).await?;
    let now = state.clock.now();
    let Some(user) = admin_users::by_id(&txn, user_id).await? else {
        return Ok(None);
    };
    enterprises::set_permissions(&txn, user_id, permissions, now).await?;
    let subject = Subject {
        user_id: Some(user_id),
        phone: Some(&user.phone),
        enterprise_id: user.enterprise_id,
        ..Subject::default()
    };
    audit::record_admin_on(&txn, now, Kind::AdminPermissions, admin, &subject).await?;
    let event = AccountEvent::PermissionsChanged(MemberPermissionsChanged {
        user_id: user_id.to_owned(),
        enterprise_id: user.enterprise_id,
        permissions: permissions.to_vec(),
    });
    events::publish(state, &txn, event, now).await?;
    let user = admin_users::by_id(&txn, user_id).await?;
    txn.commit().await?;
    Ok(user)
}

/// How a removal from an enterprise ended.
#[derive(Debug)]
pub enum RemoveOutcome {
    /// Removed (its permissions cleared): the account as it is now.
    Removed(Box<User>),
    /// No account has the id.
    NotFound,
    /// The account is a member of no enterprise: nothing changed.
    NotAMember,
}

/// Removes `user_id` from its enterprise and clears its permissions, by
/// the admin token `admin`. Its applications stay as they are.
pub async fn remove_membership(
    state: &AppState,
    admin: &str,
    user_id: &str,
) -> Result<RemoveOutcome, FlowError> {
    let txn = store::begin_write(&state.db).await?;
    store::lock_keys(&txn, &[LockKey::applications_of(user_id)]).await?;
    let now = state.clock.now();
    let Some(user) = admin_users::by_id(&txn, user_id).await? else {
        return Ok(RemoveOutcome::NotFound);
    };
    let Some(enterprise_id) = user.enterprise_id else {
        return Ok(RemoveOutcome::NotAMember);
    };
    enterprises::set_membership(&txn, user_id, None, &[], now).await?;
    let subject = Subject {
        user_id: Some(user_id),
        phone: Some(&user.phone),
        enterprise_id: Some(enterprise_id),
        ..Subject::default()
    };
    audit::record_admin_on(&txn, now, Kind::AdminRemoveMembership, admin, &subject).await?;
    let event = AccountEvent::PermissionsChanged(MemberPermissionsChanged {
        user_id: user_id.to_owned(),
        enterprise_id: None,
        permissions: Vec::new(),
    });
    events::publish(state, &txn, event, now).await?;
    let user = admin_users::by_id(&txn, user_id)
        .await?
        .ok_or_else(|| FlowError::Corrupt(format!("user {user_id} vanished")))?;
    txn.commit().await?;
    Ok(RemoveOutcome::Removed(Box::new(user)))
}
