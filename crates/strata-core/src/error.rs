//! The error a single value can have: what was wrong and how to fix it, as data.

use serde::Serialize;

/// Why one raw value was rejected. `code` is stable and snake_case; `message` is for people, in
/// English, and `message_zh` says the same in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct ValueError {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_zh: Option<String>,
}

impl ValueError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), message_zh: None }
    }

    /// The same error with its message in Chinese.
    pub fn zh(mut self, message: impl Into<String>) -> Self {
        self.message_zh = Some(message.into());
        self
    }

    /// The message in Chinese when there is one, else in English.
    pub fn message_in(&self, zh: bool) -> &str {
        match (&self.message_zh, zh) {
            (Some(m), true) => m,
            _ => &self.message,
        }
    }
}
