//! The client's address, and the network the per-address limits count by.

use std::net::{IpAddr, Ipv6Addr};

/// A client's IP address as the server sees it (the connection's peer, or a
/// trusted proxy's `X-Forwarded-For` or `Forwarded` entry).
///
/// Per-address limits and the reset window's binding use its
/// [`network`](ClientIp::network): an IPv4 address as it is, an IPv6 address
/// as its /64, since one subscriber is handed a whole /64 and could otherwise
/// take a new address for every request. An IPv4 address mapped into IPv6
/// (`::ffff:1.2.3.4`, as a dual-stack socket reports it) is the IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(IpAddr);

impl ClientIp {
    /// The client at `address`.
    pub fn new(address: IpAddr) -> Self {
        Self(match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        })
    }

    /// The full address, for the audit record.
    pub fn address(&self) -> String {
        self.0.to_string()
    }

    /// What per-address limits count by: `1.2.3.4`, or `2001:db8:1:2::/64`.
    pub fn network(&self) -> String {
        match self.network_address() {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("{v6}/64"),
        }
    }

    /// The first address of [`network`](ClientIp::network): the IPv4
    /// address itself, or the IPv6 address with its last 64 bits zero.
    pub fn network_address(&self) -> IpAddr {
        match self.0 {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(text: &str) -> ClientIp {
        ClientIp::new(text.parse().unwrap())
    }

    #[test]
    fn an_ipv4_address_is_its_own_network() {
        assert_eq!(client("203.0.113.9").network(), "203.0.113.9");
        assert_ne!(
            client("203.0.113.9").network(),
            client("203.0.113.10").network()
        );
    }

    #[test]
    fn ipv6_addresses_of_one_64_share_a_network() {
        let first = client("2001:db8:1:2:aaaa:bbbb:cccc:dddd");
        let second = client("2001:db8:1:2::1");
        assert_eq!(first.network(), "2001:db8:1:2::/64");
        assert_eq!(first.network(), second.network());
        assert_ne!(first.address(), second.address());
        assert_ne!(first.network(), client("2001:db8:1:3::1").network());
        assert_eq!(client("::1").network(), "::/64");
    }

    #[test]
    fn a_mapped_ipv4_address_is_the_ipv4_address() {
        assert_eq!(client("::ffff:203.0.113.9").network(), "203.0.113.9");
        assert_eq!(client("::ffff:203.0.113.9").address(), "203.0.113.9");
    }
}
