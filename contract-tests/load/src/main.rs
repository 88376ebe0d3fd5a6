//! `cargo run --release -p load`: the command line of the benchmark, and one
//! run from start to end (the library's documentation describes it).

#![warn(missing_docs)]

use std::{fs, path::PathBuf, process::ExitCode, time::Duration};

use clap::Parser;
use contract_tests::http::Client;
use load::{
    argon2_reference::{self, Bracket, Reference},
    chart, growth, instances, machine,
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

    /// Idle keep-alive connections held open during the last scenario (the
    /// server's connection cap is set this plus 1,024).
    #[arg(long, env = "LOAD_IDLE_CONNECTIONS", default_value_t = 10_000)]
    idle_connections: usize,

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

    /// Run the growth benchmark instead: isregister, login, sendsms and /me
    /// on an almost empty database and on one seeded with SQL to the sizes
    /// below, in one run, with the query plan of every statement the server
    /// ran on the large one. Results go to target/bench/growth-<database>.md.
    #[arg(long)]
    growth: bool,

    /// Compare instead sendsms for distinct phones through one instance and
    /// through two at once on one PostgreSQL database (needs --postgres).
    /// Results go to target/bench/instances-postgres.md.
    #[arg(long, requires = "postgres")]
    two_instances: bool,

    /// Run the import benchmark instead: `account-api import` of a
    /// generated legacy export (--import-users users with hashes of every
    /// legacy scheme, --import-tokens of them with a token), twice on a
    /// fresh database: rows/s, the importer's peak memory, and the second
    /// run (nothing to write) against the first. Results go to
    /// target/bench/import-<database>.md.
    #[arg(long)]
    import: bool,

    /// Run the webhook benchmark instead: register, login and
    /// forget_password at once (8 connections each, --duration, over
    /// --users seeded users) against a server without a webhook endpoint
    /// and against one whose [[webhooks]] endpoint, subscribed to every
    /// event, is a local receiver that accepts connections and never
    /// answers; each run on a fresh database, --webhook-rounds times.
    /// Target: each operation's p99 within 1.2 × without. Results go to
    /// target/bench/webhooks-<database>.md.
    #[arg(long)]
    webhooks: bool,

    /// Rounds of the webhook benchmark, each one run without the receiver
    /// and one with it; the order alternates (without first in the first
    /// round), so that the machine's speed drifting during the benchmark
    /// weighs on both alike.
    #[arg(long, env = "LOAD_WEBHOOK_ROUNDS", default_value_t = 2)]
    webhook_rounds: usize,

    /// Users of the import benchmark's file.
    #[arg(long, env = "LOAD_IMPORT_USERS", default_value_t = 1_000_000)]
    import_users: u64,

    /// Users of the import benchmark's file with a legacy token.
    #[arg(long, env = "LOAD_IMPORT_TOKENS", default_value_t = 200_000)]
    import_tokens: u64,

    /// Users of the growth benchmark's large database.
    #[arg(long, env = "LOAD_GROWTH_USERS", default_value_t = 1_000_000)]
    growth_users: u64,

    /// Live sessions of the large database.
    #[arg(long, env = "LOAD_GROWTH_SESSIONS", default_value_t = 200_000)]
    growth_sessions: u64,

    /// Audit rows of the large database, spread over 90 days.
    #[arg(long, env = "LOAD_GROWTH_AUDIT_EVENTS", default_value_t = 5_000_000)]
    growth_audit_events: u64,
}

