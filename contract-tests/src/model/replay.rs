//! The model's sequences replayed on a deployment with no prediction to
//! compare against: what `contract-tests compare` sends to two deployments.
//!
//! A [`Sequence`] is drawn as the model run draws one (the same strategy,
//! steps weighted by the model's state so that registered phones log in,
//! failing ones reach the lockout and sessions are presented), and shrinks
//! as one. [`Sequence::replay`] takes its steps on a deployment in a fresh
//! [`Case`]: phones of its own, client addresses of its own where the
//! deployment is reached over loopback, and the tokens that deployment
//! handed out presented by the session steps.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use proptest::strategy::Strategy;
use serde_json::Value;

use super::{
    case::Case, deployment::Deployment, requests::Paths, state::Setup, steps::Step,
    transitions::AccountModel,
};
use crate::http::{HttpRequest, HttpResponse};

/// The longest sequence `compare` draws (as the model's run with verification off).
pub const LONGEST_SEQUENCE: usize = 24;

/// A generated sequence of steps.
#[derive(Debug, Clone)]
pub struct Sequence {
    steps: Vec<Step>,
    /// How many steps the shrinker may keep (those after a difference are
    /// dropped first), when this is the sequence a case drew.
    seen: Option<Arc<AtomicUsize>>,
}

/// One step as a deployment saw it.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The step's position in its sequence (from 0).
    pub position: usize,
    /// The step, as the report shows it.
    pub step: String,
    /// The operation its request is for.
    pub operation_id: String,
    /// The request as sent.
    pub request: HttpRequest,
    /// What came back.
    pub response: Result<HttpResponse, String>,
}

/// A sequence taken on one deployment.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// The case's phones, by pool index.
    pub phones: Vec<String>,
    /// Every step sent, in order.
    pub exchanges: Vec<Exchange>,
}

/// Sequences of 1 to [`LONGEST_SEQUENCE`] steps for deployments as `setup`
/// describes them (verification off, no clock: the steps every deployment
/// answers without the model reading its codes or moving its clock).
pub fn sequences(setup: Setup) -> impl Strategy<Value = Sequence> {
    AccountModel::strategy(setup, 1..=LONGEST_SEQUENCE)
        .prop_map(|(_, steps, seen)| Sequence { steps, seen })
}

impl Sequence {
    /// Tells the shrinker that only the first `count` steps matter (the
    /// first simplification drops the rest): call it on the value a tree
    /// gave before simplifying that tree.
    pub fn keep_first(&self, count: usize) {
        if let Some(seen) = &self.seen {
            seen.store(count, Ordering::SeqCst);
        }
    }

    /// Takes the steps on `deployment`, those of the operations `selected`
    /// accepts, in a new case; `Err` when the case cannot start.
    pub fn replay(
        &self,
        deployment: &dyn Deployment,
        setup: Setup,
        selected: &dyn Fn(&str) -> bool,
    ) -> Result<Replayed, String> {
        let mut case = Case::start(deployment, setup)?;
        let mut exchanges = Vec::new();
        for (position, step) in self.steps.iter().enumerate() {
            if matches!(
                step,
                Step::Wait { .. } | Step::Resend { .. } | Step::Poll { .. }
            ) {
                continue;
            }
            let request = case.request(step);
            let operation_id = Paths::get().operation_of(&request).operation_id;
            if !selected(&operation_id) {
                continue;
            }
            let response = case.client_for(step)?.send(&request);
            if let (Step::Register { .. } | Step::Login { .. }, Ok(answer)) = (step, &response)
                && let Ok(body) = serde_json::from_slice::<Value>(&answer.body)
                && let Some(token) = body["data"]["token"].as_str()
            {
                case.tokens.push(token.to_owned());
            }
            exchanges.push(Exchange {
                position,
                step: format!("{step:?}"),
                operation_id,
                request,
                response,
            });
        }
        Ok(Replayed {
            phones: case.phones.to_vec(),
            exchanges,
        })
    }
}
