//! Tier model files: the TOML a team keeps in git (and the API accepts as JSON). A model is a
//! rule ladder, a weighted score or RFM; presets (RFM standard, lifecycle, BANT) are files too.

use serde::{Deserialize, Serialize};

use super::{rfm::Buckets, segments::SegmentRule};

/// A tier model as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Stable key used by `tier("key")` and the API (letters incl. Chinese, digits, `_`, `-`).
    pub key: String,
    /// Chinese display name.
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub description: String,
    pub kind: ModelKind,
    /// Whether earlier tiers are better (value ladders). Stages such as lifecycle are not
    /// ranked: explanations then do not suggest how to "move up".
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub ranked: bool,
    /// When population-relative cut points (quantiles, min–max, percentiles) are refreshed.
    #[serde(default)]
    pub refresh: Refresh,
    /// Ladder tiers (first match wins), score tiers (by minimum score) or RFM segments.
    #[serde(default)]
    pub tiers: Vec<TierSpec>,
    /// Weighted score dimensions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<DimensionSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfm: Option<RfmSpec>,
}

fn yes() -> bool {
    true
}

fn is_yes(b: &bool) -> bool {
    *b
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    Ladder,
    Score,
    Rfm,
}

impl ModelKind {
    /// The name used in files and the store.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Ladder => "ladder",
            ModelKind::Score => "score",
            ModelKind::Rfm => "rfm",
        }
    }
}

/// How often population-relative cut points are recomputed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refresh {
    /// Only when the model is published (or refreshed by hand).
    Never,
    Daily,
    Weekly,
    #[default]
    Monthly,
    Quarterly,
}

/// A tier of any model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierSpec {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    /// Ladder: the condition. A ladder tier without one is the default (it must come last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// Score: the lowest score (0–100) of the tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_score: Option<f64>,
    /// RFM: this tier takes customers no segment rule covers (and customers without orders).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
}

/// A weighted score dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionSpec {
    pub key: String,
    pub name: String,
    /// Any numeric rule expression, e.g. `sum(orders.amount, last 365d)`.
    pub expr: String,
    pub weight: f64,
    #[serde(default)]
    pub normalise: Normalise,
    /// For `bins`: `[[edge, points], …]` ascending; a value at or above an edge earns its
    /// points (0–100), below the first edge 0.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bins: Vec<[f64; 2]>,
}

/// How a dimension's raw value becomes 0–100 points.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalise {
    /// (x − min) / (max − min) over the population at calibration.
    MinMax,
    /// Share of the population with a lower value at calibration.
    #[default]
    Percentile,
    /// Fixed bins with points.
    Bins,
}

/// RFM settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RfmSpec {
    pub recency: Buckets,
    pub frequency: Buckets,
    pub monetary: Buckets,
    /// `"standard"` (the 11-segment map on 5-point R and F) or explicit rules.
    pub segments: Segments,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Segments {
    Preset(String),
    Rules(Vec<SegmentRule>),
}

/// Built-in model files.
pub const PRESETS: [(&str, &str); 4] = [
    ("rfm", include_str!("../../presets/rfm.toml")),
    ("lifecycle", include_str!("../../presets/lifecycle.toml")),
    ("bant", include_str!("../../presets/bant.toml")),
    ("retention", include_str!("../../presets/retention.toml")),
];

impl ModelSpec {
    /// Reads a model file. Errors name the line and column.
    pub fn from_toml(text: &str) -> Result<ModelSpec, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// Reads a model file written in YAML (the same fields as the TOML form). Errors name the
    /// line and column.
    pub fn from_yaml(text: &str) -> Result<ModelSpec, String> {
        serde_norway::from_str(text).map_err(|e| e.to_string())
    }

    pub fn to_yaml(&self) -> String {
        serde_norway::to_string(self).unwrap_or_default()
    }

    /// Reads a model file in the format its name says (`.yaml` / `.yml`, else TOML).
    pub fn from_file(name: &str, text: &str) -> Result<ModelSpec, String> {
        let lower = name.to_lowercase();
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            ModelSpec::from_yaml(text)
        } else {
            ModelSpec::from_toml(text)
        }
    }

    /// A preset by name.
    pub fn preset(name: &str) -> Option<ModelSpec> {
        PRESETS.iter().find(|(n, _)| *n == name).and_then(|(_, text)| ModelSpec::from_toml(text).ok())
    }
}

/// A model file's parse error (from [`ModelSpec::from_toml`] or [`ModelSpec::from_yaml`]) in
/// Chinese: the position and the common reasons translated, the quoted line and caret kept.
pub fn parse_error_zh(message: &str) -> String {
    let lines: Vec<String> = message
        .lines()
        .map(|line| {
            let rest = line.trim_start();
            if let Some(at) = rest.strip_prefix("TOML parse error at line ") {
                if let Some((l, c)) = at.split_once(", column ") {
                    return format!("TOML 解析错误：第 {l} 行第 {c} 列");
                }
            }
            for (en, zh) in [
                ("missing field ", "缺少字段 "),
                ("unknown field ", "未知字段 "),
                ("unknown variant ", "未知取值 "),
                ("duplicate key ", "重复的键 "),
                ("invalid type: ", "类型不对："),
            ] {
                if let Some(tail) = rest.strip_prefix(en) {
                    return format!("{zh}{}", tail.replace(", expected one of ", "，可用：").replace(", expected ", "，需要 "));
                }
            }
            line.to_string()
        })
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_read_in_chinese() {
        let cases = [
            (
                "key = \"x\"\nname = \"X\"\nkind = \"lader\"\n",
                "TOML 解析错误：第 3 行第 8 列",
                "未知取值 `lader`，可用：`ladder`, `score`, `rfm`",
            ),
            ("key = \"x\"\nname = \"X\"\nkind = \"ladder\"\nfoo = 1\n", "第 4 行第 1 列", "未知字段 `foo`，可用："),
            ("key = \"x\"\nkind = \"ladder\"\n", "TOML 解析错误", "缺少字段 `name`"),
        ];
        for (text, position, reason) in cases {
            let zh = parse_error_zh(&ModelSpec::from_toml(text).unwrap_err());
            assert!(zh.contains(position) && zh.contains(reason), "{text}:\n{zh}");
        }
    }

    #[test]
    fn yaml_files_read_like_toml_files() {
        for (name, text) in PRESETS {
            let spec = ModelSpec::from_toml(text).unwrap();
            let yaml = spec.to_yaml();
            assert_eq!(ModelSpec::from_file(&format!("{name}.yaml"), &yaml).as_ref(), Ok(&spec), "{name}:\n{yaml}");
            assert_eq!(ModelSpec::from_file(&format!("{name}.toml"), text).as_ref(), Ok(&spec));
        }
        let err = ModelSpec::from_file("x.yml", "key: [unclosed").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }
}