/// Connections the server may serve beyond the idle ones: oha's and the harness's.
const IDLE_CAP_MARGIN: usize = 1024;

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

    if cli.import {
        // No load generator: the importer is the load.
        let binary = match &cli.server {
            Some(path) => path.clone(),
            None => server::build_release(&workspace, &target_dir)?,
        };
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        return run_import(cli, &binary, &out, cores, &load_before);
    }
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
    if cli.webhooks {
        return run_webhooks(cli, &oha, &binary, &out, cores, &load_before);
    }
    if cli.growth {
        return run_growth(cli, &oha, &binary, &out, cores, load_before);
    }
    if let (true, Some(url)) = (cli.two_instances, &cli.postgres) {
        let database = Database::postgres(url, "_instances")?;
        let work_dir =
            tempfile::tempdir().map_err(|err| format!("a temporary directory: {err}"))?;
        let loads = growth::Loads {
            oha: &oha,
            work_dir: work_dir.path(),
            duration: Duration::from_secs(cli.duration.max(1)),
        };
        let scaling = instances::run(&oha, &binary, &database, &loads, cli.connections, &out)?;
        let verdict = scaling.verdict();
        let markdown = format!(
            "Machine: {}. Database: postgres, on the same machine. Load generator: {}. {} s per \
             load; run started {}, 1-minute load average {load_before}.\n\n{}\n{}\n{}",
            machine::machine(cores),
            oha.version,
            loads.duration.as_secs(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            report::table(&[
                scaling.one.clone(),
                scaling.two[0].clone(),
                scaling.two[1].clone()
            ]),
            scaling.profiles_markdown(),
            report::verdict_table(std::slice::from_ref(&verdict)),
        );
        write_report(&out, "instances-postgres.md", &markdown)?;
        return Ok(verdict.pass);
    }

    let before = time_argon2("before the loads", cli.argon2_window_secs);
    eprintln!("timing Argon2id on all {cores} cores at once");
    let all_cores_per_second = argon2_reference::all_at_once(cores, cli.argon2_window_secs);
    eprintln!("  {all_cores_per_second:.1} hashes/s");

    let database = match &cli.postgres {
        Some(url) => Database::postgres(url, "")?,
        None => Database::sqlite()?,
    };
    let kind = database.kind();
    let log = out.join(format!("server-{kind}.log"));
    let max_connections = cli.idle_connections + IDLE_CAP_MARGIN;
    let mut server = Server::start(&binary, &database.url()?, &log, max_connections)?;
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
        idle_connections: cli.idle_connections.max(1),
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
    let (rows, idle) = rows?;
    let argon2 = Bracket {
        before,
        after: time_argon2("after the loads", cli.argon2_window_secs),
        all_cores_per_second,
    };

    let verdicts = targets::verdicts(&rows, &idle, &argon2.reference(), cores);
    let markdown = report::markdown(&context, &argon2, &rows, &idle, &verdicts);
    println!("\n{markdown}");
    let stem = out.join(format!("load-{kind}"));
    let write = |extension: &str, text: String| {
        let path = stem.with_extension(extension);
        fs::write(&path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))
    };
    write("md", markdown)?;
    let json = report::json(&context, &argon2, &rows, &idle, &verdicts);
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

