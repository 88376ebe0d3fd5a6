//! Two instances on one PostgreSQL database (`load --two-instances`):
//! `sendsms` for distinct phones through one instance, then through two at
//! once with the same connections split between them, in one run.

use std::path::Path;

use contract_tests::http::Client;

use crate::{
    growth::{self, Loads},
    measured::{Measured, sample},
    oha::{Oha, Outcome},
    profile::{self, Profile},
    server::Database,
    targets::Verdict,
};

/// What two instances bought over one.
#[derive(Debug, Clone)]
pub struct Scaling {
    /// Through one instance.
    pub one: Measured,
    /// Through each of the two, run at once.
    pub two: [Measured; 2],
    /// What the one-instance phase waited on and spent CPU on.
    pub one_profile: Profile,
    /// What the two-instance phase waited on and spent CPU on.
    pub two_profile: Profile,
}

impl Scaling {
    /// Requests/s of both instances together.
    pub fn two_requests_per_second(&self) -> f64 {
        self.two
            .iter()
            .map(|row| row.outcome.requests_per_second())
            .sum()
    }

    /// Two instances' requests/s ÷ one instance's.
    pub fn ratio(&self) -> f64 {
        self.two_requests_per_second() / self.one.outcome.requests_per_second()
    }

    /// Both phases' profiles as Markdown.
    pub fn profiles_markdown(&self) -> String {
        format!(
            "{}\n{}",
            self.one_profile.markdown("one instance"),
            self.two_profile.markdown("two instances at once")
        )
    }

    /// Nothing failed: every answer a 2xx with the expected envelope.
    pub fn verdict(&self) -> Verdict {
        let errors: u64 = std::iter::once(&self.one)
            .chain(&self.two)
            .map(Measured::errors)
            .sum();
        Verdict {
            target: "sendsms through two instances, zero errors (the ratio is reported)".into(),
            measured: format!(
                "{:.2} × ({:.1} / {:.1} requests/s); {errors} errors",
                self.ratio(),
                self.two_requests_per_second(),
                self.one.outcome.requests_per_second()
            ),
            required: "0 errors".into(),
            pass: errors == 0,
        }
    }
}

/// Runs the comparison on `database` with servers of `binary`, logging to `out`.
pub fn run(
    oha: &Oha,
    binary: &Path,
    database: &Database,
    loads: &Loads<'_>,
    connections: usize,
    out: &Path,
) -> Result<Scaling, String> {
    let servers = [
        growth::start_server(binary, database, &out.join("server-instance-1.log"), "info")?,
        growth::start_server(binary, database, &out.join("server-instance-2.log"), "info")?,
    ];
    let mut prepared = Vec::new();
    for server in &servers {
        let client = Client::new(&server.base_url)?;
        let mut load = loads.prepare("sendsms", &server.base_url, 0)?;
        let checked = sample(&client, &load.samples)?;
        load.load.connections = connections.div_ceil(2);
        prepared.push((load, checked));
    }
    let measured = |index: usize, outcome: Outcome| {
        let (load, checked) = &prepared[index];
        Measured {
            key: format!("sendsms via instance {}", index + 1),
            description: load.description.clone(),
            connections: load.load.connections,
            outcome,
            sample: checked.clone(),
            peak_rss_kib: 0,
            sampled_rss_kib: 0,
        }
    };

    eprintln!(
        "running sendsms through one instance for {} s",
        loads.duration.as_secs()
    );
    let url = database.url()?;
    let pids = [servers[0].pid(), servers[1].pid()];
    let mut alone = prepared[0].0.load.clone();
    alone.connections = connections;
    let running = oha.start(&alone)?;
    let one_profile = profile::window(&url, &pids, loads.duration);
    let one = Measured {
        connections,
        ..measured(0, running.finish()?)
    };
    eprintln!(
        "running sendsms through two instances at once for {} s",
        loads.duration.as_secs()
    );
    let running = [
        oha.start(&prepared[0].0.load)?,
        oha.start(&prepared[1].0.load)?,
    ];
    let two_profile = profile::window(&url, &pids, loads.duration);
    let [first, second] = running.map(|run| run.finish());
    Ok(Scaling {
        one,
        two: [measured(0, first?), measured(1, second?)],
        one_profile: one_profile?,
        two_profile: two_profile?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::tests::row;

    #[test]
    fn the_ratio_adds_both_instances_up() {
        let scaling = Scaling {
            one: row("one", 1_000.0, 5.0, 0),
            two: [row("a", 700.0, 5.0, 0), row("b", 600.0, 5.0, 0)],
            one_profile: Profile::default(),
            two_profile: Profile::default(),
        };
        assert!((scaling.ratio() - 1.3).abs() < 1e-9);
        let verdict = scaling.verdict();
        assert!(verdict.pass);
        assert!(
            verdict.measured.starts_with("1.30 × (1300.0 / 1000.0"),
            "{}",
            verdict.measured
        );
    }
}
