//! Test support (the `test-support` feature; never in a release build): a
//! fresh database per test on the backend the test run picks, and a second
//! run of a whole test binary on PostgreSQL, so that `cargo test` alone covers
//! both backends.
//!
//! A test run uses SQLite files unless [`BACKEND_VAR`] is `postgres`; then
//! every [`TestDatabase`] is a new schema (or, when a test needs a whole
//! database, a new database) on the server of [`POSTGRES_URL_VAR`], dropped
//! with the value. A schema costs milliseconds where a database costs about
//! two seconds of PostgreSQL checkpoints, and the server cannot tell them
//! apart: its URL carries `options=-c search_path=<schema>`. A test that calls
//! [`run_this_binary_on_postgresql`] runs the other tests of its binary that
//! way, or says loudly why it could not (and fails when `CI` is set).
//!
//! Any test crate with `account-api` as a dev-dependency can use it by
//! enabling this feature: `account-api = { ..., features = ["test-support"] }`.

use std::{
    io::{BufRead, BufReader, Read, Write},
    path::Path,
    process::{Command, Stdio},
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use tempfile::TempDir;

/// Environment variable choosing the backend of a test run: `sqlite` (the
/// default) or `postgres`.
pub const BACKEND_VAR: &str = "ACCOUNT_API_TEST_BACKEND";
/// Environment variable with the URL of a PostgreSQL server the tests may
/// create and drop databases on, e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
pub const POSTGRES_URL_VAR: &str = "TEST_POSTGRES_URL";
/// Every schema or database the tests create is named `<this>_<pid>_<n>_<random>`.
pub const DATABASE_PREFIX: &str = "account_api_test";
/// How long the PostgreSQL run of a test binary may take before it is killed.
const POSTGRES_RUN_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// A database engine the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (the embedded default).
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

impl Backend {
    /// The backend of this test run, from [`BACKEND_VAR`].
    ///
    /// # Panics
    /// When the variable holds something other than `sqlite` or `postgres`.
    pub fn current() -> Self {
        match std::env::var(BACKEND_VAR).as_deref() {
            Err(_) | Ok("") | Ok("sqlite") => Self::Sqlite,
            Ok("postgres") => Self::Postgres,
            Ok(other) => panic!("{BACKEND_VAR}={other:?}: expected `sqlite` or `postgres`"),
        }
    }

    /// `"SQLite"` or `"PostgreSQL"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// The PostgreSQL server of [`POSTGRES_URL_VAR`], if set.
///
/// A server on the loopback interface is reached without TLS unless the URL
/// says otherwise (`sslmode=...`): TLS protects nothing there, and the TLS
/// handshake of each new connection costs about 100 ms here, which made the
/// PostgreSQL run five times slower.
pub fn postgres_url() -> Option<String> {
    let url = std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|url| !url.is_empty())?;
    Some(without_tls_on_loopback(&url))
}

fn without_tls_on_loopback(url: &str) -> String {
    let authority = url
        .split_once("://")
        .map_or("", |(_, rest)| rest.split(['/', '?']).next().unwrap_or(""));
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let loopback = ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|name| host == *name || host.starts_with(&format!("{name}:")));
    if !loopback || url.contains("sslmode=") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}sslmode=disable")
}

/// A database of its own for one test: a SQLite file in a temporary
/// directory, or a new PostgreSQL schema or database; deleted on drop.
pub struct TestDatabase {
    url: String,
    place: Place,
}

enum Place {
    Sqlite(TempDir),
    Postgres {
        server_url: String,
        name: String,
        kind: PostgresKind,
    },
}

#[derive(Clone, Copy)]
enum PostgresKind {
    Schema,
    Database,
}

impl TestDatabase {
    /// A fresh, empty database on this run's backend ([`Backend::current`]):
    /// on PostgreSQL a new schema, which the URL makes the only one searched.
    pub async fn create() -> Self {
        Self::create_on(Backend::current()).await
    }

    /// As [`TestDatabase::create`], but on PostgreSQL a whole new database,
    /// for tests of the database as such (refusing connections, say).
    pub async fn create_dedicated() -> Self {
        match Backend::current() {
            Backend::Sqlite => Self::create_on(Backend::Sqlite).await,
            Backend::Postgres => Self::create_postgres(PostgresKind::Database).await,
        }
    }

