//! The per-address connection cap (`--max-connections-per-address`): how
//! many connections one client address holds, so that one client cannot
//! take every slot of `--max-connections`.
//!
//! A client is counted by its network as the per-address limits count it
//! ([`ClientIp::network_address`]): an IPv4 address as it is, an IPv6
//! address by its /64, since one subscriber is handed a whole /64 and could
//! otherwise open each connection from another address. It is always the
//! connection's peer: a forwarded header is only read with a request, after
//! the connection was accepted.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
};

use crate::domain::ClientIp;

/// The connections each client network holds now.
#[derive(Debug)]
pub(super) struct AddressSlots {
    /// Most connections of one network.
    cap: u32,
    /// Networks holding at least one connection, and how many.
    held: Mutex<HashMap<IpAddr, u32>>,
}

impl AddressSlots {
    /// No connection held yet; at most `cap` (at least 1) per network.
    pub(super) fn new(cap: u32) -> Arc<Self> {
        Arc::new(Self {
            cap: cap.max(1),
            held: Mutex::new(HashMap::new()),
        })
    }

    /// A slot for a connection from `peer`, or `None` when its network
    /// holds the cap already. The slot is given back when dropped.
    pub(super) fn try_take(self: &Arc<Self>, peer: IpAddr) -> Option<AddressSlot> {
        let network = ClientIp::new(peer).network_address();
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let count = held.entry(network).or_insert(0);
        if *count >= self.cap {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            slots: Arc::clone(self),
            network,
        })
    }

    /// Connections `peer`'s network holds now.
    #[cfg(test)]
    fn held_by(&self, peer: IpAddr) -> u32 {
        let network = ClientIp::new(peer).network_address();
        let held = self.held.lock().unwrap();
        held.get(&network).copied().unwrap_or(0)
    }

    /// Networks holding a connection now.
    #[cfg(test)]
    fn networks(&self) -> usize {
        self.held.lock().unwrap().len()
    }
}

/// One connection's place in its network's count.
#[derive(Debug)]
pub(super) struct AddressSlot {
    slots: Arc<AddressSlots>,
    network: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut held = self
            .slots
            .held
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if let Some(count) = held.get_mut(&self.network) {
            *count -= 1;
            // Forget idle networks: the map holds only current clients.
            if *count == 0 {
                held.remove(&self.network);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn one_address_gets_the_cap_and_others_are_not_affected() {
        let slots = AddressSlots::new(2);
        let first = slots.try_take(ip("203.0.113.7")).unwrap();
        let _second = slots.try_take(ip("203.0.113.7")).unwrap();
        assert!(slots.try_take(ip("203.0.113.7")).is_none());
        let _other = slots.try_take(ip("203.0.113.8")).expect("another address");
        assert_eq!(slots.held_by(ip("203.0.113.7")), 2);

        drop(first);
        assert_eq!(slots.held_by(ip("203.0.113.7")), 1);
        assert!(slots.try_take(ip("203.0.113.7")).is_some());
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64() {
        let slots = AddressSlots::new(2);
        let _a = slots.try_take(ip("2001:db8:1:2::1")).unwrap();
        let _b = slots.try_take(ip("2001:db8:1:2:ffff::9")).unwrap();
        assert!(
            slots.try_take(ip("2001:db8:1:2:abcd::7")).is_none(),
            "a third address of the same /64"
        );
        assert!(slots.try_take(ip("2001:db8:1:3::1")).is_some());
    }

    #[test]
    fn a_mapped_ipv4_peer_counts_as_its_ipv4_address() {
        let slots = AddressSlots::new(1);
        let _v4 = slots.try_take(ip("192.0.2.1")).unwrap();
        assert!(slots.try_take(ip("::ffff:192.0.2.1")).is_none());
    }

    #[test]
    fn networks_without_a_connection_are_forgotten() {
        let slots = AddressSlots::new(3);
        let taken: Vec<_> = (0..3)
            .map(|n| slots.try_take(ip(&format!("198.51.100.{n}"))).unwrap())
            .collect();
        assert_eq!(slots.networks(), 3);
        drop(taken);
        assert_eq!(slots.networks(), 0);
    }

    #[test]
    fn a_cap_of_zero_is_one() {
        let slots = AddressSlots::new(0);
        let _only = slots.try_take(ip("192.0.2.1")).unwrap();
        assert!(slots.try_take(ip("192.0.2.1")).is_none());
    }
}
