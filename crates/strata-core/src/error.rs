//! The error a single value can have: what was wrong and how to fix it, as data.

use serde::Serialize;

/// Why one raw value was rejected. `code` is stable and snake_case; `message` is for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct ValueError {
    pub code: &'static str,
    pub message: String,
}

impl ValueError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}
