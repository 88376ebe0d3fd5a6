//! `contract-tests --model` against running deployments, through the real
//! binary: `account-api sandbox` (verification on, its clock and inbox;
//! started in process as the subcommand starts it),
//! the server in process with verification off (no clock to move), and a
//! deployment that lies in well-formed answers, which must fail the run.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use account_api::{
    settings::{DEFAULT_DATABASE_URL, SandboxCommand, Settings, Verification},
    startup::run_sandbox,
};
use serde_json::json;
use tokio::runtime::Runtime;

use crate::{
    binary,
    proxy::{Answer, Proxy},
    server::TestServer,
};

/// Sequences per remote run: each step is a few requests over HTTP.
const CASES: &str = "12";

/// `contract-tests --base-url <base_url> --model --model-cases 12 <flags>`:
/// exit status and output.
fn model_run(base_url: &str, flags: &[&str]) -> (Option<i32>, String) {
    let model = ["--base-url", base_url, "--model", "--model-cases", CASES];
    let ran = binary::run(model.iter().chain(flags));
    (ran.status, ran.text())
}

/// `account-api sandbox` (`account_api::startup::run_sandbox`, what the
/// binary's subcommand runs: its throwaway database with the demo users,
/// verification on, its inbox and clock) on a free loopback port, on a
/// runtime of its own; stopped when dropped.
struct Sandbox {
    runtime: Option<Runtime>,
    base_url: String,
}

impl Sandbox {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let listen = SocketAddr::from(([127, 0, 0, 1], port));
        let mut settings = Settings::new(listen, DEFAULT_DATABASE_URL);
        settings.sms.verification = Some(Verification::On);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let served = runtime.spawn(run_sandbox(SandboxCommand {
            settings,
            database_given: false,
            allow_remote_clients: false,
        }));
        let base_url = format!("http://127.0.0.1:{port}");
        let client = contract_tests::http::Client::new(&base_url).expect("a client");
        let livez = contract_tests::http::HttpRequest {
            method: "GET".to_owned(),
            path_and_query: "/livez".to_owned(),
            headers: Vec::new(),
            body: None,
        };
        let started = Instant::now();
        while client.send(&livez).map(|r| r.status) != Ok(200) {
            assert!(
                !served.is_finished(),
                "the sandbox stopped before answering"
            );
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the sandbox did not answer within a minute"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            runtime: Some(runtime),
            base_url,
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Stops the server; its throwaway database is deleted as it goes.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

/// The JUnit file a `--model --junit` run wrote: its one suite, "stateful
/// model", with the run as its one case; the case's failure text, if any.
fn junit_model_case(path: &std::path::Path) -> Option<String> {
    let report = binary::junit(path);
    assert_eq!(report.test_suites.len(), 1, "{report:#?}");
    let suite = &report.test_suites[0];
    assert_eq!(suite.name.as_str(), "stateful model", "{report:#?}");
    assert_eq!(suite.test_cases.len(), 1, "{report:#?}");
    match &suite.test_cases[0].status {
        quick_junit::TestCaseStatus::Success { .. } => None,
        quick_junit::TestCaseStatus::NonSuccess { description, .. } => Some(
            description
                .as_ref()
                .map(|text| text.as_str().to_owned())
                .unwrap_or_default(),
        ),
        other => panic!("neither passed nor failed: {other:?}"),
    }
}

#[test]
fn the_model_passes_against_the_sandbox_with_verification_on() {
    let sandbox = Sandbox::start();
    let reports = tempfile::tempdir().expect("a scratch directory");
    let junit = reports.path().join("model.xml");
    let (status, text) = model_run(&sandbox.base_url, &["--junit", junit.to_str().unwrap()]);
    println!("{text}");
    assert_eq!(status, Some(0), "the model run failed:\n{text}");
    assert_eq!(junit_model_case(&junit), None, "the JUnit case failed");
    assert!(
        text.contains("verification on, on the sandbox's clock")
            && text.contains("fresh loopback client addresses per case"),
        "the run did not find the sandbox's clock, inbox and loopback:\n{text}"
    );
    // Steps that need the clock ran, and sign-ups with the codes read from
    // the inbox succeeded, as predicted.
    for reached in ["Wait ", "Register 200 with data"] {
        assert!(text.contains(reached), "no {reached:?} in the run:\n{text}");
    }
}

#[test]
fn the_model_passes_against_a_server_with_verification_off_and_no_clock() {
    let server = TestServer::start();
    // The test server's limits: those per client address lifted.
    let lifted = (u32::MAX / 2).to_string();
    let (status, text) = model_run(
        &server.base_url,
        &[
            "--sends-per-address-per-hour",
            &lifted,
            "--login-failures-per-address-per-hour",
            &lifted,
        ],
    );
    println!("{text}");
    assert_eq!(status, Some(0), "the model run failed:\n{text}");
    assert!(
        text.contains("verification off, no clock to move"),
        "the run did not see a server without a clock, verification off:\n{text}"
    );
    assert!(!text.contains("Wait "), "a clock step ran:\n{text}");
}

/// isregister always says the phone is registered, in a well-formed answer
/// that keeps the document.
fn always_registered(path: &str, mut answer: Answer) -> Answer {
    if path.contains("/api/v4.0/isregister/") {
        answer.body = json!({"code": 200, "msg": "手机号已注册", "data": ""})
            .to_string()
            .into_bytes();
    }
    answer
}

#[test]
fn the_model_fails_a_deployment_whose_well_formed_answers_lie() {
    let server = TestServer::start();
    let proxy = Proxy::start(server.runtime(), &server.base_url, always_registered);
    let reports = tempfile::tempdir().expect("a scratch directory");
    let junit = reports.path().join("model.xml");
    let (status, text) = model_run(&proxy.base_url, &["--junit", junit.to_str().unwrap()]);
    println!("{text}");
    assert_eq!(status, Some(1), "the lie went unnoticed:\n{text}");
    assert!(
        text.contains("minimal failing sequence (1 steps):")
            && text.contains("IsRegister")
            && text.contains("手机号已注册"),
        "no shrunk sequence of one isregister:\n{text}"
    );
    let failure = junit_model_case(&junit).expect("the JUnit case failed");
    assert!(
        failure.contains("IsRegister") && failure.contains("手机号已注册"),
        "the JUnit failure does not carry the shrunk sequence:\n{failure}"
    );
}
