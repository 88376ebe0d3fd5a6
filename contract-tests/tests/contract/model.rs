//! The server against a reference model of the contract, step by step.
//!
//! Random sequences of sendsms / isregister / register / login / verify_code /
//! forget_password (and `/me`, `/logout` when the document has them) over a
//! small pool of phones, names, passwords and devices run against the server
//! and against [`Model`], plain Rust that states the contract with
//! verification off (the default). Every answer must be the one the model
//! predicts: code and msg, and for accounts `change_device`, `apply` (`{}`:
//! these users never applied to an enterprise), `enterprise_id` (the number
//! -1 in register, the string "-1" in login), `name`, `pemissions`,
//! `user_id`, and a new distinct token per session. The send limit and the
//! login lockout are modelled at their defaults (one send per phone a
//! minute; five failed logins lock a phone). A failure is shrunk and printed
//! as the minimal sequence of steps.
//!
//! Each case gets phones of its own (`10` + nine digits), so cases never
//! see each other's accounts, and shrinking replays from a clean slate.

use std::{
    cell::RefCell,
    collections::{HashSet, hash_map::RandomState},
    hash::{BuildHasher, Hasher},
    sync::{
        OnceLock,
        atomic::{AtomicU64, Ordering},
    },
};

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

use crate::server::TestServer;

/// Phones in the pool of one case.
const PHONES: usize = 3;
/// Failed logins that lock a phone (the contract's default).
const MAX_LOGIN_FAILURES: u32 = 5;

// The contract's messages (section 2 and 4).
const SENT: &str = "发送成功";
const PHONE_TAKEN: &str = "手机号已经被注册";
const PHONE_NOT_REGISTERED: &str = "手机号未注册";
const PHONE_REGISTERED: &str = "手机号已注册";
const REGISTERED: &str = "注册成功";
const WRONG_CREDENTIALS: &str = "手机号或密码错误";
const LOGGED_IN: &str = "登录成功";
const CODE_CORRECT: &str = "验证码正确";
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

/// One request of a sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    SendSms {
        phone: PhoneArg,
        expect: Arg,
        via: Via,
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
        code: Arg,
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
        code: Arg,
    },
    ForgetPassword {
        phone: PhoneArg,
        password: Arg,
        via: Via,
    },
    Me {
        session: SessionRef,
        via: TokenVia,
    },
    Logout {
        session: SessionRef,
        via: TokenVia,
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

fn code_is_valid(arg: &Arg) -> bool {
    arg.text().is_none_or(|t| chars(t) <= 64)
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
    Plain { code: Code, msg: Msg },
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
}

fn plain(code: Code, msg: &'static str) -> Expected {
    Expected::Plain {
        code,
        msg: Msg::Exact(msg),
    }
}

fn bad_parameter(code: Code, field: &'static str) -> Expected {
    Expected::Plain {
        code,
        msg: Msg::BadParameter(field),
    }
}

/// The contract, verification off, as plain data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Model {
    accounts: [Option<Account>; PHONES],
    /// A code went to the phone within this case (so within the minute).
    sent: [bool; PHONES],
    /// Failed logins since the last successful reset.
    failures: [u32; PHONES],
    sessions: Vec<Session>,
    /// The prediction for the last step.
    expected: Option<Expected>,
}

