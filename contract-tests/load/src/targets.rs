//! The targets of issue #6, each evaluated as a ratio of figures from this
//! one run.

use crate::{
    argon2_reference::Reference,
    measured::{Measured, find},
};

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

/// The targets of the issue, each from this run's figures.
pub fn verdicts(rows: &[Measured], argon2: &Reference, cores: usize) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    let rps = |key: &str| find(rows, key).map_or(0.0, |r| r.outcome.requests_per_second());

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

    let p99 = |key: &str| find(rows, key).map_or(f64::NAN, |r| r.outcome.latency_ms(99.0));
    let (alone, flooded) = (p99("isregister"), p99("isregister+flood"));
    let ratio = flooded / alone;
    verdicts.push(Verdict {
        target: "isregister p99 during the login flood ≤ 3 × its p99 alone".into(),
        measured: format!("{ratio:.2} ({flooded:.2} ms / {alone:.2} ms)"),
        required: "≤ 3.00".into(),
        pass: ratio <= 3.0,
    });

    let peak = find(rows, "login-burst").map_or(f64::NAN, |r| r.peak_rss_mib());
    let connections = find(rows, "login-burst").map_or(0, |r| r.connections);
    verdicts.push(Verdict {
        target: format!("peak RSS during {connections} concurrent logins ≤ 150 MiB"),
        measured: format!("{peak:.1} MiB"),
        required: "≤ 150 MiB".into(),
        pass: peak <= 150.0,
    });

    let failing: Vec<String> = rows
        .iter()
        .filter(|r| r.errors() > 0)
        .map(|r| format!("{}: {}", r.key, r.errors_shown()))
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
}
