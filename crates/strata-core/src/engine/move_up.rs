//! What would move a customer into a better tier, as data (the next tier, the conditions that
//! do not hold yet, the points or R/F/M scores missing) and in words, in Chinese and English.

use serde::{Serialize, Serializer};

use super::explain::number as shown;
use crate::tiering::TierLabel;

/// One hint of an explanation.
#[derive(Debug, Clone, PartialEq)]
pub enum MoveUp {
    /// A rule ladder's next tier: its conditions that do not hold yet.
    Conditions { tier: TierLabel, gaps: Vec<Gap> },
    /// A weighted score's next tier: the points missing and the dimensions with most room.
    Points { tier: TierLabel, points: f64, room: Vec<Room> },
    /// One R, F or M score up.
    Rfm { dimension: RfmLetter, from: u8, need: RfmNeed },
}

/// A ladder condition that does not hold for the customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    /// The condition in rule syntax.
    pub condition: String,
    /// The customer's value of its left side ("missing" when there is none).
    pub now: String,
    /// How much more of the metric is needed, when that can be said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_by: Option<f64>,
}

/// A score dimension and the most it could still add to the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Room {
    pub dimension: String,
    pub up_to: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RfmLetter {
    R,
    F,
    M,
}

/// What one R/F/M score up takes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "need", rename_all = "snake_case")]
pub enum RfmNeed {
    /// An order now: the next score means a last order at most `days` old.
    OrderWithin { days: i64 },
    /// This many more orders.
    Orders { count: i64 },
    /// This much more in order value (in the currency's units).
    Amount { amount: f64 },
}

impl MoveUp {
    /// Whether the hint states an amount of money (hidden from callers who may not see amounts).
    pub fn states_money(&self, about_money: impl Fn(&str) -> bool) -> bool {
        match self {
            MoveUp::Conditions { gaps, .. } => gaps.iter().any(|g| about_money(&g.condition)),
            MoveUp::Points { room, .. } => room.iter().any(|r| about_money(&r.dimension)),
            MoveUp::Rfm { need, .. } => matches!(need, RfmNeed::Amount { .. }),
        }
    }

    /// The hint in words: Chinese when `zh`, else English.
    pub fn text(&self, zh: bool) -> String {
        let tier = |t: &TierLabel| if zh { t.name.clone() } else { t.name_en.clone() };
        match self {
            MoveUp::Conditions { tier: t, gaps } => {
                let parts: Vec<String> = gaps
                    .iter()
                    .map(|g| match (zh, g.short_by) {
                        (true, Some(s)) => format!("{}（当前 {}，还差 {}）", g.condition, now_zh(&g.now), shown(s)),
                        (true, None) => format!("{}（当前 {}）", g.condition, now_zh(&g.now)),
                        (false, Some(s)) => format!("{} (now {}, {} more)", g.condition, g.now, shown(s)),
                        (false, None) => format!("{} (now {})", g.condition, g.now),
                    })
                    .collect();
                if zh {
                    format!("→ {}：{}", tier(t), parts.join("；"))
                } else {
                    format!("→ {}: {}", tier(t), parts.join("; "))
                }
            }
            MoveUp::Points { tier: t, points, room } => {
                if zh {
                    let best: Vec<String> = room.iter().map(|r| format!("{}（最多 +{:.1}）", r.dimension, r.up_to)).collect();
                    format!("→ {}：还差 {points:.1} 分；提升空间最大的是 {}", tier(t), best.join("、"))
                } else {
                    let best: Vec<String> = room.iter().map(|r| format!("{} (up to +{:.1})", r.dimension, r.up_to)).collect();
                    format!("→ {}: {points:.1} more points; most room in {}", tier(t), best.join(", "))
                }
            }
            MoveUp::Rfm { dimension, from, need } => {
                let (letter, to) = (format!("{dimension:?}"), from + 1);
                match (zh, need) {
                    (true, RfmNeed::OrderWithin { days }) => {
                        format!("{letter} {from}→{to}：现在下一单（{letter} {to} 表示最近一单在 {days} 天以内）")
                    }
                    (true, RfmNeed::Orders { count }) => format!("{letter} {from}→{to}：再下 {count} 单"),
                    (true, RfmNeed::Amount { amount }) => format!("{letter} {from}→{to}：订单金额再增加 {amount:.2}"),
                    (false, RfmNeed::OrderWithin { days }) => {
                        format!("{letter} {from}→{to}: an order now ({letter} {to} means the last order is at most {days} days old)")
                    }
                    (false, RfmNeed::Orders { count }) => format!("{letter} {from}→{to}: {count} more orders"),
                    (false, RfmNeed::Amount { amount }) => format!("{letter} {from}→{to}: {amount:.2} more in order value"),
                }
            }
        }
    }
}

