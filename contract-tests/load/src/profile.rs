//! A profile of one phase of a load on PostgreSQL: what the benchmark
//! database's backends were waiting on, sampled from `pg_stat_activity`
//! every 50 ms by one long-lived `psql`, and the CPU time the servers,
//! PostgreSQL and oha took, from `/proc`, over a window inside the load.

use std::{
    collections::BTreeMap,
    fs,
    io::{BufRead, BufReader, Read, Write},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

/// The poll, fed to `psql` with `\watch 0.05`: one row per active client
/// backend of the benchmark database but its own (newlines in the statement
/// become spaces, so a row is one line).
const QUERY: &str = "SELECT coalesce(wait_event_type,'CPU'), coalesce(wait_event,'-'), \
     translate(left(query, 60), E'\\n\\r', '  ') FROM pg_stat_activity WHERE state='active' \
     AND backend_type='client backend' AND pid <> pg_backend_pid() \
     AND datname = current_database()";

/// How many of each kind of share a profile keeps.
const TOP: usize = 5;

/// One backend seen active at one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// `wait_event_type/wait_event`, or `CPU` when it waited on nothing.
    pub wait: String,
    /// The first 60 characters of its statement.
    pub query: String,
}

/// A line of `psql -At -F '|'` as a sample; `None` for anything else psql prints.
pub fn parse_sample(line: &str) -> Option<Sample> {
    let mut fields = line.splitn(3, '|');
    let (kind, event, query) = (fields.next()?, fields.next()?, fields.next()?);
    if kind.is_empty() || event.is_empty() {
        return None;
    }
    let wait = if kind == "CPU" {
        kind.to_owned()
    } else {
        format!("{kind}/{event}")
    };
    Some(Sample {
        wait,
        query: query.trim().to_owned(),
    })
}

/// The `TOP` most frequent keys, each with its share of all keys, most frequent first.
pub fn shares<K: Ord>(keys: impl IntoIterator<Item = K>) -> Vec<(K, f64)> {
    let mut counts = BTreeMap::new();
    let mut total = 0_usize;
    for key in keys {
        *counts.entry(key).or_insert(0_usize) += 1;
        total += 1;
    }
    let mut sorted: Vec<(K, usize)> = counts.into_iter().collect();
    sorted.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    sorted.truncate(TOP);
    sorted
        .into_iter()
        .map(|(key, count)| (key, count as f64 / total as f64))
        .collect()
}

/// The command name and the user plus system clock ticks of a `/proc/<pid>/stat` line.
pub fn parse_proc_stat(line: &str) -> Option<(String, u64)> {
    let (head, rest) = line.rsplit_once(')')?;
    let comm = head.split_once('(')?.1.to_owned();
    // `rest` starts at field 3 (state): utime and stime are fields 14 and 15.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |index: usize| fields.get(index - 3)?.parse::<u64>().ok();
    Some((comm, ticks(14)? + ticks(15)?))
}

/// Busy and total clock ticks of all cores from the first line of `/proc/stat`:
/// total is user to steal (guest time is already in user), busy is all but idle and iowait.
pub fn parse_machine(proc_stat: &str) -> Option<(u64, u64)> {
    let line = proc_stat.lines().find(|line| line.starts_with("cpu "))?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|field| field.parse().ok())
        .collect::<Option<_>>()?;
    let total: u64 = ticks.iter().sum();
    let idle = ticks.get(3)? + ticks.get(4).unwrap_or(&0);
    Some((total - idle, total))
}

/// CPU ticks at one moment: of the servers, of every `postgres` and every
/// `oha` process (by pid, so processes started later count from 0), and the
/// machine's busy and total ticks.
struct Snapshot {
    processes: BTreeMap<u32, (usize, u64)>,
    machine: (u64, u64),
}

impl Snapshot {
    /// Reads `/proc` now; groups are 0 servers (by pid), 1 `postgres`, 2 `oha` (by name).
    fn take(servers: &[u32]) -> Self {
        let mut processes = BTreeMap::new();
        let entries = fs::read_dir("/proc").into_iter().flatten().flatten();
        for pid in entries.filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok()) {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let Some((comm, ticks)) = parse_proc_stat(&stat) else {
                continue;
            };
            let group = match comm.as_str() {
                _ if servers.contains(&pid) => 0,
                "postgres" => 1,
                "oha" => 2,
                _ => continue,
            };
            processes.insert(pid, (group, ticks));
        }
        let machine = fs::read_to_string("/proc/stat").unwrap_or_default();
        let machine = parse_machine(&machine).unwrap_or((0, 0));
        Self { processes, machine }
    }
}

