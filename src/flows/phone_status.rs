//! `isregister`: whether a phone has an account, asked while the user types.

use crate::{
    domain::Phone,
    state::AppState,
    store::{DatabaseError, users},
};

/// Whether an account exists for `phone`.
pub async fn is_registered(state: &AppState, phone: &Phone) -> Result<bool, DatabaseError> {
    users::is_registered(&state.db, &state.lookups, phone).await
}
