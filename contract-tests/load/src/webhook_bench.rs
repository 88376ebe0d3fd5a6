//! `--webhooks`: the API's latency with a webhook receiver that never
//! answers against none. The same mix of operations that publish account
//! events (`register`, `login`, `forget_password`, at once) runs against a
//! server with no `[[webhooks]]` endpoint (nothing is written to the outbox)
//! and then against one with an endpoint subscribed to every event at a
//! local receiver that accepts each connection and holds it open without
//! answering (every event is written, and the worker's requests wait for
//! their timeout); each server on a fresh database of the same kind. The
//! target of issue #21: each operation's p99 with that receiver within 1.2 ×
//! its p99 without.

use std::{
    io::Read,
    net::{SocketAddr, TcpListener, TcpStream},
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    thread,
};

use contract_tests::http::Client;

use crate::{
    measured::{Measured, find},
    oha::Oha,
    report,
    scenarios::{Plan, Runner},
    seed,
    server::{Database, Server},
    targets::Verdict,
};

/// The largest p99 with the never-answering receiver, as a multiple of the
/// p99 without one.
pub const MAX_RATIO: f64 = 1.2;

/// The operations measured, each publishing an event.
pub const OPERATIONS: [&str; 3] = ["register", "login", "forget_password"];

/// Connections of each of the three loads: enough to keep both hashing
/// threads busy, few enough that a request's latency is its own work and
/// not a long queue's.
pub const CONNECTIONS_PER_LOAD: usize = 8;

/// The endpoint's secret (any valid one: nothing verifies it).
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A webhook receiver on 127.0.0.1 that accepts every connection, reads
/// what comes, and never answers: each connection stays open until its
/// client closes it (the worker, at its request timeout).
pub struct NeverAnswering {
    address: SocketAddr,
    accepted: Arc<AtomicUsize>,
    open: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl NeverAnswering {
    /// Listens on a free port of 127.0.0.1.
    pub fn start() -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|err| format!("cannot listen for the webhook receiver: {err}"))?;
        let address = listener
            .local_addr()
            .map_err(|err| format!("the webhook receiver's address: {err}"))?;
        let accepted = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (accepted, open, stop) =
                (Arc::clone(&accepted), Arc::clone(&open), Arc::clone(&stop));
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    accepted.fetch_add(1, Ordering::Relaxed);
                    open.fetch_add(1, Ordering::Relaxed);
                    let open = Arc::clone(&open);
                    // One thread per connection, asleep in `read` until
                    // the client closes it.
                    thread::spawn(move || {
                        hold(stream);
                        open.fetch_sub(1, Ordering::Relaxed);
                    });
                }
            })
        };
        Ok(Self {
            address,
            accepted,
            open,
            stop,
            thread: Some(thread),
        })
    }

    /// The endpoint's URL.
    pub fn url(&self) -> String {
        format!("http://{}/hooks/account", self.address)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Connections accepted and not yet closed by their client.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
}

/// Reads (and drops) what `stream` sends until its client closes it.
fn hold(mut stream: TcpStream) {
    let mut buffer = [0_u8; 4096];
    while matches!(stream.read(&mut buffer), Ok(n) if n > 0) {}
}

impl Drop for NeverAnswering {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accepting thread, which then sees the stop.
        let _ = TcpStream::connect(self.address);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The configuration file of one `[[webhooks]]` endpoint at `url`,
/// subscribed to every event, with the default retry schedule.
pub fn config_file(url: &str) -> String {
    format!("[[webhooks]]\nurl = \"{url}\"\nsecret = \"{SECRET}\"\n")
}

/// One server's run of the mix.
#[derive(Debug, Clone)]
pub struct Phase {
    /// Its place in the run, from 1.
    pub run: usize,
    /// Whether the server had the never-answering receiver's endpoint.
    pub with_receiver: bool,
    /// One row per operation.
    pub rows: Vec<Measured>,
    /// Deliveries written by the end of the run (seeding included).
    pub deliveries: u64,
    /// Attempts recorded by the end of the run.
    pub attempts: u64,
    /// Connections the receiver accepted during the run (none answered).
    pub accepted: usize,
}

impl Phase {
    /// `none` or `never answers`.
    pub fn receiver(&self) -> &'static str {
        if self.with_receiver {
            "never answers"
        } else {
            "none"
        }
    }

    /// The p99 of `operation`, in ms (NaN when it was not measured).
    pub fn p99_ms(&self, operation: &str) -> f64 {
        find(&self.rows, operation).map_or(f64::NAN, |row| row.outcome.latency_ms(99.0))
    }
}

