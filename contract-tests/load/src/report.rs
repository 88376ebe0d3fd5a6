//! The report of a run: the table of loads and the table of targets, and
//! the whole report as Markdown and as JSON.

use account_api::password_hasher::PasswordHasher;
use serde_json::{Value, json};

use crate::{
    argon2_reference::Bracket,
    measured::{Measured, find},
    scenarios::IdleMemory,
    targets::Verdict,
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
            row.errors_shown(),
            row.peak_rss_mib(),
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
    idle: &IdleMemory,
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
    let rps = |key: &str| find(rows, key).map_or(0.0, |r| r.outcome.requests_per_second());
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
    text.push_str(&format!(
        "Connections: with {} idle keep-alive connections open (each answered one GET /livez), \
         the server's VmRSS was {:.1} MiB, {:.1} MiB before they were opened: {:.1} KiB each; \
         {} were still open after the isregister load beside them.\n\n",
        idle.connections,
        idle.rss_idle_mib(),
        idle.rss_before_mib(),
        idle.kib_per_connection(),
        idle.still_open,
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
pub fn json(
    context: &Context,
    argon2: &Bracket,
    rows: &[Measured],
    idle: &IdleMemory,
    verdicts: &[Verdict],
) -> Value {
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
                "peak_rss_mib": row.peak_rss_mib(),
                "sampled_rss_mib": row.sampled_rss_mib(),
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
        "idle_connections": {
            "connections": idle.connections,
            "rss_before_mib": idle.rss_before_mib(),
            "rss_idle_mib": idle.rss_idle_mib(),
            "kib_per_connection": idle.kib_per_connection(),
            "still_open": idle.still_open,
        },
        "targets": verdicts.iter().map(|v| json!({
            "target": v.target,
            "measured": v.measured,
            "required": v.required,
            "pass": v.pass,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::tests::row;

    #[test]
    fn the_table_has_one_line_per_load() {
        let text = table(&[row("livez", 50_000.0, 2.0, 20)]);
        assert_eq!(text.lines().count(), 3);
        assert!(text.contains("| livez | 512 | 50000.0 | 1.00 | 2.00 | 0 | 20.0 |"));
    }
}
