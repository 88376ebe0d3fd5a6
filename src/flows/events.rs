//! Publishing account events, shared by every flow: one call, in the
//! transaction of the change the event describes.
//!
//! ```ignore
//! let txn = store::begin_write(&state.db).await?;
//! // ... the change ...
//! events::publish(state, &txn, AccountEvent::Enabled(UserEnabled { user_id }), now).await?;
//! txn.commit().await?;
//! ```
//!
//! The event is written to the outbox with one delivery per endpoint that
//! subscribes to its type; it is sent only if the transaction commits, and
//! then at least once, in order per account and endpoint (see
//! `crate::webhooks`). Without a subscribed endpoint nothing is written
//! (the sandbox keeps every event for `GET /sandbox/events`).

use chrono::{DateTime, Utc};

use super::error::FlowError;
use crate::{
    domain::AccountEvent,
    state::AppState,
    store::{
        Transaction,
        webhooks::{self, NewEvent},
    },
};

/// Writes `event`, which happened at `now`, in `txn`: delivered once `txn`
/// commits, never if it rolls back.
pub async fn publish(
    state: &AppState,
    txn: &Transaction,
    event: AccountEvent,
    now: DateTime<Utc>,
) -> Result<(), FlowError> {
    let new = NewEvent {
        event_type: event.event_type().to_owned(),
        account_id: event.account_id().map(str::to_owned),
        data: event.data(),
    };
    webhooks::enqueue_routed(txn, &state.policy.events, new, now).await?;
    Ok(())
}
