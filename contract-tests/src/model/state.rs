//! The model's state: what the contract says the deployment knows after
//! the steps so far (accounts, sessions, codes, windows, limit counts), and
//! the answer it predicts for each step ([`Model::predict`]). The rules the
//! answers follow are in `rules`.

use super::{
    expected::{
        CODE_CORRECT, Code, Expected, LOGGED_OUT, PASSWORD_CHANGED, PHONE_NOT_REGISTERED,
        PHONE_REGISTERED, PHONE_TAKEN, SESSION_INVALID, WRONG_CODE, WRONG_CREDENTIALS,
        bad_parameter, plain,
    },
    limits::{Limits, Ms, PHONES, POLL_EVERY, RESEND_EVERY, RESET, SECOND, SIGN_UP, TICK},
    requests::poll_attempt,
    steps::{CodeArg, Peer, PhoneArg, Step, expect_value},
};

/// What the model knows of the deployment before the first step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Setup {
    /// SMS verification on (production) or off (the original's mode).
    pub verification: bool,
    /// The model moves the deployment's clock: it then knows every instant,
    /// and so every `Retry-After`, exactly, and has "time passes" steps.
    pub clocked: bool,
    /// A second client address is available for verify_code and
    /// forget_password (the reset window belongs to its verifier).
    pub second_address: bool,
    /// The deployment's limits.
    pub limits: Limits,
}

/// An account as the model knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Account {
    /// Trimmed, as registered.
    pub(super) name: String,
    pub(super) password: String,
    /// The device the account is bound to.
    pub(super) device: String,
}

/// A session the model knows of, in the order they were opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Session {
    pub(super) phone: usize,
    pub(super) revoked: bool,
    pub(super) opened: Ms,
}

/// The code of one phone and purpose (section 4.1, 4.5, 6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct CodeState {
    /// How many codes were sent for the purpose (the test keeps their texts).
    pub(super) sent: usize,
    /// When the live (last) code was sent; `None` before the first.
    pub(super) sent_at: Option<Ms>,
    /// The live code was used (a sign-up, or a verified reset).
    pub(super) used: bool,
    /// Wrong tries against a live code, kept across resends (section 6).
    pub(super) wrong_tries: u32,
    /// How many of them the live code inherited from the codes before it.
    pub(super) inherited_tries: u32,
    /// When the wrong try that killed the code was made (section 10: it
    /// stays dead for the lockout from then; later tries do not count).
    pub(super) killed_at: Option<Ms>,
    /// Reset codes: the password-reset window the verified code opened.
    pub(super) window: Window,
    /// An unverified reset was refused while the window was open (for the
    /// tally: the window outlived it).
    pub(super) refused_while_open: bool,
}

/// The password-reset window of a phone (4.5, 4.6, 9).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Window {
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

/// The contract as plain data, in either verification mode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Model {
    /// The deployment.
    pub(super) setup: Setup,
    /// SMS verification on (production) or off (the default): `setup`'s.
    pub(super) verification: bool,
    /// The model's clock: milliseconds since the case began. When
    /// `setup.clocked`, the deployment's clock moves exactly as this one does.
    pub(super) now: Ms,
    pub(super) accounts: [Option<Account>; PHONES],
    /// When each phone was sent a code (sends refused or failed are not counted).
    pub(super) sends: [Vec<Ms>; PHONES],
    /// Each phone's code by purpose ([`SIGN_UP`], [`RESET`]).
    pub(super) codes: [[CodeState; 2]; PHONES],
    /// When each phone's logins failed (unknown phones too).
    pub(super) failures: [Vec<Ms>; PHONES],
    /// Each phone's last successful password reset, which lifts a lockout.
    pub(super) last_reset: [Option<Ms>; PHONES],
    /// When each phone's unverified password resets were counted (section 9;
    /// those answered 429 are not).
    pub(super) reset_attempts: [Vec<Ms>; PHONES],
    /// The phone's last unverified reset was answered 429 (for the tally).
    pub(super) reset_limited: [bool; PHONES],
    pub(super) sessions: Vec<Session>,
    /// When the case's client address was sent a code (every send comes from
    /// the first address; each case starts with none, see `driver`).
    pub(super) address_sends: Vec<Ms>,
    /// When logins from the first address failed, over all phones.
    pub(super) address_failures: Vec<Ms>,
    /// When each address's unverified password resets were counted.
    pub(super) address_resets: [Vec<Ms>; 2],
    /// The prediction for the last step.
    pub(super) expected: Option<Expected>,
}

