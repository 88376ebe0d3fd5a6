//! `contract-tests compare --old URL --new URL`: differential testing of two
//! deployments, as Twitter's Diffy does for services.
//!
//! The model's generated sequences (sendsms, isregister, register, login,
//! verify_code, forget_password, `/me`, `/logout`, in every encoding, valid
//! and malformed arguments; see [`crate::model`]) are taken on both
//! deployments, each sequence on phones of its own on each deployment (and
//! client addresses of its own where both are reached over loopback), so
//! the two runs never meet each other's accounts or limits, even when both
//! URLs are one deployment. The answers to each step are compared field by
//! field after masking what legitimately differs (`answer`). Every
//! difference is grouped by operation and field; the first sequence that
//! shows each group is shrunk to the shortest that still shows it. A group
//! an `--allow` file lists (`allow`) is reported, and accepted.
//!
//! - `answer`: an answer's fields, masking, and two answers' differences.
//! - `allow`: the allow file.
//! - `render`: the report as text and as JUnit.

pub mod allow;
pub mod answer;
mod render;

use std::{collections::BTreeMap, time::Instant};

use proptest::{
    prelude::Rng,
    strategy::{Strategy, ValueTree},
    test_runner::{Config, RngAlgorithm, TestRng, TestRunner},
};

use self::answer::{Masks, differences};
pub use self::{
    allow::Allowed,
    answer::{FieldDifference, MASKED},
};
use crate::{
    Document,
    model::{Deployment, Limits, Remote, Replayed, Sequence, Setup, sequences},
    runner::shrink_while,
};

/// How a comparison goes.
#[derive(Debug, Clone)]
pub struct CompareConfig {
    /// Sequences to run.
    pub cases: u32,
    /// Only these operationIds' steps are sent (all when empty).
    pub only: Vec<String>,
    /// These operationIds' steps are never sent.
    pub skip: Vec<String>,
    /// The accepted differences.
    pub allowed: Vec<Allowed>,
    /// The most sequences tried while shrinking one group (each is taken on
    /// both deployments).
    pub max_shrink_tries: u32,
}

impl Default for CompareConfig {
    /// 32 sequences, every operation, nothing allowed, 64 shrinking tries.
    fn default() -> Self {
        Self {
            cases: 32,
            only: Vec::new(),
            skip: Vec::new(),
            allowed: Vec::new(),
            max_shrink_tries: 64,
        }
    }
}

/// A sequence taken on both deployments, and where their answers differ.
#[derive(Debug, Clone)]
pub struct Pair {
    /// On the old deployment.
    pub old: Replayed,
    /// On the new one (the same steps: exchange `i` answers the same step on both).
    pub new: Replayed,
    /// Each difference with the index of its exchange.
    pub differences: Vec<(usize, FieldDifference)>,
}

impl Pair {
    /// The first exchange showing a difference of `field` in `operation_id`'s answer.
    fn first(&self, operation_id: &str, field: &str) -> Option<usize> {
        self.differences
            .iter()
            .find(|(at, d)| {
                d.field == field && self.old.exchanges[*at].operation_id == operation_id
            })
            .map(|(at, _)| *at)
    }
}

/// One operation and field where the deployments answered differently.
#[derive(Debug, Clone)]
pub struct Group {
    /// The operation.
    pub operation_id: String,
    /// The field ([`answer`] lists them).
    pub field: String,
    /// In how many sequences it showed.
    pub sequences: u32,
    /// In how many answers.
    pub answers: u32,
    /// The allow file's entry that accepts it.
    pub allowed: Option<Allowed>,
    /// The shortest sequence found that shows it (shrunk unless allowed).
    pub example: Pair,
    /// Its exchange in `example` that shows the difference.
    pub at: usize,
    /// Successful shrinking steps.
    pub shrink_steps: u32,
    /// Groups with the same number share their example (several fields of
    /// one answer, most often); `None` for an allowed group.
    pub example_id: Option<usize>,
}

impl Group {
    /// The difference in `example`.
    pub fn difference(&self) -> &FieldDifference {
        self.example
            .differences
            .iter()
            .find(|(at, d)| *at == self.at && d.field == self.field)
            .map(|(_, d)| d)
            .expect("the example shows its difference")
    }
}

