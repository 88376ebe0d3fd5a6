//! The server in process against the reference model of the contract
//! (`contract_tests::model`), step by step, in both verification modes: on
//! the server's manual clock, which the model moves, reading the codes from
//! its recording sender, each case from client addresses of its own in
//! 127.0.0.0/8. A failure prints the shrunk, minimal sequence with the
//! model's prediction and the server's answer at each step.

use account_api::settings::Verification;
use contract_tests::model::{
    Capabilities, Deployment, Limits, ModelConfig, ModelReport, Ms, Setup, run,
};
use proptest::test_runner::Config;

use crate::server::{TestServer, advance_millis, lifted};

/// The server in process as the model sees it.
struct InProcess<'a>(&'a TestServer);

impl Deployment for InProcess<'_> {
    fn base_url(&self) -> &str {
        &self.0.base_url
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            clock: true,
            codes: true,
            loopback: true,
        }
    }

    fn advance(&self, millis: Ms) -> Result<(), String> {
        advance_millis(&self.0.clock, millis);
        Ok(())
    }

    fn codes_sent(&self) -> Result<usize, String> {
        Ok(self.0.sms.count())
    }

    fn latest_code(&self, phone: &str) -> Result<Option<String>, String> {
        Ok(self.0.sms.last_code_for(phone))
    }
}

/// Runs the model against a server with `limits` in verification mode
/// `verification`, prints what the run covered, and fails on a difference.
fn run_in_process(verification: bool, limits: Limits, regressions: &'static str) -> ModelReport {
    let mode = if verification {
        Verification::On
    } else {
        Verification::Off
    };
    let server = TestServer::start_with(mode, &limits);
    let setup = Setup {
        verification,
        clocked: true,
        second_address: true,
        limits,
    };
    let name = format!("verification {}", if verification { "on" } else { "off" });
    let config = ModelConfig {
        // Relative to the crate: cargo runs tests there.
        regressions: Some(regressions),
        ..ModelConfig::new(name, setup, Config::default().cases)
    };
    let report = run(&InProcess(&server), &config);
    print!("{}", report.text());
    report
}

/// The run predicted (and saw) an answer given for each of `rules`.
fn assert_reached(report: &ModelReport, rules: &[&str]) {
    for rule in rules {
        assert!(
            report.tally.keys().any(|kind| kind.contains(rule)),
            "no answer because of {rule:?}: {:?}",
            report.tally
        );
    }
}

fn assert_passed(report: &ModelReport) {
    assert!(
        report.passed,
        "{}",
        report.failure.as_deref().unwrap_or_default()
    );
}

#[test]
fn the_server_answers_every_step_as_the_reference_model_predicts() {
    // Every case's addresses are fresh, but a case without a clock step takes
    // the same instant: the limits per address would never be reached.
    let report = run_in_process(
        false,
        lifted(Limits::default()),
        "proptest-regressions/model.txt",
    );
    assert_passed(&report);
    assert_reached(&report, &["from the second address"]);
}

#[test]
fn with_verification_on_the_server_answers_every_step_as_the_reference_model_predicts() {
    // Limits per address within the reach of one case's three phones, so
    // that they can be reached too (each case's addresses are its own); the
    // send limit high enough that a phone still reaches its own day limit.
    let limits = Limits {
        sends_per_address_per_hour: 12,
        login_failures_per_address_per_hour: 8,
        reset_attempts_per_address_per_hour: 12,
        ..Limits::default()
    };
    let report = run_in_process(
        true,
        limits,
        "proptest-regressions/model-verification-on.txt",
    );
    assert_passed(&report);
    assert_reached(
        &report,
        &[
            "the phone's unverified resets within the hour",
            "the other address's window",
            "the code is dead",
        ],
    );
}