impl Model {
    pub(super) fn new(setup: Setup) -> Self {
        Self {
            setup,
            verification: setup.verification,
            ..Self::default()
        }
    }

    pub(super) fn predict(&mut self, step: &Step) -> Expected {
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
    pub(super) fn answer(&mut self, step: &Step) -> Expected {
        use Code::{Number, Text};
        if matches!(
            step,
            Step::Wait { .. } | Step::Resend { .. } | Step::Poll { .. }
        ) {
            unreachable!("not one request")
        }
        if let Some(field) = step.bad_fields(self.verification).first() {
            // sendsms answers in an envelope of its own, with string codes.
            let code = if matches!(step, Step::SendSms { .. }) {
                Text("400")
            } else {
                Number(400)
            };
            return bad_parameter(code, field);
        }
        // From here on every field is well-formed: the phone is one of the
        // pool's, `expect` is 0 or 1.
        match step {
            Step::SendSms {
                phone: PhoneArg::Pool(i),
                expect,
                ..
            } => self.send(*i, expect_value(expect).unwrap_or_default()),
            Step::IsRegister {
                phone: PhoneArg::Pool(i),
                expect,
            } => match (
                expect_value(expect).unwrap_or_default(),
                self.accounts[*i].is_some(),
            ) {
                (0, false) => plain(Number(200), PHONE_NOT_REGISTERED),
                (0, true) => plain(Number(-1), PHONE_TAKEN),
                (_, true) => plain(Number(200), PHONE_REGISTERED),
                (_, false) => plain(Number(-1), PHONE_NOT_REGISTERED),
            },
            Step::Register {
                phone: PhoneArg::Pool(i),
                name,
                password,
                device,
                code,
                ..
            } => {
                let i = *i;
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
                phone: PhoneArg::Pool(i),
                password,
                device,
                ..
            } => {
                let i = *i;
                // Unknown phones fail and lock like wrong passwords: the
                // contract gives both the same answer (4.4), so the lockout
                // must not tell them apart either. A locked phone's attempt
                // checks no password and counts no failure.
                if let Some(wait) = self.lockout(i) {
                    return self.too_many(Number(429), wait, "login locked");
                }
                // Then the address's wrong passwords over all phones, which
                // refuse any login from it, right password or not.
                if let Some(wait) = self.address_failure_wait() {
                    return self.too_many(Number(429), wait, "the address's wrong passwords");
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
                        self.address_failures.push(self.now);
                        plain(Number(-1), WRONG_CREDENTIALS).because(why)
                    }
                }
            }
            Step::VerifyCode {
                phone: PhoneArg::Pool(i),
                code,
                peer,
            } => {
                if !self.verification {
                    return plain(Number(200), CODE_CORRECT);
                }
                match self.use_code(*i, RESET, code, *peer) {
                    Ok(()) if *peer == Peer::Second => plain(Number(200), CODE_CORRECT)
                        .because("window opened for the second address"),
                    Ok(()) => plain(Number(200), CODE_CORRECT).because("window opened"),
                    Err(why) => plain(Number(-1), WRONG_CODE).because(why),
                }
            }
            Step::ForgetPassword {
                phone: PhoneArg::Pool(i),
                password,
                code,
                peer,
                ..
            } => {
                let i = *i;
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
            _ => unreachable!("a phone not of the pool is a bad field"),
        }
    }
}
