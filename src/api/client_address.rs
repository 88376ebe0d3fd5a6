//! The client's address, for the audit ledger, the per-address limits and
//! the binding of a password-reset window to the client that verified it.

use std::net::IpAddr;

use poem::{FromRequest, Request, RequestBody, http::header::HeaderName};

use crate::{domain::ClientIp, state::AppState};

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The client's IP address: the connection's peer, or with
/// `--trust-forwarded-for` the right-most `X-Forwarded-For` entry (the one
/// the trusted proxy appended; entries left of it are the client's to forge).
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
        let trust_forwarded = request
            .data::<AppState>()
            .is_some_and(|state| state.policy.trust_forwarded_for);
        if let Some(address) = forwarded_client(request).filter(|_| trust_forwarded) {
            return Ok(Self(Some(ClientIp::new(address))));
        }
        Ok(Self(
            request
                .remote_addr()
                .as_socket_addr()
                .map(|address| ClientIp::new(address.ip())),
        ))
    }
}

/// The right-most well-formed entry of the last `X-Forwarded-For` header.
fn forwarded_client(request: &Request) -> Option<IpAddr> {
    let header = request
        .headers()
        .get_all(X_FORWARDED_FOR)
        .iter()
        .next_back()?;
    let last = header.to_str().ok()?.rsplit(',').next()?.trim();
    last.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_most_forwarded_entry_is_the_client() {
        let request = Request::builder()
            .header("x-forwarded-for", "1.2.3.4, 10.0.0.7")
            .finish();
        assert_eq!(
            forwarded_client(&request),
            Some("10.0.0.7".parse().unwrap())
        );
        let forged = Request::builder()
            .header("x-forwarded-for", "not an address")
            .finish();
        assert_eq!(forwarded_client(&forged), None);
    }
}
