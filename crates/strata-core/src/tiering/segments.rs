//! RFM segment maps: score ranges → named segments, first match wins, compiled to a lookup
//! table. The standard 11-segment map (R × F) is the preset, named in Chinese and English.

use serde::{Deserialize, Serialize};

use super::TierLabel;

/// An inclusive score range, e.g. `[4, 5]`.
pub type ScoreRange = [u8; 2];

/// One line of a segment map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentRule {
    /// The segment's key (a tier key of the model).
    pub segment: String,
    #[serde(default)]
    pub r: Option<ScoreRange>,
    #[serde(default)]
    pub f: Option<ScoreRange>,
    #[serde(default)]
    pub m: Option<ScoreRange>,
}

impl SegmentRule {
    fn matches(&self, scores: [u8; 3]) -> bool {
        [self.r, self.f, self.m].iter().zip(scores).all(|(range, s)| range.is_none_or(|[lo, hi]| lo <= s && s <= hi))
    }
}

/// The standard 11 segments: key, Chinese name, English name.
pub const STANDARD_SEGMENTS: [(&str, &str, &str); 11] = [
    ("champions", "冠军客户", "Champions"),
    ("loyal", "忠诚客户", "Loyal"),
    ("potential_loyalist", "潜力客户", "Potential Loyalist"),
    ("new_customers", "新客户", "New Customers"),
    ("promising", "有望客户", "Promising"),
    ("need_attention", "需要关注", "Need Attention"),
    ("about_to_sleep", "即将沉睡", "About To Sleep"),
    ("at_risk", "流失风险", "At Risk"),
    ("cannot_lose_them", "不能失去", "Cannot Lose Them"),
    ("hibernating", "沉睡客户", "Hibernating"),
    ("lost", "已流失", "Lost"),
];

/// The standard map on 5-point R and F scores.
pub fn standard_rules() -> Vec<SegmentRule> {
    let rule = |segment: &str, r: ScoreRange, f: ScoreRange| SegmentRule { segment: segment.into(), r: Some(r), f: Some(f), m: None };
    vec![
        rule("lost", [1, 1], [1, 1]),
        rule("hibernating", [1, 2], [1, 2]),
        rule("at_risk", [1, 2], [3, 4]),
        rule("cannot_lose_them", [1, 2], [5, 5]),
        rule("about_to_sleep", [3, 3], [1, 2]),
        rule("need_attention", [3, 3], [3, 3]),
        rule("loyal", [3, 4], [4, 5]),
        rule("promising", [4, 4], [1, 1]),
        rule("new_customers", [5, 5], [1, 1]),
        rule("potential_loyalist", [4, 5], [2, 3]),
        rule("champions", [5, 5], [4, 5]),
    ]
}

/// The standard segments as tier labels.
pub fn standard_tiers() -> Vec<TierLabel> {
    STANDARD_SEGMENTS.iter().map(|(key, zh, en)| TierLabel::new(key, zh, en)).collect()
}

/// Problems with a segment map, found when the model is saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentMapError {
    #[error("segment rule {line} names `{segment}`, which is not one of the model's tiers ({known})")]
    UnknownSegment { line: usize, segment: String, known: String },
    #[error("segment rule {line}: range {lo}–{hi} is outside the scores 1–{max}")]
    BadRange { line: usize, lo: u8, hi: u8, max: u8 },
    #[error("scores R={r} F={f} M={m} match no segment rule; add a rule for them or a default tier")]
    Uncovered { r: u8, f: u8, m: u8 },
}

/// A compiled segment map: a table over every (R, F, M) score combination.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentMap {
    buckets: [u8; 3],
    /// Tier index per (r−1, f−1, m−1); `u16::MAX` = no rule matched (default tier).
    table: Vec<u16>,
}

