//! Requests and responses as plain data, and the one client that sends them.

use std::{fmt, net::IpAddr, time::Duration};

/// A request, exactly as it goes on the wire (relative to the base URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Uppercase method.
    pub method: String,
    /// Path and query string, already percent-encoded.
    pub path_and_query: String,
    /// Headers to send.
    pub headers: Vec<(String, String)>,
    /// The body; `None` sends none.
    pub body: Option<Vec<u8>>,
}

/// A response as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// Every header (names lowercase), content type included.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The longest body shown in a report.
const SHOWN_BODY_CHARS: usize = 400;

fn show_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let chars = text.chars().count();
    if chars <= SHOWN_BODY_CHARS {
        text.into_owned()
    } else {
        let head: String = text.chars().take(SHOWN_BODY_CHARS).collect();
        format!("{head}… ({} bytes in all)", body.len())
    }
}

impl fmt::Display for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = if self.path_and_query.chars().count() > SHOWN_BODY_CHARS {
            let head: String = self.path_and_query.chars().take(SHOWN_BODY_CHARS).collect();
            format!("{head}… ({} bytes in all)", self.path_and_query.len())
        } else {
            self.path_and_query.clone()
        };
        write!(f, "{} {target}", self.method)?;
        for (name, value) in &self.headers {
            write!(f, "\n{name}: {value}")?;
        }
        match &self.body {
            None => write!(f, "\n(no body)"),
            Some(body) => write!(f, "\n\n{}", show_body(body)),
        }
    }
}

impl fmt::Display for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        for (name, value) in &self.headers {
            // Headers that differ on every answer and say nothing about the contract.
            if !matches!(name.as_str(), "date" | "content-length" | "connection") {
                write!(f, "\n{name}: {value}")?;
            }
        }
        write!(f, "\n\n{}", show_body(&self.body))
    }
}

/// Sends requests to one deployment.
#[derive(Clone)]
pub struct Client {
    base_url: String,
    http: reqwest::blocking::Client,
}

impl Client {
    /// A client for the deployment at `base_url`, e.g. `http://127.0.0.1:5000`.
    ///
    /// It never follows redirects (the checker must see what the server
    /// sends) and ignores proxy settings in the environment.
    pub fn new(base_url: &str) -> Result<Self, String> {
        Self::build(base_url, None)
    }

    /// As [`Client::new`], with every connection made from `local_address`:
    /// a test that needs a second client address (on Linux all of
    /// 127.0.0.0/8 reaches a server listening on 127.0.0.1).
    pub fn bound_to(base_url: &str, local_address: IpAddr) -> Result<Self, String> {
        Self::build(base_url, Some(local_address))
    }

    fn build(base_url: &str, local_address: Option<IpAddr>) -> Result<Self, String> {
        let parsed = reqwest::Url::parse(base_url)
            .map_err(|err| format!("bad base URL {base_url:?}: {err}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("bad base URL {base_url:?}: not http(s)"));
        }
        // The TLS crypto provider of the whole process; one already chosen is kept.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .local_address(local_address)
            .build()
            .map_err(|err| format!("cannot build an HTTP client: {err}"))?;
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Sends `request`; `Err` when no HTTP answer came back.
    ///
    /// A request that dies on a pooled connection the server had just closed
    /// (it may close one after refusing an oversized body) is sent once more
    /// on a fresh connection; a server that never answers fails both times.
    pub fn send(&self, request: &HttpRequest) -> Result<HttpResponse, String> {
        match self.send_once(request) {
            Err((err, retry)) if retry => self.send_once(request).map_err(|(again, _)| {
                format!("{again} (and before that, on a reused connection: {err})")
            }),
            other => other.map_err(|(err, _)| err),
        }
    }

    /// One attempt; on failure, whether a retry makes sense.
    fn send_once(&self, request: &HttpRequest) -> Result<HttpResponse, (String, bool)> {
        let url = format!("{}{}", self.base_url, request.path_and_query);
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|err| (format!("bad method {}: {err}", request.method), false))?;
        let mut builder = self.http.request(method, &url);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let response = builder
            .send()
            .map_err(|err| (describe(&err), !err.is_timeout() && !err.is_connect()))?;
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response.headers().iter().map(header_text).collect();
        // The first, as `HeaderMap::get` has it.
        let content_type = headers
            .iter()
            .find(|(name, _)| name == "content-type")
            .map(|(_, value)| value.clone());
        let body = response
            .bytes()
            .map_err(|err| (describe(&err), false))?
            .to_vec();
        Ok(HttpResponse {
            status,
            content_type,
            headers,
            body,
        })
    }
}

/// A received header as text: its name (lowercase) and its value (lossy
/// where it is not UTF-8).
pub fn header_text(
    (name, value): (&reqwest::header::HeaderName, &reqwest::header::HeaderValue),
) -> (String, String) {
    (
        name.as_str().to_owned(),
        String::from_utf8_lossy(value.as_bytes()).into_owned(),
    )
}

/// An error with its causes, on one line.
fn describe(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so the
/// result is safe in a path segment, a query string and a form body alike.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_only_unreserved_characters() {
        assert_eq!(percent_encode("a b+c/d?é"), "a%20b%2Bc%2Fd%3F%C3%A9");
        assert_eq!(percent_encode("13126939916"), "13126939916");
    }

    #[test]
    fn long_bodies_are_cut_in_reports() {
        let request = HttpRequest {
            method: "POST".into(),
            path_and_query: "/x".into(),
            headers: vec![],
            body: Some(vec![b'a'; 70_000]),
        };
        let shown = request.to_string();
        assert!(shown.len() < 1_000, "{}", shown.len());
        assert!(shown.ends_with("(70000 bytes in all)"));
    }
}
