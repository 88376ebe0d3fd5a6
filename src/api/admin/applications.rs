//! `/admin/v1/applications`: list applications to join an enterprise,
//! pending first; approve or reject one.

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
        ApplicationItem, MemberItem, application_state, checked_permissions,
        parse_application_state, parse_id,
    },
};
use crate::{
    flows::admin_applications::{self, DecideOutcome, Decision},
    flows::admin_cursor::BadCursor,
    state::AppState,
};

/// The application operations.
pub struct ApplicationsApi;

#[OpenApi(prefix_path = "/admin/v1", tag = "AdminTags::Applications")]
impl ApplicationsApi {
    /// List applications
    ///
    /// The applications in `state` (all when not given: pending first, then
    /// approved, then rejected; each state in id order, oldest first), of
    /// `enterprise_id` when given, a page at a time: pass `next_cursor` back
    /// as `cursor` (with the same filters) for the next page; it is null on
    /// the last.
    #[oai(
        path = "/applications",
        method = "get",
        operation_id = "listApplications"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// `pending`, `approved` or `rejected`.
        #[oai(name = "state")]
        application_state: Query<Option<String>>,
        /// Applications to this enterprise.
        enterprise_id: Query<Option<i64>>,
        /// Applications per page, 1 to 500 (default 50).
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> AdminReply<Json<ApplicationList>> {
        AdminReply(
            async {
                auth.admin(&state).await?;
                let only = application_state
                    .0
                    .as_deref()
                    .map(|text| parse_application_state("state", text))
                    .transpose()?;
                let limit = page_limit(limit.0)?;
                let page = admin_applications::list(
                    &state,
                    only,
                    enterprise_id.0,
                    cursor.0.as_deref(),
                    limit,
                )
                .await;
                match page {
                    Ok(Ok(page)) => Ok(Json(ApplicationList {
                        items: page
                            .applications
                            .iter()
                            .map(ApplicationItem::from)
                            .collect(),
                        next_cursor: page.next_cursor,
                    })),
                    Ok(Err(BadCursor)) => Err(bad_cursor()),
                    Err(err) => Err(AdminError::internal("listApplications", &err)),
                }
            }
            .await,
        )
    }

    /// Approve an application
    ///
    /// The user becomes a member of the enterprise (`enterprise_id` in its
    /// next `login`, as a string) with exactly these `permissions`
    /// (`pemissions` in `login`), and `login`'s `apply_state` is `"1"`. Only
    /// a pending application can be decided: of any number of decisions at
    /// once exactly one succeeds, the others answer 409. Answers the
    /// application and the user's membership as they are now.
    #[oai(
        path = "/applications/:application_id/approve",
        method = "post",
        operation_id = "approveApplication"
    )]
    async fn approve(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// The application's id.
        application_id: Path<String>,
        body: Json<Approval>,
    ) -> AdminReply<Json<DecidedApplication>> {
        AdminReply(
            async {
                let admin = auth.admin(&state).await?;
                let id = known_id(&application_id.0)?;
                let permissions = checked_permissions(body.0.permissions)?;
                decide(&state, &admin.name, id, Decision::Approve(permissions)).await
            }
            .await,
        )
    }

    /// Reject an application
    ///
    /// `login`'s `apply_state` is `"-1"`; the user may apply again. Only a
    /// pending application can be decided: of any number of decisions at
    /// once exactly one succeeds, the others answer 409. Answers the
    /// application and the user's membership as they are now.
    #[oai(
        path = "/applications/:application_id/reject",
        method = "post",
        operation_id = "rejectApplication"
    )]
    async fn reject(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        /// The application's id.
        application_id: Path<String>,
    ) -> AdminReply<Json<DecidedApplication>> {
        AdminReply(
            async {
                let admin = auth.admin(&state).await?;
                let id = known_id(&application_id.0)?;
                decide(&state, &admin.name, id, Decision::Reject).await
            }
            .await,
        )
    }
}

async fn decide(
    state: &AppState,
    admin: &str,
    id: i64,
    decision: Decision,
) -> Result<Json<DecidedApplication>, AdminError> {
    match admin_applications::decide(state, admin, id, &decision).await {
        Ok(DecideOutcome::Decided(application, user)) => Ok(Json(DecidedApplication {
            application: ApplicationItem::from(&application),
            member: MemberItem::new(&user)?,
        })),
        Ok(DecideOutcome::NotFound) => Err(no_such_application(id)),
        Ok(DecideOutcome::NotPending(current)) => Err(AdminError::conflict(format!(
            "application {id} is {}, not pending: it was decided already",
            application_state(current.state)
        ))),
        Err(err) => Err(AdminError::internal("decideApplication", &err)),
    }
}

/// The 404 of an unknown application.
fn no_such_application(id: impl std::fmt::Display) -> AdminError {
    AdminError::not_found(format!("no application has the id {id}"))
}

/// `text` as an application id; otherwise no application has it, a 404.
fn known_id(text: &str) -> Result<i64, AdminError> {
    parse_id(text).ok_or_else(|| no_such_application(format!("{text:?}")))
}

/// What an approval gives the user.
#[derive(Debug, Object)]
pub struct Approval {
    /// The user's permissions from now on (replacing any it had): each 1
    /// to 64 characters, at most 64; repeats are dropped.
    pub permissions: Vec<String>,
}

/// A page of applications.
#[derive(Debug, Object)]
pub struct ApplicationList {
    /// The applications of this page.
    pub items: Vec<ApplicationItem>,
    /// The cursor of the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A decided application and its user's membership.
#[derive(Debug, Object)]
pub struct DecidedApplication {
    /// The application as it is now.
    pub application: ApplicationItem,
    /// The user's membership as it is now.
    pub member: MemberItem,
}
