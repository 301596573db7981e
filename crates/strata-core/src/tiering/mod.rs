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

    /// The name to show: the English one when asked for and given (not just the key, which
    /// stands in for a missing one), else the Chinese.
    pub fn name_in(&self, zh: bool) -> &str {
        if zh || self.name_en.is_empty() || self.name_en == self.key {
            &self.name
        } else {
            &self.name_en
        }
    }

    /// Whether `text` names this tier by key, Chinese or English name.
    pub fn is_named(&self, text: &str) -> bool {
        self.key == text || self.name == text || self.name_en.eq_ignore_ascii_case(text)
    }
}

#[cfg(test)]
mod rfm_tests;

#[cfg(test)]
mod label_tests {
    use super::TierLabel;

    #[test]
    fn a_tier_is_named_in_the_language_asked_for() {
        let loyal = TierLabel::new("loyal", "忠诚客户", "Loyal");
        let (plain, keyed) = (TierLabel::new("b", "浙江", ""), TierLabel::new("B", "浙江", "B"));
        assert_eq!((loyal.name_in(true), loyal.name_in(false)), ("忠诚客户", "Loyal"));
        assert_eq!((plain.name_in(false), keyed.name_in(false)), ("浙江", "浙江"), "no English name: the Chinese one");
        assert!(loyal.is_named("LOYAL") && loyal.is_named("忠诚客户") && loyal.is_named("loyal") && !loyal.is_named("b"));
    }
}
