//! Proptest strategies for requests, derived from each operation's inputs.
//!
//! Every documented input gets values from its schema: valid ones (mostly),
//! invalid ones of every kind a client might send (wrong length, wrong first
//! digit, letters, full-width digits, empty, blank, emoji, very long, wrong
//! JSON type, numbers outside the enum, text for numbers), and it may be left
//! out or sent twice. Unknown extra parameters and malformed bodies are mixed
//! in. Known-good values from [`Fixtures`] (accounts the checker created)
//! make the success paths reachable.
//!
//! Valid phone numbers are generated in the unallocated `10x`–`12x` range, so
//! an operation that writes (register, forget_password) only ever touches
//! accounts the checker itself created.
//!
//! - `fixtures`: [`Fixtures`], the good values learnt from the deployment.
//! - `generated`: [`GeneratedRequest`], its [`Field`]s and [`BodyShape`].
//! - `valid` and `invalid`: the value strategies per kind of field.
//! - `strategy`: whole requests to a target ([`request_strategy`]).
//! - `wire`: a generated request as it is sent ([`render`]).

mod fixtures;
mod generated;
mod invalid;
mod strategy;
mod valid;
mod wire;

pub use fixtures::{Fixtures, LIVE_TOKEN};
pub use generated::{BodyShape, Field, GeneratedRequest, scalar_text};
pub use strategy::request_strategy;
pub use valid::fresh_phone;
pub use wire::{OVERSIZE_PADDING, render};

/// The committed document's `operation_id` sent as `encoding`.
#[cfg(test)]
fn committed_target(
    operation_id: &str,
    encoding: crate::document::Encoding,
) -> crate::document::Target {
    let document = crate::Document::committed();
    crate::document::Target {
        operation: document.operation_by_id(operation_id).unwrap(),
        encoding,
    }
}
