//! `/admin/v1/users/{user_id}/sessions/revoke`: end every session of an account.

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Path, payload::Json};

use super::{
    AdminTags,
    auth::AdminAuth,
    problem::{AdminError, AdminReply},
    wire::{known_user_id, no_such_user},
};
use crate::{flows::admin_users, state::AppState};

/// Ending an account's sessions.
pub struct UserSessionsApi;

#[OpenApi(prefix_path = "/admin/v1", tag = "AdminTags::Users")]
impl UserSessionsApi {
    /// End every session of an account
    ///
    /// Its tokens answer 401 on their next request, on every instance (a
    /// stolen phone's sessions end here); the account can log in again.
    #[oai(
        path = "/users/:user_id/sessions/revoke",
        method = "post",
        operation_id = "revokeUserSessions"
    )]
    async fn revoke(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// The account's id.
        user_id: Path<String>,
    ) -> AdminReply<Json<RevokedSessions>> {
        AdminReply(
            async {
                let admin = auth.admin(&state).await?;
                let user_id = known_user_id(&user_id.0)?;
                match admin_users::revoke_sessions(&state, &admin.name, user_id).await {
                    Ok(Some(revoked)) => Ok(Json(RevokedSessions {
                        user_id: user_id.to_owned(),
                        revoked,
                    })),
                    Ok(None) => Err(no_such_user(user_id)),
                    Err(err) => Err(AdminError::internal("revokeUserSessions", &err)),
                }
            }
            .await,
        )
    }
}

/// The sessions ended.
#[derive(Debug, Object)]
pub struct RevokedSessions {
    /// The account.
    pub user_id: String,
    /// How many live sessions were ended.
    pub revoked: u64,
}
