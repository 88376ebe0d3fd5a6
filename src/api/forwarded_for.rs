//! The client a trusted proxy names: the right-most entry of
//! `X-Forwarded-For`, or the `for` of the right-most element of RFC 7239's
//! `Forwarded` (the entry the proxy itself appended; those left of it are
//! the client's to forge).
//!
//! Proxies write that entry in several forms, each read here:
//!
//! - `X-Forwarded-For`: `203.0.113.7`, `203.0.113.7:5555`, `2001:db8::1`,
//!   `[2001:db8::1]`, `[2001:db8::1]:443`, and any of them in double quotes.
//! - `Forwarded`: `for=203.0.113.7`, `for="203.0.113.7:5555"`,
//!   `for="[2001:db8::1]:443"` (the name in any case, other parameters such
//!   as `proto=` and `by=` beside it, quoted strings with `\` escapes).
//!
//! What still names no address is [`Unusable`]: RFC 7239's obfuscated
//! identifiers (`for=_hidden`) and `for=unknown` are unparsable here, since
//! they name no address the per-address limits could count by.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a forwarded header names no usable client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// No such header, or no `for=` in the right-most `Forwarded` element.
    Missing,
    /// The right-most entry is not an address in any form read here, or an
    /// obfuscated one (`_hidden`, `unknown`).
    Unparsable,
}

impl Unusable {
    /// Its label in `client_address_fallbacks_total`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Unparsable => "unparsable",
        }
    }
}

/// The client of the right-most entry of an `X-Forwarded-For` value (the
/// last of the request's `X-Forwarded-For` headers).
pub fn from_x_forwarded_for(value: &str) -> Result<IpAddr, Unusable> {
    let last = value.rsplit(',').next().unwrap_or_default();
    node_address(unquoted(last.trim()).ok_or(Unusable::Unparsable)?.as_str())
}

/// The client of the `for` parameter of the right-most element of a
/// `Forwarded` value (the last of the request's `Forwarded` headers).
pub fn from_forwarded(value: &str) -> Result<IpAddr, Unusable> {
    let elements = split_outside_quotes(value, ',');
    let last = elements.last().map_or("", |element| element.trim());
    if last.is_empty() {
        return Err(Unusable::Unparsable);
    }
    let mut client = None;
    for pair in split_outside_quotes(last, ';') {
        let pair = pair.trim();
        if pair.is_empty() {
            continue;
        }
        let (name, value) = pair.split_once('=').ok_or(Unusable::Unparsable)?;
        if name.trim().eq_ignore_ascii_case("for") {
            if client.is_some() {
                // A parameter given twice in one element is malformed (RFC 7239 §4).
                return Err(Unusable::Unparsable);
            }
            client = Some(unquoted(value.trim()).ok_or(Unusable::Unparsable)?);
        }
    }
    node_address(&client.ok_or(Unusable::Missing)?)
}

