//! The server against a reference model of the contract, step by step, in
//! both verification modes.
//!
//! Random sequences of sendsms / isregister / register / login / verify_code /
//! forget_password (and `/me`, `/logout` when the document has them) over a
//! small pool of phones, names, passwords and devices run against the server
//! and against [`Model`], plain Rust that states the contract. Every answer
//! must be the one the model predicts: code and msg, and for accounts
//! `change_device`, `apply` (`{}`: these users never applied to an
//! enterprise), `enterprise_id` (the number -1 in register, the string "-1"
//! in login), `name`, `pemissions`, `user_id`, and a new distinct token per
//! session. A failure is shrunk and printed as the minimal sequence of steps.
//!
//! Two runs:
//!
//! - **verification off** (the default, the original document's mode):
//!   codes are neither checked nor needed (forget_password's optional
//!   `code` is ignored whatever it is, from either client address); the
//!   send limit and the login lockout are reached within the minute the
//!   case takes.
//! - **verification on** (production): the server runs on a manual clock
//!   and with a recording SMS sender. Steps say which code to use — the
//!   right one, a wrong one, the previous (superseded) one, the other
//!   purpose's, none or a malformed one — and the test reads the real code
//!   from the sender, since codes are random. "Time passes" steps move the
//!   server's clock (61 s, 5, 10 and 15 minutes, an hour, a day, and a
//!   second short of each edge that matters at the moment), and a "resend"
//!   step asks for a code several times a minute apart, so code expiry, the
//!   reset window, the hour and day send limits and the end of a lockout
//!   are reached. Besides code and msg, the model predicts the
//!   exact `Retry-After` of every 429, and that the sender gets exactly one
//!   6-digit code per `"200"` of sendsms and nothing otherwise.
//!
//!   The reset window belongs to its verifier (section 9): verify_code and
//!   forget_password steps come from 127.0.0.1 or from a second client at
//!   127.0.0.2, and a verified reset code opens the window for the address
//!   that verified it alone. forget_password may send a `code` — none, the
//!   one that opened the window, six wrong digits, or a malformed one (400)
//!   — and resets the password only from the window's address with no code
//!   or that one. Any other attempt on a registered phone (a phone without
//!   an account is -1 `手机号未注册`, counted nowhere) is *unverified* and
//!   changes nothing: -1 `验证码错误` when the client's window is open but
//!   the code differs, -1 `请先验证手机验证码` otherwise (from the other
//!   address the owner's window stays open), and 429 once the phone made 10
//!   within the last hour, from whichever address, until the oldest of the
//!   newest 10 leaves it (those answered 429 are not counted; the limit per
//!   address, 30, is lifted in the test server, where every case shares the
//!   addresses). A "poll" step sends forget_password several times 30 s
//!   apart, so the limit is reached, and waits to either side of its
//!   `Retry-After` end it. Logins go one at a time, so the rule that at most
//!   5 passwords are verified per lockout window however many logins arrive
//!   at once is the lockout itself: 5 wrong passwords within 15 minutes
//!   lock login for 15 minutes, and a password reset lifts it.
//!
//! Each case gets phones of its own (`10` + nine digits), so cases never
//! see each other's accounts, codes or limits, and shrinking replays from a
//! clean slate. With verification on, every request moves the server's
//! clock by one millisecond first (and the model's by the same), so no two
//! events share an instant, as with a real clock, and the model can state
//! every window to the millisecond.

use std::{
    cell::RefCell,
    collections::{HashSet, hash_map::RandomState},
    hash::{BuildHasher, Hasher},
    net::{IpAddr, Ipv4Addr},
    ops::RangeInclusive,
    sync::{
        Arc, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
};

use account_api::test_support::{ManualClock, RecordingSender};
use contract_tests::{
    Contract, Document, Operation,
    http::{Client, HttpRequest, HttpResponse, percent_encode},
};
use proptest::{
    prelude::*,
    sample::select,
    test_runner::{Config, FileFailurePersistence, TestError, TestRunner},
};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use serde_json::{Value, json};

use crate::server::{TestServer, advance_millis};

/// Where [`Peer::Second`]'s requests come from (on Linux all of 127.0.0.0/8
/// is loopback, so the server on 127.0.0.1 answers it).
const SECOND_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// Phones in the pool of one case.
const PHONES: usize = 3;

// The contract's numbers (sections 4 to 6), in milliseconds of the model's clock.
type Ms = i64;
const SECOND: Ms = 1_000;
const MINUTE: Ms = 60 * SECOND;
const HOUR: Ms = 60 * MINUTE;
const DAY: Ms = 24 * HOUR;
/// What one request moves the clock by (verification on; see the module doc).
const TICK: Ms = 1;
/// A code lives 5 minutes (4.1).
const CODE_LIFETIME: Ms = 5 * MINUTE;
/// A verified reset code opens the reset window for 10 minutes (4.5).
const RESET_WINDOW: Ms = 10 * MINUTE;
/// Wrong tries that kill a code (section 6).
const MAX_CODE_TRIES: u32 = 5;
/// Wrong tries are counted per phone and purpose: a resend keeps them, unless
/// the previous code was sent more than this long ago. The contract says a
/// resend does not reset them and leaves open when they end; the server (and
/// issue 4's brief for this test) starts over after a day without a send.
const TRIES_KEPT_FOR: Ms = DAY;
/// Sends per phone, each within its sliding window (section 6).
const SEND_LIMITS: [(usize, Ms); 3] = [(1, MINUTE), (5, HOUR), (10, DAY)];
/// Wrong passwords within [`LOCKOUT`] that lock a phone's login (section 6).
const MAX_LOGIN_FAILURES: usize = 5;
/// 5 wrong passwords in 15 minutes lock login for 15 minutes (section 6).
const LOCKOUT: Ms = 15 * MINUTE;
/// Sessions expire after 30 days (the server's default; issue 4).
const SESSION_LIFETIME: Ms = 30 * DAY;
/// How far a "resend" step moves the clock after each send: just past the minute limit.
const RESEND_EVERY: Ms = 61 * SECOND;
/// Password resets a phone may attempt within an hour without a verified
/// window of the client's own (or with another code than the one that
/// opened it) before 429 (section 9). The limit per client address (30) is
/// lifted in the test server, where every case shares 127.0.0.1.
const MAX_UNVERIFIED_RESETS: usize = 10;
/// How far a "poll" step moves the clock after each forget_password.
const POLL_EVERY: Ms = 30 * SECOND;
/// The new password a "poll" step asks for.
const POLL_PASSWORD: &str = "attacker1";

/// The waits of the "time passes" steps, in seconds, besides those to the end
/// of a 429 for unverified resets (which depend on the case).
const FIXED_WAITS: [u32; 10] = [59, 61, 299, 300, 599, 600, 899, 900, 3600, 86_400];

/// The purposes a code is sent for: `expect` 0 (sign-up) and 1 (password reset).
const SIGN_UP: usize = 0;
const RESET: usize = 1;

// The contract's messages (section 2 and 4).
const SENT: &str = "发送成功";
const PHONE_TAKEN: &str = "手机号已经被注册";
const PHONE_NOT_REGISTERED: &str = "手机号未注册";
const PHONE_REGISTERED: &str = "手机号已注册";
const REGISTERED: &str = "注册成功";
const WRONG_CREDENTIALS: &str = "手机号或密码错误";
const LOGGED_IN: &str = "登录成功";
const CODE_CORRECT: &str = "验证码正确";
const WRONG_CODE: &str = "验证码错误";
const VERIFY_FIRST: &str = "请先验证手机验证码";
const PASSWORD_CHANGED: &str = "修改成功";
const TOO_MANY: &str = "操作太频繁，请稍后再试";
const SESSION_INVALID: &str = "登录已失效，请重新登录";
const FETCHED: &str = "获取成功";
const LOGGED_OUT: &str = "退出成功";

// ----------------------------------------------------------------- steps

/// A field's value, or the field left out.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Arg {
    Absent,
    Text(String),
}

impl Arg {
    fn text(&self) -> Option<&str> {
        match self {
            Self::Absent => None,
            Self::Text(text) => Some(text),
        }
    }
}

/// The `code` a step sends. Codes are random, so with verification on a
/// step names which code, and the test looks it up in what the sender got.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CodeArg {
    Absent,
    /// Literally this text (never six digits with verification on: it could
    /// be the live code by chance).
    Text(String),
    /// The code last sent to the phone for the step's purpose.
    Right,
    /// Six digits that are not the code last sent for the purpose.
    Wrong,
    /// The code sent before the last one for the purpose (superseded); a
    /// wrong code when there is none, or when it happens to equal the last.
    Previous,
    /// The code last sent for the other purpose (purpose binding); a wrong
    /// code when there is none, or when it happens to equal this purpose's.
    OtherPurpose,
}

/// A phone of the case's pool, a malformed one, or none.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PhoneArg {
    Pool(usize),
    Malformed(String),
    Absent,
}

/// How the fields travel: GET query, or POST as form, JSON or empty body + query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Get,
    Form,
    Json,
    Query,
}

/// The client address a request comes from: 127.0.0.1 as every request,
/// or, for verify_code and forget_password, a second client at 127.0.0.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Peer {
    First,
    Second,
}

impl Peer {
    fn other(self) -> Self {
        match self {
            Self::First => Self::Second,
            Self::Second => Self::First,
        }
    }
}

/// How a session token is presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenVia {
    Bearer,
    Header,
    Query,
}

/// Which token a session step presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SessionRef {
    /// The token of the n-th session opened in this case.
    Issued(usize),
    /// A well-formed token no one was given.
    Unknown,
    /// None at all.
    Missing,
}

/// One step of a sequence: a request, a few, or time passing.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    SendSms {
        phone: PhoneArg,
        expect: Arg,
        via: Via,
    },
    /// `times` sendsms (POST form) for a pool phone, each followed by
    /// [`RESEND_EVERY`] (verification on only: it moves the clock).
    Resend {
        phone: usize,
        expect: u8,
        times: u8,
    },
    /// `times` forget_password (POST form, [`POLL_PASSWORD`]) for a pool
    /// phone from `peer` with `code`, each followed by [`POLL_EVERY`]:
    /// someone polling for a window (verification on only).
    Poll {
        phone: usize,
        code: CodeArg,
        peer: Peer,
        times: u8,
    },
    IsRegister {
        phone: PhoneArg,
        expect: Arg,
    },
    Register {
        phone: PhoneArg,
        name: Arg,
        password: Arg,
        device: Arg,
        code: CodeArg,
        via: Via,
    },
    Login {
        phone: PhoneArg,
        password: Arg,
        device: Arg,
        via: Via,
    },
    VerifyCode {
        phone: PhoneArg,
        code: CodeArg,
        peer: Peer,
    },
    /// `code` is optional here: [`CodeArg::Right`] is the code that opened
    /// the window (while one is open, the live code is that one: a new code
    /// closes it).
    ForgetPassword {
        phone: PhoneArg,
        password: Arg,
        code: CodeArg,
        via: Via,
        peer: Peer,
    },
    Me {
        session: SessionRef,
        via: TokenVia,
    },
    Logout {
        session: SessionRef,
        via: TokenVia,
    },
    /// The server's clock moves on (verification on only).
    Wait {
        seconds: u32,
    },
}