impl SegmentMap {
    /// Compiles `rules` against the model's `tiers` for the given bucket counts. Every score
    /// combination must be covered unless the model has a default tier (`allow_default`).
    pub fn compile(
        rules: &[SegmentRule],
        tiers: &[TierLabel],
        buckets: [u8; 3],
        allow_default: bool,
    ) -> Result<SegmentMap, SegmentMapError> {
        let mut resolved = Vec::with_capacity(rules.len());
        for (i, rule) in rules.iter().enumerate() {
            let line = i + 1;
            let Some(t) = tiers.iter().position(|t| t.key == rule.segment || t.name == rule.segment) else {
                let known = tiers.iter().map(|t| t.key.as_str()).collect::<Vec<_>>().join(", ");
                return Err(SegmentMapError::UnknownSegment { line, segment: rule.segment.clone(), known });
            };
            for (range, max) in [rule.r, rule.f, rule.m].iter().zip(buckets) {
                if let Some([lo, hi]) = *range {
                    if lo < 1 || hi > max || lo > hi {
                        return Err(SegmentMapError::BadRange { line, lo, hi, max });
                    }
                }
            }
            resolved.push((rule, t as u16));
        }
        let [kr, kf, km] = buckets.map(usize::from);
        let mut table = vec![u16::MAX; kr * kf * km];
        for r in 1..=buckets[0] {
            for f in 1..=buckets[1] {
                for m in 1..=buckets[2] {
                    let hit = resolved.iter().find(|(rule, _)| rule.matches([r, f, m])).map(|(_, t)| *t);
                    match hit {
                        Some(t) => table[((usize::from(r) - 1) * kf + usize::from(f) - 1) * km + usize::from(m) - 1] = t,
                        None if allow_default => {}
                        None => return Err(SegmentMapError::Uncovered { r, f, m }),
                    }
                }
            }
        }
        Ok(SegmentMap { buckets, table })
    }

    /// The tier index for scores, or None for the default tier.
    #[inline]
    pub fn segment(&self, [r, f, m]: [u8; 3]) -> Option<u16> {
        let [_, kf, km] = self.buckets.map(usize::from);
        let i = (usize::from(r).checked_sub(1)? * kf + usize::from(f).checked_sub(1)?) * km + usize::from(m).checked_sub(1)?;
        self.table.get(i).copied().filter(|&t| t != u16::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_map_matches_the_reference_grid() {
        // Rows R 1..5, columns F 1..5, as in the benchmark's SEGMENT_GRID.
        let grid = [
            ["Lost", "Hibernating", "At Risk", "At Risk", "Cannot Lose Them"],
            ["Hibernating", "Hibernating", "At Risk", "At Risk", "Cannot Lose Them"],
            ["About To Sleep", "About To Sleep", "Need Attention", "Loyal", "Loyal"],
            ["Promising", "Potential Loyalist", "Potential Loyalist", "Loyal", "Loyal"],
            ["New Customers", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"],
        ];
        let tiers = standard_tiers();
        let map = SegmentMap::compile(&standard_rules(), &tiers, [5, 5, 5], false).unwrap();
        for r in 1..=5u8 {
            for f in 1..=5u8 {
                for m in 1..=5u8 {
                    let t = map.segment([r, f, m]).unwrap();
                    assert_eq!(tiers[usize::from(t)].name_en, grid[usize::from(r) - 1][usize::from(f) - 1], "R{r} F{f}");
                }
            }
        }
        assert_eq!(map.segment([0, 1, 1]), None);
        assert_eq!(map.segment([6, 1, 1]), None);
    }

    #[test]
    fn bad_maps_are_rejected_with_the_line() {
        let tiers = standard_tiers();
        let mut rules = standard_rules();
        rules[2].segment = "at risk".into();
        assert!(matches!(SegmentMap::compile(&rules, &tiers, [5, 5, 5], false), Err(SegmentMapError::UnknownSegment { line: 3, .. })));
        let mut rules = standard_rules();
        rules[0].r = Some([0, 1]);
        assert!(matches!(SegmentMap::compile(&rules, &tiers, [5, 5, 5], false), Err(SegmentMapError::BadRange { line: 1, .. })));
        let mut rules = standard_rules();
        rules.remove(1); // hibernating
        assert_eq!(SegmentMap::compile(&rules, &tiers, [5, 5, 5], false), Err(SegmentMapError::Uncovered { r: 1, f: 2, m: 1 }));
        assert!(SegmentMap::compile(&rules, &tiers, [5, 5, 5], true).unwrap().segment([1, 2, 1]).is_none());
    }
}
