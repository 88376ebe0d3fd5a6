//! The web origins whose pages may call the API from a browser
//! (`--cors-allowed-origins`): each exact, or a scheme and host with any
//! port (`http://localhost:*`).

/// The origins allowed, each exact or with any port (`http://localhost:*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<OriginPattern>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum OriginPattern {
    /// `https://app.example.com` or `http://localhost:5173`.
    Exact(String),
    /// `http://localhost:*`: this scheme and host, any port.
    AnyPort(String),
}

impl AllowedOrigins {
    /// Parses `patterns`; the error names the one that is not an origin.
    pub fn parse(patterns: &[String]) -> Result<Self, String> {
        patterns
            .iter()
            .map(|pattern| OriginPattern::parse(pattern.trim()))
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Whether `origin` is allowed.
    pub fn allows(&self, origin: &str) -> bool {
        self.0.iter().any(|pattern| pattern.matches(origin))
    }

    /// Whether any origin is allowed at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl OriginPattern {
    fn parse(pattern: &str) -> Result<Self, String> {
        let refused = |why: &str| format!("{pattern:?} {why}");
        let (scheme, rest) = pattern
            .split_once("://")
            .ok_or_else(|| refused("is not an origin (scheme://host[:port])"))?;
        if !matches!(scheme, "http" | "https") {
            return Err(refused("must start with http:// or https://"));
        }
        if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
            return Err(refused("must be scheme://host[:port], without a path"));
        }
        match rest.strip_suffix(":*") {
            Some(host) if !host.is_empty() && !host.contains(':') => {
                Ok(Self::AnyPort(format!("{scheme}://{host}")))
            }
            Some(_) => Err(refused("has no host before :*")),
            None if rest.contains('*') => Err(refused("may use * only as the port")),
            None => Ok(Self::Exact(pattern.to_owned())),
        }
    }

    fn matches(&self, origin: &str) -> bool {
        match self {
            Self::Exact(exact) => origin == exact,
            Self::AnyPort(prefix) => origin
                .strip_prefix(prefix.as_str())
                .and_then(|rest| rest.strip_prefix(':'))
                .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(patterns: &[&str]) -> AllowedOrigins {
        AllowedOrigins::parse(&patterns.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>())
            .unwrap()
    }

    #[test]
    fn exact_origins_and_any_port_match_only_themselves() {
        let allowed = origins(&["https://app.example.com", "http://localhost:*"]);
        assert!(allowed.allows("https://app.example.com"));
        assert!(!allowed.allows("https://app.example.com.evil.test"));
        assert!(!allowed.allows("http://app.example.com"));
        assert!(allowed.allows("http://localhost:5173"));
        assert!(allowed.allows("http://localhost:80"));
        assert!(!allowed.allows("http://localhost"));
        assert!(!allowed.allows("http://localhost:5173.evil.test"));
        assert!(!allowed.allows("http://localhost.evil.test:5173"));
        assert!(!allowed.allows("https://localhost:5173"));
    }

    #[test]
    fn what_is_not_an_origin_is_refused() {
        for bad in [
            "localhost:5173",
            "ftp://example.com",
            "https://example.com/app",
            "https://*.example.com",
            "http://:*",
            "*",
        ] {
            assert!(
                AllowedOrigins::parse(&[bad.to_owned()]).is_err(),
                "{bad} was accepted"
            );
        }
    }
}
