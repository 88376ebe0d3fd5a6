//! `--import`: `account-api import` of a generated legacy export (users with
//! hashes of every legacy scheme, some with tokens), run twice on a fresh
//! database: rows/s and the importer's peak memory each time, and the
//! second run (nothing to write) against the first.

use std::{
    fs,
    io::{BufWriter, Write},
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::server::RssSampler;

/// Hashes made by the legacy libraries (the server's test vectors): the
/// generated users cycle through them, so every scheme is imported.
const VECTORS: &str = include_str!("../../../src/password_hasher/legacy_vectors.json");

/// Enterprises the generated users belong to and apply to.
const ENTERPRISES: u64 = 100;

/// The targets of the import benchmark.
pub struct Targets {
    /// Users per second of the first run, at least.
    pub rows_per_second: f64,
    /// Peak resident memory of the importer, below (KiB).
    pub peak_rss_kib: u64,
    /// How many times faster the second run is, at least.
    pub second_run_speedup: f64,
}

/// The targets on `kind` (`sqlite` or `postgres`).
pub fn targets(kind: &str) -> Targets {
    Targets {
        rows_per_second: if kind == "postgres" {
            10_000.0
        } else {
            20_000.0
        },
        peak_rss_kib: 150 * 1024,
        second_run_speedup: 2.0,
    }
}

/// Writes the export of `users` users (every tenth in an enterprise, every
/// twentieth with an application, the first `tokens` with a token) to
/// `path`; how many lines.
pub fn write_file(path: &Path, users: u64, tokens: u64) -> Result<u64, String> {
    let vectors: Vec<Value> =
        serde_json::from_str(VECTORS).map_err(|err| format!("the vectors: {err}"))?;
    let hashes: Vec<&str> = vectors
        .iter()
        .filter(|vector| vector["full_cost"] != json!(true))
        .filter_map(|vector| vector["hash"].as_str())
        .collect();
    let file = fs::File::create(path).map_err(|err| format!("{}: {err}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let failed = |err: std::io::Error| format!("{}: {err}", path.display());
    for id in 1..=ENTERPRISES {
        writeln!(
            out,
            "{}",
            json!({"type": "enterprise", "id": id, "name": format!("enterprise {id}")})
        )
        .map_err(failed)?;
    }
    for n in 0..users {
        let mut line = json!({
            "type": "user",
            "user_id": format!("{n:032x}"),
            "phone": format!("13{n:09}"),
            "name": format!("user {n}"),
            "password_hash": hashes[(n % hashes.len() as u64) as usize],
            "device_identifier": format!("device-{n}"),
            "created_at": "2019-05-01T08:00:00Z",
            "permissions": ["read"],
        });
        if n % 10 == 0 {
            line["enterprise_id"] = json!(n / 10 % ENTERPRISES + 1);
        }
        if n % 20 == 0 {
            line["application"] =
                json!({"enterprise_id": n / 20 % ENTERPRISES + 1, "state": (n % 3) as i64 - 1});
        }
        if n < tokens {
            line["tokens"] = json!([format!("{:032x}", u128::from(n) ^ (0x5eed_u128 << 64))]);
        }
        writeln!(out, "{line}").map_err(failed)?;
    }
    out.flush().map_err(failed)?;
    Ok(ENTERPRISES + users)
}

/// One run of the importer.
pub struct ImportRun {
    /// Wall time, migrations included.
    pub seconds: f64,
    /// Lines per second.
    pub rows_per_second: f64,
    /// The importer's peak resident memory (KiB), sampled every 20 ms.
    pub peak_rss_kib: u64,
    /// Its `--report`.
    pub report: Value,
}

/// Runs `binary import FILE` on `database_url`, its progress on standard error.
pub fn run(
    binary: &Path,
    database_url: &str,
    file: &Path,
    report_path: &Path,
) -> Result<ImportRun, String> {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .arg("import")
        .arg(file)
        .args(["--database-url", database_url, "--report"])
        .arg(report_path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|err| format!("cannot run {}: {err}", binary.display()))?;
    let sampler = RssSampler::start(child.id(), Duration::from_millis(20));
    let status = child
        .wait()
        .map_err(|err| format!("waiting for the import: {err}"))?;
    let peak_rss_kib = sampler.finish();
    let seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!("the import failed: {status}"));
    }
    let report: Value = serde_json::from_str(
        &fs::read_to_string(report_path).map_err(|err| format!("the report: {err}"))?,
    )
    .map_err(|err| format!("the report: {err}"))?;
    let lines = report["lines"].as_f64().unwrap_or_default();
    Ok(ImportRun {
        seconds,
        rows_per_second: lines / seconds.max(1e-9),
        peak_rss_kib,
        report,
    })
}

/// The Markdown of two runs and the targets met or missed; whether all were.
pub fn markdown(
    kind: &str,
    users: u64,
    tokens: u64,
    first: &ImportRun,
    second: &ImportRun,
) -> (String, bool) {
    let targets = targets(kind);
    let row = |name: &str, run: &ImportRun| {
        format!(
            "| {name} | {:.1} | {:.0} | {} | {} | {} | {:.1} |\n",
            run.seconds,
            run.rows_per_second,
            run.report["created"],
            run.report["unchanged"],
            run.report["sessions_opened"],
            run.peak_rss_kib as f64 / 1024.0,
        )
    };
    let speedup = first.seconds / second.seconds.max(1e-9);
    let checks = [
        (
            format!("first run ≥ {:.0} rows/s", targets.rows_per_second),
            format!("{:.0}", first.rows_per_second),
            first.rows_per_second >= targets.rows_per_second,
        ),
        (
            format!("peak RSS < {} MiB (both runs)", targets.peak_rss_kib / 1024),
            format!(
                "{:.1} MiB",
                first.peak_rss_kib.max(second.peak_rss_kib) as f64 / 1024.0
            ),
            first.peak_rss_kib.max(second.peak_rss_kib) < targets.peak_rss_kib,
        ),
        (
            format!("second run ≥ {:.0}× faster", targets.second_run_speedup),
            format!("{speedup:.1}×"),
            speedup >= targets.second_run_speedup,
        ),
        (
            "second run all unchanged".to_owned(),
            format!("{} created", second.report["created"]),
            second.report["created"] == json!(0) && second.report["updated"] == json!(0),
        ),
    ];
    let mut text = format!(
        "`account-api import` of {users} users (every legacy scheme, {tokens} with a token) and \
         {ENTERPRISES} enterprises on {kind}.\n\n\
         | run | seconds | rows/s | created | unchanged | sessions | peak RSS (MiB) |\n\
         |---|---|---|---|---|---|---|\n"
    );
    text.push_str(&row("first", first));
    text.push_str(&row("second (same file)", second));
    text.push_str("\n| target | measured | verdict |\n|---|---|---|\n");
    for (target, measured, pass) in &checks {
        text.push_str(&format!(
            "| {target} | {measured} | {} |\n",
            if *pass { "PASS" } else { "MISS" }
        ));
    }
    (text, checks.iter().all(|(_, _, pass)| *pass))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_file_has_every_kind_of_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.jsonl");
        let lines = write_file(&path, 40, 3).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count() as u64, lines);
        let users: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .filter(|line: &Value| line["type"] == "user")
            .collect();
        assert_eq!(users.len(), 40);
        assert_eq!(
            users
                .iter()
                .filter(|user| user["tokens"].is_array())
                .count(),
            3
        );
        let schemes: std::collections::HashSet<&str> = users
            .iter()
            .map(|user| user["password_hash"].as_str().unwrap())
            .collect();
        assert!(schemes.len() > 20, "{}", schemes.len());
        assert!(
            users
                .iter()
                .all(|user| user["phone"].as_str().unwrap().len() == 11)
        );
    }
}
