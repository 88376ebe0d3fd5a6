//! The table, the targets of issue #6 evaluated as ratios of one run, and
//! the Markdown and JSON files.

use account_api::password_hasher::PasswordHasher;
use serde_json::{Value, json};

use crate::{
    argon2_reference::{Bracket, Reference},
    scenarios::Measured,
};

/// Where and how the run happened.
#[derive(Debug, Clone)]
pub struct Context {
    /// CPU model, cores, memory, kernel.
    pub machine: String,
    /// Cores the server hashes on (one permit each).
    pub cores: usize,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    /// `oha --version`.
    pub load_generator: String,
    /// When the run started (UTC, RFC 3339).
    pub started_at: String,
    /// Seconds per load.
    pub duration_s: f64,
    /// Users seeded.
    pub users: u32,
    /// The 1-minute load average before the server started (other work on the machine).
    pub load_before: String,
}

/// One target: what was required, what was measured, and whether it held.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The target as the issue states it.
    pub target: String,
    /// The figure the target is about, with its inputs.
    pub measured: String,
    /// The bound.
    pub required: String,
    /// Whether the target is met.
    pub pass: bool,
}

fn row<'a>(rows: &'a [Measured], key: &str) -> Option<&'a Measured> {
    rows.iter().find(|row| row.key == key)
}

const MIB: f64 = 1024.0;

/// The targets of the issue, each from this run's figures.
pub fn verdicts(rows: &[Measured], argon2: &Reference, cores: usize) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    let rps = |key: &str| row(rows, key).map_or(0.0, |r| r.outcome.requests_per_second());

    let (livez, isregister) = (rps("livez"), rps("isregister"));
    let ratio = if livez > 0.0 { isregister / livez } else { 0.0 };
    verdicts.push(Verdict {
        target: "isregister requests/s ≥ 0.35 × livez requests/s".into(),
        measured: format!("{ratio:.3} ({isregister:.0} / {livez:.0})"),
        required: "≥ 0.350".into(),
        pass: ratio >= 0.35,
    });

    for (key, what, one) in [
        ("login", "verify", argon2.verify),
        ("register", "hash", argon2.hash),
    ] {
        let ceiling = cores as f64 / one.as_secs_f64();
        let measured = rps(key);
        verdicts.push(Verdict {
            target: format!("{key} requests/s ≥ 0.85 × (cores ÷ one Argon2id {what})"),
            measured: format!(
                "{measured:.1} = {:.3} × ({cores} ÷ {:.2} ms = {ceiling:.1})",
                measured / ceiling,
                one.as_secs_f64() * 1000.0
            ),
            required: format!("≥ {:.1}", 0.85 * ceiling),
            pass: measured >= 0.85 * ceiling,
        });
    }

    let p99 = |key: &str| row(rows, key).map_or(f64::NAN, |r| r.outcome.latency_ms(99.0));
    let (alone, flooded) = (p99("isregister"), p99("isregister+flood"));
    let ratio = flooded / alone;
    verdicts.push(Verdict {
        target: "isregister p99 during the login flood ≤ 3 × its p99 alone".into(),
        measured: format!("{ratio:.2} ({flooded:.2} ms / {alone:.2} ms)"),
        required: "≤ 3.00".into(),
        pass: ratio <= 3.0,
    });

    let peak = row(rows, "login-burst").map_or(f64::NAN, |r| r.peak_rss_kib as f64 / MIB);
    let connections = row(rows, "login-burst").map_or(0, |r| r.connections);
    verdicts.push(Verdict {
        target: format!("peak RSS during {connections} concurrent logins ≤ 150 MiB"),
        measured: format!("{peak:.1} MiB"),
        required: "≤ 150 MiB".into(),
        pass: peak <= 150.0,
    });

    let failing: Vec<String> = rows
        .iter()
        .filter(|r| r.errors() > 0)
        .map(|r| format!("{}: {}", r.key, errors_cell(r)))
        .collect();
    verdicts.push(Verdict {
        target: "zero errors in every scenario".into(),
        measured: if failing.is_empty() {
            "0".into()
        } else {
            failing.join(", ")
        },
        required: "0".into(),
        pass: failing.is_empty(),
    });
    verdicts
}

fn errors_cell(row: &Measured) -> String {
    if row.errors_exact() {
        row.errors().to_string()
    } else {
        format!("≥ {}", row.errors())
    }
}

/// The table of loads as Markdown.
pub fn table(rows: &[Measured]) -> String {
    let mut text = String::from(
        "| scenario | connections | requests/s | p50 ms | p99 ms | errors | peak RSS MiB |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        text.push_str(&format!(
            "| {} | {} | {:.1} | {:.2} | {:.2} | {} | {:.1} |\n",
            row.key,
            row.connections,
            row.outcome.requests_per_second(),
            row.outcome.latency_ms(50.0),
            row.outcome.latency_ms(99.0),
            errors_cell(row),
            row.peak_rss_kib as f64 / MIB,
        ));
    }
    text
}

