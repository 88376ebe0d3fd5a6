//! `[[webhooks]]` entries of the configuration file: the endpoints account
//! events are delivered to (file only; no flag). Each entry:
//!
//! ```toml
//! [[webhooks]]
//! url = "https://billing.example/hooks/account"
//! secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"   # or secret_file = "…"
//! events = ["user.registered", "user.password_reset"] # all when absent
//! retry_schedule_secs = [5, 300, 1800, 7200, 18000, 36000]  # the default
//! ```

use std::path::PathBuf;

use base64::Engine as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The retry schedule when an entry gives none: 5 s, 5 min, 30 min, 2 h,
/// 5 h, 10 h after the failed attempts.
pub const DEFAULT_RETRY_SCHEDULE_SECS: [u64; 6] = [5, 300, 1800, 7200, 18000, 36000];

/// One endpoint that receives account events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpoint {
    /// Where events are POSTed (`http://` or `https://`); also the
    /// endpoint's key in the deliveries table.
    pub url: String,
    /// The signing secret, `whsec_` and base64; several separated by spaces
    /// while a secret is rotated (each request is then signed with each).
    /// Give this or `secret_file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<WebhookSecret>,
    /// A file holding the secret(s), as `secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_file: Option<PathBuf>,
    /// The event types sent to it, e.g. `["user.registered"]`; every type
    /// when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    /// Seconds to wait before each retry of a failed delivery; after the
    /// last the delivery is dead-lettered. Each at least 1.
    #[serde(default = "default_schedule")]
    #[schemars(default = "default_schedule")]
    pub retry_schedule_secs: Vec<u64>,
}

fn default_schedule() -> Vec<u64> {
    DEFAULT_RETRY_SCHEDULE_SECS.to_vec()
}

/// A signing secret as written in the configuration (never shown in logs).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct WebhookSecret(pub String);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

impl WebhookEndpoint {
    /// An endpoint at `url` signing with `secret`, every event, the default schedule.
    pub fn new(url: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            secret: Some(WebhookSecret(secret.into())),
            secret_file: None,
            events: None,
            retry_schedule_secs: default_schedule(),
        }
    }

    /// Whether events of `event_type` are sent to it.
    pub fn subscribes_to(&self, event_type: &str) -> bool {
        self.events
            .as_ref()
            .is_none_or(|events| events.iter().any(|e| e == event_type))
    }

    /// The secrets' text: `secret`, or the content of `secret_file`.
    pub fn secret_text(&self) -> Result<String, String> {
        match (&self.secret, &self.secret_file) {
            (Some(secret), None) => Ok(secret.0.clone()),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|err| format!("secret_file {}: {err}", path.display())),
            (Some(_), Some(_)) => Err("give secret or secret_file, not both".to_owned()),
            (None, None) => Err("needs secret or secret_file".to_owned()),
        }
    }

    /// The decoded signing keys (the base64 after `whsec_` of each secret).
    pub fn keys(&self) -> Result<Vec<Vec<u8>>, String> {
        let text = self.secret_text()?;
        let keys = text
            .split_whitespace()
            .map(decode_secret)
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err("the secret is empty".to_owned());
        }
        Ok(keys)
    }

    /// Checks the entry: its URL, its secret(s), its events and schedule.
    pub fn validate(&self) -> Result<(), String> {
        let url = url::Url::parse(&self.url).map_err(|err| format!("url {:?}: {err}", self.url))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!("url {:?}: must be http:// or https://", self.url));
        }
        self.keys()
            .map_err(|problem| format!("{}: {problem}", self.url))?;
        if let Some(events) = &self.events
            && let Some(bad) = events.iter().find(|e| !valid_event_type(e))
        {
            return Err(format!("{}: events: {bad:?} is no event type", self.url));
        }
        if self.retry_schedule_secs.is_empty() {
            return Err(format!(
                "{}: retry_schedule_secs must not be empty",
                self.url
            ));
        }
        if self.retry_schedule_secs.contains(&0) {
            return Err(format!(
                "{}: retry_schedule_secs: each must be at least 1",
                self.url
            ));
        }
        if self.retry_schedule_secs.iter().any(|s| *s > 7 * 24 * 3600) {
            return Err(format!(
                "{}: retry_schedule_secs: each must be at most 604800 (a week)",
                self.url
            ));
        }
        Ok(())
    }
}

