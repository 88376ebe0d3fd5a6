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

/// A real provider, called over HTTP: POSTs a JSON body made from a template.
///
/// A 5xx answer, a timeout or a connection failure is retried a bounded
/// number of times with a short backoff; a 4xx is final. Errors name the
/// status, never the code.
pub struct HttpSender {
    client: reqwest::Client,
    url: String,
    template: String,
    retries: u32,
}

impl HttpSender {
    /// A sender POSTing `template` (with `{phone}` and `{code}` replaced) to `url`.
    pub fn new(
        url: &str,
        template: &str,
        timeout: std::time::Duration,
        retries: u32,
    ) -> Result<Self, SmsError> {
        // The TLS crypto provider of the whole process; one already chosen is kept.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let filled = fill_template(template, "13800000000", "000000");
        serde_json::from_str::<serde_json::Value>(&filled)
            .map_err(|err| SmsError(format!("the SMS HTTP template is not JSON: {err}")))?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|err| SmsError(format!("cannot build the HTTP client: {err}")))?;
        Ok(Self {
            client,
            url: url.to_owned(),
            template: template.to_owned(),
            retries,
        })
    }

    async fn deliver(&self, phone: &Phone, code: &str) -> Result<(), SmsError> {
        let body = fill_template(&self.template, phone.as_str(), code);
        let mut attempt = 0;
        loop {
            let result = self
                .client
                .post(&self.url)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await;
            let retryable = match result {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) if response.status().is_server_error() => {
                    format!("provider answered {}", response.status())
                }
                Ok(response) => {
                    return Err(SmsError(format!("provider refused: {}", response.status())));
                }
                // Without the URL: a provider may key it with a secret.
                Err(err) if err.is_timeout() || err.is_connect() || err.is_request() => {
                    format!("provider unreachable: {}", err.without_url())
                }
                Err(err) => {
                    return Err(SmsError(format!(
                        "provider call failed: {}",
                        err.without_url()
                    )));
                }
            };
            if attempt >= self.retries {
                return Err(SmsError(format!(
                    "{retryable} (after {} attempts)",
                    attempt + 1
                )));
            }
            tracing::warn!(attempt = attempt + 1, reason = %retryable, "SMS provider failed; retrying");
            tokio::time::sleep(std::time::Duration::from_millis(100 << attempt.min(5))).await;
            attempt += 1;
        }
    }
}

impl SmsSender for HttpSender {
    fn send<'a>(&'a self, phone: &'a Phone, code: &'a str) -> SendFuture<'a> {
        Box::pin(self.deliver(phone, code))
    }
}

/// `template` with `{phone}` and `{code}` replaced (both are digits, so no escaping is needed).
fn fill_template(template: &str, phone: &str, code: &str) -> String {
    template.replace("{phone}", phone).replace("{code}", code)
}
