//! `contract-tests --base-url http://HOST:PORT`: checks a running deployment
//! against the OpenAPI document and exits non-zero on any violation.

use std::{path::PathBuf, process::ExitCode, time::Instant};

use clap::Parser;
use contract_tests::{Checker, Contract, Document, RunConfig, report};

/// Checks a running deployment of the account API against its OpenAPI document.
///
/// For every operation, method and body encoding of the document, sends
/// generated requests (valid and invalid) and checks that each answer has a
/// declared HTTP status and content type, a body matching the declared schema,
/// and is never a server error. Prints one line per operation and encoding,
/// then each violation with its request, response and failing schema path.
///
/// Exit status: 0 when every answer kept the contract, 1 when any violation
/// was found, 2 when the run could not start (bad arguments, unreadable
/// document, server unreachable).
///
/// It registers four test accounts, and every valid phone it generates is in the
/// unallocated 10x-12x range, so the operations that write (register,
/// forget_password) only touch accounts it created. sendsms asks the server to
/// send codes to such numbers; skip it with `--skip sendsms,sendsmsGet` where
/// that costs money.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
struct Cli {
    /// The deployment, e.g. http://127.0.0.1:5000 (the document's paths are appended).
    #[arg(long, env = "CONTRACT_BASE_URL")]
    base_url: String,

    /// Cases per operation and encoding.
    #[arg(long, env = "CONTRACT_CASES", default_value_t = 256)]
    cases: u32,

    /// The OpenAPI document to check against (default: the committed
    /// openapi/openapi.json built into this binary).
    #[arg(long)]
    document: Option<PathBuf>,

    /// Operations and encodings checked at once.
    #[arg(long, default_value_t = 2)]
    jobs: usize,

    /// Check only these operationIds (comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,

    /// Skip these operationIds (comma-separated).
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,

    /// `--model` and its flags: the stateful model instead of the checks above.
    #[command(flatten)]
    model: contract_tests::model::ModelArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.model.model {
        return contract_tests::model::main(&cli.base_url, &cli.model);
    }
    match run(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("contract-tests: {message}");
            ExitCode::from(2)
        }
    }
}

/// `Ok(true)` when no violation was found.
fn run(cli: &Cli) -> Result<bool, String> {
    let document = match &cli.document {
        None => Document::committed(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
            Document::parse(&text).map_err(|err| format!("{}: {err}", path.display()))?
        }
    };
    let contract = Contract::new(document)?;
    let checker = Checker::new(contract, &cli.base_url).map_err(|err| err.to_string())?;
    let config = RunConfig {
        cases: cli.cases,
        jobs: cli.jobs,
        only: cli.only.clone(),
        skip: cli.skip.clone(),
        ..RunConfig::default()
    };
    let targets = checker.targets(&config);
    if targets.is_empty() {
        return Err("no operation selected".to_owned());
    }
    println!(
        "checking {} against {} ({} operation/encoding pairs, {} cases each)",
        checker.client.base_url(),
        cli.document.as_ref().map_or_else(
            || "the committed openapi/openapi.json".to_owned(),
            |p| p.display().to_string()
        ),
        targets.len(),
        cli.cases
    );
    for note in &checker.notes {
        println!("note: {note}");
    }
    let started = Instant::now();
    let reports = checker.run(&config);
    for report in &reports {
        println!("{}", report::summary_line(report));
    }
    for report in &reports {
        print!("{}", report::details(report));
    }
    println!(
        "\n{} in {:.1} s",
        report::totals(&reports),
        started.elapsed().as_secs_f64()
    );
    Ok(reports.iter().all(|r| r.failures.is_empty()))
}
