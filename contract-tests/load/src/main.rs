//! `cargo run --release -p load`: the command line of the benchmark, and one
//! run from start to end (the library's documentation describes it).

#![warn(missing_docs)]

use std::{fs, path::PathBuf, process::ExitCode, time::Duration};

use clap::Parser;
use contract_tests::http::Client;
use load::{
    argon2_reference::{self, Bracket, Reference},
    chart, machine,
    oha::Oha,
    paths, report,
    report::Context,
    scenarios::{Plan, Runner},
    seed,
    server::{self, Database, Server},
    targets,
};

/// Benchmarks the account server on this machine and checks the targets of
/// issue #6 (each a ratio of figures from this one run).
///
/// Scenarios, each run for --duration seconds against the release server on
/// 127.0.0.1: (1) livez, the framework's ceiling; (2) isregister for random
/// registered and unregistered phones; (3) login with correct passwords over
/// the seeded users; (4) register of fresh phones; (5) a login flood with
/// isregister alongside; (6) --burst concurrent logins, with the server's
/// peak memory. The default limits stay on: no scenario sends SMS or fails
/// a login, so none is refused.
///
/// Results go to target/bench/load-<database>.{md,json,svg} (and the
/// server's log beside them). Exit status 0: every target met; 1: a target
/// missed; 2: the run could not be made.
#[derive(Debug, Parser)]
#[command(about, long_about)]
struct Cli {
    /// Seconds each load runs.
    #[arg(long, env = "LOAD_DURATION", default_value_t = 10)]
    duration: u64,

    /// Users registered before the scenarios (through the API).
    #[arg(long, env = "LOAD_USERS", default_value_t = 2000)]
    users: u32,

    /// Connections of livez and isregister (alone and beside the login flood).
    #[arg(long, default_value_t = 64)]
    connections: usize,

    /// Connections of login, register and the login flood.
    #[arg(long, default_value_t = 64)]
    login_connections: usize,

    /// Concurrent logins of the memory scenario.
    #[arg(long, env = "LOAD_BURST", default_value_t = 512)]
    burst: usize,

    /// Seconds each of the three Argon2id timings runs (one core before the
    /// loads, all cores, one core after): the longer, the steadier the
    /// reference of the login and register targets. Fractions are allowed.
    #[arg(
        long,
        env = "LOAD_ARGON2_WINDOW_SECS",
        value_name = "SECONDS",
        default_value = "4",
        value_parser = positive_seconds
    )]
    argon2_window_secs: Duration,

    /// Run on PostgreSQL instead of SQLite: a URL of the server to create (and
    /// afterwards drop) a fresh database on, e.g.
    /// postgres://postgres@127.0.0.1:5432/postgres. Needs `psql`.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,

    /// The server binary to run instead of building target/release/account-api.
    #[arg(long, value_name = "PATH")]
    server: Option<PathBuf>,

    /// The oha binary; by default `oha` on PATH, else target/bench/tools/bin/oha.
    #[arg(long, value_name = "PATH")]
    oha: Option<PathBuf>,

    /// Install oha into target/bench/tools with cargo when it is not found.
    #[arg(long)]
    install_oha: bool,

    /// Directory for the results (default: target/bench).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("load: {message}");
            ExitCode::from(2)
        }
    }
}

/// A number of seconds above zero, e.g. `4` or `0.5`.
fn positive_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|err| format!("not a number of seconds: {err}"))?;
    match Duration::try_from_secs_f64(seconds) {
        Ok(window) if !window.is_zero() => Ok(window),
        Ok(_) => Err("must be more than 0".to_owned()),
        Err(err) => Err(format!("not a duration: {err}")),
    }
}

/// One timing of the Argon2id reference for `window`, announced and reported on stderr.
fn time_argon2(when: &str, window: Duration) -> Reference {
    eprintln!(
        "timing Argon2id on one core {when} ({} s, hashes and verifies alternating)",
        window.as_secs_f64()
    );
    let reference = argon2_reference::measure(window);
    eprintln!(
        "  hash {:.2} ms, verify {:.2} ms (mean of {})",
        reference.hash.as_secs_f64() * 1000.0,
        reference.verify.as_secs_f64() * 1000.0,
        reference.samples
    );
    reference
}