fn now_zh(now: &str) -> &str {
    if now == "missing" {
        "无"
    } else {
        now
    }
}

/// As data with both wordings: `{"kind": …, …, "text": Chinese, "text_en": English}`.
impl Serialize for MoveUp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        enum Data<'a> {
            Conditions {
                tier: &'a TierLabel,
                gaps: &'a [Gap],
            },
            Points {
                tier: &'a TierLabel,
                points: f64,
                room: &'a [Room],
            },
            Rfm {
                dimension: RfmLetter,
                from: u8,
                to: u8,
                #[serde(flatten)]
                need: RfmNeed,
            },
        }
        #[derive(Serialize)]
        struct Worded<'a> {
            #[serde(flatten)]
            data: Data<'a>,
            text: String,
            text_en: String,
        }
        let data = match self {
            MoveUp::Conditions { tier, gaps } => Data::Conditions { tier, gaps },
            MoveUp::Points { tier, points, room } => Data::Points { tier, points: *points, room },
            MoveUp::Rfm { dimension, from, need } => Data::Rfm { dimension: *dimension, from: *from, to: from + 1, need: *need },
        };
        Worded { data, text: self.text(true), text_en: self.text(false) }.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier() -> TierLabel {
        TierLabel::new("key_account", "重点客户", "Key account")
    }

    #[test]
    fn hints_read_in_both_languages() {
        let gap = |condition: &str, now: &str, short_by| Gap { condition: condition.into(), now: now.into(), short_by };
        let cases: Vec<(MoveUp, &str, &str)> = vec![
            (
                MoveUp::Conditions { tier: tier(), gaps: vec![gap("count(orders, last 90d) > 5", "3", Some(3.0))] },
                "→ 重点客户：count(orders, last 90d) > 5（当前 3，还差 3）",
                "→ Key account: count(orders, last 90d) > 5 (now 3, 3 more)",
            ),
            (
                MoveUp::Conditions {
                    tier: tier(),
                    gaps: vec![gap("days_since(last order) <= 30", "missing", None), gap("has_tag(\"VIP\")", "no", None)],
                },
                "→ 重点客户：days_since(last order) <= 30（当前 无）；has_tag(\"VIP\")（当前 no）",
                "→ Key account: days_since(last order) <= 30 (now missing); has_tag(\"VIP\") (now no)",
            ),
            (
                MoveUp::Points { tier: tier(), points: 12.34, room: vec![Room { dimension: "近一年成交额".into(), up_to: 20.0 }] },
                "→ 重点客户：还差 12.3 分；提升空间最大的是 近一年成交额（最多 +20.0）",
                "→ Key account: 12.3 more points; most room in 近一年成交额 (up to +20.0)",
            ),
            (
                MoveUp::Rfm { dimension: RfmLetter::R, from: 1, need: RfmNeed::OrderWithin { days: 405 } },
                "R 1→2：现在下一单（R 2 表示最近一单在 405 天以内）",
                "R 1→2: an order now (R 2 means the last order is at most 405 days old)",
            ),
            (
                MoveUp::Rfm { dimension: RfmLetter::F, from: 3, need: RfmNeed::Orders { count: 2 } },
                "F 3→4：再下 2 单",
                "F 3→4: 2 more orders",
            ),
            (
                MoveUp::Rfm { dimension: RfmLetter::M, from: 4, need: RfmNeed::Amount { amount: 3219.43 } },
                "M 4→5：订单金额再增加 3219.43",
                "M 4→5: 3219.43 more in order value",
            ),
        ];
        for (hint, zh, en) in cases {
            assert_eq!((hint.text(true).as_str(), hint.text(false).as_str()), (zh, en));
        }
    }

    #[test]
    fn hints_serialize_as_data_with_both_wordings() {
        let hint = MoveUp::Rfm { dimension: RfmLetter::M, from: 2, need: RfmNeed::Amount { amount: 10.5 } };
        let v = serde_json::to_value(&hint).expect("json");
        assert_eq!(
            v,
            serde_json::json!({"kind": "rfm", "dimension": "M", "from": 2, "to": 3, "need": "amount", "amount": 10.5,
                               "text": "M 2→3：订单金额再增加 10.50", "text_en": "M 2→3: 10.50 more in order value"})
        );
        let about_money = |s: &str| s.contains("amount");
        assert!(hint.states_money(about_money));
        let gaps = vec![Gap { condition: "sum(orders.amount, last 90d) > 100".into(), now: "5".into(), short_by: Some(95.0) }];
        assert!(MoveUp::Conditions { tier: tier(), gaps }.states_money(about_money));
        let room = vec![Room { dimension: "orders".into(), up_to: 3.0 }];
        assert!(!MoveUp::Points { tier: tier(), points: 1.0, room }.states_money(about_money));
    }
}