/// How a comparison went.
#[derive(Debug, Clone)]
pub struct CompareReport {
    /// The old deployment's base URL.
    pub old: String,
    /// The new one's.
    pub new: String,
    /// Sequences run (shrinking not counted).
    pub cases: u32,
    /// Sequences that showed a difference.
    pub differing_cases: u32,
    /// Requests sent to each deployment, by operation (shrinking not counted).
    pub requests: BTreeMap<String, u32>,
    /// Every difference, by operation and field.
    pub groups: Vec<Group>,
    /// Allow entries no difference matched.
    pub unused_allowed: Vec<Allowed>,
    /// How the sequences reach the deployments.
    pub notes: Vec<String>,
    /// How long it took, in milliseconds.
    pub millis: u128,
}

impl CompareReport {
    /// No difference but those the allow file accepts.
    pub fn passed(&self) -> bool {
        self.groups.iter().all(|g| g.allowed.is_some())
    }
}

/// The two deployments and what the sequences may do on them.
struct Comparison<'a> {
    old: Remote,
    new: Remote,
    setup: Setup,
    config: &'a CompareConfig,
}

impl Comparison<'_> {
    fn selected(&self, operation_id: &str) -> bool {
        (self.config.only.is_empty() || self.config.only.iter().any(|o| o == operation_id))
            && !self.config.skip.iter().any(|s| s == operation_id)
    }

    /// `sequence` on both deployments, answers compared.
    fn compare(&self, sequence: &Sequence) -> Result<Pair, String> {
        let selected = |id: &str| self.selected(id);
        let old = sequence.replay(&self.old, self.setup, &selected)?;
        let new = sequence.replay(&self.new, self.setup, &selected)?;
        let (mut old_masks, mut new_masks) = (Masks::new(&old), Masks::new(&new));
        let mut found = Vec::new();
        for (at, (a, b)) in old.exchanges.iter().zip(&new.exchanges).enumerate() {
            let fields_old = old_masks.fields(&a.response);
            let fields_new = new_masks.fields(&b.response);
            found.extend(
                differences(&fields_old, &fields_new)
                    .into_iter()
                    .map(|d| (at, d)),
            );
        }
        Ok(Pair {
            old,
            new,
            differences: found,
        })
    }

    /// Simplifies `tree` while its sequence still shows a difference of
    /// `field` in `operation_id`'s answers: the shortest found, with the
    /// number of successful steps.
    fn shrink(
        &self,
        tree: &mut impl ValueTree<Value = Sequence>,
        operation_id: &str,
        field: &str,
    ) -> Result<Option<(Pair, u32)>, String> {
        let mut failed = None;
        let shrunk = shrink_while(tree, self.config.max_shrink_tries, |candidate| {
            match self.compare(candidate) {
                Ok(smaller) => smaller
                    .first(operation_id, field)
                    .is_some()
                    .then_some(smaller),
                Err(err) => {
                    failed = Some(err);
                    None
                }
            }
        });
        match failed {
            Some(err) => Err(err),
            None => Ok(shrunk),
        }
    }
}