// ------------------------------------------------------- the contract's rules

/// Section 3: `^1[0-9]{10}$`, ASCII digits only.
fn phone_is_valid(text: &str) -> bool {
    text.len() == 11 && text.starts_with('1') && text.bytes().all(|b| b.is_ascii_digit())
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

fn password_is_valid(arg: &Arg) -> bool {
    arg.text().is_some_and(|t| (6..=14).contains(&chars(t)))
}

fn name_is_valid(arg: &Arg) -> bool {
    arg.text()
        .is_some_and(|t| (1..=32).contains(&chars(t.trim())))
}

fn device_is_valid(arg: &Arg) -> bool {
    arg.text().is_some_and(|t| (1..=128).contains(&chars(t)))
}

/// `0` (the default, also when absent) or `1`; `None` for anything else.
fn expect_value(arg: &Arg) -> Option<u8> {
    match arg.text() {
        None | Some("0") => Some(0),
        Some("1") => Some(1),
        Some(_) => None,
    }
}

fn is_six_digits(text: &str) -> bool {
    text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Section 3: with verification on a code is required and is 6 ASCII
/// digits; with it off any code up to the document's 64 characters, or none.
fn code_is_valid(code: &CodeArg, verification: bool) -> bool {
    match code {
        CodeArg::Absent => !verification,
        CodeArg::Text(text) if verification => is_six_digits(text),
        CodeArg::Text(text) => chars(text) <= 64,
        CodeArg::Right | CodeArg::Wrong | CodeArg::Previous | CodeArg::OtherPurpose => true,
    }
}

/// forget_password's optional code (section 9): with verification on, 6
/// ASCII digits when present; with it off, ignored whatever it is.
fn reset_code_is_valid(code: &CodeArg, verification: bool) -> bool {
    match code {
        CodeArg::Text(text) if verification => is_six_digits(text),
        _ => true,
    }
}

/// How long until fewer than `limit` of `times` fall within the sliding
/// `window` ending at `now` (when the oldest of the newest `limit` leaves
/// it); `None` when fewer are there already.
fn window_wait(times: &[Ms], limit: usize, window: Ms, now: Ms) -> Option<Ms> {
    let mut recent: Vec<Ms> = times
        .iter()
        .copied()
        .filter(|&t| t > now - window)
        .collect();
    if recent.len() < limit {
        return None;
    }
    recent.sort_unstable();
    Some(recent[recent.len() - limit] + window - now)
}

/// `Retry-After` for a wait: whole seconds, rounded up, at least one.
fn retry_seconds(wait: Ms) -> u64 {
    u64::try_from(wait).unwrap_or(0).div_ceil(1000).max(1)
}

// ------------------------------------------------------------- the model

/// An account as the model knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Account {
    /// Trimmed, as registered.
    name: String,
    password: String,
    /// The device the account is bound to.
    device: String,
}

/// A session the model knows of, in the order they were opened.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Session {
    phone: usize,
    revoked: bool,
    opened: Ms,
}

/// The code of one phone and purpose (section 4.1, 4.5, 6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct CodeState {
    /// How many codes were sent for the purpose (the test keeps their texts).
    sent: usize,
    /// When the live (last) code was sent; `None` before the first.
    sent_at: Option<Ms>,
    /// The live code was used (a sign-up, or a verified reset).
    used: bool,
    /// Wrong tries against a live code, kept across resends (section 6).
    wrong_tries: u32,
    /// How many of them the live code inherited from the codes before it.
    inherited_tries: u32,
    /// Reset codes: the password-reset window the verified code opened.
    window: Window,
    /// An unverified reset was refused while the window was open (for the
    /// tally: the window outlived it).
    refused_while_open: bool,
}

/// The password-reset window of a phone (4.5, 4.6, 9).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Window {
    /// No reset code was verified.
    #[default]
    Never,
    /// Opened by a verified reset code, for the address that verified it
    /// alone; open while the clock is before this.
    Open(Ms, Peer),
    /// A password reset used it.
    Used,
    /// A new reset code was sent after it opened. The contract leaves open
    /// whether that closes the window; the server closes it, which costs
    /// nothing but verifying the new code, and the model follows.
    Resent,
}

/// A code in an envelope: sendsms's strings, or everyone else's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Code {
    Text(&'static str),
    Number(i64),
}

