//! The server under load: the release `account-api` binary as a child
//! process on 127.0.0.1, over a fresh database, and its memory from `/proc`.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use reqwest::Url;
use tempfile::TempDir;

/// Variables (and prefixes of variables) cargo sets for the package it runs.
const PACKAGE_VARIABLES: &[&str] = &[
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_MANIFEST_LINKS",
    "CARGO_PKG",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_RUSTC_CURRENT_DIR",
];

/// Builds the release server with cargo (a no-op when it is up to date) and
/// returns the binary's path.
pub fn build_release(workspace: &Path, target_dir: &Path) -> Result<PathBuf, String> {
    eprintln!("building the release server: cargo build --release -p account-api");
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // `cargo run` gives this process the variables of its own package
    // (CARGO_MANIFEST_DIR, CARGO_PKG_NAME, ...). Some build scripts (ring's)
    // track them, so passing them on made every `cargo run -p load` and
    // every plain `cargo build` rebuild the server's TLS and database crates
    // for each other — minutes of compiling right before the measurements.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if PACKAGE_VARIABLES
            .iter()
            .any(|prefix| name == *prefix || name.starts_with(&format!("{prefix}_")))
        {
            cargo.env_remove(name.as_ref());
        }
    }
    let status = cargo
        .args(["build", "--release", "-p", "account-api"])
        .current_dir(workspace)
        .status()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    if !status.success() {
        return Err(format!(
            "cargo build --release -p account-api failed ({status})"
        ));
    }
    let binary = target_dir.join("release").join("account-api");
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!("{} is missing after the build", binary.display()))
    }
}

/// A fresh database for one run, removed at the end.
pub enum Database {
    /// A SQLite file in a temporary directory.
    Sqlite {
        /// The directory, deleted when dropped.
        dir: TempDir,
    },
    /// A database created on a PostgreSQL server, dropped at the end.
    Postgres {
        /// The URL given, used to create and drop.
        admin_url: String,
        /// The created database.
        name: String,
    },
}

impl Database {
    /// A SQLite file in a new temporary directory.
    pub fn sqlite() -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("account-api-bench-")
            .tempdir()
            .map_err(|err| format!("cannot create a temporary directory: {err}"))?;
        Ok(Self::Sqlite { dir })
    }

    /// A new database `account_api_bench_<pid><suffix>` on the server of
    /// `admin_url` (any database the user may connect to and create
    /// databases from), created with `psql`.
    pub fn postgres(admin_url: &str, suffix: &str) -> Result<Self, String> {
        let name = format!("account_api_bench_{}{suffix}", std::process::id());
        psql(admin_url, &format!("DROP DATABASE IF EXISTS {name}"))?;
        psql(admin_url, &format!("CREATE DATABASE {name}"))?;
        Ok(Self::Postgres {
            admin_url: admin_url.to_owned(),
            name,
        })
    }

    /// The server's `--database-url`.
    pub fn url(&self) -> Result<String, String> {
        match self {
            Self::Sqlite { dir } => Ok(format!(
                "sqlite://{}",
                dir.path().join("accounts.db").display()
            )),
            Self::Postgres { admin_url, name } => {
                let mut url = Url::parse(admin_url)
                    .map_err(|err| format!("bad PostgreSQL URL {admin_url:?}: {err}"))?;
                url.set_path(&format!("/{name}"));
                Ok(url.to_string())
            }
        }
    }

    /// `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sqlite { .. } => "sqlite",
            Self::Postgres { .. } => "postgres",
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Self::Postgres { admin_url, name } = self
            && let Err(err) = psql(
                admin_url,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
        {
            eprintln!("warning: could not drop the benchmark database {name}: {err}");
        }
    }
}