    /// A fresh, empty database on `backend` (a schema on PostgreSQL).
    ///
    /// # Panics
    /// When it cannot be created (for PostgreSQL: when [`POSTGRES_URL_VAR`]
    /// is unset or the server refuses).
    pub async fn create_on(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = TempDir::new().expect("a temporary directory");
                let url = format!("sqlite://{}/test.db", dir.path().display());
                Self {
                    url,
                    place: Place::Sqlite(dir),
                }
            }
            Backend::Postgres => Self::create_postgres(PostgresKind::Schema).await,
        }
    }

    async fn create_postgres(kind: PostgresKind) -> Self {
        let server_url = postgres_url()
            .unwrap_or_else(|| panic!("{BACKEND_VAR}=postgres needs {POSTGRES_URL_VAR}"));
        let name = new_name();
        let admin = Database::connect(server_url.as_str())
            .await
            .unwrap_or_else(|err| panic!("cannot connect to {POSTGRES_URL_VAR}: {err}"));
        let (statement, url) = match kind {
            PostgresKind::Schema => (
                format!("CREATE SCHEMA \"{name}\""),
                with_search_path(&server_url, &name),
            ),
            PostgresKind::Database => (
                format!("CREATE DATABASE \"{name}\""),
                with_database(&server_url, &name),
            ),
        };
        admin
            .execute_unprepared(&statement)
            .await
            .unwrap_or_else(|err| panic!("{statement}: {err}"));
        let _ = admin.close().await;
        Self {
            url,
            place: Place::Postgres {
                server_url,
                name,
                kind,
            },
        }
    }

    /// The URL the server takes as `--database-url`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The engine.
    pub fn backend(&self) -> Backend {
        match self.place {
            Place::Sqlite(_) => Backend::Sqlite,
            Place::Postgres { .. } => Backend::Postgres,
        }
    }

    /// The directory of the SQLite file and its write-ahead log (SQLite only).
    pub fn sqlite_dir(&self) -> Option<&Path> {
        match &self.place {
            Place::Sqlite(dir) => Some(dir.path()),
            Place::Postgres { .. } => None,
        }
    }

    /// The name of the PostgreSQL database of a
    /// [dedicated](TestDatabase::create_dedicated) test database.
    pub fn postgres_database(&self) -> Option<&str> {
        match &self.place {
            Place::Postgres {
                name,
                kind: PostgresKind::Database,
                ..
            } => Some(name),
            _ => None,
        }
    }

    /// A connection to the database named in [`POSTGRES_URL_VAR`], for
    /// statements about this test database itself (PostgreSQL only).
    pub async fn postgres_admin(&self) -> Option<DatabaseConnection> {
        match &self.place {
            Place::Sqlite(_) => None,
            Place::Postgres { server_url, .. } => Some(
                Database::connect(server_url.as_str())
                    .await
                    .expect("connect to the PostgreSQL server"),
            ),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Place::Postgres {
            server_url,
            name,
            kind,
        } = &self.place
        else {
            return;
        };
        // Drop may run inside a test's runtime, which cannot be blocked on:
        // drop it from a thread with a runtime of its own.
        let (server_url, kind) = (server_url.clone(), *kind);
        let to_drop = name.clone();
        let dropped = std::thread::spawn(move || {
            block_on(async {
                let admin = Database::connect(server_url.as_str()).await?;
                drop_named(&admin, kind, &to_drop).await?;
                admin.close().await
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(err)) => say(&format!("warning: dropping test database {name}: {err}")),
            Err(_) => say(&format!("warning: dropping test database {name} panicked")),
        }
    }
}

/// A schema or database name no other test of any process uses.
fn new_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut random = [0u8; 4];
    getrandom::fill(&mut random).expect("the OS random source works");
    format!(
        "{DATABASE_PREFIX}_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        hex::encode(random)
    )
}

/// `server_url` with its database name replaced by `name` (the query string kept).
pub fn with_database(server_url: &str, name: &str) -> String {
    let (url, query) = match server_url.split_once('?') {
        Some((url, query)) => (url, format!("?{query}")),
        None => (server_url, String::new()),
    };
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}/{name}{query}")
}