/// The msg predicted: exact, or `参数错误: <field> ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Msg {
    Exact(&'static str),
    BadParameter(&'static str),
}

/// What the model predicts for the step just taken.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expected {
    /// An envelope with no object: `{code, msg}` for sendsms, `{code, msg, data: ""}` else.
    Plain {
        code: Code,
        msg: Msg,
        /// A 429's exact `Retry-After` in seconds, when the model knows the
        /// clock (verification on); otherwise any whole number from 1.
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

fn plain(code: Code, msg: &'static str) -> Expected {
    Expected::Plain {
        code,
        msg: Msg::Exact(msg),
        retry_after: None,
        why: "",
    }
}

fn bad_parameter(code: Code, field: &'static str) -> Expected {
    Expected::Plain {
        code,
        msg: Msg::BadParameter(field),
        retry_after: None,
        why: "",
    }
}

impl Expected {
    /// The same answer, saying which rule gave it.
    fn because(mut self, reason: &'static str) -> Self {
        if let Self::Plain { why, .. } = &mut self {
            *why = reason;
        }
        self
    }
}

/// The contract as plain data, in either verification mode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Model {
    /// SMS verification on (production) or off (the default).
    verification: bool,
    /// The model's clock: milliseconds since the case began. With
    /// verification on the server's clock moves exactly as this one does.
    now: Ms,
    accounts: [Option<Account>; PHONES],
    /// When each phone was sent a code (sends refused or failed are not counted).
    sends: [Vec<Ms>; PHONES],
    /// Each phone's code by purpose ([`SIGN_UP`], [`RESET`]).
    codes: [[CodeState; 2]; PHONES],
    /// When each phone's logins failed (unknown phones too).
    failures: [Vec<Ms>; PHONES],
    /// Each phone's last successful password reset, which lifts a lockout.
    last_reset: [Option<Ms>; PHONES],
    /// When each phone's unverified password resets were counted (section 9;
    /// those answered 429 are not).
    reset_attempts: [Vec<Ms>; PHONES],
    /// The phone's last unverified reset was answered 429 (for the tally).
    reset_limited: [bool; PHONES],
    sessions: Vec<Session>,
    /// The prediction for the last step.
    expected: Option<Expected>,
}

impl Model {
    fn new(verification: bool) -> Self {
        Self {
            verification,
            ..Self::default()
        }
    }

    fn predict(&mut self, step: &Step) -> Expected {
        match step {
            Step::Wait { seconds } => {
                self.now += Ms::from(*seconds) * SECOND;
                Expected::Waited
            }
            Step::Resend {
                phone,
                expect,
                times,
            } => Expected::Each(
                (0..*times)
                    .map(|_| {
                        self.now += TICK;
                        let answer = self.send(*phone, *expect);
                        self.now += RESEND_EVERY;
                        answer
                    })
                    .collect(),
            ),
            Step::Poll {
                phone,
                code,
                peer,
                times,
            } => Expected::Each(
                (0..*times)
                    .map(|_| {
                        self.now += TICK;
                        let answer = self.answer(&poll_attempt(*phone, code, *peer));
                        self.now += POLL_EVERY;
                        answer
                    })
                    .collect(),
            ),
            request => {
                self.now += TICK;
                self.answer(request)
            }
        }
    }

    /// The answer to one request, at `self.now`.
    fn answer(&mut self, step: &Step) -> Expected {
        use Code::{Number, Text};
        match step {
            Step::Wait { .. } | Step::Resend { .. } | Step::Poll { .. } => {
                unreachable!("not one request")
            }
            Step::SendSms { phone, expect, .. } => {
                let Some(i) = self.phone(phone) else {
                    return bad_parameter(Text("400"), "mobile");
                };
                let Some(expect) = expect_value(expect) else {
                    return bad_parameter(Text("400"), "expect");
                };
                self.send(i, expect)
            }
            Step::IsRegister { phone, expect } => {
                let Some(i) = self.phone(phone) else {
                    return bad_parameter(Number(400), "phone");
                };
                let Some(expect) = expect_value(expect) else {
                    return bad_parameter(Number(400), "expect");
                };
                match (expect, self.accounts[i].is_some()) {
                    (0, false) => plain(Number(200), PHONE_NOT_REGISTERED),
                    (0, true) => plain(Number(-1), PHONE_TAKEN),
                    (_, true) => plain(Number(200), PHONE_REGISTERED),
                    (_, false) => plain(Number(-1), PHONE_NOT_REGISTERED),
                }
            }
            Step::Register {
                phone,
                name,
                password,
                device,
                code,
                ..
            } => {
                let Some(i) = self.phone(phone) else {
                    return bad_parameter(Number(400), "phone");
                };
                if !name_is_valid(name) {
                    return bad_parameter(Number(400), "name");
                }
                if !password_is_valid(password) {
                    return bad_parameter(Number(400), "password");
                }
                if !device_is_valid(device) {
                    return bad_parameter(Number(400), "device_identifier");
                }
                if !code_is_valid(code, self.verification) {
                    return bad_parameter(Number(400), "code");
                }
                if self.accounts[i].is_some() {
                    return plain(Number(-1), PHONE_TAKEN);
                }
                if self.verification
                    && let Err(why) = self.use_code(i, SIGN_UP, code, Peer::First)
                {
                    return plain(Number(-2), WRONG_CODE).because(why);
                }
                let name = name.text().unwrap_or_default().trim().to_owned();
                self.accounts[i] = Some(Account {
                    name: name.clone(),
                    password: password.text().unwrap_or_default().to_owned(),
                    device: device.text().unwrap_or_default().to_owned(),
                });
                self.open_session(i);
                Expected::Registered { phone: i, name }
            }
            Step::Login {
                phone,
                password,
                device,
                ..
            } => {
                let Some(i) = self.phone(phone) else {
                    return bad_parameter(Number(400), "phone");
                };
                if !password_is_valid(password) {
                    return bad_parameter(Number(400), "password");
                }
                if !device_is_valid(device) {
                    return bad_parameter(Number(400), "device_identifier");
                }
                // Unknown phones fail and lock like wrong passwords: the
                // contract gives both the same answer (4.4), so the lockout
                // must not tell them apart either. A locked phone's attempt
                // checks no password and counts no failure.
                if let Some(wait) = self.lockout(i) {
                    return self.too_many(Number(429), wait, "login locked");
                }
                let password = password.text().unwrap_or_default();
                let device = device.text().unwrap_or_default();
                match &mut self.accounts[i] {
                    Some(account) if account.password == password => {
                        let change_device = account.device != device;
                        account.device = device.to_owned();
                        let name = account.name.clone();
                        self.open_session(i);
                        Expected::LoggedIn {
                            phone: i,
                            name,
                            change_device,
                        }
                    }
                    _ => {
                        let why = self.lockout_ended(i);
                        self.failures[i].push(self.now);
                        plain(Number(-1), WRONG_CREDENTIALS).because(why)
                    }
                }
            }
            Step::VerifyCode { phone, code, peer } => {
                let Some(i) = self.phone(phone) else {
                    return bad_parameter(Number(400), "phone");
                };
                if !code_is_valid(code, self.verification) {
                    return bad_parameter(Number(400), "code");
                }
                if !self.verification {
                    return plain(Number(200), CODE_CORRECT);
                }
                match self.use_code(i, RESET, code, *peer) {
                    Ok(()) if *peer == Peer::Second => plain(Number(200), CODE_CORRECT)
                        .because("window opened for the second address"),
                    Ok(()) => plain(Number(200), CODE_CORRECT).because("window opened"),
                    Err(why) => plain(Number(-1), WRONG_CODE).because(why),
                }
            }
            Step::ForgetPassword {
                phone,
                password,
                code,
                peer,
                ..
            } => {
                let Some(i) = self.phone(phone) else {
                    return bad_parameter(Number(400), "phone");
                };
                if !password_is_valid(password) {
                    return bad_parameter(Number(400), "password");
                }
                if !reset_code_is_valid(code, self.verification) {
                    return bad_parameter(Number(400), "code");
                }
                // Not counted anywhere: the phone has no account.
                if self.accounts[i].is_none() {
                    return plain(Number(-1), PHONE_NOT_REGISTERED);
                }
                let why = if self.verification {
                    match self.use_window(i, code, *peer) {
                        Ok(used) => used,
                        Err(refusal) => return refusal,
                    }
                } else {
                    // No windows, no limits: any address resets, any code is ignored.
                    match (code, peer) {
                        (CodeArg::Absent, Peer::First) => "",
                        (CodeArg::Absent, Peer::Second) => "from the second address",
                        (_, Peer::First) => "a code, ignored",
                        (_, Peer::Second) => "a code, ignored, from the second address",
                    }
                };
                if let Some(account) = &mut self.accounts[i] {
                    account.password = password.text().unwrap_or_default().to_owned();
                }
                // Every session of the account is revoked, the lockout lifted.
                for session in self.sessions.iter_mut().filter(|s| s.phone == i) {
                    session.revoked = true;
                }
                self.last_reset[i] = Some(self.now);
                plain(Number(200), PASSWORD_CHANGED).because(why)
            }
            Step::Me { session, .. } => match self.live_session(*session) {
                Some(k) => {
                    let phone = self.sessions[k].phone;
                    let name = self.accounts[phone]
                        .as_ref()
                        .map(|a| a.name.clone())
                        .unwrap_or_default();
                    Expected::Me {
                        session: k,
                        phone,
                        name,
                    }
                }
                None => plain(Number(401), SESSION_INVALID),
            },
            Step::Logout { session, .. } => match self.live_session(*session) {
                Some(k) => {
                    self.sessions[k].revoked = true;
                    plain(Number(200), LOGGED_OUT)
                }
                None => plain(Number(401), SESSION_INVALID),
            },
        }
    }

    /// sendsms for pool phone `i`: registration against `expect` (-1), then
    /// the limits (429), then a new code for (phone, purpose) superseding the
    /// last (section 4.1 and 6).
    fn send(&mut self, i: usize, expect: u8) -> Expected {
        use Code::Text;
        match (expect, self.accounts[i].is_some()) {
            (0, true) => return plain(Text("-1"), PHONE_TAKEN),
            (1, false) => return plain(Text("-1"), PHONE_NOT_REGISTERED),
            _ => {}
        }
        if let Some((wait, why)) = self.send_wait(i) {
            return self.too_many(Text("429"), wait, why);
        }
        self.sends[i].push(self.now);
        let now = self.now;
        let code = &mut self.codes[i][usize::from(expect)];
        let mut why = "";
        if code.sent_at.is_none_or(|at| at < now - TRIES_KEPT_FOR) {
            if code.wrong_tries > 0 {
                why = "wrong tries start over after a day";
            }
            code.wrong_tries = 0;
        }
        code.inherited_tries = code.wrong_tries;
        code.sent += 1;
        code.sent_at = Some(now);
        code.used = false;
        if matches!(code.window, Window::Open(..)) {
            code.window = Window::Resent;
        }
        plain(Text("200"), SENT).because(why)
    }

    /// How long until phone `i` may be sent a code, and the limit that holds
    /// it back (the longest wait when several do); `None` when one may go now.
    fn send_wait(&self, i: usize) -> Option<(Ms, &'static str)> {
        SEND_LIMITS
            .iter()
            .zip([
                "a send within the minute",
                "5 sends within the hour",
                "10 sends within the day",
            ])
            .filter_map(|(&(limit, window), why)| {
                window_wait(&self.sends[i], limit, window, self.now).map(|wait| (wait, why))
            })
            .max_by_key(|&(wait, _)| wait)
    }

    /// How long until phone `i` may make another unverified password reset
    /// attempt; `None` when it may now.
    fn reset_wait(&self, i: usize) -> Option<Ms> {
        window_wait(
            &self.reset_attempts[i],
            MAX_UNVERIFIED_RESETS,
            HOUR,
            self.now,
        )
    }

    /// Unverified reset attempts of phone `i` counted within the last hour.
    fn recent_reset_attempts(&self, i: usize) -> usize {
        self.reset_attempts[i]
            .iter()
            .filter(|&&t| t > self.now - HOUR)
            .count()
    }

    /// Uses the reset window of registered phone `i` for a reset from
    /// `peer` with `code` (verification on; sections 4.6 and 9): it must be
    /// open, opened by `peer`, and `code` absent or the code that opened it.
    /// `Ok` says how it was used (for the tally). Anything else is an
    /// unverified attempt, and changes nothing but the count: 429 when the
    /// phone made 10 within the hour (not counted), else counted and -1,
    /// `验证码错误` when `peer`'s window is open but the code differs (the
    /// window stays open), `请先验证手机验证码` otherwise.
    fn use_window(
        &mut self,
        i: usize,
        code: &CodeArg,
        peer: Peer,
    ) -> Result<&'static str, Expected> {
        use Code::Number;
        let now = self.now;
        let state = &mut self.codes[i][RESET];
        // The live code opened the window: a new code closes it.
        let opener = matches!(code, CodeArg::Absent | CodeArg::Right);
        let (msg, why) = match state.window {
            Window::Open(end, owner) if end > now && owner == peer => {
                if opener {
                    let outlived = std::mem::take(&mut state.refused_while_open);
                    state.window = Window::Used;
                    return Ok(match (outlived, code, peer) {
                        (true, _, _) => "the window outlived refused attempts",
                        (_, CodeArg::Right, Peer::First) => "with the window's code",
                        (_, CodeArg::Right, Peer::Second) => {
                            "the second address's window, with its code"
                        }
                        (_, _, Peer::Second) => "the second address's window",
                        _ => "",
                    });
                }
                state.refused_while_open = true;
                (WRONG_CODE, "not the code that opened the window")
            }
            Window::Open(end, _) if end > now => {
                state.refused_while_open = true;
                (VERIFY_FIRST, "the other address's window")
            }
            Window::Open(..) => (VERIFY_FIRST, "the window timed out"),
            Window::Never => (VERIFY_FIRST, "no code was verified"),
            Window::Used => (VERIFY_FIRST, "the window was used"),
            Window::Resent => (VERIFY_FIRST, "a resend closed the window"),
        };
        if let Some(wait) = self.reset_wait(i) {
            // Not counted, and the window (if any) is unaffected.
            self.reset_limited[i] = true;
            return Err(self.too_many(Number(429), wait, "10 unverified resets within the hour"));
        }
        self.reset_attempts[i].push(now);
        let why = if std::mem::take(&mut self.reset_limited[i]) {
            "counted again: the hour freed an attempt"
        } else {
            why
        };
        Err(plain(Number(-1), msg).because(why))
    }

    /// Whether phone `i`'s login is locked, and for how long: the newest five
    /// wrong passwords since the last reset fall within 15 minutes, and the
    /// newest is less than 15 minutes old.
    fn lockout(&self, i: usize) -> Option<Ms> {
        self.lockout_since(i, self.last_reset[i].unwrap_or(Ms::MIN))
    }

    /// [`Model::lockout`] counting the wrong passwords after `since`.
    fn lockout_since(&self, i: usize, since: Ms) -> Option<Ms> {
        let mut recent: Vec<Ms> = self.failures[i]
            .iter()
            .copied()
            .filter(|&t| t > since)
            .collect();
        recent.sort_unstable_by(|a, b| b.cmp(a));
        recent.truncate(MAX_LOGIN_FAILURES);
        match (recent.first(), recent.last()) {
            (Some(&newest), Some(&oldest))
                if recent.len() >= MAX_LOGIN_FAILURES
                    && newest - oldest <= LOCKOUT
                    && newest + LOCKOUT > self.now =>
            {
                Some(newest + LOCKOUT - self.now)
            }
            _ => None,
        }
    }

    /// For the tally: whether an unlocked phone was locked before, and what ended it.
    fn lockout_ended(&self, i: usize) -> &'static str {
        if self.lockout_since(i, Ms::MIN).is_some() {
            return "a reset lifted the lockout";
        }
        let since = self.last_reset[i].unwrap_or(Ms::MIN);
        let mut times: Vec<Ms> = self.failures[i]
            .iter()
            .copied()
            .filter(|&t| t > since)
            .collect();
        times.sort_unstable();
        if times
            .windows(MAX_LOGIN_FAILURES)
            .any(|five| five[MAX_LOGIN_FAILURES - 1] - five[0] <= LOCKOUT)
        {
            "the lockout ran out"
        } else {
            ""
        }
    }

    /// The 429 answer; its exact `Retry-After` when the model's clock is the server's.
    fn too_many(&self, code: Code, wait: Ms, why: &'static str) -> Expected {
        Expected::Plain {
            code,
            msg: Msg::Exact(TOO_MANY),
            retry_after: self.verification.then(|| retry_seconds(wait)),
            why,
        }
    }

    /// Uses the live code of phone `i` for `purpose` if `code` is it
    /// (verification on). A code is live from its send for 5 minutes, until
    /// used, superseded, or killed by 5 wrong tries. A wrong code against a
    /// live one counts a try; a right one is used up, and a reset code opens
    /// the 10-minute reset window for `peer`, the address that sent it.
    /// `Err` says why the code was refused.
    fn use_code(
        &mut self,
        i: usize,
        purpose: usize,
        code: &CodeArg,
        peer: Peer,
    ) -> Result<(), &'static str> {
        let now = self.now;
        let other_sent = self.codes[i][1 - purpose].sent > 0;
        let state = &mut self.codes[i][purpose];
        let Some(sent_at) = state.sent_at else {
            return Err(if other_sent {
                "only the other purpose's code was sent"
            } else {
                "no code was sent"
            });
        };
        if state.wrong_tries >= MAX_CODE_TRIES {
            return Err(if state.inherited_tries > 0 {
                "dead: 5 wrong tries, kept across a resend"
            } else {
                "dead after 5 wrong tries"
            });
        }
        if state.used {
            return Err("the code was used");
        }
        if sent_at + CODE_LIFETIME <= now {
            return Err("the code expired");
        }
        if *code != CodeArg::Right {
            state.wrong_tries += 1;
            return Err(match code {
                CodeArg::Previous if state.sent >= 2 => "a superseded code",
                CodeArg::OtherPurpose if other_sent => "the other purpose's code",
                _ => "a wrong code",
            });
        }
        state.used = true;
        if purpose == RESET {
            state.window = Window::Open(now + RESET_WINDOW, peer);
            state.refused_while_open = false;
        }
        Ok(())
    }

    fn open_session(&mut self, phone: usize) {
        self.sessions.push(Session {
            phone,
            revoked: false,
            opened: self.now,
        });
    }

    /// The pool index of a well-formed phone; `None` for a malformed or missing one.
    fn phone(&self, phone: &PhoneArg) -> Option<usize> {
        match phone {
            PhoneArg::Pool(i) => Some(*i),
            PhoneArg::Malformed(text) => {
                assert!(!phone_is_valid(text), "{text:?} is a valid phone");
                None
            }
            PhoneArg::Absent => None,
        }
    }

    fn live_session(&self, session: SessionRef) -> Option<usize> {
        match session {
            SessionRef::Issued(k) => self
                .sessions
                .get(k)
                .filter(|s| !s.revoked && s.opened + SESSION_LIFETIME > self.now)
                .map(|_| k),
            SessionRef::Unknown | SessionRef::Missing => None,
        }
    }

    /// Wrong passwords since the last reset (to steer logins towards a lockout).
    fn recent_failures(&self, i: usize) -> usize {
        let since = self.last_reset[i].unwrap_or(Ms::MIN);
        self.failures[i].iter().filter(|&&t| t > since).count()
    }
}

