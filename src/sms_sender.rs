//! Where SMS codes go. A trait, so production, development and tests each
//! plug in their own sender.

use std::{future::Future, pin::Pin, sync::Mutex};

use crate::domain::Phone;

/// A sender failure; the app sees an internal error.
#[derive(Debug, thiserror::Error)]
#[error("SMS provider failed: {0}")]
pub struct SmsError(pub String);

/// The future a sender returns.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SmsError>> + Send + 'a>>;

/// Delivers a verification code to a phone.
pub trait SmsSender: Send + Sync + 'static {
    /// Sends `code` to `phone`.
    fn send<'a>(&'a self, phone: &'a Phone, code: &'a str) -> SendFuture<'a>;
}

/// The development sender: writes phone and code to the log, sends nothing.
///
/// Its whole job is to show the code, so it is the one place a code is logged.
#[derive(Debug, Default)]
pub struct LogSender;

impl SmsSender for LogSender {
    fn send<'a>(&'a self, phone: &'a Phone, code: &'a str) -> SendFuture<'a> {
        tracing::info!(
            phone = phone.as_str(),
            code,
            "SMS code (log sender: nothing sent)"
        );
        Box::pin(async { Ok(()) })
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
    fn send<'a>(&'a self, phone: &'a Phone, code: &'a str) -> SendFuture<'a> {
        self.sent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push((phone.as_str().to_owned(), code.to_owned()));
        Box::pin(async { Ok(()) })
    }
}
