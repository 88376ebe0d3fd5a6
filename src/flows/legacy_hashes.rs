//! How far the move from the legacy server has come: the accounts that
//! still hold a password hash imported from it (`/metrics`).

use crate::{
    state::AppState,
    store::{DatabaseError, users},
};

/// How many accounts still hold a legacy password hash; each is replaced
/// by an Argon2id hash at the account's next successful login.
pub async fn remaining(state: &AppState) -> Result<u64, DatabaseError> {
    users::count_legacy_hashes(&state.db).await
}