// --------------------------------------------------------------- strategies

fn texts(values: &[&str]) -> BoxedStrategy<Arg> {
    let values: Vec<Arg> = values.iter().map(|v| Arg::Text((*v).to_owned())).collect();
    select(values).boxed()
}

/// Mostly good values, sometimes a bad one (or none).
fn arg(good: BoxedStrategy<Arg>, bad: BoxedStrategy<Arg>) -> BoxedStrategy<Arg> {
    prop_oneof![6 => good, 1 => bad].boxed()
}

fn phone_arg() -> BoxedStrategy<PhoneArg> {
    let malformed = select(vec![
        "",
        "1312693991",
        "131269399160",
        "23126939916",
        "1312693991a",
        "１3126939916",
        "+8613126939916",
        " 13126939916",
    ])
    .prop_map(|t| PhoneArg::Malformed(t.to_owned()));
    prop_oneof![
        12 => (0..PHONES).prop_map(PhoneArg::Pool),
        1 => malformed,
        1 => Just(PhoneArg::Absent),
    ]
    .boxed()
}

fn name_arg() -> BoxedStrategy<Arg> {
    let long_ok = "名".repeat(32);
    let too_long = "名".repeat(33);
    arg(
        select(vec![
            "于连林".to_owned(),
            "  Alice Smith  ".to_owned(),
            "😀".to_owned(),
            "\u{3000}名\u{3000}".to_owned(),
            long_ok,
        ])
        .prop_map(Arg::Text)
        .boxed(),
        prop_oneof![
            select(vec![String::new(), "   ".to_owned(), too_long]).prop_map(Arg::Text),
            Just(Arg::Absent),
        ]
        .boxed(),
    )
}

/// Three good passwords, so logins often match and sometimes do not.
fn password_arg() -> BoxedStrategy<Arg> {
    arg(
        texts(&["123456", "密码密码密码", "abcdefghijklmn"]),
        prop_oneof![
            texts(&["12345", "密码密码密码密码密码密码密码密", ""]),
            Just(Arg::Absent),
        ]
        .boxed(),
    )
}

fn device_arg() -> BoxedStrategy<Arg> {
    arg(
        texts(&["uuid", "iphone-15", "设备一"]),
        prop_oneof![
            select(vec![String::new(), "x".repeat(129)]).prop_map(Arg::Text),
            Just(Arg::Absent),
        ]
        .boxed(),
    )
}

fn expect_arg() -> BoxedStrategy<Arg> {
    arg(
        prop_oneof![texts(&["0", "1"]), Just(Arg::Absent)].boxed(),
        texts(&["2", "-1", "abc", "", "1.0", "１"]),
    )
}

/// Verification off: the original example's `xxx`, six digits, or none.
fn code_arg() -> BoxedStrategy<CodeArg> {
    prop_oneof![
        select(vec!["xxx", "123456"]).prop_map(|t| CodeArg::Text(t.to_owned())),
        Just(CodeArg::Absent),
    ]
    .boxed()
}

/// Verification on: which code, by weight (right, wrong, the previous, the
/// other purpose's), and now and then none or a malformed one (400).
fn verifying_code_arg(right: u32, wrong: u32, previous: u32, other: u32) -> BoxedStrategy<CodeArg> {
    let malformed = prop_oneof![
        select(vec![
            "xxx",
            "12345",
            "1234567",
            "１２３４５６",
            "12345a",
            " 123456",
            ""
        ])
        .prop_map(|t| CodeArg::Text(t.to_owned())),
        Just(CodeArg::Absent),
    ];
    let mut choices: Vec<(u32, BoxedStrategy<CodeArg>)> = vec![
        (right, Just(CodeArg::Right).boxed()),
        (wrong, Just(CodeArg::Wrong).boxed()),
        (previous, Just(CodeArg::Previous).boxed()),
        (other, Just(CodeArg::OtherPurpose).boxed()),
        (1, malformed.boxed()),
    ];
    choices.retain(|(weight, _)| *weight > 0);
    proptest::strategy::Union::new_weighted(choices).boxed()
}

/// forget_password's optional code with verification on, by weight: none,
/// the code that opened the window, six wrong digits, or a malformed one (400).
fn reset_code_arg(absent: u32, right: u32, wrong: u32, malformed: u32) -> BoxedStrategy<CodeArg> {
    let malformed_code = select(vec![
        "xxx",
        "12345",
        "1234567",
        "１２３４５６",
        "12ab",
        " 123456",
        "",
    ])
    .prop_map(|t| CodeArg::Text(t.to_owned()));
    let mut choices: Vec<(u32, BoxedStrategy<CodeArg>)> = vec![
        (absent, Just(CodeArg::Absent).boxed()),
        (right, Just(CodeArg::Right).boxed()),
        (wrong, Just(CodeArg::Wrong).boxed()),
        (malformed, malformed_code.boxed()),
    ];
    choices.retain(|(weight, _)| *weight > 0);
    proptest::strategy::Union::new_weighted(choices).boxed()
}

/// Verification off: forget_password's code is ignored whatever it is.
fn ignored_code_arg() -> BoxedStrategy<CodeArg> {
    prop_oneof![
        3 => Just(CodeArg::Absent),
        1 => select(vec!["xxx", "123456", "12ab", "", "１２３４５６"])
            .prop_map(|t| CodeArg::Text(t.to_owned())),
        1 => Just(CodeArg::Right),
    ]
    .boxed()
}

/// The second client address with probability `second`, else the first.
fn peer_arg(second: f64) -> BoxedStrategy<Peer> {
    prop::bool::weighted(second)
        .prop_map(|second| if second { Peer::Second } else { Peer::First })
        .boxed()
}

fn via() -> BoxedStrategy<Via> {
    select(vec![Via::Get, Via::Form, Via::Json, Via::Query]).boxed()
}

fn token_via() -> BoxedStrategy<TokenVia> {
    select(vec![TokenVia::Bearer, TokenVia::Header, TokenVia::Query]).boxed()
}

/// How many fields of a step are malformed or missing (the model checks one at a time).
fn bad_fields(step: &Step, verification: bool) -> usize {
    let phone = |p: &PhoneArg| usize::from(!matches!(p, PhoneArg::Pool(_)));
    let flag = |ok: bool| usize::from(!ok);
    match step {
        Step::SendSms {
            phone: p, expect, ..
        }
        | Step::IsRegister { phone: p, expect } => phone(p) + flag(expect_value(expect).is_some()),
        Step::Register {
            phone: p,
            name,
            password,
            device,
            code,
            ..
        } => {
            phone(p)
                + flag(name_is_valid(name))
                + flag(password_is_valid(password))
                + flag(device_is_valid(device))
                + flag(code_is_valid(code, verification))
        }
        Step::Login {
            phone: p,
            password,
            device,
            ..
        } => phone(p) + flag(password_is_valid(password)) + flag(device_is_valid(device)),
        Step::VerifyCode { phone: p, code, .. } => {
            phone(p) + flag(code_is_valid(code, verification))
        }
        Step::ForgetPassword {
            phone: p,
            password,
            code,
            ..
        } => {
            phone(p)
                + flag(password_is_valid(password))
                + flag(reset_code_is_valid(code, verification))
        }
        Step::Poll { code, .. } => flag(reset_code_is_valid(code, verification)),
        Step::Me { .. } | Step::Logout { .. } | Step::Resend { .. } | Step::Wait { .. } => 0,
    }
}

/// Whether the document has the session extensions (`/me`, `/logout`).
fn has_sessions() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        let document = Document::committed();
        document.operation_by_id("me").is_some() && document.operation_by_id("logout").is_some()
    })
}

/// One of `phones`, or a pool phone when the list is empty.
fn one_of(phones: &[usize]) -> BoxedStrategy<usize> {
    if phones.is_empty() {
        (0..PHONES).boxed()
    } else {
        select(phones.to_vec()).boxed()
    }
}

/// The steps both modes share: their weights differ.
struct Shared {
    account_phone: BoxedStrategy<PhoneArg>,
    login: BoxedStrategy<Step>,
    me: Option<BoxedStrategy<Step>>,
    logout: Option<BoxedStrategy<Step>>,
}

/// Registered phones (and phones with failed logins) and the passwords come
/// up often, so that logins succeed, resets find accounts and lockouts are
/// reached.
fn shared_steps(state: &Model) -> Shared {
    let registered: Vec<usize> = (0..PHONES)
        .filter(|&i| state.accounts[i].is_some())
        .collect();
    let failing: Vec<usize> = (0..PHONES)
        .filter(|&i| state.recent_failures(i) >= 2)
        .collect();
    let passwords: Vec<Arg> = state
        .accounts
        .iter()
        .flatten()
        .map(|a| Arg::Text(a.password.clone()))
        .collect();
    let account_phone = if registered.is_empty() {
        phone_arg()
    } else {
        prop_oneof![1 => select(registered).prop_map(PhoneArg::Pool), 1 => phone_arg()].boxed()
    };
    let login_phone = if failing.is_empty() {
        account_phone.clone()
    } else {
        prop_oneof![1 => select(failing).prop_map(PhoneArg::Pool), 2 => account_phone.clone()]
            .boxed()
    };
    let login_password = if passwords.is_empty() {
        password_arg()
    } else {
        prop_oneof![1 => select(passwords), 1 => password_arg()].boxed()
    };
    let sessions = state.sessions.len();
    let session = move || -> BoxedStrategy<SessionRef> {
        if sessions == 0 {
            prop_oneof![Just(SessionRef::Unknown), Just(SessionRef::Missing)].boxed()
        } else {
            prop_oneof![
                8 => (0..sessions).prop_map(SessionRef::Issued),
                1 => Just(SessionRef::Unknown),
                1 => Just(SessionRef::Missing),
            ]
            .boxed()
        }
    };
    let login = (login_phone, login_password, device_arg(), via())
        .prop_map(|(phone, password, device, via)| Step::Login {
            phone,
            password,
            device,
            via,
        })
        .boxed();
    let (me, logout) = if has_sessions() {
        (
            Some(
                (session(), token_via())
                    .prop_map(|(session, via)| Step::Me { session, via })
                    .boxed(),
            ),
            Some(
                (session(), token_via())
                    .prop_map(|(session, via)| Step::Logout { session, via })
                    .boxed(),
            ),
        )
    } else {
        (None, None)
    };
    Shared {
        account_phone,
        login,
        me,
        logout,
    }
}

