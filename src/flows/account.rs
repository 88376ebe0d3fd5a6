//! The account as the flows hand it to the HTTP layer (`login`, `/me`): who
//! the user is, their enterprise and permissions, and their latest
//! application — checked once here, so the HTTP layer only renders it.

use super::error::FlowError;
use crate::store::users::AccountView;

/// A user's account as an answer shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The user's id (32 lowercase hex).
    pub user_id: String,
    /// The display name.
    pub name: String,
    /// The enterprise the user belongs to, if any.
    pub enterprise_id: Option<i64>,
    /// Permission strings.
    pub permissions: Vec<String>,
    /// The latest application to join an enterprise, if any.
    pub latest_application: Option<Application>,
}

/// A user's application to join an enterprise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// The enterprise applied to.
    pub enterprise_id: i64,
    /// Its name.
    pub enterprise_name: String,
    /// Where it stands.
    pub state: ApplicationState,
}

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationState {
    /// Refused (-1 in the document).
    Rejected,
    /// Waiting for a decision (0).
    Pending,
    /// Accepted: the user is a member (1).
    Approved,
}

impl Account {
    /// The account of a stored view; an application state the schema does
    /// not know is a corrupt row.
    pub(super) fn from_view(view: AccountView) -> Result<Self, FlowError> {
        let latest_application = match view.latest_application {
            None => None,
            Some(application) => Some(Application {
                enterprise_id: application.enterprise_id,
                enterprise_name: application.enterprise_name,
                state: match application.state {
                    -1 => ApplicationState::Rejected,
                    0 => ApplicationState::Pending,
                    1 => ApplicationState::Approved,
                    other => {
                        return Err(FlowError::Corrupt(format!("application state {other}")));
                    }
                },
            }),
        };
        Ok(Self {
            user_id: view.user_id,
            name: view.name,
            enterprise_id: view.enterprise_id,
            permissions: view.permissions,
            latest_application,
        })
    }
}