/// Samples a phase while its load runs; [`Sampler::stop`] gives its [`Profile`].
pub struct Sampler {
    psql: Child,
    reader: thread::JoinHandle<Vec<Sample>>,
    servers: Vec<u32>,
    start: Snapshot,
    started: Instant,
}

impl Sampler {
    /// Starts one `psql` polling the database of `database_url` with
    /// `\watch`, and reads the CPU ticks of the `servers` (pids), PostgreSQL and oha.
    pub fn start(database_url: &str, servers: &[u32]) -> Result<Self, String> {
        let mut psql = Command::new("psql")
            .args([database_url, "-X", "-q", "-At", "-F", "|"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|err| format!("cannot run psql to sample pg_stat_activity: {err}"))?;
        let mut stdin = psql.stdin.take().ok_or("psql without stdin")?;
        writeln!(stdin, "{QUERY}\n\\watch 0.05")
            .map_err(|err| format!("writing to psql: {err}"))?;
        let stdout = psql.stdout.take().ok_or("psql without stdout")?;
        let reader = thread::spawn(move || {
            let _open_until_killed = stdin;
            let lines = BufReader::new(stdout).lines().map_while(Result::ok);
            lines.filter_map(|line| parse_sample(&line)).collect()
        });
        Ok(Self {
            psql,
            reader,
            servers: servers.to_vec(),
            start: Snapshot::take(servers),
            started: Instant::now(),
        })
    }

    /// Reads the CPU ticks again, kills `psql` and sums the window up.
    pub fn stop(mut self) -> Profile {
        let end = Snapshot::take(&self.servers);
        let seconds = self.started.elapsed().as_secs_f64();
        let _ = self.psql.kill();
        let _ = self.psql.wait();
        let samples = self.reader.join().unwrap_or_default();
        if samples.is_empty() {
            let mut said = String::new();
            let _ = (self.psql.stderr.take()).map(|mut pipe| pipe.read_to_string(&mut said));
            eprintln!(
                "warning: no pg_stat_activity samples; psql: {}",
                said.trim()
            );
        }
        // `getconf CLK_TCK`, or 100 (said in the report) if it fails.
        let tick = Command::new("getconf").arg("CLK_TCK").output().ok();
        let tick = tick.and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok());
        let ticks_per_second: f64 = tick.filter(|ticks| *ticks > 0.0).unwrap_or(100.0);
        let mut cpu_s = [0.0_f64; 3];
        // A process that ended within the window is lost; the servers' pool connections last.
        for (pid, (group, ticks)) in &end.processes {
            let before = self.start.processes.get(pid).map_or(0, |(_, ticks)| *ticks);
            cpu_s[*group] += ticks.saturating_sub(before) as f64 / ticks_per_second;
        }
        let busy = end.machine.0.saturating_sub(self.start.machine.0) as f64;
        let total = end.machine.1.saturating_sub(self.start.machine.1) as f64;
        Profile {
            samples: samples.len(),
            waits: shares(samples.iter().map(|s| s.wait.clone())),
            queries: shares(samples.into_iter().map(|s| (s.wait, s.query))),
            seconds,
            capacity_s: total / ticks_per_second,
            cpu_s,
            machine_busy: busy / total,
            ticks_assumed: tick.is_none_or(|ticks| ticks <= 0.0),
        }
    }
}

/// Profiles the load of `duration` just started: skips its first tenth
/// (connecting, warming up) and samples the next eight tenths.
pub fn window(database_url: &str, servers: &[u32], duration: Duration) -> Result<Profile, String> {
    thread::sleep(duration / 10);
    let sampler = Sampler::start(database_url, servers)?;
    thread::sleep(duration * 8 / 10);
    Ok(sampler.stop())
}

