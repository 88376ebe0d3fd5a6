//! `/admin/v1/users/{user_id}/disable` and `/enable`.

use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, payload::Json};

use super::{
    AdminTags,
    auth::AdminAuth,
    problem::{AdminError, AdminReply},
    wire::{UserItem, known_user_id, no_such_user},
};
use crate::{flows::admin_users, state::AppState};

/// Disabling and enabling accounts.
pub struct UserStatusApi;

#[OpenApi(prefix_path = "/admin/v1", tag = "AdminTags::Users")]
impl UserStatusApi {
    /// Disable an account
    ///
    /// Every session of the account ends at once (its tokens answer 401 on
    /// their next request, on every instance); its login answers -1
    /// `账号已停用`, and `sendsms` (expect=1), `verify_code` and
    /// `forget_password` refuse it. Disabling a disabled account changes
    /// nothing but is audited again. Answers the account as it is now.
    #[oai(
        path = "/users/:user_id/disable",
        method = "post",
        operation_id = "disableUser"
    )]
    async fn disable(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// The account's id.
        user_id: Path<String>,
    ) -> AdminReply<Json<UserItem>> {
        AdminReply(change(&state, auth, &user_id.0, true).await)
    }

    /// Enable an account
    ///
    /// The account can log in again (its ended sessions stay ended).
    /// Answers the account as it is now.
    #[oai(
        path = "/users/:user_id/enable",
        method = "post",
        operation_id = "enableUser"
    )]
    async fn enable(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// The account's id.
        user_id: Path<String>,
    ) -> AdminReply<Json<UserItem>> {
        AdminReply(change(&state, auth, &user_id.0, false).await)
    }
}

async fn change(
    state: &AppState,
    auth: AdminAuth,
    user_id: &str,
    disabled: bool,
) -> Result<Json<UserItem>, AdminError> {
    let admin = auth.admin(state).await?;
    let user_id = known_user_id(user_id)?;
    match admin_users::set_disabled(state, &admin.name, user_id, disabled).await {
        Ok(Some(user)) => Ok(Json(UserItem::from(&user))),
        Ok(None) => Err(no_such_user(user_id)),
        Err(err) => Err(AdminError::internal("disableUser", &err)),
    }
}
