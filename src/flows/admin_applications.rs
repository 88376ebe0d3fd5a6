//! Applications as support staff decide them: listed page by page, pending
//! first; approved (the user becomes a member of the enterprise, with the
//! permissions given) or rejected, each exactly once however many
//! decisions arrive at once, in one transaction with its audit row and its
//! event (`application.approved`, `application.rejected`).

use super::{
    admin_cursor::{self, BadCursor},
    error::FlowError,
    events,
};
use crate::{
    domain::{
        AccountEvent,
        account_event::{ApplicationApproved, ApplicationRejected},
    },
    state::AppState,
    store::{
        self, LockKey, admin_users,
        applications::{self, Application},
        audit::{self, Kind, Subject},
        enterprises,
    },
};

pub use crate::store::{admin_users::application_states, users::User};

use application_states::{STATE_APPROVED, STATE_PENDING, STATE_REJECTED};

/// The order of the list: pending first, then approved, then rejected.
const ORDER: [i16; 3] = [STATE_PENDING, STATE_APPROVED, STATE_REJECTED];

/// A page of applications, and the cursor of the next one (`None` on the last).
#[derive(Debug)]
pub struct Page {
    /// The applications of the page: pending first, each state in id order.
    pub applications: Vec<Application>,
    /// The opaque cursor of the next page.
    pub next_cursor: Option<String>,
}

/// The opaque cursor after `application`.
fn cursor_after(application: &Application) -> String {
    admin_cursor::encode(&format!("a{}:{}", application.state, application.id))
}

/// Where the cursor `text` says a page starts: after this state and id.
fn read_cursor(text: &str) -> Result<(i16, i64), BadCursor> {
    let key = admin_cursor::decode(text)?;
    let (state, id) = key
        .strip_prefix('a')
        .and_then(|rest| rest.split_once(':'))
        .ok_or(BadCursor)?;
    let state: i16 = state.parse().map_err(|_| BadCursor)?;
    if !ORDER.contains(&state) {
        return Err(BadCursor);
    }
    Ok((state, admin_cursor::decimal_id(id)?))
}

/// The page of `limit` applications in `state` (every state, pending first,
/// when `None`), of `enterprise_id` when given, from `cursor`.
pub async fn list(
    state: &AppState,
    only: Option<i16>,
    enterprise_id: Option<i64>,
    cursor: Option<&str>,
    limit: u64,
) -> Result<Result<Page, BadCursor>, FlowError> {
    let states: Vec<i16> = ORDER
        .into_iter()
        .filter(|state| only.is_none_or(|only| only == *state))
        .collect();
    let (mut from, mut after) = (0, None);
    if let Some(text) = cursor {
        let Ok((state, id)) = read_cursor(text) else {
            return Ok(Err(BadCursor));
        };
        let Some(position) = states.iter().position(|s| *s == state) else {
            return Ok(Err(BadCursor));
        };
        (from, after) = (position, Some(id));
    }
    // One more than the page tells whether another page follows.
    let mut rows = Vec::new();
    for application_state in &states[from..] {
        let wanted = limit + 1 - rows.len() as u64;
        let found =
            applications::page(&state.db, *application_state, enterprise_id, after, wanted).await?;
        rows.extend(found);
        after = None;
        if rows.len() as u64 > limit {
            break;
        }
    }
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = match (more, rows.last()) {
        (true, Some(last)) => Some(cursor_after(last)),
        _ => None,
    };
    Ok(Ok(Page {
        applications: rows,
        next_cursor,
    }))
}

/// What a decision is.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Approve: the user becomes a member with these permissions.
    Approve(Vec<String>),
    /// Reject.
    Reject,
}

/// How a decision ended.
#[derive(Debug)]
pub enum DecideOutcome {
    /// Decided: the application and its user as they are now.
    Decided(Application, Box<User>),
    /// No application has the id.
    NotFound,
    /// It is no longer pending (decided already, perhaps just now by
    /// another request): nothing changed.
    NotPending(Application),
}

/// Decides the pending application `id`, by the admin token `admin`. The
/// move from pending is one conditional write: of any number of decisions
/// at once, on any instance, exactly one finds it pending.
pub async fn decide(
    state: &AppState,
    admin: &str,
    id: i64,
    decision: &Decision,
) -> Result<DecideOutcome, FlowError> {
    let txn = store::begin_write(&state.db).await?;
    let Some(application) = applications::by_id(&txn, id).await? else {
        return Ok(DecideOutcome::NotFound);
    };
    store::lock_keys(
        &txn,
        &[
            LockKey::applications_of(&application.user_id),
            LockKey::members_of(application.enterprise_id),
        ],
    )
    .await?;
    let now = state.clock.now();
    let (new_state, kind) = match decision {
        Decision::Approve(_) => (STATE_APPROVED, Kind::AdminApprove),
        Decision::Reject => (STATE_REJECTED, Kind::AdminReject),
    };
    if !applications::decide(&txn, id, new_state, now).await? {
        return Ok(match applications::by_id(&txn, id).await? {
            Some(current) => DecideOutcome::NotPending(current),
            None => DecideOutcome::NotFound,
        });
    }
    if let Decision::Approve(permissions) = decision {
        enterprises::set_membership(
            &txn,
            &application.user_id,
            Some(application.enterprise_id),
            permissions,
            now,
        )
        .await?;
    }
    let user = admin_users::by_id(&txn, &application.user_id)
        .await?
        .ok_or_else(|| FlowError::Corrupt(format!("application {id} has no user")))?;
    let subject = Subject {
        user_id: Some(&user.id),
        phone: Some(&user.phone),
        enterprise_id: Some(application.enterprise_id),
        application_id: Some(id),
    };
    audit::record_admin_on(&txn, now, kind, admin, &subject).await?;
    let event = match decision {
        Decision::Approve(permissions) => AccountEvent::ApplicationApproved(ApplicationApproved {
            user_id: user.id.clone(),
            application_id: id,
            enterprise_id: application.enterprise_id,
            permissions: permissions.clone(),
        }),
        Decision::Reject => AccountEvent::ApplicationRejected(ApplicationRejected {
            user_id: user.id.clone(),
            application_id: id,
            enterprise_id: application.enterprise_id,
        }),
    };
    events::publish(state, &txn, event, now).await?;
    let decided = applications::by_id(&txn, id)
        .await?
        .ok_or_else(|| FlowError::Corrupt(format!("application {id} vanished")))?;
    txn.commit().await?;
    Ok(DecideOutcome::Decided(decided, Box::new(user)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn a_cursor_is_read_back_and_nothing_else_is() {
        let application = Application {
            id: 42,
            user_id: "0123456789abcdef0123456789abcdef".to_owned(),
            enterprise_id: 1,
            state: STATE_REJECTED,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        assert_eq!(
            read_cursor(&cursor_after(&application)),
            Ok((STATE_REJECTED, 42))
        );
        for bad in [
            "",
            "zz",
            &hex::encode("a2:1"),
            &hex::encode("a0:"),
            &hex::encode("a0:-1"),
            &hex::encode("e42"),
        ] {
            assert_eq!(read_cursor(bad), Err(BadCursor), "{bad}");
        }
    }
}