impl Model {
    fn predict(&mut self, step: &Step) -> Expected {
        use Code::{Number, Text};
        match step {
            Step::SendSms { phone, expect, .. } => {
                let Some(i) = self.phone(phone) else {
                    return bad_parameter(Text("400"), "mobile");
                };
                let Some(expect) = expect_value(expect) else {
                    return bad_parameter(Text("400"), "expect");
                };
                // Order: parameters, then registration, then limits.
                match (expect, self.accounts[i].is_some()) {
                    (0, true) => return plain(Text("-1"), PHONE_TAKEN),
                    (1, false) => return plain(Text("-1"), PHONE_NOT_REGISTERED),
                    _ => {}
                }
                if self.sent[i] {
                    return plain(Text("429"), TOO_MANY);
                }
                self.sent[i] = true;
                plain(Text("200"), SENT)
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
                if !code_is_valid(code) {
                    return bad_parameter(Number(400), "code");
                }
                if self.accounts[i].is_some() {
                    return plain(Number(-1), PHONE_TAKEN);
                }
                let name = name.text().unwrap_or_default().trim().to_owned();
                self.accounts[i] = Some(Account {
                    name: name.clone(),
                    password: password.text().unwrap_or_default().to_owned(),
                    device: device.text().unwrap_or_default().to_owned(),
                });
                self.sessions.push(Session {
                    phone: i,
                    revoked: false,
                });
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
                // must not tell them apart either.
                if self.failures[i] >= MAX_LOGIN_FAILURES {
                    return plain(Number(429), TOO_MANY);
                }
                let password = password.text().unwrap_or_default();
                let device = device.text().unwrap_or_default();
                match &mut self.accounts[i] {
                    Some(account) if account.password == password => {
                        let change_device = account.device != device;
                        account.device = device.to_owned();
                        let name = account.name.clone();
                        self.sessions.push(Session {
                            phone: i,
                            revoked: false,
                        });
                        Expected::LoggedIn {
                            phone: i,
                            name,
                            change_device,
                        }
                    }
                    _ => {
                        self.failures[i] += 1;
                        plain(Number(-1), WRONG_CREDENTIALS)
                    }
                }
            }
            Step::VerifyCode { phone, code } => {
                if self.phone(phone).is_none() {
                    return bad_parameter(Number(400), "phone");
                }
                if !code_is_valid(code) {
                    return bad_parameter(Number(400), "code");
                }
                plain(Number(200), CODE_CORRECT)
            }
            Step::ForgetPassword {
                phone, password, ..
            } => {
                let Some(i) = self.phone(phone) else {
                    return bad_parameter(Number(400), "phone");
                };
                if !password_is_valid(password) {
                    return bad_parameter(Number(400), "password");
                }
                let Some(account) = &mut self.accounts[i] else {
                    return plain(Number(-1), PHONE_NOT_REGISTERED);
                };
                account.password = password.text().unwrap_or_default().to_owned();
                // Every session of the account is revoked, the lockout lifted.
                for session in self.sessions.iter_mut().filter(|s| s.phone == i) {
                    session.revoked = true;
                }
                self.failures[i] = 0;
                plain(Number(200), PASSWORD_CHANGED)
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
            SessionRef::Issued(k) => self.sessions.get(k).filter(|s| !s.revoked).map(|_| k),
            SessionRef::Unknown | SessionRef::Missing => None,
        }
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

fn code_arg() -> BoxedStrategy<Arg> {
    prop_oneof![texts(&["xxx", "123456"]), Just(Arg::Absent)].boxed()
}

fn via() -> BoxedStrategy<Via> {
    select(vec![Via::Get, Via::Form, Via::Json, Via::Query]).boxed()
}

fn token_via() -> BoxedStrategy<TokenVia> {
    select(vec![TokenVia::Bearer, TokenVia::Header, TokenVia::Query]).boxed()
}

/// How many fields of a step are malformed or missing (the model checks one at a time).
fn bad_fields(step: &Step) -> usize {
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
                + flag(code_is_valid(code))
        }
        Step::Login {
            phone: p,
            password,
            device,
            ..
        } => phone(p) + flag(password_is_valid(password)) + flag(device_is_valid(device)),
        Step::VerifyCode { phone: p, code } => phone(p) + flag(code_is_valid(code)),
        Step::ForgetPassword {
            phone: p, password, ..
        } => phone(p) + flag(password_is_valid(password)),
        Step::Me { .. } | Step::Logout { .. } => 0,
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

struct AccountModel;

impl ReferenceStateMachine for AccountModel {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model::default()).boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Step> {
        // Registered phones (and phones with failed logins) and the passwords
        // come up often, so that logins succeed, resets find accounts and
        // lockouts are reached.
        let registered: Vec<usize> = (0..PHONES)
            .filter(|&i| state.accounts[i].is_some())
            .collect();
        let failing: Vec<usize> = (0..PHONES).filter(|&i| state.failures[i] >= 2).collect();
        let passwords: Vec<Arg> = state
            .accounts
            .iter()
            .flatten()
            .map(|a| Arg::Text(a.password.clone()))
            .collect();
        let account_phone = move || -> BoxedStrategy<PhoneArg> {
            if registered.is_empty() {
                phone_arg()
            } else {
                prop_oneof![1 => select(registered.clone()).prop_map(PhoneArg::Pool), 1 => phone_arg()].boxed()
            }
        };
        let login_phone = {
            let account_phone = account_phone.clone();
            move || -> BoxedStrategy<PhoneArg> {
                if failing.is_empty() {
                    account_phone()
                } else {
                    prop_oneof![1 => select(failing.clone()).prop_map(PhoneArg::Pool), 2 => account_phone()].boxed()
                }
            }
        };
        let login_password = move || -> BoxedStrategy<Arg> {
            if passwords.is_empty() {
                password_arg()
            } else {
                prop_oneof![1 => select(passwords.clone()), 1 => password_arg()].boxed()
            }
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
            (
                6,
                (login_phone(), login_password(), device_arg(), via())
                    .prop_map(|(phone, password, device, via)| Step::Login {
                        phone,
                        password,
                        device,
                        via,
                    })
                    .boxed(),
            ),
            (
                1,
                (phone_arg(), code_arg())
                    .prop_map(|(phone, code)| Step::VerifyCode { phone, code })
                    .boxed(),
            ),
            (
                2,
                (account_phone(), password_arg(), via())
                    .prop_map(|(phone, password, via)| Step::ForgetPassword {
                        phone,
                        password,
                        via,
                    })
                    .boxed(),
            ),
        ];
        if has_sessions() {
            steps.push((
                2,
                (session(), token_via())
                    .prop_map(|(session, via)| Step::Me { session, via })
                    .boxed(),
            ));
            steps.push((
                1,
                (session(), token_via())
                    .prop_map(|(session, via)| Step::Logout { session, via })
                    .boxed(),
            ));
        }
        proptest::strategy::Union::new_weighted(steps)
            .prop_filter("one bad field at a time", |step| bad_fields(step) <= 1)
            .boxed()
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
            _ => true,
        }
    }

    fn apply(mut state: Model, step: &Step) -> Model {
        state.expected = Some(state.predict(step));
        state
    }
}

// ------------------------------------------------------ the system under test

thread_local! {
    /// A client of the server the sequences run against (set by the test below).
    static CLIENT: RefCell<Option<Client>> = const { RefCell::new(None) };
    /// How the last failing run differed from the model (the minimal one, in the end).
    static LAST_DIFFERENCE: RefCell<Option<String>> = const { RefCell::new(None) };
    /// How often each kind of answer was predicted and seen, to show what the run covered.
    static TALLY: RefCell<std::collections::BTreeMap<String, u32>> = RefCell::new(Default::default());
}

/// A short name for the kind of answer `expected` is.
fn outcome_kind(step: &Step, expected: &Expected) -> String {
    let operation = format!("{step:?}");
    let operation = operation
        .split([' ', '{'])
        .next()
        .unwrap_or_default()
        .to_owned();
    let outcome = match expected {
        Expected::Plain {
            code: Code::Text(code),
            ..
        } => (*code).to_owned(),
        Expected::Plain {
            code: Code::Number(code),
            ..
        } => code.to_string(),
        Expected::Registered { .. } | Expected::LoggedIn { .. } | Expected::Me { .. } => {
            "200 with data".to_owned()
        }
    };
    format!("{operation} {outcome}")
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
    phones: [String; PHONES],
    /// The user id each pool phone registered with.
    user_ids: [Option<String>; PHONES],
    /// Tokens by session, in the order the model counts them.
    tokens: Vec<String>,
    seen_tokens: HashSet<String>,
    /// Every exchange of the case, for the failure message.
    log: Vec<String>,
}

impl Server {
    fn phone_text(&self, phone: &PhoneArg) -> Option<String> {
        match phone {
            PhoneArg::Pool(i) => Some(self.phones[*i].clone()),
            PhoneArg::Malformed(text) => Some(text.clone()),
            PhoneArg::Absent => None,
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
                let phone = self.phone_text(phone);
                fields_request(
                    &paths.path(id),
                    *via,
                    vec![
                        field("phone", phone.as_deref()),
                        field("name", name.text()),
                        field("password", password.text()),
                        field("device_identifier", device.text()),
                        field("code", code.text()),
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
            Step::VerifyCode { phone, code } => {
                let phone = self.phone_text(phone);
                fields_request(
                    &paths.path("verifyCode"),
                    Via::Get,
                    vec![field("phone", phone.as_deref()), field("code", code.text())],
                )
            }
            Step::ForgetPassword {
                phone,
                password,
                via,
            } => {
                let id = if *via == Via::Get {
                    "forgetPasswordGet"
                } else {
                    "forgetPassword"
                };
                let phone = self.phone_text(phone);
                fields_request(
                    &paths.path(id),
                    *via,
                    vec![
                        field("phone", phone.as_deref()),
                        field("password", password.text()),
                    ],
                )
            }
            Step::Me { session, via } => {
                self.session_request("GET", &paths.path("me"), *session, *via)
            }
            Step::Logout { session, via } => {
                self.session_request("POST", &paths.path("logout"), *session, *via)
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

    /// Sends `step` and compares the answer with `expected`; `Err` says how it differs.
    fn check(&mut self, step: &Step, expected: &Expected) -> Result<(), String> {
        let request = self.request(step);
        let response = self.client.send(&request)?;
        // Every answer keeps the document's promises, besides the model's.
        let operation = Paths::get().operation_of(&request);
        let broken = Paths::get()
            .contract
            .check(&operation, &Ok(response.clone()));
        let outcome = if broken.is_empty() {
            self.compare(step, expected, &response)
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
        let (code, msg) = match expected {
            Expected::Plain { code, msg } => (code.clone(), msg.clone()),
            Expected::Registered { .. } => (Code::Number(200), Msg::Exact(REGISTERED)),
            Expected::LoggedIn { .. } => (Code::Number(200), Msg::Exact(LOGGED_IN)),
            Expected::Me { .. } => (Code::Number(200), Msg::Exact(FETCHED)),
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
        }
        let data = &body["data"];
        match expected {
            Expected::Plain { .. } if !sendsms && *data != json!("") => {
                Err(format!("data {data} where the model expects \"\""))
            }
            Expected::Plain { .. } => Ok(()),
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

struct AccountTest;

impl StateMachineTest for AccountTest {
    type SystemUnderTest = Server;
    type Reference = AccountModel;

    fn init_test(_: &Model) -> Server {
        let client = CLIENT
            .with(|client| client.borrow().clone())
            .expect("the test sets the client first");
        let block = next_phone_block();
        Server {
            client,
            phones: std::array::from_fn(|i| format!("10{:09}", (block + i as u64) % 1_000_000_000)),
            user_ids: Default::default(),
            tokens: Vec::new(),
            seen_tokens: HashSet::new(),
            log: Vec::new(),
        }
    }

    fn apply(mut server: Server, model: &Model, step: Step) -> Server {
        let expected = model
            .expected
            .clone()
            .expect("the model predicted this step");
        TALLY.with(|tally| {
            *tally
                .borrow_mut()
                .entry(outcome_kind(&step, &expected))
                .or_default() += 1
        });
        if let Err(why) = server.check(&step, &expected) {
            let at = server.log.len().max(1);
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

#[test]
fn the_server_answers_every_step_as_the_reference_model_predicts() {
    let server = TestServer::start();
    let client = Client::new(&server.base_url).expect("a client");
    CLIENT.with(|slot| *slot.borrow_mut() = Some(client));
    let config = Config {
        // Relative to the crate: cargo runs tests there.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/model.txt",
        ))),
        source_file: Some(file!()),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config.clone());
    let result = runner.run(
        &AccountModel::sequential_strategy(1..=24),
        |(initial, steps, seen)| {
            AccountTest::test_sequential(config.clone(), initial, steps, seen);
            Ok(())
        },
    );
    let tally = TALLY.with(|tally| tally.take());
    println!(
        "steps run, by operation and predicted code ({} in all):",
        tally.values().sum::<u32>()
    );
    for (kind, count) in &tally {
        println!("  {kind:<32} {count:>5}");
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
