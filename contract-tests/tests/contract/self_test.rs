//! A contract suite that cannot fail is worthless: here the checker runs
//! against deliberately wrong servers and must report every fault.
//!
//! Each wrong server is the real one behind a small reverse proxy on
//! 127.0.0.1 port 0 that breaks one promise of the document in its answers.
//! The same proxy without a fault must yield no violation at all, so every
//! report below is the fault's doing.

use contract_tests::{Checker, Contract, RunConfig, TargetReport, ViolationKind, report};
use serde_json::Value;

use crate::{
    proxy::{Answer, Proxy},
    server::TestServer,
};

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

/// Runs the checker through a proxy with `fault`, over the fault's operations
/// (or all of them), `cases` cases each.
fn check_through(server: &TestServer, fault: Fault, cases: u32) -> Vec<TargetReport> {
    let proxy = Proxy::start(server.runtime(), &server.base_url, move |path, answer| {
        fault.mutate(path, answer)
    });
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
