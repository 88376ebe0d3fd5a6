//! Requests refused by a limit (429): counted in `/metrics` by limit, and in
//! the audit ledger's refusal counts (a row per key per hour), never written
//! one by one; among them those the full password-hashing queue refuses.

use chrono::{DateTime, Utc};

use super::error::FlowError;
use crate::{
    metrics,
    password_hasher::{HashError, HashTicket},
    state::AppState,
    store::{
        audit::{self, Actor, Kind},
        limits::Limit,
    },
};

/// Counts a request of `kind` from `actor` that `limit` refused at `now`.
pub(super) async fn count_refusal(
    state: &AppState,
    now: DateTime<Utc>,
    kind: Kind,
    limit: Limit,
    actor: &Actor<'_>,
) -> Result<(), FlowError> {
    metrics::REFUSALS.with_label_values(&[limit.as_str()]).inc();
    audit::record_refusal(&state.db, now, kind, limit.as_str(), actor).await?;
    Ok(())
}

/// A place in the password-hashing queue for a request of `kind` from
/// `actor`; `None` when every hashing thread is busy and the queue is full,
/// a refusal then counted (the caller answers busy, having checked nothing).
pub(super) async fn hashing_place(
    state: &AppState,
    kind: Kind,
    actor: &Actor<'_>,
) -> Result<Option<HashTicket>, FlowError> {
    match state.hasher.admit() {
        Ok(ticket) => Ok(Some(ticket)),
        Err(HashError::Busy) => {
            let now = state.clock.now();
            count_refusal(state, now, kind, Limit::HashQueue, actor).await?;
            Ok(None)
        }
        Err(err) => Err(err.into()),
    }
}
