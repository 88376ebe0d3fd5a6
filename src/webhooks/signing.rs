//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>): the
//! headers `webhook-id`, `webhook-timestamp` (Unix seconds) and
//! `webhook-signature`, `v1,` and the base64 HMAC-SHA256 of
//! `id.timestamp.body` under the key of a `whsec_<base64>` secret; with
//! several secrets (a rotation), one signature per secret separated by
//! spaces, any of which a receiver accepts.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header naming the event (`msg_…`), the same on every attempt.
pub const ID_HEADER: &str = "webhook-id";
/// The header with the attempt's Unix time in seconds.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// The header with the signatures.
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// The signing keys of one endpoint (decoded secrets), newest first or in
/// any order: each request carries a signature by each.
#[derive(Clone)]
pub struct Signer {
    keys: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({} keys)", self.keys.len())
    }
}

impl Signer {
    /// A signer with the decoded `keys` (see [`crate::settings::decode_secret`]).
    pub fn new(keys: Vec<Vec<u8>>) -> Self {
        Self { keys }
    }

    /// A signer from `whsec_…` secrets separated by whitespace.
    pub fn from_secrets(text: &str) -> Result<Self, String> {
        let keys = text
            .split_whitespace()
            .map(crate::settings::decode_secret)
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err("no secret".to_owned());
        }
        Ok(Self { keys })
    }

    /// The `webhook-signature` value of `body` sent as event `id` at `timestamp`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        self.keys
            .iter()
            .map(|key| format!("v1,{}", signature(key, id, timestamp, body)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether one of `header`'s `v1` signatures is this signer's (any key)
    /// for the message, compared in constant time.
    pub fn verify(&self, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
        let given: Vec<Vec<u8>> = header
            .split_whitespace()
            .filter_map(|sig| sig.strip_prefix("v1,"))
            .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .collect();
        self.keys.iter().any(|key| {
            given
                .iter()
                .any(|sig| mac(key, id, timestamp, body).verify_slice(sig).is_ok())
        })
    }
}

fn mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The base64 HMAC-SHA256 of `id.timestamp.body` under `key`.
fn signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(mac(key, id, timestamp, body).finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification (and of its
    /// libraries' tests).
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: i64 = 1_614_265_330;
    const SPEC_BODY: &str = r#"{"test": 2432232314}"#;
    const SPEC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn the_specification_example_is_signed_as_published() {
        let signer = Signer::from_secrets(SPEC_SECRET).unwrap();
        assert_eq!(
            signer.sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY.as_bytes()),
            SPEC_SIGNATURE
        );
        assert!(signer.verify(
            SPEC_ID,
            SPEC_TIMESTAMP,
            SPEC_BODY.as_bytes(),
            SPEC_SIGNATURE
        ));
    }

    #[test]
    fn a_changed_message_or_key_does_not_verify() {
        let signer = Signer::from_secrets(SPEC_SECRET).unwrap();
        let body = SPEC_BODY.as_bytes();
        assert!(!signer.verify(SPEC_ID, SPEC_TIMESTAMP + 1, body, SPEC_SIGNATURE));
        assert!(!signer.verify("msg_other", SPEC_TIMESTAMP, body, SPEC_SIGNATURE));
        assert!(!signer.verify(SPEC_ID, SPEC_TIMESTAMP, b"{}", SPEC_SIGNATURE));
        assert!(!signer.verify(SPEC_ID, SPEC_TIMESTAMP, body, "v2,abc"));
        let other = Signer::from_secrets("whsec_c2Vjb25kIHNlY3JldCBrZXkgaGVyZQ==").unwrap();
        assert!(!other.verify(SPEC_ID, SPEC_TIMESTAMP, body, SPEC_SIGNATURE));
    }

    #[test]
    fn during_a_rotation_each_secret_signs() {
        let both = Signer::from_secrets(&format!(
            "whsec_c2Vjb25kIHNlY3JldCBrZXkgaGVyZQ== {SPEC_SECRET}"
        ))
        .unwrap();
        let header = both.sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY.as_bytes());
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1], SPEC_SIGNATURE);
        let old = Signer::from_secrets(SPEC_SECRET).unwrap();
        assert!(old.verify(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY.as_bytes(), &header));
    }

    /// A request this module signed, verified by the official Python
    /// `standardwebhooks` package (in contract-tests/frontend/.venv, which
    /// `contract-tests/frontend/run.sh --tools` makes, or the system's
    /// python3). Without it the test says so loudly, and fails when `CI` is set.
    #[test]
    fn the_official_python_library_verifies_our_signature() {
        let script = r#"
import sys, json
from standardwebhooks.webhooks import Webhook
secret, msg_id, ts, sig, body = sys.argv[1:6]
wh = Webhook(secret)
payload = wh.verify(body, {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": sig})
assert payload == json.loads(body), payload
try:
    wh.verify(body + " ", {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": sig})
except Exception:
    print("verified")
else:
    print("tampered body accepted")
"#;
        let secret = "whsec_c2Vjb25kIHNlY3JldCBrZXkgaGVyZQ==";
        let signer = Signer::from_secrets(&format!("{secret} {SPEC_SECRET}")).unwrap();
        let id = "msg_0123456789abcdef0123456789abcdef";
        let timestamp = chrono::Utc::now().timestamp();
        let body = r#"{"type":"user.registered","timestamp":"2026-12-06T04:00:00Z","data":{"user_id":"x"}}"#;
        let header = signer.sign(id, timestamp, body.as_bytes());
        let timestamp = timestamp.to_string();
        let Some(out) = crate::test_support::run_standardwebhooks(
            script,
            &[SPEC_SECRET, id, &timestamp, &header, body],
            b"",
            "the Standard Webhooks interoperability test DID NOT RUN",
        ) else {
            return;
        };
        assert!(
            out.status.success(),
            "python failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "verified");
    }
}
