//! A contract suite that cannot fail is worthless: here the checker runs
//! against deliberately wrong servers and must report every fault.
//!
//! Each wrong server is the real one behind a small reverse proxy on
//! 127.0.0.1 port 0 that breaks one promise of the document in its answers.
//! The same proxy without a fault must yield no violation at all, so every
//! report below is the fault's doing.

use std::time::Duration;

use contract_tests::{Checker, Contract, RunConfig, TargetReport, ViolationKind, report};
use poem::{
    Request, Response, Server,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
};
use serde_json::Value;
use tokio::{runtime::Runtime, sync::oneshot};

use crate::server::TestServer;

/// One way of breaking the document's promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Pass everything through unchanged.
    None,
    /// sendsms's string code `"200"` sent as the number 200.
    SendSmsCodeAsNumber,
    /// `pemissions` dropped from register and login `data`.
    DropPemissions,
    /// A bad parameter answered with plain text `400 Bad Request` instead of the envelope.
    PlainTextBadRequest,
    /// isregister and verify_code send a code outside their enum.
    CodeOutsideEnum,
    /// verify_code answers HTTP 500 (with a well-formed envelope, which does not excuse it).
    InternalServerError,
    /// register's `enterprise_id` sent as the string "-1" (login's type).
    EnterpriseIdAsString,
    /// forget_password answers with `Content-Type: text/html`.
    WrongContentType,
    /// login answers HTTP 201.
    UndeclaredStatus,
    /// isregister's `data` missing.
    MissingData,
    /// isregister sends `Retry-After: soon` (the document says an integer).
    BadRetryAfter,
}

impl Fault {
    /// The operations the fault touches (the checker runs only those).
    fn operations(self) -> &'static [&'static str] {
        match self {
            Self::None => &[],
            Self::SendSmsCodeAsNumber => &["sendsms", "sendsmsGet"],
            Self::DropPemissions => &["register", "registerGet", "login", "loginGet"],
            Self::PlainTextBadRequest => &["isregister", "loginGet"],
            Self::CodeOutsideEnum => &["isregister", "verifyCode"],
            Self::InternalServerError => &["verifyCode"],
            Self::EnterpriseIdAsString => &["register", "registerGet"],
            Self::WrongContentType => &["forgetPassword", "forgetPasswordGet"],
            Self::UndeclaredStatus => &["loginGet"],
            Self::MissingData | Self::BadRetryAfter => &["isregister"],
        }
    }

    /// What the checker must report: the kind, and a text its report must contain.
    fn expected(self) -> (ViolationKind, &'static str) {
        match self {
            Self::None => unreachable!("no fault, nothing to report"),
            Self::SendSmsCodeAsNumber => (ViolationKind::SchemaMismatch, "SendSmsCode"),
            Self::DropPemissions => (ViolationKind::SchemaMismatch, "pemissions"),
            Self::PlainTextBadRequest => (ViolationKind::UndeclaredStatus, "HTTP 400"),
            Self::CodeOutsideEnum => (ViolationKind::SchemaMismatch, "/properties/code/enum"),
            Self::InternalServerError => (ViolationKind::ServerError, "HTTP 500"),
            Self::EnterpriseIdAsString => (ViolationKind::SchemaMismatch, "enterprise_id"),
            Self::WrongContentType => (ViolationKind::UndeclaredContentType, "text/html"),
            Self::UndeclaredStatus => (ViolationKind::UndeclaredStatus, "HTTP 201"),
            Self::MissingData => (ViolationKind::SchemaMismatch, "data"),
            Self::BadRetryAfter => (ViolationKind::BadHeader, "retry-after"),
        }
    }

    /// The answer the faulty server gives instead of the real one.
    fn mutate(self, path: &str, mut answer: Answer) -> Answer {
        let json: Option<Value> = serde_json::from_slice(&answer.body).ok();
        let Some(mut json) = json else {
            return answer;
        };
        let is = |name: &str| path.contains(&format!("/api/v4.0/{name}"));
        match self {
            Self::None => return answer,
            Self::SendSmsCodeAsNumber if is("sendsms/") => {
                if let Some(code) = json["code"].as_str().and_then(|c| c.parse::<i64>().ok()) {
                    json["code"] = Value::from(code);
                }
            }
            Self::DropPemissions if is("register") || is("login") => {
                if let Some(data) = json["data"].as_object_mut() {
                    data.remove("pemissions");
                }
            }
            Self::PlainTextBadRequest => {
                if json["code"] == 400 || json["code"] == "400" {
                    return Answer {
                        status: 400,
                        headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
                        body: b"Bad Request".to_vec(),
                    };
                }
            }
            Self::CodeOutsideEnum if is("isregister/") || is("verify_code") => {
                if json["code"].is_number() {
                    json["code"] = Value::from(7);
                }
            }
            Self::InternalServerError if is("verify_code") => {
                answer.status = 500;
                json = serde_json::json!({"code": 500, "msg": "服务器内部错误", "data": ""});
            }
            Self::EnterpriseIdAsString if is("register") => {
                if let Some(id) = json["data"]["enterprise_id"].as_i64() {
                    json["data"]["enterprise_id"] = Value::from(id.to_string());
                }
            }
            Self::WrongContentType if is("forget_password") => {
                answer.set_header("content-type", "text/html; charset=utf-8");
            }
            Self::UndeclaredStatus if is("login") => answer.status = 201,
            Self::MissingData if is("isregister/") => {
                if let Some(envelope) = json.as_object_mut() {
                    envelope.remove("data");
                }
            }
            Self::BadRetryAfter if is("isregister/") => answer.set_header("retry-after", "soon"),
            _ => return answer,
        }
        answer.body = serde_json::to_vec(&json).expect("JSON serializes");
        answer
    }
}