/// Verification off: the original document's mode.
fn transitions_off(state: &Model) -> BoxedStrategy<Step> {
    let shared = shared_steps(state);
    let mut steps: Vec<(u32, BoxedStrategy<Step>)> = vec![
        (
            2,
            (phone_arg(), expect_arg(), via())
                .prop_map(|(phone, expect, via)| Step::SendSms { phone, expect, via })
                .boxed(),
        ),
        (
            2,
            (phone_arg(), expect_arg())
                .prop_map(|(phone, expect)| Step::IsRegister { phone, expect })
                .boxed(),
        ),
        (
            3,
            (
                phone_arg(),
                name_arg(),
                password_arg(),
                device_arg(),
                code_arg(),
                via(),
            )
                .prop_map(
                    |(phone, name, password, device, code, via)| Step::Register {
                        phone,
                        name,
                        password,
                        device,
                        code,
                        via,
                    },
                )
                .boxed(),
        ),
        (6, shared.login),
        (
            1,
            (phone_arg(), code_arg(), peer_arg(0.3))
                .prop_map(|(phone, code, peer)| Step::VerifyCode { phone, code, peer })
                .boxed(),
        ),
        (
            2,
            (
                shared.account_phone,
                password_arg(),
                ignored_code_arg(),
                via(),
                peer_arg(0.3),
            )
                .prop_map(|(phone, password, code, via, peer)| Step::ForgetPassword {
                    phone,
                    password,
                    code,
                    via,
                    peer,
                })
                .boxed(),
        ),
    ];
    if let (Some(me), Some(logout)) = (shared.me, shared.logout) {
        steps.push((2, me));
        steps.push((1, logout));
    }
    proptest::strategy::Union::new_weighted(steps)
        .prop_filter("one bad field at a time", |step| {
            bad_fields(step, false) <= 1
        })
        .boxed()
}

/// Verification on. Besides the random steps of every operation, steps aimed
/// at the flows: codes go mostly to phones in the state that fits (sign-up
/// codes to free phones, reset codes to registered ones); phones with a
/// sign-up code register, phones with a reset code verify it, and phones
/// with an open window reset their password; a phone with wrong tries gets
/// more of them (5 kill the code); time passes.
fn transitions_on(state: &Model) -> BoxedStrategy<Step> {
    let shared = shared_steps(state);
    let registered: [bool; PHONES] = std::array::from_fn(|i| state.accounts[i].is_some());
    let phones =
        |keep: &dyn Fn(usize) -> bool| -> Vec<usize> { (0..PHONES).filter(|&i| keep(i)).collect() };
    let signing_up = phones(&|i| !registered[i] && state.codes[i][SIGN_UP].sent > 0);
    let resetting = phones(&|i| registered[i] && state.codes[i][RESET].sent > 0);
    // Phones whose unexpired code (for the purpose that fits them) took
    // wrong tries: more guesses, towards the fifth that kills it; and once
    // dead, the right code, which must be refused.
    let fresh_tries: [u32; PHONES] = std::array::from_fn(|i| {
        let code = &state.codes[i][usize::from(registered[i])];
        let fresh = code
            .sent_at
            .is_some_and(|at| at + CODE_LIFETIME > state.now && !code.used);
        if fresh { code.wrong_tries } else { 0 }
    });
    let guessing = phones(&|i| fresh_tries[i] > 0);
    let dying = (0..PHONES).any(|i| (1..MAX_CODE_TRIES).contains(&fresh_tries[i]));
    let with_window = phones(&|i| state.codes[i][RESET].window != Window::Never);
    let registered_phones = phones(&|i| registered[i]);
    // Open windows and the address that owns each.
    let open_windows: Vec<(usize, Peer)> = (0..PHONES)
        .filter_map(|i| match state.codes[i][RESET].window {
            Window::Open(end, owner) if end > state.now => Some((i, owner)),
            _ => None,
        })
        .collect();
    // Registered phones with unverified resets this hour: more of them.
    let polled = phones(&|i| registered[i] && state.recent_reset_attempts(i) > 0);
    let near_reset_limit =
        (0..PHONES).any(|i| (3..MAX_UNVERIFIED_RESETS).contains(&state.recent_reset_attempts(i)));
    // Phones sent several codes today: more sends, towards the hour and day limits.
    let busy = phones(&|i| {
        state.sends[i]
            .iter()
            .filter(|&&t| t > state.now - DAY)
            .count()
            >= 3
    });
    let minute_blocked =
        (0..PHONES).any(|i| state.sends[i].iter().any(|&t| t > state.now - MINUTE));
    let failing = phones(&|i| state.recent_failures(i) >= 1);
    let near_lockout =
        (0..PHONES).any(|i| (2..MAX_LOGIN_FAILURES).contains(&state.recent_failures(i)));
    // Each phone's next step along sign-up, then password reset: send the
    // code that fits, use it, reset the password while the window is open,
    // and wait out the minute between sends. A code that died is resent,
    // and the resent code tried: the wrong tries are kept, so it is dead too.
    let flow: Vec<Step> = (0..PHONES)
        .map(|i| {
            let purpose = usize::from(registered[i]);
            let code = &state.codes[i][purpose];
            let fresh = code
                .sent_at
                .is_some_and(|at| at + CODE_LIFETIME > state.now)
                && !code.used;
            let use_it = fresh
                && (code.wrong_tries < MAX_CODE_TRIES || code.inherited_tries >= MAX_CODE_TRIES);
            let text = |t: &str| Arg::Text(t.to_owned());
            match state.codes[i][RESET].window {
                Window::Open(end, owner) if end > state.now => {
                    return Step::ForgetPassword {
                        phone: PhoneArg::Pool(i),
                        password: text("密码密码密码"),
                        code: CodeArg::Absent,
                        via: Via::Form,
                        peer: owner,
                    };
                }
                _ => {}
            }
            if use_it && registered[i] {
                Step::VerifyCode {
                    phone: PhoneArg::Pool(i),
                    code: CodeArg::Right,
                    peer: Peer::First,
                }
            } else if use_it {
                Step::Register {
                    phone: PhoneArg::Pool(i),
                    name: text("于连林"),
                    password: text("123456"),
                    device: text("uuid"),
                    code: CodeArg::Right,
                    via: Via::Form,
                }
            } else if state.sends[i].iter().any(|&t| t > state.now - MINUTE) {
                Step::Wait { seconds: 61 }
            } else {
                Step::SendSms {
                    phone: PhoneArg::Pool(i),
                    expect: text(&purpose.to_string()),
                    via: Via::Form,
                }
            }
        })
        .collect();

    // The expect that fits the phone (sign-up for a free one, reset for a
    // registered one), or now and then the other.
    let fitting = move |(i, fits): (usize, bool)| -> u8 { u8::from(registered[i] == fits) };
    let send = (0..PHONES, prop::bool::weighted(0.85), via())
        .prop_map(move |(i, fits, via)| Step::SendSms {
            phone: PhoneArg::Pool(i),
            expect: Arg::Text(fitting((i, fits)).to_string()),
            via,
        })
        .boxed();
    let resend = (0..PHONES, prop::bool::weighted(0.9), 2..=5u8)
        .prop_map(move |(i, fits, times)| Step::Resend {
            phone: i,
            expect: fitting((i, fits)),
            times,
        })
        .boxed();
    let register = |phone: BoxedStrategy<PhoneArg>, code: BoxedStrategy<CodeArg>| {
        (phone, name_arg(), password_arg(), device_arg(), code, via())
            .prop_map(
                |(phone, name, password, device, code, via)| Step::Register {
                    phone,
                    name,
                    password,
                    device,
                    code,
                    via,
                },
            )
            .boxed()
    };
    let verify = |phone: BoxedStrategy<PhoneArg>, code: BoxedStrategy<CodeArg>, peer| {
        (phone, code, peer_arg(peer))
            .prop_map(|(phone, code, peer)| Step::VerifyCode { phone, code, peer })
            .boxed()
    };
    let pool = |phones: &[usize]| one_of(phones).prop_map(PhoneArg::Pool).boxed();
    // A guess goes where the phone's code is: register while free, verify once registered.
    let guess = (one_of(&guessing), 0..100u32)
        .prop_flat_map(move |(i, roll)| {
            let dead = fresh_tries[i] >= MAX_CODE_TRIES;
            let code = if roll < if dead { 60 } else { 10 } {
                CodeArg::Right
            } else {
                CodeArg::Wrong
            };
            if registered[i] {
                Just(Step::VerifyCode {
                    phone: PhoneArg::Pool(i),
                    code,
                    peer: Peer::First,
                })
                .boxed()
            } else {
                (name_arg(), password_arg(), device_arg(), via())
                    .prop_map(move |(name, password, device, via)| Step::Register {
                        phone: PhoneArg::Pool(i),
                        name,
                        password,
                        device,
                        code: code.clone(),
                        via,
                    })
                    .boxed()
            }
        })
        .boxed();
    let forget = |phone: BoxedStrategy<PhoneArg>,
                  code: BoxedStrategy<CodeArg>,
                  peer: BoxedStrategy<Peer>| {
        (phone, password_arg(), code, via(), peer)
            .prop_map(|(phone, password, code, via, peer)| Step::ForgetPassword {
                phone,
                password,
                code,
                via,
                peer,
            })
            .boxed()
    };
    // Someone polling forget_password for a phone, mostly from the second
    // address and without a code, towards the 10 unverified attempts an hour.
    let poll = |phones: &[usize]| {
        (
            one_of(phones),
            reset_code_arg(6, 1, 2, 0),
            peer_arg(0.7),
            2..=6u8,
        )
            .prop_map(|(phone, code, peer, times)| Step::Poll {
                phone,
                code,
                peer,
                times,
            })
            .boxed()
    };
    let wait = |seconds: Vec<u32>| {
        select(seconds)
            .prop_map(|seconds| Step::Wait { seconds })
            .boxed()
    };

    let mut steps: Vec<(u32, BoxedStrategy<Step>)> = vec![
        (
            1,
            (phone_arg(), expect_arg(), via())
                .prop_map(|(phone, expect, via)| Step::SendSms { phone, expect, via })
                .boxed(),
        ),
        (4, send),
        (1, resend),
        (
            1,
            (phone_arg(), expect_arg())
                .prop_map(|(phone, expect)| Step::IsRegister { phone, expect })
                .boxed(),
        ),
        (1, register(phone_arg(), verifying_code_arg(2, 2, 1, 1))),
        (1, verify(phone_arg(), verifying_code_arg(2, 2, 1, 1), 0.25)),
        (2, shared.login),
        (
            1,
            forget(
                shared.account_phone,
                reset_code_arg(4, 1, 1, 1),
                peer_arg(0.3),
            ),
        ),
        (3, wait(vec![61, 61, 61, 300, 600, 900, 3600, 86_400])),
        (8, select(flow).boxed()),
    ];
    // Waits to either side of the edges that matter now: the minute between
    // sends, a code's 5 minutes, the reset window's 10 and the lockout's 15.
    if minute_blocked {
        steps.push((2, wait(vec![61, 59])));
    }
    let fresh_code = state.codes.iter().flatten().any(|code| {
        code.sent_at
            .is_some_and(|at| at + CODE_LIFETIME > state.now && !code.used)
    });
    if fresh_code {
        steps.push((1, wait(vec![300, 299])));
    }
    if !open_windows.is_empty() {
        steps.push((4, wait(vec![600, 599])));
        // The window from the other address (refused, and it stays open),
        // with or without its code, or from its owner with a code: the right
        // one or a wrong one (refused, and it stays open).
        let steal = (
            select(open_windows.clone()),
            reset_code_arg(3, 2, 1, 0),
            via(),
        )
            .prop_map(|((i, owner), code, via)| Step::ForgetPassword {
                phone: PhoneArg::Pool(i),
                password: Arg::Text(POLL_PASSWORD.to_owned()),
                code,
                via,
                peer: owner.other(),
            })
            .boxed();
        let with_code = (
            select(open_windows.clone()),
            password_arg(),
            reset_code_arg(0, 1, 2, 0),
            via(),
        )
            .prop_map(|((i, owner), password, code, via)| Step::ForgetPassword {
                phone: PhoneArg::Pool(i),
                password,
                code,
                via,
                peer: owner,
            })
            .boxed();
        steps.push((4, steal));
        steps.push((6, with_code));
    }
    if !registered_phones.is_empty() {
        steps.push((1, poll(&registered_phones)));
    }
    if !polled.is_empty() {
        steps.push((if near_reset_limit { 5 } else { 2 }, poll(&polled)));
    }
    // Phones whose 429 for unverified resets has just ended: try again.
    let freed = phones(&|i| state.reset_limited[i] && state.reset_wait(i).is_none());
    if !freed.is_empty() {
        steps.push((20, poll(&freed)));
    }
    // Waits to either side of the end of a 429 for unverified resets.
    let reset_waits: Vec<u32> = (0..PHONES)
        .filter_map(|i| state.reset_wait(i))
        .flat_map(|wait| {
            let seconds = u32::try_from(retry_seconds(wait)).unwrap_or(u32::MAX);
            [seconds, seconds.saturating_sub(1).max(1)]
        })
        .collect();
    if !reset_waits.is_empty() {
        steps.push((10, wait(reset_waits)));
    }
    if (0..PHONES).any(|i| state.lockout(i).is_some()) {
        steps.push((1, wait(vec![900, 899])));
    }
    if !busy.is_empty() {
        let resend = (select(busy), prop::bool::weighted(0.9), 2..=5u8)
            .prop_map(move |(i, fits, times)| Step::Resend {
                phone: i,
                expect: fitting((i, fits)),
                times,
            })
            .boxed();
        steps.push((3, resend));
        steps.push((1, wait(vec![3600])));
    }
    if !failing.is_empty() {
        let brute_force = (select(failing), password_arg(), device_arg(), via())
            .prop_map(|(i, password, device, via)| Step::Login {
                phone: PhoneArg::Pool(i),
                password,
                device,
                via,
            })
            .boxed();
        steps.push((if near_lockout { 10 } else { 3 }, brute_force));
    }
    if !signing_up.is_empty() {
        steps.push((
            5,
            register(pool(&signing_up), verifying_code_arg(5, 2, 1, 0)),
        ));
    }
    if !resetting.is_empty() {
        steps.push((
            5,
            verify(pool(&resetting), verifying_code_arg(5, 2, 1, 2), 0.4),
        ));
    }
    if !guessing.is_empty() {
        steps.push((if dying { 60 } else { 4 }, guess));
    }
    if !with_window.is_empty() {
        steps.push((
            4,
            forget(
                pool(&with_window),
                reset_code_arg(6, 2, 1, 1),
                peer_arg(0.2),
            ),
        ));
    }
    if let (Some(me), Some(logout)) = (shared.me, shared.logout) {
        steps.push((2, me));
        steps.push((1, logout));
    }
    proptest::strategy::Union::new_weighted(steps)
        .prop_filter("one bad field at a time", |step| {
            bad_fields(step, true) <= 1
        })
        .boxed()
}

