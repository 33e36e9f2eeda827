//! A problem found in an app definition or in submitted answers: where (a JSON pointer),
//! what (a stable code), a message and a hint in both languages, and for scripts the line
//! and column.

use serde::Serialize;

use crate::Text;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// JSON pointer (RFC 6901) to the offending value, e.g. `/steps/2/block`.
    pub pointer: String,
    /// Stable machine-readable code, e.g. `unknown_block`.
    pub code: &'static str,
    pub message: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<Text>,
    /// For script errors: 1-based line and column inside the expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl Problem {
    pub fn new(pointer: impl Into<String>, code: &'static str, message: Text) -> Problem {
        Problem { pointer: pointer.into(), code, message, hint: None, line: None, column: None }
    }

    pub fn with_hint(mut self, hint: Text) -> Problem {
        self.hint = Some(hint);
        self
    }
}

/// Escapes one reference token of a JSON pointer (RFC 6901).
pub fn pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