/// `server_url` with `schema` as the only schema its sessions search (and
/// create tables in), in the libpq `options` parameter.
pub fn with_search_path(server_url: &str, schema: &str) -> String {
    let separator = if server_url.contains('?') { '&' } else { '?' };
    format!("{server_url}{separator}options=-c%20search_path%3D{schema}")
}

async fn drop_named(
    admin: &DatabaseConnection,
    kind: PostgresKind,
    name: &str,
) -> Result<(), sea_orm::DbErr> {
    let statement = match kind {
        PostgresKind::Schema => format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"),
        // FORCE (PostgreSQL 13+) ends the sessions a stopped server left open.
        PostgresKind::Database => format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
    };
    admin.execute_unprepared(&statement).await.map(|_| ())
}

/// Drops every test schema and database process `pid` created; how many.
async fn drop_leftovers_of(server_url: &str, pid: u32) -> Result<usize, sea_orm::DbErr> {
    let admin = Database::connect(server_url).await?;
    let pattern = format!("{DATABASE_PREFIX}_{pid}_%").replace('_', "\\_");
    let mut dropped = 0;
    for (kind, query) in [
        (
            PostgresKind::Schema,
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE $1",
        ),
        (
            PostgresKind::Database,
            "SELECT datname::text FROM pg_database WHERE datname LIKE $1",
        ),
    ] {
        let names = admin
            .query_all_raw(Statement::from_sql_and_values(
                admin.get_database_backend(),
                query,
                [pattern.clone().into()],
            ))
            .await?
            .iter()
            .map(|row| row.try_get_by_index::<String>(0))
            .collect::<Result<Vec<_>, _>>()?;
        for name in names {
            drop_named(&admin, kind, &name).await?;
            dropped += 1;
        }
    }
    let _ = admin.close().await;
    Ok(dropped)
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

/// What the PostgreSQL run of a test binary did.
#[derive(Debug, Clone)]
pub struct PostgresRun {
    /// Tests that passed.
    pub passed: usize,
    /// How long the run took.
    pub elapsed: Duration,
    /// Test schemas and databases the run left behind, dropped afterwards.
    pub leftover_databases: usize,
}

/// Runs every other test of the current test binary with
/// `ACCOUNT_API_TEST_BACKEND=postgres` and panics unless all of them passed.
///
/// `this_test` is the full name of the calling test, which the run skips.
/// Returns `None`, after saying why on standard error, when the binary is
/// itself that run, or when [`POSTGRES_URL_VAR`] is unset — which panics
/// instead when the `CI` environment variable is set, so that CI cannot pass
/// without the PostgreSQL tests.
pub fn run_this_binary_on_postgresql(this_test: &str) -> Option<PostgresRun> {
    if Backend::current() == Backend::Postgres {
        say(&format!(
            "{this_test}: this is the PostgreSQL run already; not starting another"
        ));
        return None;
    }
    let Some(server_url) = postgres_url() else {
        let warning = format!(
            "\n*** WARNING: {POSTGRES_URL_VAR} is not set: the PostgreSQL run of this test \
             binary DID NOT RUN ({this_test}). Set it to a server where the tests may create \
             databases, e.g. {POSTGRES_URL_VAR}=postgres://postgres@127.0.0.1:5432/postgres ***\n"
        );
        say(&warning);
        if std::env::var_os("CI").is_some() {
            panic!("{warning}(CI is set, so this is a failure)");
        }
        return None;
    };

    let exe = std::env::current_exe().expect("the path of this test binary");
    let filter = ["--skip", this_test, "--exact"];
    let listed = Command::new(&exe)
        .args(["--list", "--format", "terse"])
        .args(filter)
        .output()
        .expect("list the tests of this binary");
    assert!(listed.status.success(), "listing the tests failed");
    let expected = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter(|line| line.ends_with(": test"))
        .count();

    let started = Instant::now();
    let mut child = Command::new(&exe)
        .args(filter)
        .env(BACKEND_VAR, "postgres")
        .env(POSTGRES_URL_VAR, &server_url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the PostgreSQL run of this test binary");
    let child_pid = child.id();
    let stdout = collect(child.stdout.take().expect("piped stdout"));
    let stderr = collect(child.stderr.take().expect("piped stderr"));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the PostgreSQL run") {
            break Some(status);
        }
        if started.elapsed() > POSTGRES_RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let elapsed = started.elapsed();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let leftover_databases =
        std::thread::spawn(move || block_on(drop_leftovers_of(&server_url, child_pid)))
            .join()
            .expect("dropping the run's databases does not panic")
            .expect("drop the databases the run left behind");

    let output = format!("--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
    let Some(status) = status else {
        panic!(
            "the PostgreSQL run did not finish within {POSTGRES_RUN_TIMEOUT:?}; killed\n{output}"
        );
    };
    assert!(
        status.success(),
        "the PostgreSQL run failed ({status})\n{output}"
    );
    let passed = passed_count(&stdout)
        .unwrap_or_else(|| panic!("no `test result: ok` line in the PostgreSQL run\n{output}"));
    assert!(expected > 0, "no tests listed in this binary");
    assert_eq!(
        passed, expected,
        "the PostgreSQL run passed {passed} tests, but the binary has {expected} others\n{output}"
    );
    let run = PostgresRun {
        passed,
        elapsed,
        leftover_databases,
    };
    say(&format!(
        "PostgreSQL run of {}: {passed} tests passed in {:.1} s ({leftover_databases} leftover \
         schemas or databases dropped)",
        exe.file_name().unwrap_or_default().to_string_lossy(),
        elapsed.as_secs_f64()
    ));
    Some(run)
}

/// Writes to the process's standard error directly: the test harness
/// captures `eprintln!` of passing tests, and these lines must be seen.
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Reads a child's output to the end on a thread of its own.
fn collect(stream: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stream).lines() {
            match line {
                Ok(line) => {
                    text.push_str(&line);
                    text.push('\n');
                }
                Err(_) => break,
            }
        }
        text
    })
}