/// Runs `config.cases` sequences on the deployments at `old` and `new`;
/// `Err` when they cannot be reached or a selection leaves nothing to send.
pub fn run(old: &str, new: &str, config: &CompareConfig) -> Result<CompareReport, String> {
    let started = Instant::now();
    let document = Document::committed();
    let ids: Vec<String> = document
        .operations()
        .into_iter()
        .map(|o| o.operation_id)
        .collect();
    for name in config.only.iter().chain(&config.skip) {
        if !ids.contains(name) {
            return Err(format!(
                "the document has no operation {name:?} (its operationIds: {})",
                ids.join(", ")
            ));
        }
    }
    let old_deployment = Remote::connect(old)
        .map_err(|err| format!("cannot reach the old deployment {old}: {err}"))?;
    let new_deployment = Remote::connect(new)
        .map_err(|err| format!("cannot reach the new deployment {new}: {err}"))?;
    let loopback = old_deployment.capabilities().loopback && new_deployment.capabilities().loopback;
    // The steps of the original's mode, drawn as for a deployment without a
    // clock to move: none needs a code read or time to pass.
    let comparison = Comparison {
        old: old_deployment,
        new: new_deployment,
        setup: Setup {
            verification: false,
            clocked: false,
            second_address: loopback,
            limits: Limits::default(),
        },
        config,
    };
    let mut notes = vec![if loopback {
        "both deployments answer over loopback: every sequence comes from client addresses of \
         its own (a second one for the reset steps that need it)"
            .to_owned()
    } else {
        "one client address for the whole run: the limits per address are shared by every \
         sequence, and the second-address steps are left out"
            .to_owned()
    }];
    notes.push(format!(
        "masked: {}; each sequence's phones; Retry-After's seconds (only whether it is there); \
         content-type parameters",
        MASKED
            .iter()
            .map(|(field, _, why)| format!("{field} ({why})"))
            .collect::<Vec<_>>()
            .join(", ")
    ));

    let strategy = sequences(comparison.setup);
    let tree_of = |seed: &[u8; 32]| {
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            TestRng::from_seed(RngAlgorithm::ChaCha, seed),
        );
        strategy
            .new_tree(&mut runner)
            .map_err(|err| format!("cannot draw a sequence: {err}"))
    };
    let mut seeds = TestRunner::new(Config::default());
    let mut report = CompareReport {
        old: old.to_owned(),
        new: new.to_owned(),
        cases: 0,
        differing_cases: 0,
        requests: BTreeMap::new(),
        groups: Vec::new(),
        unused_allowed: Vec::new(),
        notes,
        millis: 0,
    };
    let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut next_example = 0;
    for _ in 0..config.cases {
        let mut seed = [0u8; 32];
        seeds.rng().fill_bytes(&mut seed);
        let sequence = tree_of(&seed)?.current();
        let pair = comparison.compare(&sequence)?;
        report.cases += 1;
        for exchange in &pair.old.exchanges {
            *report
                .requests
                .entry(exchange.operation_id.clone())
                .or_default() += 1;
        }
        if pair.differences.is_empty() {
            continue;
        }
        report.differing_cases += 1;
        let mut in_this_case: Vec<usize> = Vec::new();
        let mut shrunk_here: Vec<(usize, Pair, u32)> = Vec::new();
        for (at, difference) in &pair.differences {
            let operation_id = pair.old.exchanges[*at].operation_id.clone();
            let key = (operation_id.clone(), difference.field.clone());
            if let Some(&group) = index.get(&key) {
                report.groups[group].answers += 1;
                if !in_this_case.contains(&group) {
                    in_this_case.push(group);
                    report.groups[group].sequences += 1;
                }
                continue;
            }
            let allowed = config
                .allowed
                .iter()
                .find(|a| a.matches(&operation_id, &difference.field))
                .cloned();
            let reused = shrunk_here
                .iter()
                .find(|(_, example, _)| example.first(&key.0, &key.1).is_some())
                .cloned();
            let (example_id, example, shrink_steps) = if allowed.is_some() {
                (None, pair.clone(), 0)
            } else if let Some(reused) = reused {
                // Most often another field of the same answer: the sequence
                // shrunk for that one shows this one too.
                (Some(reused.0), reused.1, reused.2)
            } else {
                let mut tree = tree_of(&seed)?;
                // The steps after the difference are dropped first.
                tree.current()
                    .keep_first(pair.old.exchanges[*at].position + 1);
                let shrunk = comparison
                    .shrink(&mut tree, &key.0, &key.1)?
                    .unwrap_or_else(|| (pair.clone(), 0));
                let id = next_example;
                next_example += 1;
                shrunk_here.push((id, shrunk.0.clone(), shrunk.1));
                (Some(id), shrunk.0, shrunk.1)
            };
            let first = example.first(&key.0, &key.1).unwrap_or(*at);
            index.insert(key, report.groups.len());
            in_this_case.push(report.groups.len());
            report.groups.push(Group {
                operation_id,
                field: difference.field.clone(),
                sequences: 1,
                answers: 1,
                allowed,
                example,
                at: first,
                shrink_steps,
                example_id,
            });
        }
    }
    if report.requests.is_empty() {
        return Err(
            "no request was sent: --only / --skip left none of the operations the sequences use"
                .to_owned(),
        );
    }
    report
        .groups
        .sort_by(|a, b| (&a.operation_id, &a.field).cmp(&(&b.operation_id, &b.field)));
    report.unused_allowed = config
        .allowed
        .iter()
        .filter(|a| {
            !report
                .groups
                .iter()
                .any(|g| a.matches(&g.operation_id, &g.field))
        })
        .cloned()
        .collect();
    report.millis = started.elapsed().as_millis();
    Ok(report)
}
