//! Sessions of the extensions: the account of a token (`/me`), and logout.

use super::error::FlowError;
use crate::{
    domain::ClientIp,
    state::AppState,
    store::{
        audit::{self, Actor, Kind, outcome},
        sessions,
        users::{self, AccountView},
    },
};

/// The account of a presented session token; `None` when the token is
/// unknown, expired or revoked.
pub async fn session_account(
    state: &AppState,
    token: &str,
) -> Result<Option<AccountView>, FlowError> {
    match sessions::authenticate(&state.db, token, state.clock.now()).await? {
        Some((_, user)) => Ok(Some(users::account_view(&state.db, user).await?)),
        None => Ok(None),
    }
}

/// Revokes a presented session token; whether it was a live session.
pub async fn logout(
    state: &AppState,
    token: &str,
    client: Option<&ClientIp>,
) -> Result<bool, FlowError> {
    let now = state.clock.now();
    let Some((session, user)) = sessions::authenticate(&state.db, token, now).await? else {
        return Ok(false);
    };
    let revoked = sessions::revoke(&state.db, token, now).await?;
    if revoked {
        let actor = Actor {
            phone: Some(user.phone.as_str()),
            client,
            device: Some(session.device_identifier.as_str()),
        };
        audit::record(&state.db, now, Kind::Logout, outcome::SUCCESS, &actor).await?;
    }
    Ok(revoked)
}