/// `user.registered`: lower-case words joined by dots and underscores.
fn valid_event_type(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_')
}

/// The key of one `whsec_<base64>` secret.
pub fn decode_secret(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret
        .strip_prefix("whsec_")
        .ok_or_else(|| "a secret must start with whsec_".to_owned())?;
    let key = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| "a secret must be whsec_ and base64".to_owned())?;
    if key.len() < 16 {
        return Err("a secret's key must be at least 16 bytes".to_owned());
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn the_issue_example_is_read_and_valid() {
        #[derive(Deserialize)]
        struct File {
            webhooks: Vec<WebhookEndpoint>,
        }
        let file: File = toml::from_str(
            r#"
            [[webhooks]]
            url = "https://billing.example/hooks/account"
            secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
            events = ["user.registered", "user.password_reset"]

            [[webhooks]]
            url = "http://crm.internal:8080/events"
            secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_c2Vjb25kIHNlY3JldCBrZXkgaGVyZQ=="
            retry_schedule_secs = [1, 1]
            "#,
        )
        .unwrap();
        let [billing, crm] = &file.webhooks[..] else {
            panic!("two entries")
        };
        assert_eq!(billing.retry_schedule_secs, DEFAULT_RETRY_SCHEDULE_SECS);
        assert!(billing.subscribes_to("user.registered"));
        assert!(!billing.subscribes_to("user.logged_in"));
        assert!(crm.subscribes_to("user.logged_in"));
        assert_eq!(billing.validate(), Ok(()));
        assert_eq!(crm.validate(), Ok(()));
        assert_eq!(crm.keys().unwrap().len(), 2);
        assert!(!format!("{billing:?}").contains("MfKQ"), "secret in Debug");
    }

    #[test]
    fn mistakes_are_refused_naming_what_is_wrong() {
        let ok = WebhookEndpoint::new("https://h.example/x", SECRET);
        let cases: Vec<(WebhookEndpoint, &str)> = vec![
            (
                WebhookEndpoint {
                    url: "ftp://h.example/x".into(),
                    ..ok.clone()
                },
                "http",
            ),
            (
                WebhookEndpoint {
                    url: "not a url".into(),
                    ..ok.clone()
                },
                "url",
            ),
            (
                WebhookEndpoint::new("https://h.example/x", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
                "whsec_",
            ),
            (
                WebhookEndpoint::new("https://h.example/x", "whsec_!!!"),
                "base64",
            ),
            (
                WebhookEndpoint {
                    secret: None,
                    ..ok.clone()
                },
                "secret",
            ),
            (
                WebhookEndpoint {
                    secret_file: Some("/nonexistent/secret".into()),
                    ..ok.clone()
                },
                "not both",
            ),
            (
                WebhookEndpoint {
                    retry_schedule_secs: vec![],
                    ..ok.clone()
                },
                "retry_schedule_secs",
            ),
            (
                WebhookEndpoint {
                    retry_schedule_secs: vec![5, 0],
                    ..ok.clone()
                },
                "at least 1",
            ),
            (
                WebhookEndpoint {
                    events: Some(vec!["User Registered".into()]),
                    ..ok.clone()
                },
                "events",
            ),
        ];
        for (endpoint, expected) in cases {
            let problem = endpoint.validate().unwrap_err();
            assert!(problem.contains(expected), "{problem} lacks {expected}");
        }
    }

    #[test]
    fn a_secret_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, format!("{SECRET}\n")).unwrap();
        let endpoint = WebhookEndpoint {
            secret: None,
            secret_file: Some(path),
            ..WebhookEndpoint::new("https://h.example/x", "")
        };
        assert_eq!(endpoint.validate(), Ok(()));
        assert_eq!(endpoint.keys().unwrap().len(), 1);
    }
}