/// Which runs have the receiver: `rounds` rounds of one run without it and
/// one with it, the first round without it first and each next round the
/// other way round (without, with, with, without, ...), so that a drift of
/// the machine's speed during the benchmark weighs on both alike.
pub fn order(rounds: usize) -> Vec<bool> {
    (0..rounds.max(1))
        .flat_map(|round| {
            if round % 2 == 0 {
                [false, true]
            } else {
                [true, false]
            }
        })
        .collect()
}

/// The mean p99 of `operation` over the runs with (or without) the receiver.
pub fn mean_p99_ms(phases: &[Phase], with_receiver: bool, operation: &str) -> f64 {
    let p99s: Vec<f64> = phases
        .iter()
        .filter(|phase| phase.with_receiver == with_receiver)
        .map(|phase| phase.p99_ms(operation))
        .collect();
    if p99s.is_empty() {
        f64::NAN
    } else {
        p99s.iter().sum::<f64>() / p99s.len() as f64
    }
}

/// What each run of the mix needs.
pub struct Bench<'a> {
    /// The load generator.
    pub oha: &'a Oha,
    /// The release server.
    pub binary: &'a Path,
    /// Where request files and the configuration file go.
    pub work_dir: &'a Path,
    /// Users seeded, how long the loads run, connections of each.
    pub plan: &'a Plan,
}

impl Bench<'_> {
    /// Runs the mix against a server on `database` (fresh), with the
    /// `receiver`'s endpoint configured when given, logging to `log`.
    pub fn phase(
        &self,
        run: usize,
        database: &Database,
        receiver: Option<&NeverAnswering>,
        log: &Path,
    ) -> Result<Phase, String> {
        let name = if receiver.is_some() {
            "never answers"
        } else {
            "none"
        };
        let accepted_before = receiver.map_or(0, NeverAnswering::accepted);
        let mut flags: Vec<String> = Vec::new();
        if let Some(receiver) = receiver {
            let config = self.work_dir.join("webhooks.toml");
            std::fs::write(&config, config_file(&receiver.url()))
                .map_err(|err| format!("cannot write {}: {err}", config.display()))?;
            flags.extend(["--config".to_owned(), config.display().to_string()]);
        }
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let url = database.url()?;
        let mut server = Server::start_with(self.binary, &url, log, 4096, &flags, "info")?;
        let client = Client::new(&server.base_url)?;
        eprintln!(
            "run {run}, receiver: {name}; seeding {} users through the API",
            self.plan.users
        );
        seed::seed(&client, self.plan.users, 8)?;
        let runner = Runner {
            oha: self.oha,
            client: &client,
            base_url: &server.base_url,
            pid: server.pid(),
            work_dir: self.work_dir,
            plan: self.plan,
        };
        let rows = runner.publishing_events()?;
        if !server.is_running() {
            return Err(format!("the server died:\n{}", server.log_tail(20)));
        }
        let (deliveries, attempts) = count_outbox(&url)?;
        drop(server);
        Ok(Phase {
            run,
            with_receiver: receiver.is_some(),
            rows,
            deliveries,
            attempts,
            accepted: receiver.map_or(0, NeverAnswering::accepted) - accepted_before,
        })
    }
}

/// The rows of `webhook_deliveries` and `webhook_delivery_attempts`.
fn count_outbox(url: &str) -> Result<(u64, u64), String> {
    use sea_orm::{ConnectionTrait, Statement};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("a runtime: {err}"))?;
    runtime.block_on(async {
        let db = crate::growth::connect(url).await?;
        let mut counts = Vec::new();
        for table in ["webhook_deliveries", "webhook_delivery_attempts"] {
            let row = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    format!("SELECT COUNT(*) FROM {table}"),
                ))
                .await
                .map_err(|err| format!("counting {table}: {err}"))?
                .ok_or_else(|| format!("no count of {table}"))?;
            let count: i64 = row
                .try_get_by_index(0)
                .map_err(|err| format!("counting {table}: {err}"))?;
            counts.push(u64::try_from(count).unwrap_or(0));
        }
        let _ = db.close().await;
        Ok((counts[0], counts[1]))
    })
}

/// The targets: each operation's p99 with the receiver (the mean over
/// its runs) within [`MAX_RATIO`] × without it, and no errors in any run.
pub fn verdicts(phases: &[Phase]) -> Vec<Verdict> {
    let runs_each = phases.iter().filter(|phase| phase.with_receiver).count();
    let means = if runs_each > 1 {
        format!(", means of {runs_each} runs each")
    } else {
        String::new()
    };
    let mut verdicts: Vec<Verdict> = OPERATIONS
        .iter()
        .map(|operation| {
            let without = mean_p99_ms(phases, false, operation);
            let with = mean_p99_ms(phases, true, operation);
            let ratio = with / without;
            Verdict {
                target: format!(
                    "{operation} p99 with a never-answering receiver ≤ {MAX_RATIO} × without"
                ),
                measured: format!("{ratio:.2} ({with:.1} ms / {without:.1} ms{means})"),
                required: format!("≤ {MAX_RATIO:.2}"),
                // NaN (a load without answers) fails.
                pass: ratio <= MAX_RATIO,
            }
        })
        .collect();
    let errors: u64 = phases
        .iter()
        .flat_map(|phase| &phase.rows)
        .map(Measured::errors)
        .sum();
    verdicts.push(Verdict {
        target: "zero errors in every run".into(),
        measured: errors.to_string(),
        required: "0".into(),
        pass: errors == 0,
    });
    verdicts
}

