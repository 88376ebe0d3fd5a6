//! The sandbox's SMS inbox: every code the server "sent", for a test to read
//! instead of a phone. Its whole job is to show the codes.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::clock::SandboxClock;
use crate::{
    clock::Clock,
    domain::CodePurpose,
    sms_sender::{SendFuture, SmsMessage, SmsSender},
};

/// One message "sent".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxMessage {
    /// The phone it went to.
    pub phone: String,
    /// The code.
    pub code: String,
    /// What the code is for.
    pub purpose: CodePurpose,
    /// When it was sent, by the sandbox's clock.
    pub sent_at: DateTime<Utc>,
}

/// The messages sent so far, oldest first.
#[derive(Debug)]
pub struct Inbox {
    clock: Arc<SandboxClock>,
    messages: Mutex<Vec<InboxMessage>>,
}

impl Inbox {
    /// An empty inbox stamping messages with `clock`.
    pub fn new(clock: Arc<SandboxClock>) -> Self {
        Self {
            clock,
            messages: Mutex::new(Vec::new()),
        }
    }

    fn messages(&self) -> std::sync::MutexGuard<'_, Vec<InboxMessage>> {
        self.messages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every message, newest first.
    pub fn newest_first(&self) -> Vec<InboxMessage> {
        self.messages().iter().rev().cloned().collect()
    }

    /// The newest message to `phone`.
    pub fn latest_for(&self, phone: &str) -> Option<InboxMessage> {
        self.messages()
            .iter()
            .rev()
            .find(|message| message.phone == phone)
            .cloned()
    }

    /// Forgets every message.
    pub fn clear(&self) {
        self.messages().clear();
    }
}

impl SmsSender for Inbox {
    fn send<'a>(&'a self, message: SmsMessage<'a>) -> SendFuture<'a> {
        self.messages().push(InboxMessage {
            phone: message.phone.as_str().to_owned(),
            code: message.code.to_owned(),
            purpose: message.purpose,
            sent_at: self.clock.now(),
        });
        Box::pin(async { Ok(()) })
    }
}
