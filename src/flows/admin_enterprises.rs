//! Enterprises as support staff manage them: created, listed with their
//! member counts page by page, renamed, deleted (never while they have
//! members). Every change is one transaction with its audit row, which
//! names the admin token.

use super::{
    admin_cursor::{self, BadCursor},
    error::FlowError,
};
use crate::{
    domain::Name,
    state::AppState,
    store::{
        self, LockKey,
        audit::{self, Kind, Subject},
        enterprises,
    },
};

pub use crate::store::enterprises::Enterprise;

/// An enterprise and how many members it has.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The enterprise.
    pub enterprise: Enterprise,
    /// Its members.
    pub members: u64,
}

/// A page of enterprises, and the cursor of the next one (`None` on the last).
#[derive(Debug)]
pub struct Page {
    /// The enterprises of the page, in id order.
    pub enterprises: Vec<Listed>,
    /// The opaque cursor of the next page.
    pub next_cursor: Option<String>,
}

/// The opaque cursor after the enterprise `id`.
fn cursor_after(id: i64) -> String {
    admin_cursor::encode(&format!("e{id}"))
}

/// The id the cursor `text` says a page starts after.
fn read_cursor(text: &str) -> Result<i64, BadCursor> {
    let key = admin_cursor::decode(text)?;
    admin_cursor::decimal_id(key.strip_prefix('e').ok_or(BadCursor)?)
}

/// The page of `limit` enterprises (whose names contain `name`, if given)
/// from `cursor`, with their member counts.
pub async fn list(
    state: &AppState,
    name: Option<&str>,
    cursor: Option<&str>,
    limit: u64,
) -> Result<Result<Page, BadCursor>, FlowError> {
    let after = match cursor.map(read_cursor).transpose() {
        Ok(after) => after,
        Err(bad) => return Ok(Err(bad)),
    };
    let mut rows = enterprises::page(&state.db, name, after, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let counts = enterprises::member_counts(&state.db, &ids).await?;
    let next_cursor = match (more, rows.last()) {
        (true, Some(last)) => Some(cursor_after(last.id)),
        _ => None,
    };
    Ok(Ok(Page {
        enterprises: rows
            .into_iter()
            .map(|enterprise| Listed {
                members: counts.get(&enterprise.id).copied().unwrap_or(0),
                enterprise,
            })
            .collect(),
        next_cursor,
    }))
}

/// Creates the enterprise `name`, by the admin token `admin`.
pub async fn create(state: &AppState, admin: &str, name: &Name) -> Result<Enterprise, FlowError> {
    let txn = store::begin_write(&state.db).await?;
    let now = state.clock.now();
    let enterprise = enterprises::insert(&txn, name.as_str(), now).await?;
    let subject = Subject {
        enterprise_id: Some(enterprise.id),
        ..Subject::default()
    };
    audit::record_admin_on(&txn, now, Kind::AdminEnterpriseCreate, admin, &subject).await?;
    txn.commit().await?;
    Ok(enterprise)
}

/// Renames the enterprise `id`, by the admin token `admin`; it as it is
/// now with its members, `None` if there is none.
pub async fn rename(
    state: &AppState,
    admin: &str,
    id: i64,
    name: &Name,
) -> Result<Option<Listed>, FlowError> {
    let txn = store::begin_write(&state.db).await?;
    let now = state.clock.now();
    if !enterprises::rename(&txn, id, name.as_str()).await? {
        return Ok(None);
    }
    let subject = Subject {
        enterprise_id: Some(id),
        ..Subject::default()
    };
    audit::record_admin_on(&txn, now, Kind::AdminEnterpriseRename, admin, &subject).await?;
    let enterprise = enterprises::by_id(&txn, id).await?;
    let counts = enterprises::member_counts(&txn, &[id]).await?;
    txn.commit().await?;
    Ok(enterprise.map(|enterprise| Listed {
        members: counts.get(&id).copied().unwrap_or(0),
        enterprise,
    }))
}

/// How a deletion ended.
#[derive(Debug, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// Deleted, with its applications.
    Deleted,
    /// No enterprise has the id.
    NotFound,
    /// It has members: nothing changed.
    HasMembers,
}

/// Deletes the enterprise `id` and its applications, by the admin token
/// `admin`, unless it has members. Under the lock of its members, so no
/// approval makes a member of it meanwhile.
pub async fn delete(state: &AppState, admin: &str, id: i64) -> Result<DeleteOutcome, FlowError> {
    let txn = store::begin_write(&state.db).await?;
    store::lock_keys(&txn, &[LockKey::members_of(id)]).await?;
    let now = state.clock.now();
    if enterprises::by_id(&txn, id).await?.is_none() {
        return Ok(DeleteOutcome::NotFound);
    }
    if enterprises::has_members(&txn, id).await? {
        return Ok(DeleteOutcome::HasMembers);
    }
    enterprises::delete(&txn, id).await?;
    let subject = Subject {
        enterprise_id: Some(id),
        ..Subject::default()
    };
    audit::record_admin_on(&txn, now, Kind::AdminEnterpriseDelete, admin, &subject).await?;
    txn.commit().await?;
    Ok(DeleteOutcome::Deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_is_read_back_and_nothing_else_is() {
        assert_eq!(read_cursor(&cursor_after(42)), Ok(42));
        for bad in ["", "zz", "65", &hex::encode("e-1"), &hex::encode("i42")] {
            assert_eq!(read_cursor(bad), Err(BadCursor), "{bad}");
        }
    }
}
