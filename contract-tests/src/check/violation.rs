//! What a broken promise is: its kind, its message and the schema keyword
//! that failed.

use std::fmt;

/// What kind of promise a response broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ViolationKind {
    /// No HTTP answer at all (connection refused or reset, timeout).
    NoAnswer,
    /// An HTTP 5xx: the contract allows none for any input.
    ServerError,
    /// A status the operation does not declare.
    UndeclaredStatus,
    /// A content type the operation does not declare for that status.
    UndeclaredContentType,
    /// A JSON content type with a body that is not JSON.
    NotJson,
    /// A body that does not match the declared schema.
    SchemaMismatch,
    /// A body where the document declares none.
    UnexpectedBody,
    /// A declared response header missing (when required) or not matching its schema.
    BadHeader,
    /// An answer to a method and path the document has no operation for.
    UndocumentedOperation,
}

impl ViolationKind {
    /// A short phrase for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Self::NoAnswer => "no HTTP answer",
            Self::ServerError => "server error (5xx)",
            Self::UndeclaredStatus => "undeclared HTTP status",
            Self::UndeclaredContentType => "undeclared content type",
            Self::NotJson => "body is not JSON",
            Self::SchemaMismatch => "body does not match the schema",
            Self::UnexpectedBody => "body where none is declared",
            Self::BadHeader => "response header breaks its declaration",
            Self::UndocumentedOperation => "no such operation in the document",
        }
    }
}

/// One broken promise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// What kind.
    pub kind: ViolationKind,
    /// What exactly, in words.
    pub message: String,
    /// The schema keyword that failed, for schema mismatches.
    pub schema_path: Option<String>,
}

impl Violation {
    /// What makes two violations "the same" for grouping: kind and place.
    pub fn signature(&self) -> String {
        match &self.schema_path {
            Some(path) => format!("{} @ {path}", self.kind.describe()),
            None => format!("{}: {}", self.kind.describe(), self.message),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.describe(), self.message)?;
        if let Some(path) = &self.schema_path {
            write!(f, "\n    schema path: {path}")?;
        }
        Ok(())
    }
}
