//! `contract-tests --model` against running deployments, through the real
//! binary: `account-api sandbox` (verification on, its clock and inbox),
//! the server in process with verification off (no clock to move), and a
//! deployment that lies in well-formed answers, which must fail the run.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

use serde_json::json;

use crate::{
    self_test::{Answer, FaultyProxy},
    server::TestServer,
};

/// Sequences per remote run: each step is a few requests over HTTP.
const CASES: &str = "12";

/// `contract-tests --base-url <base_url> --model --model-cases 12 <flags>`.
fn model_run(base_url: &str, flags: &[&str]) -> (Output, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_contract-tests"))
        .args(["--base-url", base_url, "--model", "--model-cases", CASES])
        .args(flags)
        .env_remove("CONTRACT_BASE_URL")
        .env_remove("PROPTEST_CASES")
        .output()
        .expect("the contract-tests binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, text)
}

/// `target/<profile>/account-api`, built first (cargo builds only this
/// package's binaries for its tests; a no-op when it is up to date).
fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/contract-<hash>
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("a target directory");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let built = Command::new(cargo)
        .args(["build", "-q", "-p", "account-api", "--bin", "account-api"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CARGO_TARGET_DIR", profile_dir.parent().expect("target/"))
        .status()
        .expect("cargo builds the server");
    assert!(built.success(), "cargo build of account-api failed");
    profile_dir.join("account-api")
}

/// `account-api sandbox` on a free loopback port, killed when dropped.
struct Sandbox {
    child: Child,
    base_url: String,
}

impl Sandbox {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(server_binary())
            .args(["sandbox", "--listen", &format!("127.0.0.1:{port}")])
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the sandbox starts");
        let mut sandbox = Self {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
        };
        sandbox.wait_until_it_answers();
        sandbox
    }

    fn wait_until_it_answers(&mut self) {
        let client = contract_tests::http::Client::new(&self.base_url).expect("a client");
        let livez = contract_tests::http::HttpRequest {
            method: "GET".to_owned(),
            path_and_query: "/livez".to_owned(),
            headers: Vec::new(),
            body: None,
        };
        let started = Instant::now();
        while client.send(&livez).map(|r| r.status) != Ok(200) {
            if let Some(status) = self.child.try_wait().expect("poll the sandbox") {
                panic!("the sandbox exited before answering: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the sandbox did not answer within a minute"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_model_passes_against_the_sandbox_with_verification_on() {
    let sandbox = Sandbox::start();
    let (output, text) = model_run(&sandbox.base_url, &[]);
    println!("{text}");
    assert!(output.status.success(), "the model run failed:\n{text}");
    assert!(
        text.contains("verification on, on the sandbox's clock")
            && text.contains("fresh loopback client addresses per case"),
        "the run did not find the sandbox's clock, inbox and loopback:\n{text}"
    );
    // Steps that need the clock and the codes ran, and were answered as predicted.
    for reached in [
        "Wait ",
        "Register 200 with data",
        "VerifyCode 200 window opened",
    ] {
        assert!(text.contains(reached), "no {reached:?} in the run:\n{text}");
    }
}

#[test]
fn the_model_passes_against_a_server_with_verification_off_and_no_clock() {
    let server = TestServer::start();
    // The test server's limits: those per client address lifted.
    let lifted = (u32::MAX / 2).to_string();
    let (output, text) = model_run(
        &server.base_url,
        &[
            "--sends-per-address-per-hour",
            &lifted,
            "--login-failures-per-address-per-hour",
            &lifted,
        ],
    );
    println!("{text}");
    assert!(output.status.success(), "the model run failed:\n{text}");
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
    let proxy = FaultyProxy::mutating(server.runtime(), &server.base_url, always_registered);
    let (output, text) = model_run(&proxy.base_url, &[]);
    println!("{text}");
    assert_eq!(
        output.status.code(),
        Some(1),
        "the lie went unnoticed:\n{text}"
    );
    assert!(
        text.contains("minimal failing sequence (1 steps):")
            && text.contains("IsRegister")
            && text.contains("手机号已注册"),
        "no shrunk sequence of one isregister:\n{text}"
    );
}
