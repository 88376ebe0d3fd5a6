//! Checks of the document itself: a client generator needs it to be sound
//! OpenAPI 3.0, every operation named and described, and every example true.
//!
//! Each check returns the defects it found, each naming the place in the
//! document (a JSON pointer) and what is missing, so a failing test says
//! exactly what to fix on the server side.
//!
//! - `defect`: [`Defect`] and [`listing`].
//! - One module per family of checks: `structure` ([`structure`]), `basics`
//!   ([`operation_basics`]), `descriptions` ([`descriptions()`]) and
//!   `examples` ([`examples()`]).
//! - `walk`: the operations and schemas the checks look at.

mod basics;
mod defect;
mod descriptions;
mod examples;
mod structure;
#[cfg(test)]
mod tests;
mod walk;

pub use basics::operation_basics;
pub use defect::{Defect, listing};
pub use descriptions::descriptions;
pub use examples::examples;
pub use structure::structure;
