//! What the hourly task deletes: expired and long-revoked sessions, audit
//! events past their retention, the SMS budget counters of past days, and
//! account events delivered longer ago than the audit's retention.

use crate::{
    state::AppState,
    store::{DatabaseError, audit, limits, sessions, webhooks},
};

/// Deletes expired and long-revoked sessions; how many.
pub async fn purge_sessions(state: &AppState) -> Result<u64, DatabaseError> {
    sessions::purge(&state.db, state.clock.now()).await
}

/// Deletes audit events older than the retention, and the SMS budget
/// counters of past days; how many events.
pub async fn purge_audit_events(state: &AppState) -> Result<u64, DatabaseError> {
    let now = state.clock.now();
    limits::purge_budget_days(&state.db, now).await?;
    audit::purge_older_than(&state.db, now - state.policy.audit_retention).await
}

/// Deletes account events older than the audit's retention whose every
/// delivery was delivered (dead and pending ones stay); how many.
pub async fn purge_webhook_events(state: &AppState) -> Result<u64, DatabaseError> {
    let now = state.clock.now();
    webhooks::purge_delivered(&state.db, now - state.policy.audit_retention).await
}
