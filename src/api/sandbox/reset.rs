//! `POST /sandbox/reset`: the sandbox's initial data again.

use poem::web::Data;
use poem_openapi::{Object, OpenApi};

use super::{SandboxTags, replies::SandboxFailure};
use crate::{
    api::envelope::{Answer, reply_union, success_envelope},
    demo::{DEMO_PASSWORD, DemoUser},
    sandbox::{Sandbox, fixtures},
    state::AppState,
};

/// A demo user after a reset.
#[derive(Debug, Object)]
pub struct SandboxUser {
    /// 手机号 (the phone to log in with)
    pub phone: String,
    /// 姓名 (the display name)
    pub name: String,
    /// login显示什么 (what `login` shows for this user)
    pub shows: String,
}

/// The data after a reset.
#[derive(Debug, Object)]
pub struct SandboxResetData {
    /// 演示用户 (the demo users, every application state `login` reports)
    pub users: Vec<SandboxUser>,
    /// 演示用户的密码 (the password of every demo user)
    pub password: String,
}

success_envelope!(
    /// The data after a reset.
    SandboxResetSuccess,
    SandboxResetData,
    "已重置"
);

reply_union!(
    /// The answer of `POST /sandbox/reset`.
    SandboxResetReply,
    SandboxResetSuccess,
    SandboxFailure
);

/// `POST /sandbox/reset`.
pub struct SandboxResetApi;

#[OpenApi(prefix_path = super::SANDBOX_PATH, tag = "SandboxTags::Sandbox")]
impl SandboxResetApi {
    /// 沙箱: 恢复初始数据 (sandbox: back to the initial data)
    ///
    /// Deletes every account, session, code, limit count and audit event,
    /// loads the demo users again, empties the SMS inbox and sets the clock
    /// back to the system time: every test can start from the same state.
    #[oai(path = "/reset", method = "post", operation_id = "sandboxReset")]
    async fn reset(
        &self,
        state: Data<&AppState>,
        sandbox: Data<&Sandbox>,
    ) -> Answer<SandboxResetReply> {
        match fixtures::reset(&state.db, &state.hasher).await {
            Ok(users) => {
                sandbox.inbox.clear();
                sandbox.clock.reset();
                let users = users.into_iter().map(user).collect();
                Answer::ok(SandboxResetReply::Success(SandboxResetSuccess::new(
                    "已重置",
                    SandboxResetData {
                        users,
                        password: DEMO_PASSWORD.to_owned(),
                    },
                )))
            }
            Err(err) => Answer::failed("sandbox reset", &err),
        }
    }
}

fn user(user: DemoUser) -> SandboxUser {
    SandboxUser {
        phone: user.phone.to_owned(),
        name: user.name.to_owned(),
        shows: user.shows.to_owned(),
    }
}
