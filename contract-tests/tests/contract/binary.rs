//! The `contract-tests` binary run as a CI job runs it, and the JUnit file
//! it writes.

use std::{ffi::OsStr, path::Path, process::Command};

use quick_junit::Report;

/// A finished run of the binary.
pub struct Ran {
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Its stdout, then its stderr: for a failure message.
    pub fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs `contract-tests <args>`, none of its settings taken from the test
/// run's environment (`CONTRACT_BASE_URL`, `CONTRACT_CASES`, `PROPTEST_CASES`):
/// the arguments alone decide.
pub fn run(args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Ran {
    let output = Command::new(env!("CARGO_BIN_EXE_contract-tests"))
        .args(args)
        .env_remove("CONTRACT_BASE_URL")
        .env_remove("CONTRACT_CASES")
        .env_remove("PROPTEST_CASES")
        .output()
        .expect("the contract-tests binary runs");
    Ran {
        status: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A temporary file's path, as an argument.
pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}

/// The JUnit report a run wrote to `path`.
pub fn junit(path: &Path) -> Report {
    let xml = std::fs::read_to_string(path).expect("the JUnit file is written");
    Report::deserialize_from_str(&xml).expect("a JUnit report")
}
