//! The steps of a sequence and their arguments, and the contract's rules
//! for telling a well-formed argument from a malformed one (section 3).

use super::limits::Ms;

/// A field's value, or the field left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Arg {
    Absent,
    Text(String),
}

impl Arg {
    pub(super) fn text(&self) -> Option<&str> {
        match self {
            Self::Absent => None,
            Self::Text(text) => Some(text),
        }
    }
}

/// The `code` a step sends. Codes are random, so with verification on a
/// step names which code, and the test looks it up in what the sender got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum CodeArg {
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
pub(super) enum PhoneArg {
    Pool(usize),
    Malformed(String),
    Absent,
}

/// How the fields travel: GET query, or POST as form, JSON or empty body + query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Via {
    Get,
    Form,
    Json,
    Query,
}

/// The client address a request comes from: the case's first address, as
/// every request, or, for verify_code and forget_password, a second one
/// (where the deployment can be reached from two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Peer {
    First,
    Second,
}

impl Peer {
    pub(super) fn other(self) -> Self {
        match self {
            Self::First => Self::Second,
            Self::Second => Self::First,
        }
    }

    /// 0 for the first address, 1 for the second.
    pub(super) fn index(self) -> usize {
        match self {
            Self::First => 0,
            Self::Second => 1,
        }
    }
}

/// How a session token is presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenVia {
    Bearer,
    Header,
    Query,
}

/// Which token a session step presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SessionRef {
    /// The token of the n-th session opened in this case.
    Issued(usize),
    /// A well-formed token no one was given.
    Unknown,
    /// None at all.
    Missing,
}

/// One step of a sequence: a request, a few, or time passing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    SendSms {
        phone: PhoneArg,
        expect: Arg,
        via: Via,
    },
    /// `times` sendsms (POST form) for a pool phone, each followed by
    /// `RESEND_EVERY` (verification on only: it moves the clock).
    Resend {
        phone: usize,
        expect: u8,
        times: u8,
    },
    /// `times` forget_password (POST form, `POLL_PASSWORD`) for a pool
    /// phone from `peer` with `code`, each followed by `POLL_EVERY`:
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

impl Step {
    /// The same step from the first address (where there is no second).
    pub(super) fn on_first_address(self) -> Self {
        match self {
            Self::VerifyCode { phone, code, .. } => Self::VerifyCode {
                phone,
                code,
                peer: Peer::First,
            },
            Self::ForgetPassword {
                phone,
                password,
                code,
                via,
                ..
            } => Self::ForgetPassword {
                phone,
                password,
                code,
                via,
                peer: Peer::First,
            },
            Self::Poll {
                phone, code, times, ..
            } => Self::Poll {
                phone,
                code,
                peer: Peer::First,
                times,
            },
            other => other,
        }
    }

    /// The step's malformed or missing fields, named as the server names
    /// them, in the order the contract checks them: a 400 names the first.
    pub(super) fn bad_fields(&self, verification: bool) -> Vec<&'static str> {
        let phone = |name, phone: &PhoneArg| (name, pool_phone_is_valid(phone));
        let fields = match self {
            Self::SendSms {
                phone: p, expect, ..
            } => vec![
                phone("mobile", p),
                ("expect", expect_value(expect).is_some()),
            ],
            Self::IsRegister { phone: p, expect } => {
                vec![
                    phone("phone", p),
                    ("expect", expect_value(expect).is_some()),
                ]
            }
            Self::Register {
                phone: p,
                name,
                password,
                device,
                code,
                ..
            } => vec![
                phone("phone", p),
                ("name", name_is_valid(name)),
                ("password", password_is_valid(password)),
                ("device_identifier", device_is_valid(device)),
                ("code", code_is_valid(code, verification)),
            ],
            Self::Login {
                phone: p,
                password,
                device,
                ..
            } => vec![
                phone("phone", p),
                ("password", password_is_valid(password)),
                ("device_identifier", device_is_valid(device)),
            ],
            Self::VerifyCode { phone: p, code, .. } => {
                vec![
                    phone("phone", p),
                    ("code", code_is_valid(code, verification)),
                ]
            }
            Self::ForgetPassword {
                phone: p,
                password,
                code,
                ..
            } => vec![
                phone("phone", p),
                ("password", password_is_valid(password)),
                ("code", reset_code_is_valid(code, verification)),
            ],
            Self::Poll { code, .. } => vec![("code", reset_code_is_valid(code, verification))],
            Self::Me { .. } | Self::Logout { .. } | Self::Resend { .. } | Self::Wait { .. } => {
                Vec::new()
            }
        };
        fields
            .into_iter()
            .filter(|(_, valid)| !valid)
            .map(|(name, _)| name)
            .collect()
    }
}

/// A phone of the pool; a malformed one must be malformed indeed.
fn pool_phone_is_valid(phone: &PhoneArg) -> bool {
    match phone {
        PhoneArg::Pool(_) => true,
        PhoneArg::Malformed(text) => {
            assert!(!phone_is_valid(text), "{text:?} is a valid phone");
            false
        }
        PhoneArg::Absent => false,
    }
}

/// Section 3: `^1[0-9]{10}$`, ASCII digits only.
pub(super) fn phone_is_valid(text: &str) -> bool {
    text.len() == 11 && text.starts_with('1') && text.bytes().all(|b| b.is_ascii_digit())
}

pub(super) fn chars(text: &str) -> usize {
    text.chars().count()
}

pub(super) fn password_is_valid(arg: &Arg) -> bool {
    arg.text().is_some_and(|t| (6..=14).contains(&chars(t)))
}

pub(super) fn name_is_valid(arg: &Arg) -> bool {
    arg.text()
        .is_some_and(|t| (1..=32).contains(&chars(t.trim())))
}

pub(super) fn device_is_valid(arg: &Arg) -> bool {
    arg.text().is_some_and(|t| (1..=128).contains(&chars(t)))
}

/// `0` (the default, also when absent) or `1`; `None` for anything else.
pub(super) fn expect_value(arg: &Arg) -> Option<u8> {
    match arg.text() {
        None | Some("0") => Some(0),
        Some("1") => Some(1),
        Some(_) => None,
    }
}

pub(super) fn is_six_digits(text: &str) -> bool {
    text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Section 3: with verification on a code is required and is 6 ASCII
/// digits; with it off any code up to the document's 64 characters, or none.
pub(super) fn code_is_valid(code: &CodeArg, verification: bool) -> bool {
    match code {
        CodeArg::Absent => !verification,
        CodeArg::Text(text) if verification => is_six_digits(text),
        CodeArg::Text(text) => chars(text) <= 64,
        CodeArg::Right | CodeArg::Wrong | CodeArg::Previous | CodeArg::OtherPurpose => true,
    }
}

/// forget_password's optional code (section 9): with verification on, 6
/// ASCII digits when present; with it off, ignored whatever it is.
pub(super) fn reset_code_is_valid(code: &CodeArg, verification: bool) -> bool {
    match code {
        CodeArg::Text(text) if verification => is_six_digits(text),
        _ => true,
    }
}

/// How long until fewer than `limit` of `times` fall within the sliding
/// `window` ending at `now` (when the oldest of the newest `limit` leaves
/// it); `None` when fewer are there already.
pub(super) fn window_wait(times: &[Ms], limit: usize, window: Ms, now: Ms) -> Option<Ms> {
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
pub(super) fn retry_seconds(wait: Ms) -> u64 {
    u64::try_from(wait).unwrap_or(0).div_ceil(1000).max(1)
}
