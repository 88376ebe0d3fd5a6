//! The OpenAPI document and what it declares: operations, their inputs and
//! their answers. Everything the checker sends or expects is read from here.
//!
//! - `openapi`: [`Document`] itself, parsed, with `$ref`s and the server prefix.
//! - `types`: [`Operation`], its [`Input`]s, [`Location`]s, [`Credential`]s
//!   and [`Encoding`]s, and [`Target`].
//! - `operations`: reading the operations out of the document.

mod openapi;
mod operations;
mod types;

pub use openapi::{COMMITTED_DOCUMENT, Document, DocumentError, METHODS};
pub use types::{Credential, Encoding, Input, Location, Operation, Target, media_type_essence};