/// A response, as the proxy relays it.
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The headers relayed.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
    }
}

/// A reverse proxy on 127.0.0.1 that relays to the real server and changes
/// its answers.
pub struct FaultyProxy {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    stop: Option<oneshot::Sender<()>>,
}

impl FaultyProxy {
    /// A proxy that applies `fault`.
    fn start(runtime: &Runtime, upstream: &str, fault: Fault) -> Self {
        Self::mutating(runtime, upstream, move |path, answer| {
            fault.mutate(path, answer)
        })
    }

    /// A proxy that applies `mutate` to every answer.
    pub fn mutating(
        runtime: &Runtime,
        upstream: &str,
        mutate: impl Fn(&str, Answer) -> Answer + Send + Sync + Copy + 'static,
    ) -> Self {
        let acceptor = runtime
            .block_on(TcpListener::bind("127.0.0.1:0").into_acceptor())
            .expect("the proxy binds");
        let port = acceptor.local_addr()[0]
            .as_socket_addr()
            .expect("a TCP address")
            .port();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        let upstream = upstream.to_owned();
        let app = poem::endpoint::make(move |request: Request| {
            let client = client.clone();
            let upstream = upstream.clone();
            async move { relay(&client, &upstream, mutate, request).await }
        });
        let (stop, stopped) = oneshot::channel::<()>();
        runtime.spawn(
            Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(
                app,
                async {
                    let _ = stopped.await;
                },
                Some(Duration::from_secs(1)),
            ),
        );
        Self {
            base_url: format!("http://127.0.0.1:{port}"),
            stop: Some(stop),
        }
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Relays `request` upstream and the (mutated) answer back.
async fn relay(
    client: &reqwest::Client,
    upstream: &str,
    mutate: impl Fn(&str, Answer) -> Answer,
    request: Request,
) -> Response {
    let path = request.uri().path().to_owned();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned());
    let method = request.method().clone();
    let mut outgoing = client.request(method, format!("{upstream}{path_and_query}"));
    for (name, value) in request.headers() {
        if matches!(name.as_str(), "content-type" | "authorization" | "token") {
            outgoing = outgoing.header(name.as_str(), value.as_bytes());
        }
    }
    let body = request.into_body().into_vec().await.unwrap_or_default();
    let incoming = match outgoing.body(body).send().await {
        Ok(incoming) => incoming,
        Err(err) => {
            return Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(format!("proxy: {err}"));
        }
    };
    let status = incoming.status().as_u16();
    let headers: Vec<(String, String)> = incoming
        .headers()
        .iter()
        .filter(|(name, _)| {
            matches!(
                name.as_str(),
                "content-type" | "retry-after" | "allow" | "cache-control"
            )
        })
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = incoming
        .bytes()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let answer = mutate(
        &path,
        Answer {
            status,
            headers,
            body,
        },
    );
    let mut response = Response::builder()
        .status(StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY));
    for (name, value) in &answer.headers {
        response = response.header(name.as_str(), value.as_str());
    }
    response.body(answer.body)
}

/// Runs the checker through a proxy with `fault`, over the fault's operations
/// (or all of them), `cases` cases each.
fn check_through(server: &TestServer, fault: Fault, cases: u32) -> Vec<TargetReport> {
    let proxy = FaultyProxy::start(server.runtime(), &server.base_url, fault);
    let checker = Checker::new(Contract::committed(), &proxy.base_url).expect("the checker starts");
    let config = RunConfig {
        cases,
        only: fault.operations().iter().map(|s| (*s).to_owned()).collect(),
        max_shrink_steps: 64,
        ..RunConfig::default()
    };
    checker.run(&config)
}

#[test]
fn the_checker_reports_every_deliberate_fault_and_nothing_without_one() {
    let server = TestServer::start();

    let honest = check_through(&server, Fault::None, 16);
    let details: String = honest.iter().map(report::details).collect();
    assert!(
        honest.iter().all(|r| r.failures.is_empty()),
        "the proxy without a fault must be invisible:\n{details}"
    );

    let faults = [
        Fault::SendSmsCodeAsNumber,
        Fault::DropPemissions,
        Fault::PlainTextBadRequest,
        Fault::CodeOutsideEnum,
        Fault::InternalServerError,
        Fault::EnterpriseIdAsString,
        Fault::WrongContentType,
        Fault::UndeclaredStatus,
        Fault::MissingData,
        Fault::BadRetryAfter,
    ];
    let mut missed = Vec::new();
    for fault in faults {
        let reports = check_through(&server, fault, 24);
        let (kind, text) = fault.expected();
        let detected = reports.iter().flat_map(|r| &r.failures).any(|failure| {
            failure.violations.iter().any(|v| {
                let text = text.to_lowercase();
                v.kind == kind
                    && (v.message.to_lowercase().contains(&text)
                        || v.schema_path
                            .as_deref()
                            .is_some_and(|p| p.to_lowercase().contains(&text)))
            })
        });
        let found: Vec<String> = reports
            .iter()
            .flat_map(|r| {
                r.failures
                    .iter()
                    .map(|f| format!("{}: {}", r.title(), f.signature))
            })
            .collect();
        println!(
            "{fault:?}: {}",
            if detected { "reported" } else { "MISSED" }
        );
        for line in &found {
            println!("    {line}");
        }
        if !detected {
            missed.push(format!(
                "{fault:?} (expected {kind:?} mentioning {text:?}; got {found:#?})"
            ));
        }
    }
    assert!(
        missed.is_empty(),
        "faults the checker did not report:\n{}",
        missed.join("\n")
    );
}
