//! The official Python `standardwebhooks` package, run on what this crate
//! signed: an interoperability check that says loudly when it cannot run.

use std::{
    io::Write as _,
    process::{Command, Output, Stdio},
};

use super::say;

/// Runs the Python `script` with `args` and `stdin` under the Python of the
/// frontend checks' virtual environment (contract-tests/frontend/.venv,
/// which `contract-tests/frontend/run.sh --tools` makes, with the
/// `standardwebhooks` package), or else the system's `python3`; its output.
///
/// `None` when there is no Python or the package is missing: then it says
/// why and `skipped` (what was not checked), and fails when `CI` is set.
pub fn run_standardwebhooks(
    script: &str,
    args: &[&str],
    stdin: &[u8],
    skipped: &str,
) -> Option<Output> {
    let venv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/contract-tests/frontend/.venv/bin/python"
    );
    let python = if std::path::Path::new(venv).exists() {
        venv
    } else {
        "python3"
    };
    let output = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().expect("piped stdin").write_all(stdin)?;
            child.wait_with_output()
        });
    let why = match output {
        Err(err) => format!("python3 cannot run: {err}"),
        Ok(out) if String::from_utf8_lossy(&out.stderr).contains("No module named") => {
            "the Python package standardwebhooks is not installed \
             (contract-tests/frontend/run.sh --tools)"
                .to_owned()
        }
        Ok(out) => return Some(out),
    };
    say(&format!("\n*** WARNING: {why}: {skipped} ***\n"));
    assert!(std::env::var_os("CI").is_none(), "CI is set: {why}");
    None
}
