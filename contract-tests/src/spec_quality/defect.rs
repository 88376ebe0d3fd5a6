//! What a check finds: a [`Defect`], its place and its problem.

use std::fmt;

/// One thing wrong with the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defect {
    /// Where: a JSON pointer into the document, or `METHOD /path`.
    pub location: String,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.problem)
    }
}

pub(super) fn defect(location: impl Into<String>, problem: impl Into<String>) -> Defect {
    Defect {
        location: location.into(),
        problem: problem.into(),
    }
}

/// The defects as a numbered list, for a test's failure message.
pub fn listing(defects: &[Defect]) -> String {
    defects
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{:>3}. {d}\n", i + 1))
        .collect()
}
