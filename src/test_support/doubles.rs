//! Test doubles of the outside effects: a clock that moves only when told
//! to, and an SMS sender that records every code instead of sending it.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::{
    clock::Clock,
    sms_sender::{SendFuture, SmsMessage, SmsSender},
};

/// A clock that moves only when told to (tests).
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock showing the system time now.
    pub fn starting_now() -> Self {
        Self(Mutex::new(Utc::now()))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A test double that keeps every message, so tests can read the code sent.
#[derive(Debug, Default)]
pub struct RecordingSender {
    sent: Mutex<Vec<(String, String)>>,
}

impl RecordingSender {
    /// The last code sent to `phone`, if any.
    pub fn last_code_for(&self, phone: &str) -> Option<String> {
        let sent = self
            .sent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        sent.iter()
            .rev()
            .find(|(to, _)| to == phone)
            .map(|(_, code)| code.clone())
    }

    /// How many messages were sent in all.
    pub fn count(&self) -> usize {
        self.sent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }
}

impl SmsSender for RecordingSender {
    fn send<'a>(&'a self, message: SmsMessage<'a>) -> SendFuture<'a> {
        let (phone, code) = (message.phone, message.code);
        self.sent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push((phone.as_str().to_owned(), code.to_owned()));
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced() {
        let clock = ManualClock::starting_now();
        let start = clock.now();
        assert_eq!(clock.now(), start);
        clock.advance(Duration::minutes(5));
        assert_eq!(clock.now() - start, Duration::minutes(5));
    }
}
