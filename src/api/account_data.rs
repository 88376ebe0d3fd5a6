//! The account as `login` and `/me` answer it (their `data`): the login
//! `data` shape of the original document, `enterprise_id` as a string and
//! `apply` as `{}` or three fields.

use poem_openapi::{Object, types::Example};

use super::wire_types::{Apply, ApplyDetails, ApplyState};
use crate::flows::account::{Account, Application, ApplicationState};

/// The login `data` of an account: `enterprise_id` as a string, `apply` as
/// `{}` or three fields.
pub fn login_data(account: Account, token: &str, change_device: bool) -> LoginData {
    let apply = match account.latest_application {
        None => Apply::Never,
        Some(application) => Apply::Latest(apply_details(application)),
    };
    LoginData {
        apply,
        change_device,
        enterprise_id: account
            .enterprise_id
            .map_or_else(|| "-1".to_owned(), |id| id.to_string()),
        token: token.to_owned(),
        user_id: account.user_id,
        name: account.name,
        pemissions: account.permissions,
    }
}

/// An application as `apply` shows it.
pub fn apply_details(application: Application) -> ApplyDetails {
    ApplyDetails {
        apply_eid: application.enterprise_id,
        apply_name: application.enterprise_name,
        apply_state: match application.state {
            ApplicationState::Rejected => ApplyState::Rejected,
            ApplicationState::Pending => ApplyState::Pending,
            ApplicationState::Approved => ApplyState::Approved,
        },
    }
}

/// `data` of a successful login: the account and its new session.
#[derive(Debug, Object)]
#[oai(example)]
pub struct LoginData {
    // A bare `$ref` (no field doc): a description beside it would wrap it in
    // `allOf`, which openapi-python-client cannot read. `Apply` describes itself.
    pub apply: Apply,
    /// 是否更换设备 (true when this device differs from the one the account was bound to)
    pub change_device: bool,
    /// 企业id, "-1" 表示没有企业; 此处为字符串 (enterprise id in decimal, "-1" for none; a string here)
    pub enterprise_id: String,
    /// 令牌, 32位十六进制 (session token, 32 lowercase hex characters)
    pub token: String,
    /// 用户id, 32位十六进制 (user id, 32 lowercase hex characters)
    pub user_id: String,
    /// 用户姓名 (display name)
    pub name: String,
    /// 用户权限 (sic: the original's spelling of "permissions")
    pub pemissions: Vec<String>,
}

/// The original document's example.
impl Example for LoginData {
    fn example() -> Self {
        Self {
            apply: Apply::Latest(ApplyDetails::example()),
            change_device: false,
            enterprise_id: "-1".to_owned(),
            token: "5a2dd48054d694b0fcaeef1ecca767a2".to_owned(),
            user_id: "f223fa5c92e846349031b0eb06868478".to_owned(),
            name: "asdasd".to_owned(),
            pemissions: Vec::new(),
        }
    }
}