/// Runs one SQL statement with `psql`.
fn psql(url: &str, sql: &str) -> Result<(), String> {
    let output = Command::new("psql")
        .args([url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .map_err(|err| {
            format!(
                "cannot run psql ({err}); the PostgreSQL run creates and drops its database \
                 with it: install the PostgreSQL client (e.g. apt-get install postgresql-client)"
            )
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "psql: {sql}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// The running server, stopped when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    log: PathBuf,
}

impl Server {
    /// Starts `binary` on 127.0.0.1 (a free port) over `database_url`,
    /// serving up to `max_connections` connections at once, and waits until
    /// it listens. Its log goes to `log`. Only settings given
    /// here apply: `ACCOUNT_API_*`, `DATABASE_URL` and `RUST_LOG` of the
    /// caller's environment are not passed on.
    pub fn start(
        binary: &Path,
        database_url: &str,
        log: &Path,
        max_connections: usize,
    ) -> Result<Self, String> {
        Self::start_with(binary, database_url, log, max_connections, &[], "info")
    }

    /// As [`Server::start`], with more flags and the server's `RUST_LOG`.
    pub fn start_with(
        binary: &Path,
        database_url: &str,
        log: &Path,
        max_connections: usize,
        flags: &[&str],
        rust_log: &str,
    ) -> Result<Self, String> {
        let log_file = fs::File::create(log)
            .map_err(|err| format!("cannot create {}: {err}", log.display()))?;
        let mut command = Command::new(binary);
        for (name, _) in std::env::vars_os() {
            let name_text = name.to_string_lossy();
            if name_text.starts_with("ACCOUNT_API_")
                || name_text == "DATABASE_URL"
                || name_text == "RUST_LOG"
            {
                command.env_remove(&name);
            }
        }
        let child = command
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            // Every login of the burst waits for its hash, as the memory
            // target assumes; by default most would be refused at once.
            .args(["--hash-queue-depth", "4096"])
            // The harness is one client address playing thousands of users:
            // the limit on wrong passwords per address counts the logins
            // still being verified, and the burst has 512 in flight at once.
            .args(["--login-failures-per-address-per-hour", "1000000"])
            .arg("--max-connections")
            .arg(max_connections.to_string())
            // Every connection of the harness comes from 127.0.0.1: the
            // per-address cap must not be the one that binds.
            .arg("--max-connections-per-address")
            .arg(max_connections.to_string())
            .args(flags)
            .arg("--database-url")
            .arg(database_url)
            .env("RUST_LOG", rust_log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|err| format!("cannot start {}: {err}", binary.display()))?;
        let mut server = Self {
            child,
            base_url: String::new(),
            log: log.to_owned(),
        };
        server.base_url = format!("http://{}", server.wait_for_address()?);
        Ok(server)
    }

    /// The address of the `listening` log line, once it appears.
    fn wait_for_address(&mut self) -> Result<String, String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = fs::read_to_string(&self.log).unwrap_or_default();
            for line in text.lines() {
                let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
                    continue;
                };
                if entry.pointer("/fields/message").and_then(|m| m.as_str()) == Some("listening")
                    && let Some(address) = entry.pointer("/fields/address").and_then(|a| a.as_str())
                {
                    return Ok(address.to_owned());
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "the server exited ({status}) before listening:\n{}",
                    tail(&text, 20)
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the server did not listen within 60 s:\n{}",
                    tail(&text, 20)
                ));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process id, for `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Its whole log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last lines of its log.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&fs::read_to_string(&self.log).unwrap_or_default(), lines)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_status_kib(&status, field)
}

fn parse_status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// Resets the process's peak resident set size (`VmHWM`) to its current size,
/// so the next reading is the peak since now; whether the kernel allowed it.
pub fn reset_peak_rss(pid: u32) -> bool {
    fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// Samples a process's `VmRSS` every `every` until stopped; keeps the largest.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    peak_kib: Arc<AtomicU64>,
    thread: Option<thread::JoinHandle<()>>,
}

impl RssSampler {
    /// Starts sampling `pid`.
    pub fn start(pid: u32, every: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak_kib = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, peak_kib) = (Arc::clone(&stop), Arc::clone(&peak_kib));
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(rss) = status_kib(pid, "VmRSS") {
                        peak_kib.fetch_max(rss, Ordering::Relaxed);
                    }
                    thread::sleep(every);
                }
            })
        };
        Self {
            stop,
            peak_kib,
            thread: Some(thread),
        }
    }

    /// Stops and returns the largest `VmRSS` seen, in KiB.
    pub fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.peak_kib.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_fields_of_proc_status_are_read_in_kib() {
        let status = "Name:\taccount-api\nVmHWM:\t   81234 kB\nVmRSS:\t   40960 kB\n";
        assert_eq!(parse_status_kib(status, "VmRSS"), Some(40_960));
        assert_eq!(parse_status_kib(status, "VmHWM"), Some(81_234));
        assert_eq!(parse_status_kib(status, "VmSwap"), None);
    }

    #[test]
    fn this_process_has_a_resident_set() {
        assert!(status_kib(std::process::id(), "VmRSS").is_some_and(|kib| kib > 0));
    }

    #[test]
    fn a_postgres_run_points_the_server_at_its_own_database() {
        // Not created: only the URL arithmetic is checked.
        let database = std::mem::ManuallyDrop::new(Database::Postgres {
            admin_url: "postgres://bench:secret@127.0.0.1:5432/postgres?sslmode=disable".into(),
            name: "account_api_bench_1".into(),
        });
        assert_eq!(
            database.url().unwrap(),
            "postgres://bench:secret@127.0.0.1:5432/account_api_bench_1?sslmode=disable"
        );
    }
}
