//! Shrinking: the first case of each distinct violation simplified, one
//! request a step, while it still shows that violation.

use proptest::strategy::ValueTree;

use super::{
    outcome::{Observed, observe},
    setup::Checker,
};
use crate::{
    check::Violation,
    document::Target,
    http::{HttpRequest, HttpResponse},
    inputs::GeneratedRequest,
};

impl Checker {
    /// Simplifies `tree` while the request still shows `signature`; the
    /// smallest such exchange and the number of successful steps. Every
    /// answer is counted in `observed`.
    #[allow(clippy::type_complexity)]
    pub(super) fn shrink(
        &self,
        target: &Target,
        tree: &mut impl ValueTree<Value = GeneratedRequest>,
        signature: &str,
        max_steps: u32,
        observed: &mut Observed,
    ) -> Option<(
        HttpRequest,
        Result<HttpResponse, String>,
        Vec<Violation>,
        u32,
    )> {
        let mut best = None;
        let mut steps = 0;
        let mut tries = 0;
        if !tree.simplify() {
            return None;
        }
        loop {
            tries += 1;
            if tries > max_steps {
                break;
            }
            let (request, response, violations) = self.exchange(target, &tree.current());
            observe(observed, &response);
            if violations.iter().any(|v| v.signature() == signature) {
                steps += 1;
                best = Some((request, response, violations, steps));
                if !tree.simplify() {
                    break;
                }
            } else if !tree.complicate() {
                break;
            }
        }
        best
    }
}
