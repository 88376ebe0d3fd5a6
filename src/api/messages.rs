//! The exact `msg` texts of the contract, in one place.

/// sendsms success.
pub const SENT: &str = "发送成功";
/// The phone already belongs to an account.
pub const PHONE_TAKEN: &str = "手机号已经被注册";
/// The phone belongs to no account.
pub const PHONE_NOT_REGISTERED: &str = "手机号未注册";
/// isregister with expect=1: the phone belongs to an account.
pub const PHONE_REGISTERED: &str = "手机号已注册";
/// register success.
pub const REGISTERED: &str = "注册成功";
/// A wrong SMS code at registration.
pub const WRONG_CODE: &str = "验证码错误";
/// login with an unknown phone or a wrong password.
pub const WRONG_CREDENTIALS: &str = "手机号或密码错误";
/// login success.
pub const LOGGED_IN: &str = "登录成功";
/// verify_code success.
pub const CODE_CORRECT: &str = "验证码正确";
/// forget_password without an open reset window.
pub const VERIFY_FIRST: &str = "请先验证手机验证码";
/// forget_password success.
pub const PASSWORD_CHANGED: &str = "修改成功";
/// login, `sendsms` (expect=1), `verify_code` and `forget_password` of an
/// account support staff disabled.
pub const ACCOUNT_DISABLED: &str = "账号已停用";
/// Any internal failure.
pub const INTERNAL_ERROR: &str = "服务器内部错误";
/// The prefix of every 400 answer, followed by the field and what is wrong.
pub const BAD_PARAMETER: &str = "参数错误";
/// HTTP 404: no such path.
pub const NOT_FOUND: &str = "接口不存在";
/// HTTP 405: the path exists, the method does not.
pub const METHOD_NOT_ALLOWED: &str = "请求方法不允许";
/// HTTP 408: the body did not arrive within the body deadline.
pub const REQUEST_TIMEOUT: &str = "请求超时";
/// HTTP 413: the body is over 64 KiB.
pub const PAYLOAD_TOO_LARGE: &str = "请求体过大";
/// HTTP 503: every connection slot is taken; sent before the request is read.
pub const SERVER_BUSY: &str = "服务器繁忙，请稍后再试";
/// Too many requests; try later.
pub const TOO_MANY_REQUESTS: &str = "操作太频繁，请稍后再试";
/// The token is missing, unknown, expired or revoked.
pub const SESSION_INVALID: &str = "登录已失效，请重新登录";
/// `/me` success.
pub const FETCHED: &str = "获取成功";
/// logout success.
pub const LOGGED_OUT: &str = "退出成功";
/// sessions/revoke success.
pub const SESSIONS_REVOKED: &str = "下线成功";
/// sessions/revoke with an id that is no live session of this account.
pub const NO_SUCH_SESSION: &str =
    "会话不存在或已失效 (no live session of this account has this id)";
/// applications success: the application is made, pending.
pub const APPLIED: &str = "申请已提交";
/// applications while the user has a pending application.
pub const APPLICATION_PENDING: &str = "已有待审核的申请";
/// applications to the enterprise the user is a member of.
pub const ALREADY_MEMBER: &str = "已是该企业成员";
/// applications to an enterprise that does not exist.
pub const NO_SUCH_ENTERPRISE: &str = "企业不存在";
