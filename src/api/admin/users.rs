//! `/admin/v1/users`: search accounts page by page, look at one, disable
//! and enable it, end its sessions, delete it.

use poem::web::Data;
use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{
    AdminTags,
    auth::AdminAuth,
    paging::{bad_cursor, page_limit},
    problem::{AdminError, AdminReply},
    wire::{
        ApplicationItem, EventItem, SessionItem, UserItem, known_user_id, no_such_user,
        parse_application_state, time,
    },
};
use crate::{
    domain::Phone,
    flows::admin_cursor::BadCursor,
    flows::admin_users::{self, UserFilter},
    state::AppState,
};

/// The account operations.
pub struct UsersApi;

#[OpenApi(prefix_path = "/admin/v1", tag = "AdminTags::Users")]
impl UsersApi {
    /// Search accounts
    ///
    /// Every account matching all the filters given, a page at a time: by
    /// phone when `phone` or `phone_prefix` is given, by user id otherwise.
    /// Pass `next_cursor` back as `cursor` (with the same filters) for the
    /// next page; it is null on the last. Each account present for the whole
    /// walk is listed exactly once, however many are added meanwhile.
    #[oai(path = "/users", method = "get", operation_id = "listUsers")]
    #[allow(clippy::too_many_arguments, reason = "one per query parameter")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// Exactly this phone (11 digits).
        phone: Query<Option<String>>,
        /// Phones starting with these digits (1 to 11).
        phone_prefix: Query<Option<String>>,
        /// Names containing this text (1 to 64 characters).
        name: Query<Option<String>>,
        /// Members of this enterprise.
        enterprise_id: Query<Option<i64>>,
        /// Accounts whose latest application is `pending`, `approved` or `rejected`.
        application_state: Query<Option<String>>,
        /// Accounts per page, 1 to 500 (default 50).
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> AdminReply<Json<UserList>> {
        AdminReply(
            async {
                auth.admin(&state).await?;
                let mut filter = UserFilter::default();
                if let Some(phone) = phone.0 {
                    Phone::parse(&phone)
                        .map_err(|invalid| AdminError::bad_field("phone", invalid.0))?;
                    filter.phone = Some(phone);
                }
                if let Some(prefix) = phone_prefix.0 {
                    if prefix.is_empty()
                        || prefix.len() > 11
                        || !prefix.bytes().all(|b| b.is_ascii_digit())
                    {
                        return Err(AdminError::bad_field(
                            "phone_prefix",
                            "must be 1 to 11 digits",
                        ));
                    }
                    filter.phone_prefix = Some(prefix);
                }
                if let Some(name) = name.0 {
                    if name.is_empty() || name.chars().count() > 64 {
                        return Err(AdminError::bad_field("name", "must be 1 to 64 characters"));
                    }
                    filter.name = Some(name);
                }
                filter.enterprise_id = enterprise_id.0;
                if let Some(text) = application_state.0 {
                    filter.application_state =
                        Some(parse_application_state("application_state", &text)?);
                }
                let limit = page_limit(limit.0)?;
                match admin_users::search(&state, &filter, cursor.0.as_deref(), limit).await {
                    Ok(Ok(page)) => Ok(Json(UserList {
                        items: page.users.iter().map(UserItem::from).collect(),
                        next_cursor: page.next_cursor,
                    })),
                    Ok(Err(BadCursor)) => Err(bad_cursor()),
                    Err(err) => Err(AdminError::internal("listUsers", &err)),
                }
            }
            .await,
        )
    }

    /// Look at an account
    ///
    /// The account with its sessions (live, expired and revoked ones still
    /// kept), its latest application, its permissions, and its 20 most
    /// recent audit events.
    #[oai(path = "/users/:user_id", method = "get", operation_id = "getUser")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// The account's id.
        user_id: Path<String>,
    ) -> AdminReply<Json<UserDetail>> {
        AdminReply(
            async {
                auth.admin(&state).await?;
                let user_id = known_user_id(&user_id.0)?;
                let detail = admin_users::detail(&state, user_id)
                    .await
                    .map_err(|err| AdminError::internal("getUser", &err))?
                    .ok_or_else(|| no_such_user(user_id))?;
                let now = state.clock.now();
                let permissions = serde_json::from_value(detail.user.permissions.clone())
                    .map_err(|err| AdminError::internal("getUser", &err))?;
                Ok(Json(UserDetail {
                    user: UserItem::from(&detail.user),
                    permissions,
                    created_at: time(detail.user.created_at),
                    disabled_at: detail.user.disabled_at.map(time),
                    sessions: detail
                        .sessions
                        .iter()
                        .map(|session| SessionItem::new(session, now))
                        .collect(),
                    application: detail.application.as_ref().map(ApplicationItem::from),
                    recent_events: detail.events.iter().map(EventItem::from).collect(),
                }))
            }
            .await,
        )
    }

    /// Delete an account
    ///
    /// Deletes the account with its sessions, SMS codes and applications;
    /// its phone can register again. The audit keeps a tombstone: the user
    /// id, the time and the admin token's name, and no phone.
    #[oai(
        path = "/users/:user_id",
        method = "delete",
        operation_id = "deleteUser"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// The account's id.
        user_id: Path<String>,
    ) -> AdminReply<Json<DeletedUser>> {
        AdminReply(
            async {
                let admin = auth.admin(&state).await?;
                let user_id = known_user_id(&user_id.0)?;
                match admin_users::delete(&state, &admin.name, user_id).await {
                    Ok(Some(deleted)) => Ok(Json(DeletedUser {
                        user_id: user_id.to_owned(),
                        deleted_at: time(deleted.at),
                    })),
                    Ok(None) => Err(no_such_user(user_id)),
                    Err(err) => Err(AdminError::internal("deleteUser", &err)),
                }
            }
            .await,
        )
    }

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

/// A page of accounts.
#[derive(Debug, Object)]
pub struct UserList {
    /// The accounts of this page.
    pub items: Vec<UserItem>,
    /// The cursor of the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// One account, with what support staff look at.
#[derive(Debug, Object)]
pub struct UserDetail {
    /// The account.
    #[oai(flatten)]
    pub user: UserItem,
    /// Its permissions.
    pub permissions: Vec<String>,
    /// When it registered.
    pub created_at: String,
    /// When it was disabled; null while it is enabled.
    pub disabled_at: Option<String>,
    /// Its sessions still kept (live ones, and expired or revoked ones
    /// until the hourly purge), newest first.
    pub sessions: Vec<SessionItem>,
    /// Its latest application to join an enterprise; null when none.
    pub application: Option<ApplicationItem>,
    /// Its 20 most recent audit events, newest first.
    pub recent_events: Vec<EventItem>,
}

/// A deleted account.
#[derive(Debug, Object)]
pub struct DeletedUser {
    /// The id the account had.
    pub user_id: String,
    /// When it was deleted.
    pub deleted_at: String,
}

/// The sessions ended.
#[derive(Debug, Object)]
pub struct RevokedSessions {
    /// The account.
    pub user_id: String,
    /// How many live sessions were ended.
    pub revoked: u64,
}

/// Disables (`disabled`) or enables the account `user_id`.
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
