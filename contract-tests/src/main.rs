//! `contract-tests --base-url http://HOST:PORT`: checks a running deployment
//! against the OpenAPI document and exits non-zero on any violation;
//! `contract-tests diff OLD.json NEW.json`: the breaking-change gate;
//! `contract-tests compare --old URL --new URL`: two deployments' answers compared.

use std::{
    path::Path,
    process::ExitCode,
    time::{Duration, Instant},
};

use clap::Parser;
use contract_tests::{
    Checker, Contract, Document, RunConfig,
    cli::{Cli, Command},
    compare,
    coverage::Coverage,
    diff, junit, model, report,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Some(Command::Diff { old, new }) => breaking_changes(old, new),
        Some(Command::Compare {
            old,
            new,
            cases,
            only,
            skip,
            allow,
            junit,
        }) => {
            let config = compare::CompareConfig {
                cases: *cases,
                only: only.clone(),
                skip: skip.clone(),
                ..compare::CompareConfig::default()
            };
            run_compare(old, new, config, allow.as_deref(), junit.as_deref())
        }
        None if cli.model.model => run_model(&cli),
        None => run(&cli),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("contract-tests: {message}");
            ExitCode::from(2)
        }
    }
}

fn read_document(path: &Path) -> Result<Document, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    Document::parse(&text).map_err(|err| format!("{}: {err}", path.display()))
}

/// `Ok(true)` when nothing breaks a client generated from `old`.
fn breaking_changes(old: &Path, new: &Path) -> Result<bool, String> {
    let changes = diff::diff(&read_document(old)?, &read_document(new)?);
    println!("{} → {}", old.display(), new.display());
    print!("{}", diff::render(&changes));
    Ok(changes
        .iter()
        .all(|c| c.severity != diff::Severity::Breaking))
}

/// `compare`: `Ok(true)` when the answers are alike, but for the allowed differences.
fn run_compare(
    old: &str,
    new: &str,
    mut config: compare::CompareConfig,
    allow: Option<&Path>,
    junit_file: Option<&Path>,
) -> Result<bool, String> {
    if let Some(path) = allow {
        let ids: Vec<String> = Document::committed()
            .operations()
            .into_iter()
            .map(|o| o.operation_id)
            .collect();
        config.allowed = compare::allow::read(path, &ids)?;
    }
    println!(
        "comparing {new} (new) with {old} (old): {} sequences of up to {} steps",
        config.cases,
        model::LONGEST_SEQUENCE
    );
    let report = compare::run(old, new, &config)?;
    for note in &report.notes {
        println!("note: {note}");
    }
    print!("{}", report.text());
    if let Some(path) = junit_file {
        junit::write(&report.junit(), path)?;
    }
    Ok(report.passed())
}

/// `--model`: `Ok(true)` when every answer was the model's; with `--junit`,
/// the run is one test case of a "stateful model" suite.
fn run_model(cli: &Cli) -> Result<bool, String> {
    let base_url = cli.base_url.as_deref().ok_or("--base-url is required")?;
    let report = model::run_against(base_url, &cli.model)?;
    print!("{}", report.text());
    if let Some(path) = &cli.junit {
        let outcome = match &report.failure {
            None if report.passed => Ok(()),
            failure => Err(failure.clone().unwrap_or_else(|| report.text())),
        };
        let mut suite = junit::suite("stateful model", [(report.name.clone(), outcome)]);
        suite.set_time(Duration::from_millis(
            u64::try_from(report.millis).unwrap_or(u64::MAX),
        ));
        let mut junit_report =
            quick_junit::Report::new(format!("contract-tests --model {base_url}"));
        junit_report.add_test_suite(suite);
        junit::write(&junit_report, path)?;
    }
    Ok(report.passed)
}

/// `Ok(true)` when no violation was found (and the coverage is enough).
fn run(cli: &Cli) -> Result<bool, String> {
    let base_url = cli.base_url.as_deref().ok_or("--base-url is required")?;
    let document = match &cli.document {
        None => Document::committed(),
        Some(path) => read_document(path)?,
    };
    let contract = Contract::new(document)?;
    let checker = Checker::new(contract, base_url).map_err(|err| err.to_string())?;
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
    let elapsed = started.elapsed();
    for report in &reports {
        println!("{}", report::summary_line(report));
    }
    for report in &reports {
        print!("{}", report::details(report));
    }
    println!(
        "\n{} in {:.1} s",
        report::totals(&reports),
        elapsed.as_secs_f64()
    );
    let coverage = Coverage::measure(&checker.contract.document, &reports);
    print!("\n{}", coverage.table());
    if let Some(path) = &cli.junit {
        let name = format!("contract-tests {}", checker.client.base_url());
        junit::write(&junit::report(&name, &reports, elapsed), path)?;
    }
    if let Some(path) = &cli.coverage {
        coverage.write(path)?;
    }
    let enough = cli.min_coverage.is_none_or(|min| {
        let enough = coverage.percent() >= min;
        if !enough {
            println!(
                "coverage {:.1}% is below --min-coverage {min}%",
                coverage.percent()
            );
        }
        enough
    });
    Ok(reports.iter().all(|r| r.failures.is_empty()) && enough)
}