/// The targets as Markdown.
pub fn verdict_table(verdicts: &[Verdict]) -> String {
    let mut text = String::from("| target | measured | required | |\n|---|---|---|---|\n");
    for verdict in verdicts {
        text.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            verdict.target,
            verdict.measured,
            verdict.required,
            if verdict.pass { "PASS" } else { "MISS" }
        ));
    }
    text
}

/// The whole report as Markdown.
pub fn markdown(
    context: &Context,
    argon2: &Bracket,
    rows: &[Measured],
    verdicts: &[Verdict],
) -> String {
    let mut text = format!(
        "Machine: {}. Database: {}. Load generator: {} on the same machine, over loopback. \
         {} s per load, {} users seeded; run started {}, when the 1-minute load average \
         (other work on the machine) was {}.\n\n",
        context.machine,
        context.database,
        context.load_generator,
        context.duration_s,
        context.users,
        context.started_at,
        context.load_before
    );
    text.push_str(&table(rows));
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let both = argon2.reference();
    text.push_str(&format!(
        "\nOne Argon2id (m={} KiB, t={}, p={}) on one core, the mean of {samples} hashes and \
         {samples} verifies timed alternating just before the loads and just after them: hash \
         {:.2} ms (before {:.2}, after {:.2}), verify {:.2} ms (before {:.2}, after {:.2}).\n\n",
        PasswordHasher::M_COST,
        PasswordHasher::T_COST,
        PasswordHasher::P_COST,
        ms(both.hash),
        ms(argon2.before.hash),
        ms(argon2.after.hash),
        ms(both.verify),
        ms(argon2.before.verify),
        ms(argon2.after.verify),
        samples = both.samples,
    ));
    let ceiling = context.cores as f64 / both.hash.as_secs_f64();
    let rps = |key: &str| row(rows, key).map_or(0.0, |r| r.outcome.requests_per_second());
    text.push_str(&format!(
        "Beside the targets, which take {cores} cores as {cores} × one core: {cores} threads \
         hashing at once (just after the first timing) did {all:.1} hashes/s, {scaling:.2} × \
         that estimate of {ceiling:.1}; login reached {login:.2} and register {register:.2} of it.\n\n",
        cores = context.cores,
        all = argon2.all_cores_per_second,
        scaling = argon2.all_cores_per_second / ceiling,
        login = rps("login") / argon2.all_cores_per_second,
        register = rps("register") / argon2.all_cores_per_second,
    ));
    text.push_str(&verdict_table(verdicts));
    for row in rows.iter().filter(|row| row.errors() > 0) {
        text.push_str(&format!("\n{}: {}", row.key, error_details(row)));
    }
    text
}

fn error_details(row: &Measured) -> String {
    let mut parts = Vec::new();
    for (status, count) in &row.outcome.statuses {
        if !(200..300).contains(status) {
            parts.push(format!("{count} × HTTP {status}"));
        }
    }
    for (message, count) in &row.outcome.transport_errors {
        parts.push(format!("{count} × {message}"));
    }
    if let Some(bytes) = row.mismatched_bytes().filter(|bytes| *bytes != 0) {
        parts.push(format!(
            "body bytes differ from answers × {} by {bytes}: some 2xx answers were not the expected envelope",
            row.sample.body_bytes.unwrap_or(0)
        ));
    }
    if let Some(first) = &row.sample.first_error {
        parts.push(format!(
            "{} wrong sample answers, the first: {first}",
            row.sample.errors
        ));
    }
    parts.join("; ")
}

