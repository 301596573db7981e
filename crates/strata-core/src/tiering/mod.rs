//! Tier models: RFM, rule ladders, weighted scores and the presets built on them.

pub mod model;
pub mod quantile;
pub mod rank_select;
pub mod rfm;
pub mod segments;
pub mod spec;

use serde::{Deserialize, Serialize};

/// A tier's stable key and its names in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierLabel {
    pub key: String,
    pub name: String,
    pub name_en: String,
}

impl TierLabel {
    pub fn new(key: &str, name: &str, name_en: &str) -> TierLabel {
        TierLabel { key: key.into(), name: name.into(), name_en: name_en.into() }
    }

    /// Whether `text` names this tier by key, Chinese or English name.
    pub fn is_named(&self, text: &str) -> bool {
        self.key == text || self.name == text || self.name_en.eq_ignore_ascii_case(text)
    }
}

#[cfg(test)]
mod rfm_tests;
