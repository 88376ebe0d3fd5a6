//! A user's side of applications to join an enterprise (extensions): the
//! enterprises to pick from, and applying — one pending application at a
//! time; applying again after a rejection is allowed. Both authenticate
//! the presented session token as `/me` does.

use chrono::{DateTime, Utc};

use super::{
    account::{Application, ApplicationState},
    error::FlowError,
    events,
};
use crate::{
    domain::{AccountEvent, ClientIp, Name, account_event::ApplicationSubmitted},
    state::AppState,
    store::{
        self, LockKey, admin_users,
        admin_users::application_states::STATE_PENDING,
        applications,
        audit::{self, Actor, Kind, Outcome},
        enterprises, sessions, users,
    },
};

/// The most enterprises one search answers.
pub const MAX_ENTERPRISES: u64 = 50;

/// An enterprise as the app's picker shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterpriseChoice {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// The user of a presented token, after recording that its session was
/// used at `now`; `None` when the token is unknown, expired or revoked.
async fn authenticated(
    state: &AppState,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<users::User>, FlowError> {
    let Some((session, user)) = sessions::authenticate(&state.db, token, now).await? else {
        return Ok(None);
    };
    sessions::touch(&state.db, session.id, now).await?;
    Ok(Some(user))
}

/// The first [`MAX_ENTERPRISES`] enterprises whose names contain `name`
/// (all when `None`), in id order; `None` when the token is unknown,
/// expired or revoked.
pub async fn enterprises(
    state: &AppState,
    token: &str,
    name: Option<&Name>,
) -> Result<Option<Vec<EnterpriseChoice>>, FlowError> {
    if authenticated(state, token, state.clock.now())
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let found = enterprises::page(&state.db, name.map(Name::as_str), None, MAX_ENTERPRISES).await?;
    Ok(Some(
        found
            .into_iter()
            .map(|enterprise| EnterpriseChoice {
                id: enterprise.id,
                name: enterprise.name,
            })
            .collect(),
    ))
}

/// How an application ended.
#[derive(Debug)]
pub enum ApplyOutcome {
    /// The presented token is unknown, expired or revoked.
    SessionInvalid,
    /// No enterprise has the id.
    NoSuchEnterprise,
    /// The user is a member of that enterprise already.
    AlreadyMember,
    /// The user has a pending application: one at a time.
    AlreadyPending,
    /// The application is made, pending.
    Applied(Application),
}

/// Applies, for the user of a presented token, to join `enterprise_id`.
/// Under the lock of the user's applications, so two requests at once
/// leave one pending application; and of the enterprise's members, so it
/// is not deleted meanwhile.
pub async fn apply(
    state: &AppState,
    token: &str,
    enterprise_id: i64,
    client: Option<&ClientIp>,
) -> Result<ApplyOutcome, FlowError> {
    let now = state.clock.now();
    let Some(user) = authenticated(state, token, now).await? else {
        return Ok(ApplyOutcome::SessionInvalid);
    };
    let txn = store::begin_write(&state.db).await?;
    store::lock_keys(
        &txn,
        &[
            LockKey::applications_of(&user.id),
            LockKey::members_of(enterprise_id),
        ],
    )
    .await?;
    let Some(enterprise) = enterprises::by_id(&txn, enterprise_id).await? else {
        return Ok(ApplyOutcome::NoSuchEnterprise);
    };
    let Some(user) = admin_users::by_id(&txn, &user.id).await? else {
        return Ok(ApplyOutcome::SessionInvalid);
    };
    if user.enterprise_id == Some(enterprise_id) {
        return Ok(ApplyOutcome::AlreadyMember);
    }
    if admin_users::latest_application(&txn, &user.id)
        .await?
        .is_some_and(|latest| latest.state == STATE_PENDING)
    {
        return Ok(ApplyOutcome::AlreadyPending);
    }
    let application = applications::insert(&txn, &user.id, enterprise_id, now).await?;
    let actor = Actor {
        phone: Some(&user.phone),
        client,
        device: None,
    };
    audit::record(&txn, now, Kind::Apply, Outcome::Success, &actor).await?;
    let event = AccountEvent::ApplicationSubmitted(ApplicationSubmitted {
        user_id: user.id.clone(),
        application_id: application.id,
        enterprise_id,
    });
    events::publish(state, &txn, event, now).await?;
    txn.commit().await?;
    Ok(ApplyOutcome::Applied(Application {
        enterprise_id,
        enterprise_name: enterprise.name,
        state: ApplicationState::Pending,
    }))
}
