//! The client's address, for the audit ledger, the per-address limits and
//! the binding of a password-reset window to the client that verified it.
//!
//! With `--trust-forwarded-for` it is the one the trusted proxy names in
//! the `--forwarded-header` (read by [`super::forwarded_for`]). When that
//! header names none, the connection's peer (the proxy) stands in, as
//! before, but never silently: each such request is counted in
//! `client_address_fallbacks_total{reason}`, and a warning is logged at
//! most once a minute per reason, since every client falling back shares
//! the proxy's per-address limits.

use std::{
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use poem::{FromRequest, Request, RequestBody, http::header::HeaderName};

use super::forwarded_for::{self, Unusable};
use crate::{domain::ClientIp, settings::ForwardedHeader, state::AppState};

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const FORWARDED: HeaderName = HeaderName::from_static("forwarded");

/// The longest a fallback warning goes unrepeated while fallbacks go on.
const WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// How much of the header's value a warning shows.
const LOGGED_VALUE_CHARS: usize = 64;

/// The client's IP address: the connection's peer, or with
/// `--trust-forwarded-for` the right-most entry of the forwarded header (the
/// one the trusted proxy appended; entries left of it are the client's to
/// forge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub Option<ClientIp>);

impl ClientAddress {
    /// The client, if its address is known.
    pub fn get(&self) -> Option<&ClientIp> {
        self.0.as_ref()
    }
}

impl<'a> FromRequest<'a> for ClientAddress {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let peer = request
            .remote_addr()
            .as_socket_addr()
            .map(|address| address.ip());
        let trusted = request
            .data::<AppState>()
            .filter(|state| state.policy.trust_forwarded_for)
            .map(|state| state.policy.forwarded_header);
        if let Some(header) = trusted {
            match forwarded_client(request, header) {
                Ok(address) => return Ok(Self(Some(ClientIp::new(address)))),
                Err(fallback) => fallback.report(header, peer),
            }
        }
        Ok(Self(peer.map(ClientIp::new)))
    }
}

/// A forwarded header that named no client, and its value.
#[derive(Debug, PartialEq, Eq)]
struct Fallback {
    why: Unusable,
    /// The last header's value as text (lossy), if there was one.
    value: Option<String>,
}

impl Fallback {
    /// Counts the fallback and warns about it if none of its reason was
    /// warned about within the last minute.
    fn report(&self, header: ForwardedHeader, peer: Option<IpAddr>) {
        let reason = self.why.label();
        crate::metrics::CLIENT_ADDRESS_FALLBACKS
            .with_label_values(&[reason])
            .inc();
        if !WARNINGS[self.why as usize].due(Instant::now()) {
            return;
        }
        let header = header_name(header);
        let value = self.value.as_deref().map(truncated);
        tracing::warn!(
            header = header.as_str(),
            reason,
            value = ?value,
            peer = ?peer,
            "--trust-forwarded-for: the request's {} names no usable client address; \
             the peer address stands in, so such clients share its per-address limits \
             (counted in client_address_fallbacks_total; this warning repeats at most \
             once a minute)",
            header.as_str()
        );
    }
}

/// The header `setting` names.
fn header_name(setting: ForwardedHeader) -> HeaderName {
    match setting {
        ForwardedHeader::XForwardedFor => X_FORWARDED_FOR,
        ForwardedHeader::Forwarded => FORWARDED,
    }
}

/// The client the last `header` of `request` names.
fn forwarded_client(request: &Request, header: ForwardedHeader) -> Result<IpAddr, Fallback> {
    let Some(value) = request
        .headers()
        .get_all(header_name(header))
        .iter()
        .next_back()
    else {
        return Err(Fallback {
            why: Unusable::Missing,
            value: None,
        });
    };
    let unparsable = || Fallback {
        why: Unusable::Unparsable,
        value: Some(String::from_utf8_lossy(value.as_bytes()).into_owned()),
    };
    // Visible ASCII only: anything else is no address either.
    let text = value.to_str().map_err(|_| unparsable())?;
    let parsed = match header {
        ForwardedHeader::XForwardedFor => forwarded_for::from_x_forwarded_for(text),
        ForwardedHeader::Forwarded => forwarded_for::from_forwarded(text),
    };
    parsed.map_err(|why| Fallback {
        why,
        value: Some(text.to_owned()),
    })
}