/// The whole report as JSON.
pub fn json(context: &Context, argon2: &Bracket, rows: &[Measured], verdicts: &[Verdict]) -> Value {
    let scenarios: Vec<Value> = rows
        .iter()
        .map(|row| {
            let percentiles: serde_json::Map<String, Value> = row
                .outcome
                .percentiles
                .iter()
                .map(|(p, ms)| (format!("p{p}"), json!(ms)))
                .collect();
            json!({
                "scenario": row.key,
                "description": row.description,
                "connections": row.connections,
                "seconds": row.outcome.seconds,
                "answers": row.outcome.answers(),
                "requests_per_second": row.outcome.requests_per_second(),
                "latency_ms": {
                    "p50": row.outcome.latency_ms(50.0),
                    "p99": row.outcome.latency_ms(99.0),
                    "max": row.outcome.slowest_ms,
                    "percentiles": percentiles,
                },
                "statuses": row.outcome.statuses.iter()
                    .map(|(status, count)| (status.to_string(), json!(count)))
                    .collect::<serde_json::Map<_, _>>(),
                "transport_errors": row.outcome.transport_errors,
                "body_bytes": row.outcome.body_bytes,
                "expected_body_bytes": row.sample.body_bytes,
                "mismatched_body_bytes": row.mismatched_bytes().map(|b| b.to_string()),
                "sample_errors": row.sample.errors,
                "errors": row.errors(),
                "errors_exact": row.errors_exact(),
                "peak_rss_mib": row.peak_rss_kib as f64 / MIB,
                "sampled_rss_mib": row.sampled_rss_kib as f64 / MIB,
            })
        })
        .collect();
    json!({
        "machine": context.machine,
        "cores": context.cores,
        "database": context.database,
        "load_generator": context.load_generator,
        "started_at": context.started_at,
        "load_average_before": context.load_before,
        "seconds_per_load": context.duration_s,
        "users": context.users,
        "argon2": {
            "m_kib": PasswordHasher::M_COST,
            "t": PasswordHasher::T_COST,
            "p": PasswordHasher::P_COST,
            "samples": argon2.reference().samples,
            "hash_ms": argon2.reference().hash.as_secs_f64() * 1000.0,
            "verify_ms": argon2.reference().verify.as_secs_f64() * 1000.0,
            "all_cores_hashes_per_second": argon2.all_cores_per_second,
            "before": {
                "samples": argon2.before.samples,
                "hash_ms": argon2.before.hash.as_secs_f64() * 1000.0,
                "verify_ms": argon2.before.verify.as_secs_f64() * 1000.0,
            },
            "after": {
                "samples": argon2.after.samples,
                "hash_ms": argon2.after.hash.as_secs_f64() * 1000.0,
                "verify_ms": argon2.after.verify.as_secs_f64() * 1000.0,
            },
        },
        "scenarios": scenarios,
        "targets": verdicts.iter().map(|v| json!({
            "target": v.target,
            "measured": v.measured,
            "required": v.required,
            "pass": v.pass,
        })).collect::<Vec<_>>(),
    })
}

/// The 1-minute load average, from `/proc/loadavg`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// CPU model, cores, memory and kernel, from `/proc`.
pub fn machine(cores: usize) -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name")?.split_once(':'))
        .map_or("unknown CPU", |(_, model)| model.trim())
        .to_owned();
    let memory_gib = read("/proc/meminfo")
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.trim().strip_suffix("kB")?.trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0 / 1024.0);
    let kernel = read("/proc/sys/kernel/osrelease");
    let mut text = format!("{model}, {cores} cores");
    if let Some(gib) = memory_gib {
        text.push_str(&format!(", {gib:.0} GiB RAM"));
    }
    if !kernel.trim().is_empty() {
        text.push_str(&format!(", Linux {}", kernel.trim()));
    }
    text
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{oha::Outcome, scenarios::Sample};

    fn row(key: &str, rps: f64, p99_ms: f64, peak_mib: u64) -> Measured {
        Measured {
            key: key.into(),
            description: String::new(),
            connections: 512,
            outcome: Outcome {
                seconds: 10.0,
                percentiles: vec![(50.0, p99_ms / 2.0), (99.0, p99_ms)],
                statuses: [(200, (rps * 10.0) as u64)].into_iter().collect(),
                body_bytes: (rps * 10.0) as u64 * 10,
                ..Outcome::default()
            },
            sample: Sample {
                body_bytes: Some(10),
                ..Sample::default()
            },
            peak_rss_kib: peak_mib * 1024,
            sampled_rss_kib: peak_mib * 1024,
        }
    }

    fn reference() -> Reference {
        Reference {
            hash: Duration::from_millis(20),
            verify: Duration::from_millis(16),
            samples: 10,
        }
    }

    #[test]
    fn every_target_is_a_ratio_of_this_run() {
        // Two cores: verify 16 ms → 125/s, 0.85 × = 106.25; hash 20 ms → 100/s, 85.
        let rows = [
            row("livez", 50_000.0, 2.0, 20),
            row("isregister", 20_000.0, 4.0, 20),
            row("login", 110.0, 600.0, 60),
            row("register", 84.0, 800.0, 60),
            row("login+isregister", 100.0, 700.0, 60),
            row("isregister+flood", 8_000.0, 12.5, 60),
            row("login-burst", 110.0, 4_000.0, 151),
        ];
        let verdicts = verdicts(&rows, &reference(), 2);
        let passes: Vec<bool> = verdicts.iter().map(|v| v.pass).collect();
        // 0.4 ≥ 0.35; 110 ≥ 106.25; 84 < 85; 3.125 > 3; 151 > 150; no errors.
        assert_eq!(passes, [true, true, false, false, false, true]);
        assert!(verdicts[0].measured.starts_with("0.400"));
    }

    #[test]
    fn the_table_has_one_line_per_load() {
        let text = table(&[row("livez", 50_000.0, 2.0, 20)]);
        assert_eq!(text.lines().count(), 3);
        assert!(text.contains("| livez | 512 | 50000.0 | 1.00 | 2.00 | 0 | 20.0 |"));
    }
}