/// `text` split at each `separator` outside double quotes.
fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (index, character) in text.char_indices() {
        match character {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            _ if character == separator && !quoted => {
                parts.push(&text[start..index]);
                start = index + character.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `text` without its surrounding double quotes and with its `\` escapes
/// undone if quoted, as it is if not; `None` for a quote left open or
/// within an unquoted value.
fn unquoted(text: &str) -> Option<String> {
    let Some(inner) = text.strip_prefix('"') else {
        return (!text.contains('"')).then(|| text.to_owned());
    };
    let inner = inner.strip_suffix('"')?;
    let mut value = String::with_capacity(inner.len());
    let mut characters = inner.chars();
    while let Some(character) = characters.next() {
        match character {
            '\\' => value.push(characters.next()?),
            '"' => return None,
            other => value.push(other),
        }
    }
    Some(value)
}

/// The address of a node (RFC 7239 §6, which `X-Forwarded-For` entries
/// follow in practice): `IPv4[:port]`, `[IPv6][:port]`, or a bare IPv6
/// address. A port may be obfuscated (`_abc`): the address is still known.
fn node_address(node: &str) -> Result<IpAddr, Unusable> {
    let node = node.trim();
    if let Some(rest) = node.strip_prefix('[') {
        let (address, after) = rest.split_once(']').ok_or(Unusable::Unparsable)?;
        let address: Ipv6Addr = address.parse().map_err(|_| Unusable::Unparsable)?;
        return match after {
            "" => Ok(IpAddr::V6(address)),
            _ => match after.strip_prefix(':') {
                Some(port) if is_port(port) => Ok(IpAddr::V6(address)),
                _ => Err(Unusable::Unparsable),
            },
        };
    }
    if let Ok(address) = node.parse::<IpAddr>() {
        return Ok(address);
    }
    match node.split_once(':') {
        Some((address, port)) if is_port(port) => address
            .parse::<Ipv4Addr>()
            .map(IpAddr::V4)
            .map_err(|_| Unusable::Unparsable),
        _ => Err(Unusable::Unparsable),
    }
}

/// A port as RFC 7239 writes it: 1 to 5 digits, or obfuscated (`_` then
/// letters, digits, `.`, `_`, `-`).
fn is_port(text: &str) -> bool {
    match text.strip_prefix('_') {
        Some(obfuscated) => {
            !obfuscated.is_empty()
                && obfuscated
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        }
        None => (1..=5).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn every_x_forwarded_for_form_names_its_client() {
        for (value, client) in [
            ("203.0.113.7", "203.0.113.7"),
            ("203.0.113.7:5555", "203.0.113.7"),
            ("\"203.0.113.7\"", "203.0.113.7"),
            ("\"203.0.113.7:5555\"", "203.0.113.7"),
            ("2001:db8::1", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("\"[2001:db8::1]:443\"", "2001:db8::1"),
            ("::ffff:203.0.113.7", "::ffff:203.0.113.7"),
            // The right-most entry, whatever is left of it.
            ("198.51.100.1, 203.0.113.7:5555", "203.0.113.7"),
            ("garbage, [2001:db8::1]:443", "2001:db8::1"),
            ("  198.51.100.1 ,  203.0.113.7  ", "203.0.113.7"),
        ] {
            assert_eq!(from_x_forwarded_for(value), Ok(ip(client)), "{value}");
        }
    }

    #[test]
    fn an_x_forwarded_for_entry_that_names_no_address_is_unparsable() {
        for value in [
            "",
            "203.0.113.7, ",
            "not an address",
            "unknown",
            "_hidden",
            "203.0.113.7:",
            "203.0.113.7:65536x",
            "203.0.113.7:123456",
            "2001:db8::1]:443",
            "[2001:db8::1",
            "[203.0.113.7]:80",
            "[2001:db8::1]443",
            "\"203.0.113.7",
            "203.0.113.7\"",
            "203.0.113.256",
            "fe80::1%eth0",
            "203.0.113.7, 198.51.100.1:80:80",
        ] {
            assert_eq!(
                from_x_forwarded_for(value),
                Err(Unusable::Unparsable),
                "{value:?}"
            );
        }
    }

    #[test]
    fn every_forwarded_form_names_its_client() {
        for (value, client) in [
            ("for=203.0.113.7", "203.0.113.7"),
            ("For=203.0.113.7", "203.0.113.7"),
            ("FOR = 203.0.113.7", "203.0.113.7"),
            ("for=\"203.0.113.7:5555\"", "203.0.113.7"),
            ("for=\"203.0.113.7:_port1\"", "203.0.113.7"),
            ("for=\"[2001:db8::1]:443\"", "2001:db8::1"),
            ("for=\"[2001:db8::1]\"", "2001:db8::1"),
            ("for=[2001:db8::1]:443", "2001:db8::1"),
            ("for=\"\\[2001:db8::1\\]\"", "2001:db8::1"),
            (
                "for=198.51.100.1;proto=http, for=203.0.113.7;proto=https;by=10.0.0.1",
                "203.0.113.7",
            ),
            ("proto=https;for=203.0.113.7;host=\"a,b;c\"", "203.0.113.7"),
            ("for=\"a,b\", for=203.0.113.7", "203.0.113.7"),
            ("for=unknown, for=203.0.113.7", "203.0.113.7"),
        ] {
            assert_eq!(from_forwarded(value), Ok(ip(client)), "{value}");
        }
    }

    #[test]
    fn a_forwarded_element_without_a_usable_for_falls_back() {
        for (value, why) in [
            ("proto=https", Unusable::Missing),
            ("for=203.0.113.7, proto=https", Unusable::Missing),
            (
                "for=203.0.113.7, by=10.0.0.1;host=example.com",
                Unusable::Missing,
            ),
            ("", Unusable::Unparsable),
            ("for=203.0.113.7,", Unusable::Unparsable),
            ("for=_hidden", Unusable::Unparsable),
            ("for=\"_hidden:80\"", Unusable::Unparsable),
            ("for=unknown", Unusable::Unparsable),
            ("for=\"unknown:1234\"", Unusable::Unparsable),
            ("for=203.0.113.7;for=203.0.113.8", Unusable::Unparsable),
            ("for", Unusable::Unparsable),
            ("for=\"203.0.113.7", Unusable::Unparsable),
            ("for=not-an-address", Unusable::Unparsable),
            ("203.0.113.7", Unusable::Unparsable),
        ] {
            assert_eq!(from_forwarded(value), Err(why), "{value:?}");
        }
    }

    /// An address as a proxy might write it: bare, with a port, bracketed,
    /// quoted.
    fn written(address: IpAddr, port: Option<u16>, quoted: bool) -> String {
        let node = match (address, port) {
            (IpAddr::V4(v4), None) => v4.to_string(),
            (IpAddr::V4(v4), Some(port)) => format!("{v4}:{port}"),
            (IpAddr::V6(v6), None) => format!("[{v6}]"),
            (IpAddr::V6(v6), Some(port)) => format!("[{v6}]:{port}"),
        };
        if quoted { format!("\"{node}\"") } else { node }
    }

    proptest! {
        #[test]
        fn the_right_most_entry_is_read_back_in_every_form(
            address in any::<IpAddr>(),
            port in proptest::option::of(any::<u16>()),
            quoted in any::<bool>(),
            earlier in proptest::collection::vec("[ -~]{0,20}", 0..3),
        ) {
            let node = written(address, port, quoted);
            let mut entries: Vec<String> = earlier
                .iter()
                .map(|entry| entry.replace(',', " "))
                .collect();
            entries.push(node.clone());
            prop_assert_eq!(from_x_forwarded_for(&entries.join(", ")), Ok(address));
            // RFC 7239 needs the quotes around anything with `:` or `[`.
            let element = format!("proto=https;for=\"{}\"", node.trim_matches('"'));
            prop_assert_eq!(
                from_forwarded(&format!("for=198.51.100.1, {element}")),
                Ok(address)
            );
        }

        #[test]
        fn no_header_value_panics(value in "\\PC{0,64}") {
            let _ = from_x_forwarded_for(&value);
            let _ = from_forwarded(&value);
        }
    }
}