/// The model in verification mode `ON` as a proptest state machine.
struct AccountModel<const ON: bool>;

impl<const ON: bool> ReferenceStateMachine for AccountModel<ON> {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model::new(ON)).boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Step> {
        if state.verification {
            transitions_on(state)
        } else {
            transitions_off(state)
        }
    }

    fn preconditions(state: &Model, step: &Step) -> bool {
        match step {
            Step::Me {
                session: SessionRef::Issued(k),
                ..
            }
            | Step::Logout {
                session: SessionRef::Issued(k),
                ..
            } => *k < state.sessions.len(),
            Step::Wait { .. } | Step::Resend { .. } | Step::Poll { .. } => state.verification,
            _ => true,
        }
    }

    fn apply(mut state: Model, step: &Step) -> Model {
        state.expected = Some(state.predict(step));
        state
    }
}

// ------------------------------------------------------ the system under test

/// The server the sequences of this thread run against.
#[derive(Clone)]
struct Target {
    client: Client,
    /// A client from the second address (127.0.0.2).
    second: Client,
    sms: Arc<RecordingSender>,
    /// Verification on: the server's clock, which the test moves.
    clock: Option<Arc<ManualClock>>,
}

thread_local! {
    /// The server the sequences run against (set by the tests below).
    static TARGET: RefCell<Option<Target>> = const { RefCell::new(None) };
    /// How the last failing run differed from the model (the minimal one, in the end).
    static LAST_DIFFERENCE: RefCell<Option<String>> = const { RefCell::new(None) };
    /// How often each kind of answer was predicted and seen, to show what the run covered.
    static TALLY: RefCell<std::collections::BTreeMap<String, u32>> = RefCell::new(Default::default());
}

/// Short names for the kinds of answer `expected` is (one per request), with
/// the rule that gave each.
fn outcome_kinds(step: &Step, expected: &Expected) -> Vec<String> {
    let operation = format!("{step:?}");
    let operation = operation
        .split([' ', '{'])
        .next()
        .unwrap_or_default()
        .to_owned();
    match (step, expected) {
        (Step::Wait { seconds }, _) if FIXED_WAITS.contains(seconds) => {
            vec![format!("Wait {seconds} s")]
        }
        (Step::Wait { .. }, _) => vec!["Wait to a reset limit's end, or 1 s short".to_owned()],
        (_, Expected::Each(answers)) => answers
            .iter()
            .flat_map(|answer| outcome_kinds(step, answer))
            .collect(),
        _ => {
            let outcome = match expected {
                Expected::Plain {
                    code,
                    msg: Msg::BadParameter(field),
                    ..
                } => format!("{} {field}", code_text(code)),
                Expected::Plain { code, why, .. } => format!("{} {why}", code_text(code)),
                Expected::Registered { .. } | Expected::LoggedIn { .. } | Expected::Me { .. } => {
                    "200 with data".to_owned()
                }
                Expected::Each(_) | Expected::Waited => String::new(),
            };
            vec![format!("{operation} {outcome}").trim_end().to_owned()]
        }
    }
}

fn code_text(code: &Code) -> String {
    match code {
        Code::Text(code) => (*code).to_owned(),
        Code::Number(code) => code.to_string(),
    }
}

/// Where the case's phones start: random per process, then one block per case.
fn next_phone_block() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static START: OnceLock<u64> = OnceLock::new();
    let start = *START.get_or_init(|| {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(u64::from(std::process::id()));
        hasher.finish() % 900_000_000
    });
    start + NEXT.fetch_add(PHONES as u64, Ordering::SeqCst)
}

/// The operation paths, from the document, and the document compiled.
struct Paths {
    prefix: String,
    document: Document,
    contract: Contract,
}

impl Paths {
    fn get() -> &'static Self {
        static PATHS: OnceLock<Paths> = OnceLock::new();
        PATHS.get_or_init(|| {
            let document = Document::committed();
            Paths {
                prefix: document.server_prefix(),
                contract: Contract::new(document.clone()).expect("the document compiles"),
                document,
            }
        })
    }

    /// The operation `request` is for (its method and path template).
    fn operation_of(&self, request: &HttpRequest) -> Operation {
        let path = request.path_and_query.split('?').next().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').collect();
        self.document
            .operations()
            .into_iter()
            .find(|op| {
                let template: Vec<String> = format!("{}{}", self.prefix, op.path)
                    .split('/')
                    .map(str::to_owned)
                    .collect();
                op.method.eq_ignore_ascii_case(&request.method)
                    && template.len() == segments.len()
                    && template
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| t == s || t.starts_with('{'))
            })
            .unwrap_or_else(|| panic!("no operation for {} {path}", request.method))
    }

    fn path(&self, operation_id: &str) -> String {
        let operation = self
            .document
            .operation_by_id(operation_id)
            .unwrap_or_else(|| panic!("the document has no operation {operation_id}"));
        format!("{}{}", self.prefix, operation.path)
    }
}

/// The server, and what the case has learnt from it.
struct Server {
    client: Client,
    second: Client,
    sms: Arc<RecordingSender>,
    clock: Option<Arc<ManualClock>>,
    phones: [String; PHONES],
    /// The codes the sender got, by phone and purpose, oldest first.
    codes: [[Vec<String>; 2]; PHONES],
    /// The user id each pool phone registered with.
    user_ids: [Option<String>; PHONES],
    /// Tokens by session, in the order the model counts them.
    tokens: Vec<String>,
    seen_tokens: HashSet<String>,
    /// Every exchange of the case, for the failure message.
    log: Vec<String>,
    /// Steps taken so far in the case.
    steps: usize,
}

impl Server {
    fn phone_text(&self, phone: &PhoneArg) -> Option<String> {
        match phone {
            PhoneArg::Pool(i) => Some(self.phones[*i].clone()),
            PhoneArg::Malformed(text) => Some(text.clone()),
            PhoneArg::Absent => None,
        }
    }

    /// The client that sends `step`'s request: from the step's address.
    fn client_for(&self, step: &Step) -> &Client {
        match step {
            Step::VerifyCode {
                peer: Peer::Second, ..
            }
            | Step::ForgetPassword {
                peer: Peer::Second, ..
            } => &self.second,
            _ => &self.client,
        }
    }

