//! Where SMS codes go. A trait, so production, development and tests each
//! plug in their own sender.

use std::{future::Future, pin::Pin};

use crate::domain::{CodePurpose, Phone};

/// A sender failure; the app sees an internal error.
#[derive(Debug, thiserror::Error)]
#[error("SMS provider failed: {0}")]
pub struct SmsError(pub String);

/// The future a sender returns.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SmsError>> + Send + 'a>>;

/// One verification code for one phone.
#[derive(Debug, Clone, Copy)]
pub struct SmsMessage<'a> {
    /// Where it goes.
    pub phone: &'a Phone,
    /// The six digits.
    pub code: &'a str,
    /// What the code is for.
    pub purpose: CodePurpose,
}

/// Delivers a verification code to a phone.
pub trait SmsSender: Send + Sync + 'static {
    /// Sends `message`.
    fn send<'a>(&'a self, message: SmsMessage<'a>) -> SendFuture<'a>;
}

/// The development sender: writes phone and code to the log, sends nothing.
///
/// Its whole job is to show the code, so it is the one place a code is logged.
#[derive(Debug, Default)]
pub struct LogSender;

impl SmsSender for LogSender {
    fn send<'a>(&'a self, message: SmsMessage<'a>) -> SendFuture<'a> {
        tracing::info!(
            phone = message.phone.as_str(),
            code = message.code,
            purpose = ?message.purpose,
            "SMS code (log sender: nothing sent)"
        );
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
        let parsed = serde_json::from_str::<serde_json::Value>(&filled)
            .map_err(|err| SmsError(format!("the SMS HTTP template is not JSON: {err}")))?;
        if !parsed.is_object() {
            return Err(SmsError(
                "the SMS HTTP template must be a JSON object".to_owned(),
            ));
        }
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
    fn send<'a>(&'a self, message: SmsMessage<'a>) -> SendFuture<'a> {
        let (phone, code) = (message.phone, message.code);
        Box::pin(self.deliver(phone, code))
    }
}

/// `template` with `{phone}` and `{code}` replaced (both are digits, so no escaping is needed).
fn fill_template(template: &str, phone: &str, code: &str) -> String {
    template.replace("{phone}", phone).replace("{code}", code)
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{Arc, Mutex},
        time::Duration,
    };

    use poem::{
        EndpointExt, Route, Server, handler,
        http::StatusCode,
        listener::{Acceptor, Listener, TcpListener},
        post,
        web::{Data, Json},
    };

    use super::*;

    /// What the stub provider answers, request by request, and what it received.
    #[derive(Default)]
    struct Script {
        answers: Vec<(StatusCode, Duration)>,
        received: Vec<serde_json::Value>,
    }

    #[handler]
    async fn provider(
        script: Data<&Arc<Mutex<Script>>>,
        body: Json<serde_json::Value>,
    ) -> StatusCode {
        let (status, delay) = {
            let mut script = script.lock().unwrap();
            script.received.push(body.0);
            let index = script.received.len() - 1;
            script
                .answers
                .get(index)
                .copied()
                .unwrap_or((StatusCode::OK, Duration::ZERO))
        };
        tokio::time::sleep(delay).await;
        status
    }

    /// A stub provider on a free loopback port answering `answers` in turn.
    async fn stub_provider(answers: Vec<(StatusCode, Duration)>) -> (String, Arc<Mutex<Script>>) {
        let script = Arc::new(Mutex::new(Script {
            answers,
            received: Vec::new(),
        }));
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let address = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
        let app = Route::new()
            .at("/send", post(provider))
            .data(Arc::clone(&script));
        tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
        (format!("http://{address}/send"), script)
    }

    fn message(phone: &Phone) -> SmsMessage<'_> {
        SmsMessage {
            phone,
            code: "123456",
            purpose: CodePurpose::SignUp,
        }
    }

    fn sender(url: &str, retries: u32) -> HttpSender {
        HttpSender::new(
            url,
            r#"{"to":"{phone}","template":"SMS_1","params":{"code":"{code}"}}"#,
            Duration::from_millis(300),
            retries,
        )
        .unwrap()
    }

    fn phone() -> Phone {
        Phone::parse("13126939916").unwrap()
    }

    #[tokio::test]
    async fn the_provider_receives_the_template_filled_in() {
        let (url, script) = stub_provider(vec![]).await;
        sender(&url, 2).send(message(&phone())).await.unwrap();
        let received = script.lock().unwrap().received.clone();
        assert_eq!(
            received,
            [
                serde_json::json!({"to": "13126939916", "template": "SMS_1", "params": {"code": "123456"}})
            ]
        );
    }

    #[tokio::test]
    async fn server_errors_are_retried_until_one_succeeds() {
        let (url, script) = stub_provider(vec![
            (StatusCode::SERVICE_UNAVAILABLE, Duration::ZERO),
            (StatusCode::BAD_GATEWAY, Duration::ZERO),
        ])
        .await;
        sender(&url, 2).send(message(&phone())).await.unwrap();
        assert_eq!(script.lock().unwrap().received.len(), 3);
    }

    #[tokio::test]
    async fn retries_are_bounded_and_the_error_hides_the_code() {
        let (url, script) = stub_provider(vec![
            (StatusCode::INTERNAL_SERVER_ERROR, Duration::ZERO);
            10
        ])
        .await;
        let err = sender(&url, 2).send(message(&phone())).await.unwrap_err();
        assert_eq!(script.lock().unwrap().received.len(), 3);
        assert!(err.0.contains("500"), "{err}");
        assert!(!err.0.contains("123456"), "{err}");
    }

    #[tokio::test]
    async fn a_refusal_is_final() {
        let (url, script) = stub_provider(vec![(StatusCode::BAD_REQUEST, Duration::ZERO); 3]).await;
        assert!(sender(&url, 2).send(message(&phone())).await.is_err());
        assert_eq!(script.lock().unwrap().received.len(), 1);
    }

    #[tokio::test]
    async fn a_slow_provider_times_out_and_is_retried() {
        let (url, script) = stub_provider(vec![
            (StatusCode::OK, Duration::from_secs(2)),
            (StatusCode::OK, Duration::ZERO),
        ])
        .await;
        sender(&url, 1).send(message(&phone())).await.unwrap();
        assert_eq!(script.lock().unwrap().received.len(), 2);
    }

    #[test]
    fn a_template_that_is_not_json_is_refused_at_start_up() {
        for template in ["{phone}", r#"{"phone": {phone}"#, "not json"] {
            let built = HttpSender::new("http://127.0.0.1:9/", template, Duration::from_secs(1), 0);
            assert!(built.is_err(), "{template} was accepted");
        }
    }
}
