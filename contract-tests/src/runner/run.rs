//! Running: every selected target on a few threads, each with its cases
//! from their own seeds, persisted ones first, violations grouped by
//! signature.

use std::{
    collections::BTreeMap,
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use proptest::{
    prelude::Rng,
    strategy::Strategy,
    test_runner::{Config, RngAlgorithm, TestRng, TestRunner},
};
use serde_json::Value;

use super::{
    config::RunConfig,
    outcome::{Failure, TargetReport, observe},
    regressions::{load_seeds, save_seed},
    setup::Checker,
};
use crate::{document::Target, http::HttpResponse, inputs::request_strategy};

impl Checker {
    /// The targets `config` selects, in document order.
    pub fn targets(&self, config: &RunConfig) -> Vec<Target> {
        self.contract
            .document
            .targets()
            .into_iter()
            .filter(|t| config.only.is_empty() || config.only.contains(&t.operation.operation_id))
            .filter(|t| !config.skip.contains(&t.operation.operation_id))
            .collect()
    }

    /// Runs every selected target; reports come back in document order.
    pub fn run(&self, config: &RunConfig) -> Vec<TargetReport> {
        let targets = self.targets(config);
        let next = AtomicUsize::new(0);
        let reports: Mutex<Vec<(usize, TargetReport)>> = Mutex::new(Vec::new());
        let mut seeds = TestRunner::new(Config::default());
        let master_seeds: Vec<[u8; 32]> = targets
            .iter()
            .map(|_| {
                let mut seed = [0u8; 32];
                seeds.rng().fill_bytes(&mut seed);
                seed
            })
            .collect();
        std::thread::scope(|scope| {
            for _ in 0..config.jobs.max(1) {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, Ordering::SeqCst);
                        let Some(target) = targets.get(index) else {
                            break;
                        };
                        let report = self.run_target(target, config, master_seeds[index]);
                        reports
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((index, report));
                    }
                });
            }
        });
        let mut reports = reports.into_inner().unwrap_or_else(|p| p.into_inner());
        reports.sort_by_key(|(index, _)| *index);
        reports.into_iter().map(|(_, report)| report).collect()
    }

    /// Runs `config.cases` cases (after any persisted ones) against `target`.
    pub fn run_target(
        &self,
        target: &Target,
        config: &RunConfig,
        master_seed: [u8; 32],
    ) -> TargetReport {
        let strategy = request_strategy(target, &self.fixtures);
        let regressions = config
            .regressions
            .as_ref()
            .map(|dir| dir.join(format!("{}.txt", target.id())));
        let persisted = regressions.as_deref().map(load_seeds).unwrap_or_default();
        let mut master = TestRng::from_seed(RngAlgorithm::ChaCha, &master_seed);
        let fresh = (0..config.cases).map(|_| {
            let mut seed = [0u8; 32];
            master.fill_bytes(&mut seed);
            seed
        });
        let seeds: Vec<([u8; 32], bool)> = persisted
            .iter()
            .map(|s| (*s, true))
            .chain(fresh.map(|s| (s, false)))
            .collect();

        let mut report = TargetReport {
            target: target.clone(),
            cases: 0,
            replayed: 0,
            failing_cases: 0,
            failures: Vec::new(),
            answers: BTreeMap::new(),
            observed: BTreeMap::new(),
        };
        let mut groups: BTreeMap<String, usize> = BTreeMap::new();
        for (seed, replayed) in seeds {
            let mut runner = TestRunner::new_with_rng(
                Config::default(),
                TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
            );
            let Ok(mut tree) = strategy.new_tree(&mut runner) else {
                continue;
            };
            report.cases += 1;
            if replayed {
                report.replayed += 1;
            }
            let (request, response, violations) = self.exchange(target, &tree.current());
            *report.answers.entry(answer_kind(&response)).or_default() += 1;
            observe(&mut report.observed, &response);
            if violations.is_empty() {
                continue;
            }
            report.failing_cases += 1;
            for violation in &violations {
                let signature = violation.signature();
                if let Some(&at) = groups.get(&signature) {
                    report.failures[at].occurrences += 1;
                    continue;
                }
                let shrunk = self.shrink(
                    target,
                    &mut tree,
                    &signature,
                    config.max_shrink_steps,
                    &mut report.observed,
                );
                let failure = match shrunk {
                    Some((request, response, violations, steps)) => Failure {
                        signature: signature.clone(),
                        occurrences: 1,
                        request,
                        response,
                        violations,
                        shrink_steps: steps,
                    },
                    None => Failure {
                        signature: signature.clone(),
                        occurrences: 1,
                        request: request.clone(),
                        response: response.clone(),
                        violations: violations.clone(),
                        shrink_steps: 0,
                    },
                };
                groups.insert(signature.clone(), report.failures.len());
                report.failures.push(failure);
                if let (Some(path), false) = (&regressions, replayed) {
                    save_seed(path, &seed, &signature);
                }
            }
        }
        report
    }
}

/// The envelope's `code` of an HTTP 200 answer, else `HTTP <status>`.
fn answer_kind(response: &Result<HttpResponse, String>) -> String {
    match response {
        Err(_) => "no answer".to_owned(),
        Ok(response) if response.status == 200 => serde_json::from_slice::<Value>(&response.body)
            .ok()
            .and_then(|body| body.get("code").map(Value::to_string))
            .unwrap_or_else(|| "HTTP 200".to_owned()),
        Ok(response) => format!("HTTP {}", response.status),
    }
}