    /// The code text a step sends for `purpose` (see [`CodeArg`]).
    fn code_text(&self, phone: &PhoneArg, purpose: usize, code: &CodeArg) -> Option<String> {
        let (sent, other): (&[String], &[String]) = match phone {
            PhoneArg::Pool(i) => (&self.codes[*i][purpose], &self.codes[*i][1 - purpose]),
            _ => (&[], &[]),
        };
        let live = sent.last();
        let not_live = |candidate: Option<&String>| {
            candidate
                .filter(|c| Some(*c) != live)
                .cloned()
                .unwrap_or_else(|| wrong_code(live))
        };
        match code {
            CodeArg::Absent => None,
            CodeArg::Text(text) => Some(text.clone()),
            CodeArg::Right => Some(live.cloned().unwrap_or_else(|| wrong_code(None))),
            CodeArg::Wrong => Some(wrong_code(live)),
            CodeArg::Previous => Some(not_live(sent.iter().rev().nth(1))),
            CodeArg::OtherPurpose => Some(not_live(other.last())),
        }
    }

    /// The request for `step`.
    fn request(&self, step: &Step) -> HttpRequest {
        let paths = Paths::get();
        let field =
            |name: &str, value: Option<&str>| value.map(|v| (name.to_owned(), v.to_owned()));
        match step {
            Step::SendSms { phone, expect, via } => {
                let (id, via) = if *via == Via::Get {
                    ("sendsmsGet", Via::Get)
                } else {
                    ("sendsms", *via)
                };
                let phone = self.phone_text(phone).unwrap_or_default();
                let path = paths.path(id).replace("{mobile}", &percent_encode(&phone));
                fields_request(&path, via, vec![field("expect", expect.text())])
            }
            Step::IsRegister { phone, expect } => {
                let phone = self.phone_text(phone).unwrap_or_default();
                let path = paths
                    .path("isregister")
                    .replace("{phone}", &percent_encode(&phone));
                fields_request(&path, Via::Get, vec![field("expect", expect.text())])
            }
            Step::Register {
                phone,
                name,
                password,
                device,
                code,
                via,
            } => {
                let id = if *via == Via::Get {
                    "registerGet"
                } else {
                    "register"
                };
                let code = self.code_text(phone, SIGN_UP, code);
                let phone = self.phone_text(phone);
                fields_request(
                    &paths.path(id),
                    *via,
                    vec![
                        field("phone", phone.as_deref()),
                        field("name", name.text()),
                        field("password", password.text()),
                        field("device_identifier", device.text()),
                        field("code", code.as_deref()),
                    ],
                )
            }
            Step::Login {
                phone,
                password,
                device,
                via,
            } => {
                let id = if *via == Via::Get {
                    "loginGet"
                } else {
                    "login"
                };
                let phone = self.phone_text(phone);
                fields_request(
                    &paths.path(id),
                    *via,
                    vec![
                        field("phone", phone.as_deref()),
                        field("password", password.text()),
                        field("device_identifier", device.text()),
                    ],
                )
            }
            Step::VerifyCode { phone, code, .. } => {
                let code = self.code_text(phone, RESET, code);
                let phone = self.phone_text(phone);
                fields_request(
                    &paths.path("verifyCode"),
                    Via::Get,
                    vec![
                        field("phone", phone.as_deref()),
                        field("code", code.as_deref()),
                    ],
                )
            }
            Step::ForgetPassword {
                phone,
                password,
                code,
                via,
                ..
            } => {
                let id = if *via == Via::Get {
                    "forgetPasswordGet"
                } else {
                    "forgetPassword"
                };
                let code = self.code_text(phone, RESET, code);
                let phone = self.phone_text(phone);
                fields_request(
                    &paths.path(id),
                    *via,
                    vec![
                        field("phone", phone.as_deref()),
                        field("password", password.text()),
                        field("code", code.as_deref()),
                    ],
                )
            }
            Step::Me { session, via } => {
                self.session_request("GET", &paths.path("me"), *session, *via)
            }
            Step::Logout { session, via } => {
                self.session_request("POST", &paths.path("logout"), *session, *via)
            }
            Step::Resend { .. } | Step::Poll { .. } | Step::Wait { .. } => {
                unreachable!("not one request")
            }
        }
    }

    fn session_request(
        &self,
        method: &str,
        path: &str,
        session: SessionRef,
        via: TokenVia,
    ) -> HttpRequest {
        let token = match session {
            SessionRef::Issued(k) => Some(self.tokens[k].clone()),
            SessionRef::Unknown => Some("0123456789abcdef0123456789abcdef".to_owned()),
            SessionRef::Missing => None,
        };
        let mut request = HttpRequest {
            method: method.to_owned(),
            path_and_query: path.to_owned(),
            headers: Vec::new(),
            body: None,
        };
        if let Some(token) = token {
            match via {
                TokenVia::Bearer => request
                    .headers
                    .push(("authorization".to_owned(), format!("Bearer {token}"))),
                TokenVia::Header => request.headers.push(("token".to_owned(), token)),
                TokenVia::Query => request
                    .path_and_query
                    .push_str(&format!("?token={}", percent_encode(&token))),
            }
        }
        request
    }

    /// Takes `step` (its requests, or the time passing) and compares each
    /// answer with the model's; `Err` says how one differs.
    fn take(&mut self, step: &Step, expected: &Expected) -> Result<(), String> {
        match (step, expected) {
            (Step::Wait { seconds }, Expected::Waited) => {
                self.advance(Ms::from(*seconds) * SECOND);
                self.log
                    .push(format!("{step:?}\n  (the server's clock moved on)"));
                Ok(())
            }
            (
                Step::Resend {
                    phone,
                    expect,
                    times,
                },
                Expected::Each(answers),
            ) if answers.len() == usize::from(*times) => {
                let send = Step::SendSms {
                    phone: PhoneArg::Pool(*phone),
                    expect: Arg::Text(expect.to_string()),
                    via: Via::Form,
                };
                for (k, answer) in answers.iter().enumerate() {
                    self.advance(TICK);
                    let checked = self.check(&send, answer);
                    if let Some(entry) = self.log.last_mut() {
                        entry.insert_str(0, &format!("(resend {} of {times}) ", k + 1));
                    }
                    checked?;
                    self.advance(RESEND_EVERY);
                }
                Ok(())
            }
            (
                Step::Poll {
                    phone,
                    code,
                    peer,
                    times,
                },
                Expected::Each(answers),
            ) if answers.len() == usize::from(*times) => {
                let attempt = poll_attempt(*phone, code, *peer);
                for (k, answer) in answers.iter().enumerate() {
                    self.advance(TICK);
                    let checked = self.check(&attempt, answer);
                    if let Some(entry) = self.log.last_mut() {
                        entry.insert_str(0, &format!("(poll {} of {times}) ", k + 1));
                    }
                    checked?;
                    self.advance(POLL_EVERY);
                }
                Ok(())
            }
            (Step::Wait { .. } | Step::Resend { .. } | Step::Poll { .. }, _)
            | (_, Expected::Each(_) | Expected::Waited) => {
                Err(format!("the model answered {expected:?} to {step:?}"))
            }
            _ => {
                self.advance(TICK);
                self.check(step, expected)
            }
        }
    }

    /// Moves the server's clock as the model's moves (verification on).
    fn advance(&self, millis: Ms) {
        if let Some(clock) = &self.clock {
            advance_millis(clock, millis);
        }
    }

    /// Sends one request and compares the answer with `expected`; `Err` says how it differs.
    fn check(&mut self, step: &Step, expected: &Expected) -> Result<(), String> {
        let request = self.request(step);
        let messages_before = self.sms.count();
        let response = self.client_for(step).send(&request)?;
        // Every answer keeps the document's promises, besides the model's.
        let operation = Paths::get().operation_of(&request);
        let broken = Paths::get()
            .contract
            .check(&operation, &Ok(response.clone()));
        let outcome = if broken.is_empty() {
            self.compare(step, expected, &response)
                .and_then(|()| self.check_sender(step, expected, messages_before))
        } else {
            let listed: Vec<String> = broken.iter().map(|v| format!("\n  * {v}")).collect();
            Err(format!(
                "the answer breaks the document:{}",
                listed.concat()
            ))
        };
        self.log.push(format!(
            "{step:?}\n  model:  {expected:?}\n  server: {}",
            String::from_utf8_lossy(&response.body)
        ));
        outcome.map_err(|why| format!("{why}\n--- request\n{request}\n--- response\n{response}"))
    }

