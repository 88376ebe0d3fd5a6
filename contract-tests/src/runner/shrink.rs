//! Shrinking: the first case of each distinct violation simplified, one
//! request a step, while it still shows that violation. [`shrink_while`] is
//! the loop itself, over any proptest value tree (`compare` shrinks its
//! sequences with it too).

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

/// Simplifies `tree` while `shows` finds what is being shrunk in its value
/// (`Some` with what it found), trying at most `max_tries` values; the last
/// value that showed it, with the number of successful steps. `None` when
/// the tree cannot simplify or no simpler value showed it.
pub(crate) fn shrink_while<T: ValueTree, R>(
    tree: &mut T,
    max_tries: u32,
    mut shows: impl FnMut(&T::Value) -> Option<R>,
) -> Option<(R, u32)> {
    let mut best = None;
    let mut steps = 0;
    let mut tries = 0;
    if !tree.simplify() {
        return None;
    }
    loop {
        tries += 1;
        if tries > max_tries {
            break;
        }
        if let Some(found) = shows(&tree.current()) {
            steps += 1;
            best = Some((found, steps));
            if !tree.simplify() {
                break;
            }
        } else if !tree.complicate() {
            break;
        }
    }
    best
}

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
        shrink_while(tree, max_steps, |generated| {
            let (request, response, violations) = self.exchange(target, generated);
            observe(observed, &response);
            violations
                .iter()
                .any(|v| v.signature() == signature)
                .then_some((request, response, violations))
        })
        .map(|((request, response, violations), steps)| (request, response, violations, steps))
    }
}
