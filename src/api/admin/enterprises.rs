//! `/admin/v1/enterprises`: create, list (with member counts), rename and
//! delete enterprises.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{
    AdminTags,
    auth::AdminAuth,
    paging::{bad_cursor, page_limit},
    problem::{AdminError, AdminReply},
    wire::{parse_id, time},
};
use crate::{
    domain::Name,
    flows::admin_cursor::BadCursor,
    flows::admin_enterprises::{self, DeleteOutcome, Enterprise, Listed},
    state::AppState,
};

/// The enterprise operations.
pub struct EnterprisesApi;

#[OpenApi(prefix_path = "/admin/v1", tag = "AdminTags::Enterprises")]
impl EnterprisesApi {
    /// Create an enterprise
    ///
    /// Users can apply to join it at once. Names need not be unique.
    #[oai(
        path = "/enterprises",
        method = "post",
        operation_id = "createEnterprise"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        body: Json<EnterpriseName>,
    ) -> AdminReply<Created> {
        AdminReply(
            async {
                let admin = auth.admin(&state).await?;
                let name = checked_name(&body.0.name)?;
                match admin_enterprises::create(&state, &admin.name, &name).await {
                    Ok(enterprise) => Ok(Created::Created(Json(NewEnterprise::from(&enterprise)))),
                    Err(err) => Err(AdminError::internal("createEnterprise", &err)),
                }
            }
            .await,
        )
    }

    /// List enterprises
    ///
    /// Every enterprise (whose name contains `name`, if given) in id order,
    /// with how many members each has, a page at a time: pass `next_cursor`
    /// back as `cursor` (with the same `name`) for the next page; it is
    /// null on the last.
    #[oai(
        path = "/enterprises",
        method = "get",
        operation_id = "listEnterprises"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// Names containing this text (1 to 32 characters).
        name: Query<Option<String>>,
        /// Enterprises per page, 1 to 500 (default 50).
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> AdminReply<Json<EnterpriseList>> {
        AdminReply(
            async {
                auth.admin(&state).await?;
                let name = name.0.as_deref().map(checked_name).transpose()?;
                let limit = page_limit(limit.0)?;
                let page = admin_enterprises::list(
                    &state,
                    name.as_ref().map(Name::as_str),
                    cursor.0.as_deref(),
                    limit,
                )
                .await;
                match page {
                    Ok(Ok(page)) => Ok(Json(EnterpriseList {
                        items: page.enterprises.iter().map(EnterpriseItem::from).collect(),
                        next_cursor: page.next_cursor,
                    })),
                    Ok(Err(BadCursor)) => Err(bad_cursor()),
                    Err(err) => Err(AdminError::internal("listEnterprises", &err)),
                }
            }
            .await,
        )
    }

    /// Rename an enterprise
    ///
    /// Logins show the new name in `apply_name` at once. Answers the
    /// enterprise as it is now.
    #[oai(
        path = "/enterprises/:enterprise_id",
        method = "patch",
        operation_id = "renameEnterprise"
    )]
    async fn rename(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// The enterprise's id.
        enterprise_id: Path<String>,
        body: Json<EnterpriseName>,
    ) -> AdminReply<Json<EnterpriseItem>> {
        AdminReply(
            async {
                let admin = auth.admin(&state).await?;
                let id = known_id(&enterprise_id.0)?;
                let name = checked_name(&body.0.name)?;
                match admin_enterprises::rename(&state, &admin.name, id, &name).await {
                    Ok(Some(listed)) => Ok(Json(EnterpriseItem::from(&listed))),
                    Ok(None) => Err(no_such_enterprise(id)),
                    Err(err) => Err(AdminError::internal("renameEnterprise", &err)),
                }
            }
            .await,
        )
    }

    /// Delete an enterprise
    ///
    /// 409 while it has members (remove them first: `DELETE
    /// /admin/v1/users/{user_id}/membership`). Its applications, pending
    /// or decided, are deleted with it.
    #[oai(
        path = "/enterprises/:enterprise_id",
        method = "delete",
        operation_id = "deleteEnterprise"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// The enterprise's id.
        enterprise_id: Path<String>,
    ) -> AdminReply<Json<DeletedEnterprise>> {
        AdminReply(
            async {
                let admin = auth.admin(&state).await?;
                let id = known_id(&enterprise_id.0)?;
                match admin_enterprises::delete(&state, &admin.name, id).await {
                    Ok(DeleteOutcome::Deleted) => Ok(Json(DeletedEnterprise { id })),
                    Ok(DeleteOutcome::NotFound) => Err(no_such_enterprise(id)),
                    Ok(DeleteOutcome::HasMembers) => Err(AdminError::conflict(format!(
                        "enterprise {id} has members; remove them first"
                    ))),
                    Err(err) => Err(AdminError::internal("deleteEnterprise", &err)),
                }
            }
            .await,
        )
    }
}

/// `name` as an enterprise's name, or a 400 naming it.
fn checked_name(name: &str) -> Result<Name, AdminError> {
    Name::parse(name).map_err(|invalid| AdminError::bad_field("name", invalid.0))
}

/// The 404 of an unknown enterprise.
fn no_such_enterprise(id: impl std::fmt::Display) -> AdminError {
    AdminError::not_found(format!("no enterprise has the id {id}"))
}

/// `text` as an enterprise id; otherwise no enterprise has it, a 404.
fn known_id(text: &str) -> Result<i64, AdminError> {
    parse_id(text).ok_or_else(|| no_such_enterprise(format!("{text:?}")))
}

/// The name of an enterprise to create, or its new name.
#[derive(Debug, Object)]
pub struct EnterpriseName {
    /// 1 to 32 characters once surrounding white space is trimmed, no
    /// control characters.
    pub name: String,
}

/// A created enterprise.
#[derive(Debug, Object)]
pub struct NewEnterprise {
    /// Its id.
    pub id: i64,
    /// Its name, trimmed.
    pub name: String,
}

impl From<&Enterprise> for NewEnterprise {
    fn from(enterprise: &Enterprise) -> Self {
        Self {
            id: enterprise.id,
            name: enterprise.name.clone(),
        }
    }
}

/// The answer of a creation.
#[derive(Debug, ApiResponse)]
pub enum Created {
    /// The enterprise is created.
    #[oai(status = 201)]
    Created(Json<NewEnterprise>),
}

/// An enterprise in a list, or as a change left it.
#[derive(Debug, Object)]
pub struct EnterpriseItem {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// How many accounts are its members.
    pub members: u64,
    /// When it was created.
    pub created_at: String,
}

impl From<&Listed> for EnterpriseItem {
    fn from(listed: &Listed) -> Self {
        Self {
            id: listed.enterprise.id,
            name: listed.enterprise.name.clone(),
            members: listed.members,
            created_at: time(listed.enterprise.created_at),
        }
    }
}

/// A page of enterprises.
#[derive(Debug, Object)]
pub struct EnterpriseList {
    /// The enterprises of this page.
    pub items: Vec<EnterpriseItem>,
    /// The cursor of the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A deleted enterprise.
#[derive(Debug, Object)]
pub struct DeletedEnterprise {
    /// The id it had.
    pub id: i64,
}
