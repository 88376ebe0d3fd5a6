//! `/admin/v1/users/{user_id}/permissions` and `/membership`: an account's
//! permissions, and its membership of an enterprise.

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Path, payload::Json};

use super::{
    AdminTags,
    auth::AdminAuth,
    problem::{AdminError, AdminReply},
    wire::{MemberItem, checked_permissions, known_user_id, no_such_user},
};
use crate::{
    flows::admin_members::{self, RemoveOutcome},
    state::AppState,
};

/// The membership operations.
pub struct MembersApi;

#[OpenApi(prefix_path = "/admin/v1", tag = "AdminTags::Users")]
impl MembersApi {
    /// Set an account's permissions
    ///
    /// Replaces them: its next `login` and `/me` show exactly these in
    /// `pemissions`. Answers the membership as it is now.
    #[oai(
        path = "/users/:user_id/permissions",
        method = "put",
        operation_id = "setUserPermissions"
    )]
    async fn set_permissions(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// The account's id.
        user_id: Path<String>,
        body: Json<Permissions>,
    ) -> AdminReply<Json<MemberItem>> {
        AdminReply(
            async {
                let admin = auth.admin(&state).await?;
                let user_id = known_user_id(&user_id.0)?;
                let permissions = checked_permissions(body.0.permissions)?;
                match admin_members::set_permissions(&state, &admin.name, user_id, &permissions)
                    .await
                {
                    Ok(Some(user)) => Ok(Json(MemberItem::new(&user)?)),
                    Ok(None) => Err(no_such_user(user_id)),
                    Err(err) => Err(AdminError::internal("setUserPermissions", &err)),
                }
            }
            .await,
        )
    }

    /// Remove an account from its enterprise
    ///
    /// Its `enterprise_id` is none (`"-1"` in `login`) and its permissions
    /// are cleared; its applications stay as they were (`login`'s `apply`
    /// still shows the latest). 409 when it is a member of no enterprise.
    /// Answers the membership as it is now.
    #[oai(
        path = "/users/:user_id/membership",
        method = "delete",
        operation_id = "removeUserMembership"
    )]
    async fn remove_membership(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// The account's id.
        user_id: Path<String>,
    ) -> AdminReply<Json<MemberItem>> {
        AdminReply(
            async {
                let admin = auth.admin(&state).await?;
                let user_id = known_user_id(&user_id.0)?;
                match admin_members::remove_membership(&state, &admin.name, user_id).await {
                    Ok(RemoveOutcome::Removed(user)) => Ok(Json(MemberItem::new(&user)?)),
                    Ok(RemoveOutcome::NotFound) => Err(no_such_user(user_id)),
                    Ok(RemoveOutcome::NotAMember) => Err(AdminError::conflict(format!(
                        "account {user_id} is a member of no enterprise"
                    ))),
                    Err(err) => Err(AdminError::internal("removeUserMembership", &err)),
                }
            }
            .await,
        )
    }
}

/// An account's permissions.
#[derive(Debug, Object)]
pub struct Permissions {
    /// Each 1 to 64 characters, at most 64; repeats are dropped.
    pub permissions: Vec<String>,
}
