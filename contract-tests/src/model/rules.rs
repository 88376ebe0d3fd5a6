//! The rules behind the model's answers: codes and their lifetimes, the
//! reset window, the send limits, the login lockout and the limits per
//! client address (sections 4, 6 and 9).

use super::{
    expected::{
        Code, Expected, Msg, PHONE_NOT_REGISTERED, PHONE_TAKEN, SENT, TOO_MANY, VERIFY_FIRST,
        WRONG_CODE, plain,
    },
    limits::{CODE_LIFETIME, HOUR, Ms, RESET, RESET_WINDOW, TRIES_KEPT_FOR, count},
    state::{Model, Session, Window},
    steps::{CodeArg, Peer, SessionRef, retry_seconds, window_wait},
};

impl Model {
    /// sendsms for pool phone `i`: registration against `expect` (-1), then
    /// the limits (429: a dead code, the sends of the phone and of the
    /// address, the longest wait of those in the way), then a new code for
    /// (phone, purpose) superseding the last (section 4.1, 6 and 10).
    pub(super) fn send(&mut self, i: usize, expect: u8) -> Expected {
        use Code::Text;
        match (expect, self.accounts[i].is_some()) {
            (0, true) => return plain(Text("-1"), PHONE_TAKEN),
            (1, false) => return plain(Text("-1"), PHONE_NOT_REGISTERED),
            _ => {}
        }
        let purpose = usize::from(expect);
        let dead = self
            .dead_wait(i, purpose)
            .map(|wait| (wait, "the code is dead"));
        if let Some((wait, why)) = dead
            .into_iter()
            .chain(self.send_wait(i))
            .max_by_key(|&(wait, _)| wait)
        {
            return self.too_many(Text("429"), wait, why);
        }
        self.sends[i].push(self.now);
        self.address_sends.push(self.now);
        let now = self.now;
        let max_tries = self.setup.limits.code_max_tries;
        let code = &mut self.codes[i][purpose];
        let mut why = "";
        if code.wrong_tries >= max_tries {
            why = "a fresh code after the dead code's lockout";
            code.wrong_tries = 0;
            code.killed_at = None;
        } else if code.sent_at.is_none_or(|at| at < now - TRIES_KEPT_FOR) {
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
    /// it back (the longest wait when several do, the phone's and the
    /// address's); `None` when one may go now.
    pub(super) fn send_wait(&self, i: usize) -> Option<(Ms, &'static str)> {
        let limits = self.setup.limits;
        let address = window_wait(
            &self.address_sends,
            count(limits.sends_per_address_per_hour),
            HOUR,
            self.now,
        )
        .map(|wait| (wait, "the address's sends within the hour"));
        limits
            .phone_sends()
            .iter()
            .filter_map(|&(limit, window, why)| {
                window_wait(&self.sends[i], limit, window, self.now).map(|wait| (wait, why))
            })
            .chain(address)
            .max_by_key(|&(wait, _)| wait)
    }

    /// How long the code of phone `i` for `purpose` stays dead: killed by
    /// its wrong tries less than the lockout ago (section 10); `None` when
    /// it is not dead, or its lockout has ended.
    pub(super) fn dead_wait(&self, i: usize, purpose: usize) -> Option<Ms> {
        let code = &self.codes[i][purpose];
        let ends = code.killed_at? + self.setup.limits.dead_code_lockout();
        (code.wrong_tries >= self.setup.limits.code_max_tries && ends > self.now)
            .then(|| ends - self.now)
    }

    /// How long until logins from the first address are allowed again
    /// after its wrong passwords over all phones; `None` when they are now.
    pub(super) fn address_failure_wait(&self) -> Option<Ms> {
        window_wait(
            &self.address_failures,
            count(self.setup.limits.login_failures_per_address_per_hour),
            HOUR,
            self.now,
        )
    }

    /// How long until phone `i` may make another unverified password reset
    /// attempt; `None` when it may now.
    pub(super) fn reset_wait(&self, i: usize) -> Option<Ms> {
        window_wait(
            &self.reset_attempts[i],
            self.setup.limits.max_unverified_resets(),
            HOUR,
            self.now,
        )
    }

    /// How long until `peer` may make another unverified password reset
    /// attempt, over all phones; `None` when it may now.
    pub(super) fn address_reset_wait(&self, peer: Peer) -> Option<Ms> {
        window_wait(
            &self.address_resets[peer.index()],
            count(self.setup.limits.reset_attempts_per_address_per_hour),
            HOUR,
            self.now,
        )
    }

    /// Unverified reset attempts of phone `i` counted within the last hour.
    pub(super) fn recent_reset_attempts(&self, i: usize) -> usize {
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
    /// phone, or the address, made its limit's worth within the hour (not counted), else counted and -1,
    /// `验证码错误` when `peer`'s window is open but the code differs (the
    /// window stays open), `请先验证手机验证码` otherwise.
    pub(super) fn use_window(
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
        // The longest wait of the phone's and the address's limits.
        let phone_wait = self
            .reset_wait(i)
            .map(|wait| (wait, "the phone's unverified resets within the hour"));
        let address_wait = self
            .address_reset_wait(peer)
            .map(|wait| (wait, "the address's unverified resets within the hour"));
        if let Some((wait, limit)) = phone_wait
            .into_iter()
            .chain(address_wait)
            .max_by_key(|&(wait, _)| wait)
        {
            // Not counted, and the window (if any) is unaffected.
            self.reset_limited[i] = true;
            return Err(self.too_many(Number(429), wait, limit));
        }
        self.reset_attempts[i].push(now);
        self.address_resets[peer.index()].push(now);
        let why = if std::mem::take(&mut self.reset_limited[i]) {
            "counted again: the hour freed an attempt"
        } else {
            why
        };
        Err(plain(Number(-1), msg).because(why))
    }

    /// Whether phone `i`'s login is locked, and for how long: the newest
    /// `login_max_failures` wrong passwords since the last reset fall within
    /// the lockout window, and the newest is less than a window old.
    pub(super) fn lockout(&self, i: usize) -> Option<Ms> {
        self.lockout_since(i, self.last_reset[i].unwrap_or(Ms::MIN))
    }

    /// [`Model::lockout`] counting the wrong passwords after `since`.
    pub(super) fn lockout_since(&self, i: usize, since: Ms) -> Option<Ms> {
        let mut recent: Vec<Ms> = self.failures[i]
            .iter()
            .copied()
            .filter(|&t| t > since)
            .collect();
        recent.sort_unstable_by(|a, b| b.cmp(a));
        let (max, lockout) = (
            self.setup.limits.max_login_failures(),
            self.setup.limits.lockout(),
        );
        recent.truncate(max);
        match (recent.first(), recent.last()) {
            (Some(&newest), Some(&oldest))
                if recent.len() >= max
                    && newest - oldest <= lockout
                    && newest + lockout > self.now =>
            {
                Some(newest + lockout - self.now)
            }
            _ => None,
        }
    }

    /// For the tally: whether an unlocked phone was locked before, and what ended it.
    pub(super) fn lockout_ended(&self, i: usize) -> &'static str {
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
        let (max, lockout) = (
            self.setup.limits.max_login_failures(),
            self.setup.limits.lockout(),
        );
        if times
            .windows(max)
            .any(|run| run[max - 1] - run[0] <= lockout)
        {
            "the lockout ran out"
        } else {
            ""
        }
    }

    /// The 429 answer; its exact `Retry-After` when the model's clock is the deployment's.
    pub(super) fn too_many(&self, code: Code, wait: Ms, why: &'static str) -> Expected {
        Expected::Plain {
            code,
            msg: Msg::Exact(TOO_MANY),
            retry_after: self.setup.clocked.then(|| retry_seconds(wait)),
            why,
        }
    }

    /// Uses the live code of phone `i` for `purpose` if `code` is it
    /// (verification on). A code is live from its send for 5 minutes, until
    /// used, superseded, or killed by 5 wrong tries. A wrong code against a
    /// live one counts a try; a right one is used up, and a reset code opens
    /// the 10-minute reset window for `peer`, the address that sent it.
    /// `Err` says why the code was refused.
    pub(super) fn use_code(
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
        if state.wrong_tries >= self.setup.limits.code_max_tries {
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
            if state.wrong_tries >= self.setup.limits.code_max_tries {
                state.killed_at = Some(now);
            }
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

    /// Opens a session of `phone`; past the cap of live sessions per
    /// account, the oldest live ones end.
    pub(super) fn open_session(&mut self, phone: usize) {
        self.sessions.push(Session {
            phone,
            revoked: false,
            opened: self.now,
        });
        let (now, lifetime) = (self.now, self.setup.limits.session_lifetime());
        let cap = usize::try_from(self.setup.limits.max_sessions_per_account).unwrap_or(usize::MAX);
        let mut live: Vec<&mut Session> = self
            .sessions
            .iter_mut()
            .filter(|s| s.phone == phone && !s.revoked && s.opened + lifetime > now)
            .collect();
        let over = live.len().saturating_sub(cap);
        for session in live.iter_mut().take(over) {
            session.revoked = true;
        }
    }

    pub(super) fn live_session(&self, session: SessionRef) -> Option<usize> {
        match session {
            SessionRef::Issued(k) => self
                .sessions
                .get(k)
                .filter(|s| {
                    !s.revoked && s.opened + self.setup.limits.session_lifetime() > self.now
                })
                .map(|_| k),
            SessionRef::Unknown | SessionRef::Missing => None,
        }
    }

    /// Wrong passwords since the last reset (to steer logins towards a lockout).
    pub(super) fn recent_failures(&self, i: usize) -> usize {
        let since = self.last_reset[i].unwrap_or(Ms::MIN);
        self.failures[i].iter().filter(|&&t| t > since).count()
    }
}