/// `Ok(true)` when every target is met.
fn run(cli: &Cli) -> Result<bool, String> {
    // Before anything of ours runs: a figure of the other work on the machine.
    let load_before = machine::load_average();
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: this harness is a debug build; its Argon2 reference may be slower than \
             the server's. Run it with --release."
        );
    }
    let workspace = paths::workspace_root();
    let target_dir = paths::target_dir(&workspace, std::env::var_os("CARGO_TARGET_DIR"));
    let out = cli.out.clone().unwrap_or_else(|| target_dir.join("bench"));
    fs::create_dir_all(&out).map_err(|err| format!("cannot create {}: {err}", out.display()))?;

    let oha = Oha::locate(
        cli.oha.as_deref(),
        &target_dir.join("bench").join("tools"),
        cli.install_oha,
    )?;
    let binary = match &cli.server {
        Some(path) => path.clone(),
        None => server::build_release(&workspace, &target_dir)?,
    };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);

    let before = time_argon2("before the loads", cli.argon2_window_secs);
    eprintln!("timing Argon2id on all {cores} cores at once");
    let all_cores_per_second = argon2_reference::all_at_once(cores, cli.argon2_window_secs);
    eprintln!("  {all_cores_per_second:.1} hashes/s");

    let database = match &cli.postgres {
        Some(url) => Database::postgres(url)?,
        None => Database::sqlite()?,
    };
    let kind = database.kind();
    let log = out.join(format!("server-{kind}.log"));
    let mut server = Server::start(&binary, &database.url()?, &log)?;
    eprintln!(
        "server {} (pid {}) on {kind}",
        server.base_url,
        server.pid()
    );
    let client = Client::new(&server.base_url)?;

    let plan = Plan {
        duration: Duration::from_secs(cli.duration.max(1)),
        users: cli.users.max(4),
        connections: cli.connections.max(1),
        login_connections: cli.login_connections.max(1),
        burst: cli.burst.max(1),
    };
    let context = Context {
        machine: machine::machine(cores),
        cores,
        database: kind,
        load_generator: oha.version.clone(),
        started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        duration_s: plan.duration.as_secs_f64(),
        users: plan.users,
        load_before,
    };
    if let Some(warning) = plan.crowded_logins() {
        eprintln!("{warning}");
    }
    eprintln!("seeding {} users through the API", plan.users);
    seed::seed(&client, plan.users, 8)?;

    let work_dir = tempfile::tempdir().map_err(|err| format!("a temporary directory: {err}"))?;
    let runner = Runner {
        oha: &oha,
        client: &client,
        base_url: &server.base_url,
        pid: server.pid(),
        work_dir: work_dir.path(),
        plan: &plan,
    };
    let rows = runner.run_all();
    if !server.is_running() {
        return Err(format!("the server died:\n{}", server.log_tail(20)));
    }
    drop(server);
    drop(database);
    let rows = rows?;
    let argon2 = Bracket {
        before,
        after: time_argon2("after the loads", cli.argon2_window_secs),
        all_cores_per_second,
    };

    let verdicts = targets::verdicts(&rows, &argon2.reference(), cores);
    let markdown = report::markdown(&context, &argon2, &rows, &verdicts);
    println!("\n{markdown}");
    let stem = out.join(format!("load-{kind}"));
    let write = |extension: &str, text: String| {
        let path = stem.with_extension(extension);
        fs::write(&path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))
    };
    write("md", markdown)?;
    let json = report::json(&context, &argon2, &rows, &verdicts);
    write(
        "json",
        serde_json::to_string_pretty(&json).expect("JSON values serialize"),
    )?;
    chart::latency_svg(
        &stem.with_extension("svg"),
        &format!(
            "account-api latency by percentile ({kind}, {})",
            context.machine
        ),
        &rows,
    )?;
    println!(
        "written: {}.{{md,json,svg}}, server log {}",
        stem.display(),
        log.display()
    );
    Ok(verdicts.iter().all(|verdict| verdict.pass))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_argon2_window_is_a_positive_number_of_seconds() {
        assert_eq!(positive_seconds("4"), Ok(Duration::from_secs(4)));
        assert_eq!(positive_seconds("0.5"), Ok(Duration::from_millis(500)));
        for bad in ["0", "-1", "NaN", "inf", "four"] {
            assert!(positive_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_argon2_window_is_four_seconds() {
        let cli = Cli::parse_from(["load"]);
        assert_eq!(cli.argon2_window_secs, Duration::from_secs(4));
    }
}