/// What bounded one phase: the backends' waits and the CPU taken over its window.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// Active backends seen, summed over the polls.
    pub samples: usize,
    /// The top waits (`Lock/advisory`, `CPU`, …) with their share of the samples.
    pub waits: Vec<(String, f64)>,
    /// The top (wait, statement prefix) pairs with their share of the samples.
    pub queries: Vec<((String, String), f64)>,
    /// Seconds of the window.
    pub seconds: f64,
    /// CPU seconds the machine had in the window: its cores × the window, as the kernel counts them.
    pub capacity_s: f64,
    /// CPU seconds of the servers, of every `postgres` process and of every `oha` process.
    pub cpu_s: [f64; 3],
    /// Share of the machine's CPU time that was busy (not idle, not iowait).
    pub machine_busy: f64,
    /// Whether 100 clock ticks per second were assumed (`getconf CLK_TCK` failed).
    pub ticks_assumed: bool,
}

impl Profile {
    /// The profile as a Markdown paragraph and list, named `title`.
    pub fn markdown(&self, title: &str) -> String {
        let percent = |share: f64| format!("{:.1} %", share * 100.0);
        let list = |items: Vec<String>, separator: &str| match items.is_empty() {
            true => "none seen".to_owned(),
            false => items.join(separator),
        };
        let waits = (self.waits.iter()).map(|(wait, share)| format!("{} {wait}", percent(*share)));
        let queries = (self.queries.iter()).map(|((wait, query), share)| {
            let cut = if query.chars().count() >= 60 {
                "…"
            } else {
                ""
            };
            format!("{} {wait} `{query}{cut}`", percent(*share))
        });
        let [servers, postgres, oha] = self
            .cpu_s
            .map(|seconds| format!("{} ({seconds:.1} s)", percent(seconds / self.capacity_s)));
        format!(
            "Profile, {title} ({:.1} s inside the load; {} samples of active backends, every 50 ms):\n\n\
             - PostgreSQL backends by wait: {}\n\
             - by wait and statement: {}\n\
             - CPU, share of {:.0} cores × {:.1} s: servers {servers}, PostgreSQL {postgres}, \
             oha {oha}; machine busy {}{}\n",
            self.seconds,
            self.samples,
            list(waits.collect(), ", "),
            list(queries.collect(), "; "),
            self.capacity_s / self.seconds,
            self.seconds,
            percent(self.machine_busy),
            if self.ticks_assumed {
                " (100 clock ticks/s assumed)"
            } else {
                ""
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_line_is_a_sample_and_nothing_else_is() {
        let sample = parse_sample("Lock|advisory|SELECT pg_advisory_xact_lock($1) | x").unwrap();
        assert_eq!(sample.wait, "Lock/advisory");
        assert_eq!(sample.query, "SELECT pg_advisory_xact_lock($1) | x");
        assert_eq!(parse_sample("CPU|-|COMMIT").unwrap().wait, "CPU");
        for other in [
            "",
            "   ",
            "Tue 02 Dec 2026 10:00:00 AM UTC (every 0.05s)",
            "SELECT 1",
        ] {
            assert_eq!(parse_sample(other), None, "{other:?}");
        }
    }

    #[test]
    fn shares_are_fractions_of_all_samples_most_frequent_first() {
        let keys = ["Lock/advisory", "CPU", "Lock/advisory", "Lock/advisory"];
        assert_eq!(shares(keys), vec![("Lock/advisory", 0.75), ("CPU", 0.25)]);
        let many: Vec<u32> = (0..7).chain([3, 3, 5]).collect();
        let top = shares(many);
        assert_eq!(top.len(), TOP);
        assert_eq!(top[0], (3, 0.3));
        assert_eq!(top[1], (5, 0.2));
    }

    #[test]
    fn a_proc_stat_line_is_read_after_the_last_parenthesis() {
        let line = "4242 (tokio (rt) worker) S 1 4242 4242 0 -1 4194560 900 0 0 0 \
                    1234 567 0 0 20 0 9 0 100 2000000 500 18446744073709551615";
        assert_eq!(
            parse_proc_stat(line),
            Some(("tokio (rt) worker".to_owned(), 1801))
        );
        assert_eq!(parse_proc_stat("17 (postgres) S 1 2"), None);
    }

    #[test]
    fn the_machine_is_busy_but_for_idle_and_iowait() {
        let text = "cpu  250734 0 29980 315603 10567 0 2086 5773 40 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n";
        // user + system + softirq + steal; guest (40) is already in user.
        assert_eq!(parse_machine(text), Some((288_573, 614_743)));
        assert_eq!(parse_machine("intr 1 2 3\n"), None);
    }
}
