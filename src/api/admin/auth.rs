//! The admin token of a request: `Authorization: Bearer adm_...`, checked
//! against the stored hashes on every request (a revoked token is refused
//! at once, on every instance). Admin tokens have nothing to do with the
//! users' session tokens.

use poem_openapi::{SecurityScheme, auth::Bearer};

use super::problem::AdminError;
use crate::{flows::admin_tokens, state::AppState};

/// `Authorization: Bearer adm_<64 hex>`.
#[derive(SecurityScheme)]
#[oai(
    ty = "bearer",
    bearer_format = "adm_ and 64 lowercase hex characters (account-api admin-token create)"
)]
pub struct AdminBearer(Bearer);

/// The admin token, if one was presented.
#[derive(SecurityScheme)]
pub enum AdminAuth {
    /// `Authorization: Bearer <token>`.
    Bearer(AdminBearer),
    /// None presented: answered 401.
    #[oai(fallback)]
    Missing,
}

/// The admin behind a request: the name of its token, which audit rows cite.
#[derive(Debug, Clone)]
pub struct Admin {
    /// The token's name.
    pub name: String,
}

impl AdminAuth {
    /// The admin of a valid token; 401 otherwise.
    pub async fn admin(&self, state: &AppState) -> Result<Admin, AdminError> {
        let Self::Bearer(AdminBearer(bearer)) = self else {
            return Err(AdminError::unauthorized());
        };
        match admin_tokens::authenticate(&state.db, &bearer.token, state.clock.now()).await {
            Ok(Some(name)) => Ok(Admin { name }),
            Ok(None) => Err(AdminError::unauthorized()),
            Err(err) => Err(AdminError::internal("admin authentication", &err)),
        }
    }
}
