//! The second run of a whole test binary, on PostgreSQL, from within the
//! first: how `cargo test` alone covers both backends.

use std::{
    io::{BufRead, BufReader, Read},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use super::{
    backend::{BACKEND_VAR, Backend, POSTGRES_URL_VAR, postgres_url},
    databases::{block_on, drop_leftovers_of},
    stderr::say,
};

/// How long the PostgreSQL run of a test binary may take before it is killed.
const POSTGRES_RUN_TIMEOUT: Duration = Duration::from_secs(30 * 60);

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
    fn the_passed_count_is_read_from_the_summary() {
        let stdout = "running 3 tests\ntest a ... ok\n\ntest result: ok. 3 passed; 0 failed; \
                      0 ignored; 0 measured; 1 filtered out; finished in 0.01s\n";
        assert_eq!(passed_count(stdout), Some(3));
        assert_eq!(
            passed_count("test result: FAILED. 2 passed; 1 failed"),
            None
        );
    }
}
