//! The model's clock and the deployment's limits: the numbers of the
//! contract (sections 4 to 6 and 9) in milliseconds, and the limits a
//! deployment may configure, with the server's defaults.

/// Milliseconds of the model's clock.
pub type Ms = i64;
pub(super) const SECOND: Ms = 1_000;
pub(super) const MINUTE: Ms = 60 * SECOND;
pub(super) const HOUR: Ms = 60 * MINUTE;
pub(super) const DAY: Ms = 24 * HOUR;
/// What one request moves the clock by, where the model moves the
/// deployment's clock: no two events share an instant, as with a real clock.
pub(super) const TICK: Ms = 1;
/// A code lives 5 minutes (4.1).
pub(super) const CODE_LIFETIME: Ms = 5 * MINUTE;
/// A verified reset code opens the reset window for 10 minutes (4.5).
pub(super) const RESET_WINDOW: Ms = 10 * MINUTE;
/// Wrong tries are counted per phone and purpose: a resend keeps them, unless
/// the previous code was sent more than this long ago. The contract says a
/// resend does not reset them and leaves open when they end; the server
/// starts over after a day without a send.
pub(super) const TRIES_KEPT_FOR: Ms = DAY;
/// How far a "resend" step moves the clock after each send: just past the minute limit.
pub(super) const RESEND_EVERY: Ms = 61 * SECOND;
/// How far a "poll" step moves the clock after each forget_password.
pub(super) const POLL_EVERY: Ms = 30 * SECOND;
/// The new password a "poll" step asks for.
pub(super) const POLL_PASSWORD: &str = "attacker1";
/// Phones in the pool of one case.
pub(super) const PHONES: usize = 3;
/// The purposes a code is sent for: `expect` 0 (sign-up) and 1 (password reset).
pub(super) const SIGN_UP: usize = 0;
pub(super) const RESET: usize = 1;

/// The limits of the deployment under test (section 6 and 9), as the
/// server's settings of the same names; [`Limits::default`] is the server's
/// defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most SMS sends to one phone per 60 seconds.
    pub sends_per_phone_per_minute: u32,
    /// Most SMS sends to one phone per hour.
    pub sends_per_phone_per_hour: u32,
    /// Most SMS sends to one phone per day.
    pub sends_per_phone_per_day: u32,
    /// Most SMS sends requested from one client address per hour.
    pub sends_per_address_per_hour: u32,
    /// Wrong passwords for one phone within the lockout window that lock its login.
    pub login_max_failures: u32,
    /// Minutes of the failure window, and of the lockout it causes.
    pub login_lockout_minutes: u32,
    /// Wrong passwords from one client address per hour, over all phones.
    pub login_failures_per_address_per_hour: u32,
    /// Wrong tries after which an SMS code is dead (per phone and purpose).
    pub code_max_tries: u32,
    /// Unverified password resets of one phone per hour (verification on).
    pub reset_attempts_per_phone_per_hour: u32,
    /// Unverified password resets from one client address per hour (verification on).
    pub reset_attempts_per_address_per_hour: u32,
    /// Days a session stays valid.
    pub session_ttl_days: u32,
    /// Seconds a code killed by its wrong tries stays dead, from its last
    /// counted wrong try (section 10).
    pub dead_code_lockout_secs: u32,
    /// Most live sessions of one account; a login past it ends the oldest.
    pub max_sessions_per_account: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            sends_per_phone_per_minute: 1,
            sends_per_phone_per_hour: 5,
            sends_per_phone_per_day: 10,
            sends_per_address_per_hour: 20,
            login_max_failures: 5,
            login_lockout_minutes: 15,
            login_failures_per_address_per_hour: 100,
            code_max_tries: 5,
            reset_attempts_per_phone_per_hour: 10,
            reset_attempts_per_address_per_hour: 30,
            session_ttl_days: 30,
            dead_code_lockout_secs: 900,
            max_sessions_per_account: 20,
        }
    }
}

impl Limits {
    /// Sends per phone, each within its sliding window.
    pub(super) fn phone_sends(&self) -> [(usize, Ms, &'static str); 3] {
        [
            (
                count(self.sends_per_phone_per_minute),
                MINUTE,
                "the phone's sends within the minute",
            ),
            (
                count(self.sends_per_phone_per_hour),
                HOUR,
                "the phone's sends within the hour",
            ),
            (
                count(self.sends_per_phone_per_day),
                DAY,
                "the phone's sends within the day",
            ),
        ]
    }

    /// The login failure window, which is also the lockout's length.
    pub(super) fn lockout(&self) -> Ms {
        Ms::from(self.login_lockout_minutes) * MINUTE
    }

    /// Wrong passwords within [`Limits::lockout`] that lock a phone's login.
    pub(super) fn max_login_failures(&self) -> usize {
        count(self.login_max_failures)
    }

    /// Unverified resets a phone may attempt within an hour.
    pub(super) fn max_unverified_resets(&self) -> usize {
        count(self.reset_attempts_per_phone_per_hour)
    }

    /// How long a dead code stays dead after the try that killed it.
    pub(super) fn dead_code_lockout(&self) -> Ms {
        Ms::from(self.dead_code_lockout_secs) * SECOND
    }

    /// How long a session lives.
    pub(super) fn session_lifetime(&self) -> Ms {
        Ms::from(self.session_ttl_days) * DAY
    }
}

/// A limit as a count of events.
pub(super) fn count(limit: u32) -> usize {
    usize::try_from(limit).unwrap_or(usize::MAX)
}
