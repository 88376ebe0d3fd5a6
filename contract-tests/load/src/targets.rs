//! The targets of issue #6, each evaluated as a ratio of figures from this
//! one run.

use crate::{
    argon2_reference::Reference,
    measured::{Measured, find},
    scenarios::IdleMemory,
};

/// The most memory the server may hold with the idle connections open.
const IDLE_RSS_MIB: f64 = 200.0;

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

impl Verdict {
    /// The target that none of `rows` had an error (`target` names what the
    /// rows are); the measure lists those that had, with their errors.
    pub fn zero_errors<'a>(target: &str, rows: impl IntoIterator<Item = &'a Measured>) -> Self {
        let failing: Vec<String> = rows
            .into_iter()
            .filter(|r| r.errors() > 0)
            .map(|r| format!("{}: {}", r.key, r.errors_shown()))
            .collect();
        Self {
            target: target.to_owned(),
            measured: if failing.is_empty() {
                "0".into()
            } else {
                failing.join(", ")
            },
            required: "0".into(),
            pass: failing.is_empty(),
        }
    }
}

/// The targets of the issue, each from this run's figures.
pub fn verdicts(
    rows: &[Measured],
    idle: &IdleMemory,
    argon2: &Reference,
    cores: usize,
) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    let rps = |key: &str| find(rows, key).map_or(0.0, |r| r.outcome.requests_per_second());

    let (livez, isregister) = (rps("livez"), rps("isregister"));
    let ratio = if livez > 0.0 { isregister / livez } else { 0.0 };
    verdicts.push(Verdict {
        target: "isregister requests/s ≥ 0.5 × livez requests/s".into(),
        measured: format!("{ratio:.3} ({isregister:.0} / {livez:.0})"),
        required: "≥ 0.500".into(),
        pass: ratio >= 0.5,
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

    let p99 = |key: &str| find(rows, key).map_or(f64::NAN, |r| r.outcome.latency_ms(99.0));
    let (alone, flooded) = (p99("isregister"), p99("isregister+flood"));
    let ratio = flooded / alone;
    verdicts.push(Verdict {
        target: "isregister p99 during the login flood ≤ 2 × its p99 alone".into(),
        measured: format!("{ratio:.2} ({flooded:.2} ms / {alone:.2} ms)"),
        required: "≤ 2.00".into(),
        pass: ratio <= 2.0,
    });

    let beside_idle = p99("isregister+idle");
    let ratio = beside_idle / alone;
    verdicts.push(Verdict {
        target: format!(
            "isregister p99 beside {} idle connections ≤ 2 × its p99 alone",
            idle.connections
        ),
        measured: format!("{ratio:.2} ({beside_idle:.2} ms / {alone:.2} ms)"),
        required: "≤ 2.00".into(),
        pass: ratio <= 2.0,
    });
    verdicts.push(Verdict {
        target: format!(
            "RSS with {} idle keep-alive connections open < {IDLE_RSS_MIB:.0} MiB, all still open after the load",
            idle.connections
        ),
        measured: format!(
            "{:.1} MiB ({:.1} before them, {:.1} KiB each); {} still open",
            idle.rss_idle_mib(),
            idle.rss_before_mib(),
            idle.kib_per_connection(),
            idle.still_open
        ),
        required: format!("< {IDLE_RSS_MIB:.0} MiB; {}", idle.connections),
        pass: idle.rss_idle_mib() < IDLE_RSS_MIB && idle.still_open == idle.connections,
    });

    let peak = find(rows, "login-burst").map_or(f64::NAN, |r| r.peak_rss_mib());
    let connections = find(rows, "login-burst").map_or(0, |r| r.connections);
    verdicts.push(Verdict {
        target: format!("peak RSS during {connections} concurrent logins ≤ 150 MiB"),
        measured: format!("{peak:.1} MiB"),
        required: "≤ 150 MiB".into(),
        pass: peak <= 150.0,
    });

    verdicts.push(Verdict::zero_errors("zero errors in every scenario", rows));
    verdicts
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{measured::Sample, oha::Outcome};

    /// A load of `rps` requests/s, `p99_ms` and `peak_mib`, without errors.
    pub(crate) fn row(key: &str, rps: f64, p99_ms: f64, peak_mib: u64) -> Measured {
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

    fn idle(rss_idle_mib: u64, still_open: usize) -> IdleMemory {
        IdleMemory {
            connections: 10_000,
            rss_before_kib: 60 * 1024,
            rss_idle_kib: rss_idle_mib * 1024,
            still_open,
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
            row("isregister+flood", 8_000.0, 8.5, 60),
            row("login-burst", 110.0, 4_000.0, 151),
            row("isregister+idle", 19_000.0, 7.9, 160),
        ];
        let verdicts = verdicts(&rows, &idle(160, 10_000), &reference(), 2);
        let passes: Vec<bool> = verdicts.iter().map(|v| v.pass).collect();
        // 0.4 < 0.5; 110 ≥ 106.25; 84 < 85; 2.125 > 2; 1.975 ≤ 2; 160 < 200
        // and all open; 151 > 150; no errors.
        assert_eq!(passes, [false, true, false, false, true, true, false, true]);
        assert!(verdicts[0].measured.starts_with("0.400"));
        assert!(
            verdicts[5].measured.contains("10.2 KiB each"),
            "{}",
            verdicts[5].measured
        );
    }

    #[test]
    fn idle_connections_must_fit_in_memory_and_stay_open() {
        let rows = [row("isregister", 20_000.0, 4.0, 20)];
        let pass = |idle: IdleMemory| {
            verdicts(&rows, &idle, &reference(), 2)
                .into_iter()
                .find(|v| v.target.starts_with("RSS with"))
                .unwrap()
                .pass
        };
        assert!(pass(idle(199, 10_000)));
        assert!(!pass(idle(200, 10_000)), "200 MiB is not under 200");
        assert!(!pass(idle(100, 9_999)), "one closed by the server");
    }
}
