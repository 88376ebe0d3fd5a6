//! `contract-tests --model`: the flags of a model run against a running
//! deployment, and the run itself.

use clap::{Args, ValueEnum};
use serde_json::Value;

use super::{
    deployment::{Deployment, Remote},
    driver::{ModelConfig, ModelReport, run},
    limits::Limits,
    requests::Paths,
    state::Setup,
};
use crate::http::HttpRequest;

/// Whether the deployment checks SMS codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerificationFlag {
    /// Find out: `verify_code` without a code is refused (400) only with verification on.
    Auto,
    /// Codes are checked (production; the model then needs the sandbox).
    On,
    /// Codes are neither checked nor needed (the original's mode).
    Off,
}

/// The flags of `--model`.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// Run the stateful model against the deployment instead of the
    /// per-operation checks: random sequences of operations on fresh phones,
    /// every answer compared with the model's (with `account-api sandbox`,
    /// on its clock and reading its inbox).
    #[arg(long)]
    pub model: bool,

    /// Sequences the model runs.
    #[arg(long, default_value_t = 16)]
    pub model_cases: u32,

    /// Whether the deployment checks SMS codes.
    #[arg(long, value_enum, default_value_t = VerificationFlag::Auto)]
    pub verification: VerificationFlag,

    /// The deployment's `--sends-per-phone-per-minute`.
    #[arg(long, default_value_t = Limits::default().sends_per_phone_per_minute)]
    pub sends_per_phone_per_minute: u32,
    /// The deployment's `--sends-per-phone-per-hour`.
    #[arg(long, default_value_t = Limits::default().sends_per_phone_per_hour)]
    pub sends_per_phone_per_hour: u32,
    /// The deployment's `--sends-per-phone-per-day`.
    #[arg(long, default_value_t = Limits::default().sends_per_phone_per_day)]
    pub sends_per_phone_per_day: u32,
    /// The deployment's `--sends-per-address-per-hour`.
    #[arg(long, default_value_t = Limits::default().sends_per_address_per_hour)]
    pub sends_per_address_per_hour: u32,
    /// The deployment's `--login-max-failures`.
    #[arg(long, default_value_t = Limits::default().login_max_failures)]
    pub login_max_failures: u32,
    /// The deployment's `--login-lockout-minutes`.
    #[arg(long, default_value_t = Limits::default().login_lockout_minutes)]
    pub login_lockout_minutes: u32,
    /// The deployment's `--login-failures-per-address-per-hour`.
    #[arg(long, default_value_t = Limits::default().login_failures_per_address_per_hour)]
    pub login_failures_per_address_per_hour: u32,
    /// The deployment's `--code-max-tries`.
    #[arg(long, default_value_t = Limits::default().code_max_tries)]
    pub code_max_tries: u32,
    /// The deployment's `--reset-attempts-per-phone-per-hour`.
    #[arg(long, default_value_t = Limits::default().reset_attempts_per_phone_per_hour)]
    pub reset_attempts_per_phone_per_hour: u32,
    /// The deployment's `--reset-attempts-per-address-per-hour`.
    #[arg(long, default_value_t = Limits::default().reset_attempts_per_address_per_hour)]
    pub reset_attempts_per_address_per_hour: u32,
    /// The deployment's `--session-ttl-days`.
    #[arg(long, default_value_t = Limits::default().session_ttl_days)]
    pub session_ttl_days: u32,
    /// The deployment's `--dead-code-lockout-secs`.
    #[arg(long, default_value_t = Limits::default().dead_code_lockout_secs)]
    pub dead_code_lockout_secs: u32,
    /// The deployment's `--max-sessions-per-account`.
    #[arg(long, default_value_t = Limits::default().max_sessions_per_account)]
    pub max_sessions_per_account: u32,
}

impl ModelArgs {
    /// The limits the flags give.
    pub fn limits(&self) -> Limits {
        Limits {
            sends_per_phone_per_minute: self.sends_per_phone_per_minute,
            sends_per_phone_per_hour: self.sends_per_phone_per_hour,
            sends_per_phone_per_day: self.sends_per_phone_per_day,
            sends_per_address_per_hour: self.sends_per_address_per_hour,
            login_max_failures: self.login_max_failures,
            login_lockout_minutes: self.login_lockout_minutes,
            login_failures_per_address_per_hour: self.login_failures_per_address_per_hour,
            code_max_tries: self.code_max_tries,
            reset_attempts_per_phone_per_hour: self.reset_attempts_per_phone_per_hour,
            reset_attempts_per_address_per_hour: self.reset_attempts_per_address_per_hour,
            session_ttl_days: self.session_ttl_days,
            dead_code_lockout_secs: self.dead_code_lockout_secs,
            max_sessions_per_account: self.max_sessions_per_account,
        }
    }
}

/// The model run against the deployment at `base_url`; `Err` when it cannot
/// start (unreachable, or verification on with codes it cannot read).
pub fn run_against(base_url: &str, args: &ModelArgs) -> Result<ModelReport, String> {
    let deployment = Remote::connect(base_url)?;
    let capabilities = deployment.capabilities();
    let verification = match args.verification {
        VerificationFlag::On => true,
        VerificationFlag::Off => false,
        VerificationFlag::Auto => verifies_codes(&deployment)?,
    };
    if verification && !capabilities.codes {
        return Err(format!(
            "{base_url} checks SMS codes and is not `account-api sandbox`: the model cannot \
             read the codes it sends (run it against a sandbox, or a deployment with \
             --sms-verification off)"
        ));
    }
    let setup = Setup {
        verification,
        clocked: capabilities.clock,
        second_address: capabilities.loopback,
        limits: args.limits(),
    };
    println!(
        "running the model against {base_url}: verification {}, {}, {}, {} sequences",
        if verification { "on" } else { "off" },
        if setup.clocked {
            "on the sandbox's clock (frozen, moved as the model's moves) and inbox"
        } else {
            "no clock to move (steps that wait left out)"
        },
        if setup.second_address {
            "fresh loopback client addresses per case"
        } else {
            "one client address (the second-address steps left out)"
        },
        args.model_cases
    );
    if setup.clocked {
        deployment.freeze(true)?;
    }
    let name = format!(
        "model, verification {}",
        if verification { "on" } else { "off" }
    );
    let report = run(
        &deployment,
        &ModelConfig::new(name, setup, args.model_cases),
    );
    if setup.clocked {
        deployment.freeze(false)?;
    }
    Ok(report)
}

/// Whether the deployment checks codes: `verify_code` for a phone nobody
/// has, without a code, is 200 with verification off and 400 (`code`) with
/// it on.
fn verifies_codes(deployment: &Remote) -> Result<bool, String> {
    let client = crate::http::Client::new(deployment.base_url())?;
    let request = HttpRequest {
        method: "GET".to_owned(),
        path_and_query: format!("{}?phone=10000000000", Paths::get().path("verifyCode")),
        headers: Vec::new(),
        body: None,
    };
    let response = client.send(&request)?;
    let body: Value = serde_json::from_slice(&response.body)
        .map_err(|err| format!("verify_code answered no JSON ({err})"))?;
    match body["code"].as_i64() {
        Some(200) => Ok(false),
        Some(400) => Ok(true),
        _ => Err(format!(
            "cannot tell whether {} checks codes: verify_code answered {body} \
             (give --verification on or off)",
            deployment.base_url()
        )),
    }
}