/// At most `LOGGED_VALUE_CHARS` characters of `value`, marked when cut.
fn truncated(value: &str) -> String {
    match value.char_indices().nth(LOGGED_VALUE_CHARS) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_owned(),
    }
}

/// One warning per reason (indexed by `Unusable as usize`).
static WARNINGS: [Throttle; 2] = [Throttle::new(), Throttle::new()];

/// Says when a warning is due: the first time, then once `WARNING_INTERVAL`
/// has passed since the last one.
struct Throttle(Mutex<Option<Instant>>);

impl Throttle {
    const fn new() -> Self {
        Self(Mutex::new(None))
    }

    /// Whether to warn at `now`; if so, `now` is the last warning.
    fn due(&self, now: Instant) -> bool {
        let mut last = self.0.lock().unwrap_or_else(|poison| poison.into_inner());
        match *last {
            Some(previous) if now.saturating_duration_since(previous) < WARNING_INTERVAL => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_most_forwarded_entry_is_the_client() {
        let request = Request::builder()
            .header("x-forwarded-for", "1.2.3.4, 10.0.0.7:5555")
            .finish();
        assert_eq!(
            forwarded_client(&request, ForwardedHeader::XForwardedFor),
            Ok("10.0.0.7".parse().unwrap())
        );
        let forged = Request::builder()
            .header("x-forwarded-for", "not an address")
            .finish();
        assert_eq!(
            forwarded_client(&forged, ForwardedHeader::XForwardedFor),
            Err(Fallback {
                why: Unusable::Unparsable,
                value: Some("not an address".to_owned())
            })
        );
    }

    #[test]
    fn the_configured_header_is_the_one_read() {
        let request = Request::builder()
            .header("x-forwarded-for", "203.0.113.7")
            .header("forwarded", "for=\"[2001:db8::1]:443\"")
            .finish();
        assert_eq!(
            forwarded_client(&request, ForwardedHeader::Forwarded),
            Ok("2001:db8::1".parse().unwrap())
        );
        assert_eq!(
            forwarded_client(&request, ForwardedHeader::XForwardedFor),
            Ok("203.0.113.7".parse().unwrap())
        );
        let without = Request::builder()
            .header("x-forwarded-for", "203.0.113.7")
            .finish();
        assert_eq!(
            forwarded_client(&without, ForwardedHeader::Forwarded),
            Err(Fallback {
                why: Unusable::Missing,
                value: None
            })
        );
    }

    #[test]
    fn the_last_header_holds_the_right_most_entry() {
        let request = Request::builder()
            .header("x-forwarded-for", "203.0.113.7")
            .header("x-forwarded-for", "198.51.100.1, 203.0.113.8")
            .finish();
        assert_eq!(
            forwarded_client(&request, ForwardedHeader::XForwardedFor),
            Ok("203.0.113.8".parse().unwrap())
        );
    }

    #[test]
    fn a_header_value_that_is_not_visible_ascii_is_unparsable() {
        let request = Request::builder()
            .header(
                "x-forwarded-for",
                poem::http::HeaderValue::from_bytes(b"203.0.113.7\xff").unwrap(),
            )
            .finish();
        let fallback = forwarded_client(&request, ForwardedHeader::XForwardedFor).unwrap_err();
        assert_eq!(fallback.why, Unusable::Unparsable);
    }

    #[test]
    fn a_warning_is_due_at_most_once_a_minute() {
        let throttle = Throttle::new();
        let start = Instant::now();
        assert!(throttle.due(start));
        assert!(!throttle.due(start + Duration::from_secs(1)));
        assert!(!throttle.due(start + Duration::from_secs(59)));
        assert!(throttle.due(start + Duration::from_secs(60)));
        assert!(!throttle.due(start + Duration::from_secs(61)));
    }

    #[test]
    fn a_logged_value_is_cut_to_its_first_characters() {
        assert_eq!(truncated("203.0.113.7"), "203.0.113.7");
        let long = "x".repeat(200);
        let cut = truncated(&long);
        assert_eq!(cut.chars().count(), LOGGED_VALUE_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(truncated(&"é".repeat(65)).chars().count(), 65);
    }
}