/// N of libtest's `test result: ok. N passed; ...` line.
fn passed_count(stdout: &str) -> Option<usize> {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("test result: ok. "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|number| number.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_replaced_and_the_query_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:1", "x"), "postgres://h:1/x");
    }

    #[test]
    fn loopback_servers_are_reached_without_tls_unless_the_url_says_otherwise() {
        assert_eq!(
            without_tls_on_loopback("postgres://postgres@127.0.0.1:5432/postgres"),
            "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
        );
        assert_eq!(
            without_tls_on_loopback("postgres://u:p@localhost/db?application_name=t"),
            "postgres://u:p@localhost/db?application_name=t&sslmode=disable"
        );
        for kept in [
            "postgres://postgres@127.0.0.1/db?sslmode=require",
            "postgres://postgres@db.example.com/db",
            "postgres://postgres@127.0.0.10/db",
        ] {
            assert_eq!(without_tls_on_loopback(kept), kept);
        }
    }

    #[test]
    fn the_search_path_goes_into_the_options_parameter() {
        assert_eq!(
            with_search_path("postgres://h/db", "s"),
            "postgres://h/db?options=-c%20search_path%3Ds"
        );
        assert_eq!(
            with_search_path("postgres://h/db?sslmode=disable", "s"),
            "postgres://h/db?sslmode=disable&options=-c%20search_path%3Ds"
        );
    }

    #[test]
    fn the_passed_count_is_read_from_the_summary() {
        let stdout = "running 3 tests\ntest a ... ok\n\ntest result: ok. 3 passed; 0 failed; \
                      0 ignored; 0 measured; 1 filtered out; finished in 0.01s\n";
        assert_eq!(passed_count(stdout), Some(3));
        assert_eq!(
            passed_count("test result: FAILED. 2 passed; 1 failed"),
            None
        );
    }

    #[test]
    fn test_database_names_are_unique_and_carry_the_process_id() {
        let first = new_name();
        let second = new_name();
        assert_ne!(first, second);
        assert!(first.starts_with(&format!("{DATABASE_PREFIX}_{}_", std::process::id())));
        assert!(first.len() < 63, "PostgreSQL truncates names at 63 bytes");
    }
}
