//! Checking one response against what the document declares for its
//! operation.
//!
//! - `violation`: [`Violation`] and [`ViolationKind`], what a broken promise is.
//! - `contract`: [`Contract`], the document compiled, and one response
//!   checked against its operation ([`Contract::check`]).
//! - `answer`: one answer by method and concrete path
//!   ([`Contract::check_answer`]), or against a named schema
//!   ([`Contract::check_as`]).
//! - `content`: a body against a declared `content` ([`content_type_matches`]).

mod answer;
mod content;
mod contract;
#[cfg(test)]
mod testing;
mod violation;

pub use content::content_type_matches;
pub use contract::Contract;
pub(crate) use contract::declared_status;
pub use violation::{Violation, ViolationKind};