/// The table of every run, operation by operation.
pub fn table(phases: &[Phase]) -> String {
    let mut text = String::from(
        "| operation | run | receiver | connections | requests/s | p50 ms | p99 ms | errors |\n\
         |---|---:|---|---:|---:|---:|---:|---:|\n",
    );
    for operation in OPERATIONS {
        for phase in phases {
            if let Some(row) = find(&phase.rows, operation) {
                text.push_str(&format!(
                    "| {operation} | {} | {} | {} | {:.1} | {:.2} | {:.2} | {} |\n",
                    phase.run,
                    phase.receiver(),
                    row.connections,
                    row.outcome.requests_per_second(),
                    row.outcome.latency_ms(50.0),
                    row.outcome.latency_ms(99.0),
                    row.errors_shown(),
                ));
            }
        }
    }
    text
}

/// `values` of the runs with (or without) the receiver, joined by "and".
fn of_runs(phases: &[Phase], with_receiver: bool, value: impl Fn(&Phase) -> String) -> String {
    phases
        .iter()
        .filter(|phase| phase.with_receiver == with_receiver)
        .map(value)
        .collect::<Vec<_>>()
        .join(" and ")
}

/// `run 2`, or `runs 2 and 3`: the runs with (or without) the receiver.
fn runs(phases: &[Phase], with_receiver: bool) -> String {
    let many = phases
        .iter()
        .filter(|phase| phase.with_receiver == with_receiver)
        .count()
        > 1;
    let numbers = of_runs(phases, with_receiver, |phase| phase.run.to_string());
    if many {
        format!("runs {numbers}")
    } else {
        format!("run {numbers}")
    }
}

/// The report: `context` (machine, database, run), every run, what the
/// receiver saw, and the targets; and whether every target is met.
pub fn markdown(context: &str, phases: &[Phase]) -> (String, bool) {
    let verdicts = verdicts(phases);
    let pass = verdicts.iter().all(|verdict| verdict.pass);
    let text = format!(
        "{context}\n\n{}\nWithout an endpoint ({}) the server wrote {} deliveries. With the \
         never-answering receiver ({}) it wrote {} (one per event, seeding included); the \
         receiver accepted {} connections and answered none, and by the end of each run {} \
         attempts had timed out and been recorded, each to be retried on the default schedule. \
         Each target compares the mean p99 of the runs with the receiver with that of the runs \
         without.\n\n{}",
        table(phases),
        runs(phases, false),
        of_runs(phases, false, |phase| phase.deliveries.to_string()),
        runs(phases, true),
        of_runs(phases, true, |phase| phase.deliveries.to_string()),
        of_runs(phases, true, |phase| phase.accepted.to_string()),
        of_runs(phases, true, |phase| phase.attempts.to_string()),
        report::verdict_table(&verdicts),
    );
    (text, pass)
}

#[cfg(test)]
mod tests {
    use std::{
        io::{ErrorKind, Write},
        time::{Duration, Instant},
    };

    use super::*;
    use crate::targets::tests::row;