/// The import benchmark (`--import`); `Ok(true)` when every target is met.
fn run_import(
    cli: &Cli,
    binary: &std::path::Path,
    out: &std::path::Path,
    cores: usize,
    load_before: &str,
) -> Result<bool, String> {
    use load::import_bench;
    let database = match &cli.postgres {
        Some(url) => Database::postgres(url, "_import")?,
        None => Database::sqlite()?,
    };
    let kind = database.kind();
    let work_dir = tempfile::tempdir().map_err(|err| format!("a temporary directory: {err}"))?;
    let file = work_dir.path().join("accounts.jsonl");
    let tokens = cli.import_tokens.min(cli.import_users);
    eprintln!(
        "writing {} users ({tokens} with a token) to {}",
        cli.import_users,
        file.display()
    );
    import_bench::write_file(&file, cli.import_users, tokens)?;
    let url = database.url()?;
    eprintln!("first import, on {kind}");
    let first = import_bench::run(binary, &url, &file, &work_dir.path().join("first.json"))?;
    eprintln!("second import of the same file");
    let second = import_bench::run(binary, &url, &file, &work_dir.path().join("second.json"))?;
    drop(database);
    let (table, pass) = import_bench::markdown(kind, cli.import_users, tokens, &first, &second);
    let markdown = format!(
        "Machine: {}. Run started {}, 1-minute load average {load_before}.\n\n{table}",
        machine::machine(cores),
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    write_report(out, &format!("import-{kind}.md"), &markdown)?;
    Ok(pass)
}

/// Prints `markdown` and writes it to `out/name`, saying where.
fn write_report(out: &std::path::Path, name: &str, markdown: &str) -> Result<(), String> {
    println!("\n{markdown}");
    let path = out.join(name);
    fs::write(&path, markdown).map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    println!("written: {}", path.display());
    Ok(())
}

/// The webhook benchmark (`--webhooks`); `Ok(true)` when every target is met.
fn run_webhooks(
    cli: &Cli,
    oha: &Oha,
    binary: &std::path::Path,
    out: &std::path::Path,
    cores: usize,
    load_before: &str,
) -> Result<bool, String> {
    use load::webhook_bench::{self, Bench, CONNECTIONS_PER_LOAD, NeverAnswering};
    let database = |suffix: &str| match &cli.postgres {
        Some(url) => Database::postgres(url, suffix),
        None => Database::sqlite(),
    };
    let plan = Plan {
        duration: Duration::from_secs(cli.duration.max(1)),
        users: cli.users.max(4),
        connections: CONNECTIONS_PER_LOAD,
        login_connections: CONNECTIONS_PER_LOAD,
        burst: CONNECTIONS_PER_LOAD,
        idle_connections: 0,
    };
    if let Some(warning) = plan.crowded_logins() {
        eprintln!("{warning}");
    }
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let work_dir = tempfile::tempdir().map_err(|err| format!("a temporary directory: {err}"))?;
    let bench = Bench {
        oha,
        binary,
        work_dir: work_dir.path(),
        plan: &plan,
    };
    let kind = match &cli.postgres {
        Some(_) => "postgres",
        None => "sqlite",
    };
    let receiver = NeverAnswering::start()?;
    let mut phases = Vec::new();
    for (index, with_receiver) in webhook_bench::order(cli.webhook_rounds)
        .into_iter()
        .enumerate()
    {
        let run = index + 1;
        let database = database(&format!("_webhooks_{run}"))?;
        let log = out.join(format!("server-webhooks-{kind}-{run}.log"));
        phases.push(bench.phase(run, &database, with_receiver.then_some(&receiver), &log)?);
    }
    drop(receiver);
    let context = format!(
        "Machine: {}. Database: {kind}, a fresh one for each run's server. Load generator: {} \
         on the same machine, over loopback. register, login and forget_password at once, {} \
         connections each, {} s, after {} users were seeded through the API; started \
         {started_at}, 1-minute load average {load_before}. Runs without a webhook endpoint \
         and runs with one [[webhooks]] endpoint for every event at a local receiver that \
         accepts each connection and never answers (the worker's requests time out after \
         10 s), alternating.",
        machine::machine(cores),
        oha.version,
        CONNECTIONS_PER_LOAD,
        plan.duration.as_secs(),
        plan.users,
    );
    let (markdown, pass) = webhook_bench::markdown(&context, &phases);
    write_report(out, &format!("webhooks-{kind}.md"), &markdown)?;
    Ok(pass)
}

/// The growth benchmark (`--growth`); `Ok(true)` when every target is met.
fn run_growth(
    cli: &Cli,
    oha: &Oha,
    binary: &std::path::Path,
    out: &std::path::Path,
    cores: usize,
    load_before: String,
) -> Result<bool, String> {
    let sizes = growth::Sizes {
        users: cli.growth_users.max(growth::LOGIN_USERS),
        sessions: cli.growth_sessions,
        audit_events: cli.growth_audit_events,
    };
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (empty, large) = match &cli.postgres {
        Some(url) => (
            Database::postgres(url, "_empty")?,
            Database::postgres(url, "_large")?,
        ),
        None => (Database::sqlite()?, Database::sqlite()?),
    };
    let kind = empty.kind();
    let runtime = tokio::runtime::Runtime::new().map_err(|err| format!("a runtime: {err}"))?;
    eprintln!("one Argon2id hash for every seeded user");
    let phc = argon2_reference::phc(seed::PASSWORD.as_bytes());
    for (database, sizes, name) in [
        (&empty, growth::Sizes::EMPTY, "empty"),
        (&large, sizes, "large"),
    ] {
        // The server migrates the database; the harness then fills it.
        drop(Server::start(
            binary,
            &database.url()?,
            &out.join(format!("server-growth-{kind}-{name}.log")),
            64,
        )?);
        eprintln!(
            "seeding the {name} {kind} database: {} users, {} sessions, {} audit rows",
            sizes.users, sizes.sessions, sizes.audit_events
        );
        let took = runtime.block_on(growth::seed(&database.url()?, &sizes, &phc))?;
        eprintln!("  seeded in {:.1} s", took.as_secs_f64());
    }

    // The plans: every statement a pass of each operation's samples runs
    // on the large database, logged by the server and explained there.
    let work_dir = tempfile::tempdir().map_err(|err| format!("a temporary directory: {err}"))?;
    let loads = growth::Loads {
        oha,
        work_dir: work_dir.path(),
        duration: Duration::from_secs(cli.duration.max(1)),
    };
    let operations = ["isregister", "login", "sendsms", "me"];
    let statements = {
        let log = out.join(format!("server-growth-{kind}-statements.log"));
        let server = growth::start_server(binary, &large, &log, "info,account_api::sql=debug")?;
        let client = Client::new(&server.base_url)?;
        for operation in operations {
            let prepared = loads.prepare(operation, &server.base_url, sizes.users)?;
            let checked = load::measured::sample(&client, &prepared.samples)?;
            if let Some(error) = checked.first_error {
                return Err(format!("{operation} on the large database: {error}"));
            }
        }
        growth::logged_statements(&server.log())
    };
    let explained = runtime.block_on(growth::explain(&large.url()?, &statements))?;

    let servers = [
        growth::start_server(
            binary,
            &empty,
            &out.join(format!("server-growth-{kind}-empty.log")),
            "info",
        )?,
        growth::start_server(
            binary,
            &large,
            &out.join(format!("server-growth-{kind}-large.log")),
            "info",
        )?,
    ];
    let clients = [
        Client::new(&servers[0].base_url)?,
        Client::new(&servers[1].base_url)?,
    ];
    let mut compared = Vec::new();
    for operation in operations {
        let mut measured = Vec::new();
        let mut besides_hashing = Vec::new();
        for ((server, client), users) in servers
            .iter()
            .zip(&clients)
            .zip([growth::Sizes::EMPTY.users, sizes.users])
        {
            eprintln!(
                "running {operation} on the {} database for {} s",
                if users == sizes.users {
                    "large"
                } else {
                    "empty"
                },
                loads.duration.as_secs()
            );
            let metrics = || {
                client
                    .send(&seed::get("/metrics".into()))
                    .map(|response| String::from_utf8_lossy(&response.body).into_owned())
            };
            let before = metrics()?;
            let prepared = loads.prepare(operation, &server.base_url, users)?;
            measured.push(growth::measure(oha, client, operation, prepared)?);
            besides_hashing.push(growth::login_besides_hashing_ms(&before, &metrics()?));
        }
        let large_row = measured.pop().expect("two measurements");
        let empty_row = measured.pop().expect("two measurements");
        compared.push(growth::Compared {
            operation,
            empty: empty_row,
            large: large_row,
            login_besides_hashing_ms: (operation == "login")
                .then(|| (besides_hashing[0], besides_hashing[1])),
        });
    }
    drop(servers);
    drop((empty, large));

    let context = growth::Context {
        machine: machine::machine(cores),
        database: kind,
        load_generator: oha.version.clone(),
        started_at,
        duration_s: loads.duration.as_secs_f64(),
        load_before,
        sizes,
    };
    let verdicts = growth::verdicts(&compared, &explained);
    let markdown = growth::markdown(&context, &compared, &explained, &verdicts);
    write_report(out, &format!("growth-{kind}.md"), &markdown)?;
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