    fn compare(
        &mut self,
        step: &Step,
        expected: &Expected,
        response: &HttpResponse,
    ) -> Result<(), String> {
        if response.status != 200 {
            return Err(format!(
                "HTTP {} where the model expects 200",
                response.status
            ));
        }
        let body: Value =
            serde_json::from_slice(&response.body).map_err(|e| format!("not JSON: {e}"))?;
        let sendsms = matches!(step, Step::SendSms { .. });
        let keys: Vec<&str> = body
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let want_keys: &[&str] = if sendsms {
            &["code", "msg"]
        } else {
            &["code", "msg", "data"]
        };
        if keys != want_keys {
            return Err(format!("envelope keys {keys:?}, expected {want_keys:?}"));
        }
        let (code, msg, retry_after) = match expected {
            Expected::Plain {
                code,
                msg,
                retry_after,
                ..
            } => (code.clone(), msg.clone(), *retry_after),
            Expected::Registered { .. } => (Code::Number(200), Msg::Exact(REGISTERED), None),
            Expected::LoggedIn { .. } => (Code::Number(200), Msg::Exact(LOGGED_IN), None),
            Expected::Me { .. } => (Code::Number(200), Msg::Exact(FETCHED), None),
            Expected::Each(_) | Expected::Waited => {
                return Err(format!("the model answered {expected:?} to one request"));
            }
        };
        let wanted_code = match &code {
            Code::Text(text) => json!(text),
            Code::Number(number) => json!(number),
        };
        if body["code"] != wanted_code {
            return Err(format!(
                "code {} where the model expects {wanted_code}",
                body["code"]
            ));
        }
        let actual_msg = body["msg"].as_str().unwrap_or_default();
        match &msg {
            Msg::Exact(text) if actual_msg != *text => {
                return Err(format!(
                    "msg {actual_msg:?} where the model expects {text:?}"
                ));
            }
            Msg::BadParameter(field) if !actual_msg.starts_with(&format!("参数错误: {field} ")) =>
            {
                return Err(format!(
                    "msg {actual_msg:?} where the model expects 参数错误: {field} …"
                ));
            }
            _ => {}
        }
        if wanted_code == json!(429) || wanted_code == json!("429") {
            let retry = response
                .header("retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok());
            if retry.is_none_or(|s| s < 1) {
                return Err("a 429 without a Retry-After of at least one second".to_owned());
            }
            if let Some(seconds) = retry_after
                && retry != Some(seconds)
            {
                return Err(format!(
                    "Retry-After {:?} where the model expects {seconds}",
                    response.header("retry-after")
                ));
            }
        }
        let data = &body["data"];
        match expected {
            Expected::Plain { .. } if !sendsms && *data != json!("") => {
                Err(format!("data {data} where the model expects \"\""))
            }
            Expected::Plain { .. } | Expected::Each(_) | Expected::Waited => Ok(()),
            Expected::Registered { phone, name } => {
                self.check_account(data, *phone, name, false, true)?;
                if data["enterprise_id"] != json!(-1) {
                    return Err(format!(
                        "register's enterprise_id {} is not the number -1",
                        data["enterprise_id"]
                    ));
                }
                let token = self.new_token(data)?;
                self.tokens.push(token);
                Ok(())
            }
            Expected::LoggedIn {
                phone,
                name,
                change_device,
            } => {
                self.check_account(data, *phone, name, *change_device, false)?;
                if data["enterprise_id"] != json!("-1") {
                    return Err(format!(
                        "login's enterprise_id {} is not the string \"-1\"",
                        data["enterprise_id"]
                    ));
                }
                let token = self.new_token(data)?;
                self.tokens.push(token);
                Ok(())
            }
            Expected::Me {
                session,
                phone,
                name,
            } => {
                self.check_account(data, *phone, name, false, false)?;
                if data["enterprise_id"] != json!("-1") {
                    return Err(format!(
                        "/me's enterprise_id {} is not the string \"-1\"",
                        data["enterprise_id"]
                    ));
                }
                if data["token"] != json!(self.tokens[*session]) {
                    return Err(format!(
                        "/me's token {} is not the one presented",
                        data["token"]
                    ));
                }
                Ok(())
            }
        }
    }

    /// The fields register, login and `/me` share.
    fn check_account(
        &mut self,
        data: &Value,
        phone: usize,
        name: &str,
        change_device: bool,
        new_account: bool,
    ) -> Result<(), String> {
        let is_hex32 = |v: &Value| {
            v.as_str().is_some_and(|s| {
                s.len() == 32
                    && s.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            })
        };
        if data["change_device"] != json!(change_device) {
            return Err(format!(
                "change_device {} where the model expects {change_device}",
                data["change_device"]
            ));
        }
        if data["apply"] != json!({}) {
            return Err(format!(
                "apply {} where the model expects {{}}",
                data["apply"]
            ));
        }
        if data["name"] != json!(name) {
            return Err(format!(
                "name {} where the model expects {name:?}",
                data["name"]
            ));
        }
        if data["pemissions"] != json!([]) {
            return Err(format!(
                "pemissions {} where the model expects []",
                data["pemissions"]
            ));
        }
        if !is_hex32(&data["user_id"]) {
            return Err(format!(
                "user_id {} is not 32 lowercase hex characters",
                data["user_id"]
            ));
        }
        let user_id = data["user_id"].as_str().unwrap_or_default().to_owned();
        if new_account {
            if self
                .user_ids
                .iter()
                .flatten()
                .any(|other| *other == user_id)
            {
                return Err(format!(
                    "user_id {user_id} already belongs to another account"
                ));
            }
            self.user_ids[phone] = Some(user_id);
        } else if self.user_ids[phone].as_deref() != Some(user_id.as_str()) {
            return Err(format!(
                "user_id {user_id} where the account registered as {:?}",
                self.user_ids[phone]
            ));
        }
        Ok(())
    }

    /// The sender got exactly one 6-digit code for the phone when sendsms
    /// answered `"200"`, and nothing for any other answer or operation (a
    /// refused request never spends a send); a code sent is kept for the
    /// steps that use it.
    fn check_sender(
        &mut self,
        step: &Step,
        expected: &Expected,
        messages_before: usize,
    ) -> Result<(), String> {
        let sent = self.sms.count() - messages_before;
        let to = match (step, expected) {
            (
                Step::SendSms {
                    phone: PhoneArg::Pool(i),
                    expect,
                    ..
                },
                Expected::Plain {
                    code: Code::Text("200"),
                    ..
                },
            ) => Some((*i, usize::from(expect_value(expect).unwrap_or_default()))),
            _ => None,
        };
        let Some((i, purpose)) = to else {
            return match sent {
                0 => Ok(()),
                n => Err(format!(
                    "the sender got {n} message(s) where the model expects none"
                )),
            };
        };
        if sent != 1 {
            return Err(format!(
                "the sender got {sent} messages where the model expects one"
            ));
        }
        let code = self.sms.last_code_for(&self.phones[i]).unwrap_or_default();
        if !is_six_digits(&code) {
            return Err(format!("the code sent, {code:?}, is not 6 ASCII digits"));
        }
        self.codes[i][purpose].push(code);
        Ok(())
    }

    /// The token of a new session: 32 lowercase hex characters, never seen before.
    fn new_token(&mut self, data: &Value) -> Result<String, String> {
        let token = data["token"].as_str().unwrap_or_default().to_owned();
        if token.len() != 32
            || !token
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(format!(
                "token {token:?} is not 32 lowercase hex characters"
            ));
        }
        if !self.seen_tokens.insert(token.clone()) {
            return Err(format!("token {token} was handed out before"));
        }
        Ok(token)
    }
}

/// One forget_password of a [`Step::Poll`].
fn poll_attempt(phone: usize, code: &CodeArg, peer: Peer) -> Step {
    Step::ForgetPassword {
        phone: PhoneArg::Pool(phone),
        password: Arg::Text(POLL_PASSWORD.to_owned()),
        code: code.clone(),
        via: Via::Form,
        peer,
    }
}

/// Six digits that are not `live` (its last digit moved on), or `000000`
/// when there is no code: any code then is refused alike.
fn wrong_code(live: Option<&String>) -> String {
    let Some(live) = live else {
        return "000000".to_owned();
    };
    let mut digits = live.clone().into_bytes();
    if let Some(last) = digits.last_mut() {
        *last = b'0' + (*last - b'0' + 1) % 10;
    }
    String::from_utf8(digits).unwrap_or_default()
}

/// A request with `fields` in the query string (GET, or POST with an empty
/// body) or in a form or JSON body.
fn fields_request(path: &str, via: Via, fields: Vec<Option<(String, String)>>) -> HttpRequest {
    let fields: Vec<(String, String)> = fields.into_iter().flatten().collect();
    let encoded = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let with_query = |path: &str| {
        if encoded.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{encoded}")
        }
    };
    match via {
        Via::Get | Via::Query => HttpRequest {
            method: if via == Via::Get { "GET" } else { "POST" }.to_owned(),
            path_and_query: with_query(path),
            headers: Vec::new(),
            body: None,
        },
        Via::Form => HttpRequest {
            method: "POST".to_owned(),
            path_and_query: path.to_owned(),
            headers: vec![(
                "content-type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            )],
            body: Some(encoded.into_bytes()),
        },
        Via::Json => {
            let object: serde_json::Map<String, Value> = fields
                .into_iter()
                .map(|(k, v)| {
                    // Numbers go as JSON numbers, as apps send `expect`.
                    let value = match v.parse::<i64>() {
                        Ok(n) if k == "expect" => json!(n),
                        _ => json!(v),
                    };
                    (k, value)
                })
                .collect();
            HttpRequest {
                method: "POST".to_owned(),
                path_and_query: path.to_owned(),
                headers: vec![("content-type".to_owned(), "application/json".to_owned())],
                body: Some(Value::Object(object).to_string().into_bytes()),
            }
        }
    }
}

/// The server against [`AccountModel`] in verification mode `ON`.
struct AccountTest<const ON: bool>;

impl<const ON: bool> StateMachineTest for AccountTest<ON> {
    type SystemUnderTest = Server;
    type Reference = AccountModel<ON>;

    fn init_test(_: &Model) -> Server {
        let target = TARGET
            .with(|target| target.borrow().clone())
            .expect("the test sets the target first");
        let block = next_phone_block();
        Server {
            client: target.client,
            second: target.second,
            sms: target.sms,
            clock: target.clock,
            phones: std::array::from_fn(|i| format!("10{:09}", (block + i as u64) % 1_000_000_000)),
            codes: Default::default(),
            user_ids: Default::default(),
            tokens: Vec::new(),
            seen_tokens: HashSet::new(),
            log: Vec::new(),
            steps: 0,
        }
    }

    fn apply(mut server: Server, model: &Model, step: Step) -> Server {
        let expected = model
            .expected
            .clone()
            .expect("the model predicted this step");
        TALLY.with(|tally| {
            let mut tally = tally.borrow_mut();
            for kind in outcome_kinds(&step, &expected) {
                *tally.entry(kind).or_default() += 1;
            }
        });
        server.steps += 1;
        if let Err(why) = server.take(&step, &expected) {
            let at = server.steps;
            let difference = format!(
                "the server differs from the model at step {at} ({step:?}): {why}\n\nthe steps, \
                 each with the model's prediction and the server's answer:\n{}",
                server.log.join("\n")
            );
            LAST_DIFFERENCE.with(|last| *last.borrow_mut() = Some(difference));
            // Kept short: proptest prints this for every shrinking attempt.
            let first_line = why.lines().next().unwrap_or_default();
            panic!("the server differs from the model at step {at}: {first_line}");
        }
        server
    }
}

/// Runs sequences of `lengths` steps against `server` and the model in
/// verification mode `ON`, and prints what the run covered.
fn run<const ON: bool>(
    server: &TestServer,
    regressions: &'static str,
    config: Config,
    lengths: RangeInclusive<usize>,
) {
    let client = Client::new(&server.base_url).expect("a client");
    let second = Client::bound_to(&server.base_url, SECOND_ADDRESS).expect("a second client");
    TARGET.with(|slot| {
        *slot.borrow_mut() = Some(Target {
            client,
            second,
            sms: server.sms.clone(),
            clock: server.clock.clone(),
        });
    });
    let config = Config {
        // Relative to the crate: cargo runs tests there.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(regressions))),
        source_file: Some(file!()),
        ..config
    };
    let started = std::time::Instant::now();
    let mut runner = TestRunner::new(config.clone());
    let result = runner.run(
        &AccountModel::<ON>::sequential_strategy(lengths),
        |(initial, steps, seen)| {
            AccountTest::<ON>::test_sequential(config.clone(), initial, steps, seen);
            Ok(())
        },
    );
    let tally = TALLY.with(|tally| tally.take());
    println!(
        "verification {}: {} sequences, {} steps in {:.1} s; by operation, predicted code and rule:",
        if ON { "on" } else { "off" },
        config.cases,
        tally.values().sum::<u32>(),
        started.elapsed().as_secs_f64()
    );
    for (kind, count) in &tally {
        println!("  {kind:<56} {count:>5}");
    }
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, (_, steps, _))) => {
            let difference = LAST_DIFFERENCE
                .with(|last| last.borrow_mut().take())
                .unwrap_or_default();
            let numbered: String = steps
                .iter()
                .enumerate()
                .map(|(i, step)| format!("{:>3}. {step:?}\n", i + 1))
                .collect();
            panic!(
                "{why}\n\nminimal failing sequence ({} steps):\n{numbered}\n{difference}",
                steps.len()
            )
        }
        Err(TestError::Abort(why)) => panic!("aborted: {why}"),
    }
}

#[test]
fn the_server_answers_every_step_as_the_reference_model_predicts() {
    let server = TestServer::start();
    run::<false>(
        &server,
        "proptest-regressions/model.txt",
        Config::default(),
        1..=24,
    );
}

#[test]
fn with_verification_on_the_server_answers_every_step_as_the_reference_model_predicts() {
    let server = TestServer::start_verifying();
    run::<true>(
        &server,
        "proptest-regressions/model-verification-on.txt",
        Config::default(),
        1..=32,
    );
}
