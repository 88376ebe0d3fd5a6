//! Lines a test must show even when it passes.

use std::io::Write;

/// Writes to the process's standard error directly: the test harness
/// captures `eprintln!` of passing tests, and these lines must be seen.
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}
