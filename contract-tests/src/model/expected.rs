//! What the model predicts for a step: an envelope's code and msg, or an
//! account, a session, or one answer per request of a repeated step; and the
//! contract's messages.

// The contract's messages (section 2 and 4).
pub(super) const SENT: &str = "发送成功";
pub(super) const PHONE_TAKEN: &str = "手机号已经被注册";
pub(super) const PHONE_NOT_REGISTERED: &str = "手机号未注册";
pub(super) const PHONE_REGISTERED: &str = "手机号已注册";
pub(super) const REGISTERED: &str = "注册成功";
pub(super) const WRONG_CREDENTIALS: &str = "手机号或密码错误";
pub(super) const LOGGED_IN: &str = "登录成功";
pub(super) const CODE_CORRECT: &str = "验证码正确";
pub(super) const WRONG_CODE: &str = "验证码错误";
pub(super) const VERIFY_FIRST: &str = "请先验证手机验证码";
pub(super) const PASSWORD_CHANGED: &str = "修改成功";
pub(super) const TOO_MANY: &str = "操作太频繁，请稍后再试";
pub(super) const SESSION_INVALID: &str = "登录已失效，请重新登录";
pub(super) const FETCHED: &str = "获取成功";
pub(super) const LOGGED_OUT: &str = "退出成功";

/// A code in an envelope: sendsms's strings, or everyone else's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Code {
    Text(&'static str),
    Number(i64),
}

/// The msg predicted: exact, or `参数错误: <field> ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Msg {
    Exact(&'static str),
    BadParameter(&'static str),
}

/// What the model predicts for the step just taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Expected {
    /// An envelope with no object: `{code, msg}` for sendsms, `{code, msg, data: ""}` else.
    Plain {
        code: Code,
        msg: Msg,
        /// A 429's exact `Retry-After` in seconds, when the model knows the
        /// clock; otherwise any whole number from 1.
        retry_after: Option<u64>,
        /// Which rule gave the answer, for the failure log and the tally.
        why: &'static str,
    },
    /// Register succeeded: the account's first session.
    Registered { phone: usize, name: String },
    /// Login succeeded: a new session.
    LoggedIn {
        phone: usize,
        name: String,
        change_device: bool,
    },
    /// `/me` with a live session.
    Me {
        session: usize,
        phone: usize,
        name: String,
    },
    /// One answer per request of a [`Step::Resend`].
    Each(Vec<Expected>),
    /// Time passed; nothing was asked.
    Waited,
}

pub(super) fn plain(code: Code, msg: &'static str) -> Expected {
    Expected::Plain {
        code,
        msg: Msg::Exact(msg),
        retry_after: None,
        why: "",
    }
}

pub(super) fn bad_parameter(code: Code, field: &'static str) -> Expected {
    Expected::Plain {
        code,
        msg: Msg::BadParameter(field),
        retry_after: None,
        why: "",
    }
}

impl Expected {
    /// The same answer, saying which rule gave it.
    pub(super) fn because(mut self, reason: &'static str) -> Self {
        if let Self::Plain { why, .. } = &mut self {
            *why = reason;
        }
        self
    }
}