    /// Waits (up to a generous deadline) until `condition` holds.
    fn until(what: &str, condition: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !condition() {
            assert!(Instant::now() < deadline, "{what}");
            thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn the_receiver_accepts_holds_and_never_answers() {
        let receiver = NeverAnswering::start().unwrap();
        let url = receiver.url();
        let address = url
            .strip_prefix("http://")
            .and_then(|rest| rest.strip_suffix("/hooks/account"))
            .expect("an http URL of the receiver's path");
        let mut client = TcpStream::connect(address).unwrap();
        client
            .write_all(b"POST /hooks/account HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}")
            .unwrap();
        until("the connection is accepted", || receiver.accepted() == 1);
        assert_eq!(receiver.open(), 1);

        // No answer, and the connection is not closed (a read would give 0).
        client
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut buffer = [0_u8; 16];
        let read = client.read(&mut buffer);
        assert!(
            matches!(&read, Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)),
            "{read:?}"
        );

        // A second client is held beside the first.
        let second = TcpStream::connect(address).unwrap();
        until("the second connection is accepted", || {
            receiver.accepted() == 2
        });
        assert_eq!(receiver.open(), 2);
        // Closed by its client, a connection is let go.
        drop(client);
        until("the closed connection is let go", || receiver.open() == 1);
        drop(second);
        until("both are let go", || receiver.open() == 0);
    }

    #[test]
    fn the_configuration_subscribes_the_receiver_to_every_event() {
        let text = config_file("http://127.0.0.1:9/hooks/account");
        assert_eq!(
            text,
            "[[webhooks]]\nurl = \"http://127.0.0.1:9/hooks/account\"\n\
             secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n"
        );
        assert!(!text.contains("events"), "every event when absent");
    }

    fn phase(run: usize, with_receiver: bool, p99_ms: [f64; 3], errors: u64) -> Phase {
        Phase {
            run,
            with_receiver,
            rows: OPERATIONS
                .iter()
                .zip(p99_ms)
                .map(|(operation, p99)| {
                    let mut measured = row(operation, 100.0, p99, 0);
                    measured.connections = CONNECTIONS_PER_LOAD;
                    if errors > 0 {
                        measured.outcome.statuses.insert(500, errors);
                    }
                    measured
                })
                .collect(),
            deliveries: if with_receiver { 3000 } else { 0 },
            attempts: if with_receiver { 96 } else { 0 },
            accepted: if with_receiver { 128 } else { 0 },
        }
    }

    #[test]
    fn rounds_alternate_which_configuration_runs_first() {
        assert_eq!(order(1), [false, true]);
        assert_eq!(order(2), [false, true, true, false]);
        assert_eq!(order(3), [false, true, true, false, false, true]);
        assert_eq!(order(0), [false, true], "at least one round");
    }

    #[test]
    fn each_operations_p99_ratio_is_held_to_the_target() {
        let phases = [
            phase(1, false, [100.0, 200.0, 300.0], 0),
            phase(2, true, [110.0, 240.0, 361.0], 0),
        ];
        let verdicts = verdicts(&phases);
        let passes: Vec<bool> = verdicts.iter().map(|v| v.pass).collect();
        // 1.10 and 1.20 pass; 361 / 300 = 1.203 does not; no errors.
        assert_eq!(passes, [true, true, false, true]);
        assert_eq!(verdicts[0].measured, "1.10 (110.0 ms / 100.0 ms)");
        assert!(verdicts[2].target.starts_with("forget_password p99"));
        assert_eq!(verdicts[2].required, "≤ 1.20");

        let (markdown, pass) = super::markdown("Machine: test.", &phases);
        assert!(!pass);
        assert!(markdown.starts_with("Machine: test.\n\n| operation | run | receiver |"));
        assert!(
            markdown.contains("| login | 2 | never answers | 8 | 100.0 | 120.00 | 240.00 | 0 |"),
            "{markdown}"
        );
        assert!(markdown.contains("| 1.20 (240.0 ms / 200.0 ms) | ≤ 1.20 | PASS |"));
        assert!(markdown.contains("| 1.20 (361.0 ms / 300.0 ms) | ≤ 1.20 | MISS |"));
        assert!(
            markdown.contains("receiver (run 2) it wrote 3000 (one per event"),
            "{markdown}"
        );
    }

    #[test]
    fn the_ratio_of_several_rounds_is_that_of_the_means() {
        // Without: 100 and 140 (mean 120); with: 150 and 126 (mean 138).
        let phases = [
            phase(1, false, [100.0, 100.0, 100.0], 0),
            phase(2, true, [150.0, 100.0, 100.0], 0),
            phase(3, true, [126.0, 100.0, 100.0], 0),
            phase(4, false, [140.0, 100.0, 100.0], 0),
        ];
        let verdicts = verdicts(&phases);
        assert_eq!(
            verdicts[0].measured,
            "1.15 (138.0 ms / 120.0 ms, means of 2 runs each)"
        );
        assert!(verdicts[0].pass);
        let (markdown, _) = super::markdown("", &phases);
        assert!(
            markdown.contains("Without an endpoint (runs 1 and 4) the server wrote 0 and 0"),
            "{markdown}"
        );
        assert!(markdown.contains("accepted 128 and 128 connections"));
    }

    #[test]
    fn errors_in_any_run_or_a_load_without_answers_miss() {
        let none = phase(1, false, [100.0, 100.0, 100.0], 0);
        let failing = phase(2, true, [100.0, 100.0, 100.0], 2);
        let missed = verdicts(&[none.clone(), failing]);
        let last = missed.last().unwrap();
        assert_eq!((last.measured.as_str(), last.pass), ("6", false));

        let unmeasured = phase(2, true, [f64::NAN, 100.0, 100.0], 0);
        assert!(!verdicts(&[none, unmeasured])[0].pass);
    }
}
