//! Requests refused by a limit (429): counted in `/metrics` by limit, and in
//! the audit ledger's refusal counts (a row per key per hour), never written
//! one by one.

use chrono::{DateTime, Utc};

use super::error::FlowError;
use crate::{
    metrics,
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
