//! Explanations: why a customer has its tier (which ladder rules failed and why, the score per
//! dimension, the R/F/M scores) and what would move the customer up.

use serde::Serialize;

use super::{
    eval::{Facts, FALSE, TRUE},
    move_up::{Gap, MoveUp, RfmLetter, RfmNeed, Room},
    plan::{Plan, TextRead},
    Engine,
};
use crate::{
    metrics::{date_of, Window},
    predict::Prediction,
    rules::{
        program::{Aggregate, Arith, Cmp, Metric},
        schema::{Attr, EventField, BUILTIN_ATTRS},
        syntax::End,
    },
    tiering::{model::Body, rfm::Dimension, TierLabel},
};

/// One condition checked for one customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// The condition in rule syntax, e.g. `count(orders, last 90d) > 5`.
    pub condition: String,
    /// The customer's value of its left side, e.g. `3`.
    pub value: String,
    /// "yes", "no" or "unknown" (a value is missing).
    pub holds: &'static str,
    /// For a failed `metric >/>= number`: how much more of the metric is needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_by: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LadderStep {
    pub tier: TierLabel,
    /// "matched", "failed", "unknown" or "default".
    pub result: &'static str,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionPart {
    pub key: String,
    pub name: String,
    pub value: Option<f64>,
    /// 0–100 before weighting.
    pub points: f64,
    /// Weight as a share of all weights.
    pub weight: f64,
    /// points × weight: what the dimension adds to the score.
    pub contribution: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Detail {
    /// The ladder's tiers down to the one that matched.
    Ladder {
        steps: Vec<LadderStep>,
    },
    Score {
        score: f64,
        dimensions: Vec<DimensionPart>,
    },
    Rfm {
        recency_days: Option<i64>,
        frequency: u32,
        monetary: f64,
        scores: Option<[u8; 3]>,
    },
}

/// Why a customer has its tier in one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub model: String,
    pub tier: Option<TierLabel>,
    pub detail: Detail,
    /// What would move the customer into a better tier.
    pub to_move_up: Vec<MoveUp>,
}

/// A value as explanations show it ("missing" for none).
pub(super) fn number(x: f64) -> String {
    if x.is_nan() {
        "missing".into()
    } else if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// A metric in rule syntax.
pub fn describe_metric(m: &Metric) -> String {
    let kind = m.kind.name();
    let one = match m.kind {
        crate::metrics::EventKind::Feedback => kind,
        _ => kind.trim_end_matches('s'),
    };
    let field = |f: usize| format!("{kind}.{}", m.kind.numbers().get(f).copied().unwrap_or("?"));
    let window = match m.window {
        Window::All => String::new(),
        Window::LastDays(n) => format!(", last {n}d"),
        Window::ThisMonth => ", this month".into(),
        Window::LastMonth => ", last month".into(),
        Window::ThisQuarter => ", this quarter".into(),
        Window::LastQuarter => ", last quarter".into(),
        Window::ThisYear => ", this year".into(),
        Window::LastYear => ", last year".into(),
        Window::Between(a, b) => format!(", between {} and {}", date_of(a), date_of(b)),
    };
    let inner = match m.aggregate {
        Aggregate::Count => format!("count({kind}{window})"),
        Aggregate::Sum(f) => format!("sum({}{window})", field(f)),
        Aggregate::Avg(f) => format!("avg({}{window})", field(f)),
        Aggregate::Min(f) => format!("min({}{window})", field(f)),
        Aggregate::Max(f) => format!("max({}{window})", field(f)),
        Aggregate::Distinct(EventField::Cat(c)) => {
            format!("distinct({kind}.{}{window})", m.kind.categories().get(c).copied().unwrap_or("?"))
        }
        Aggregate::Distinct(EventField::Num(f)) => format!("distinct({}{window})", field(f)),
        Aggregate::DaysSince(End::First) => format!("days_since(first {one})"),
        Aggregate::DaysSince(End::Last) => format!("days_since(last {one})"),
        Aggregate::Predicted(Prediction::PAlive) => "p_alive".into(),
        Aggregate::Predicted(Prediction::ExpectedOrders(d)) => format!("expected_orders({d}d)"),
        Aggregate::Predicted(Prediction::Clv(m)) => format!("clv({m} months)"),
    };
    if m.growth {
        format!("growth({inner})")
    } else {
        inner
    }
}

fn attr_name(engine: &Engine, a: Attr) -> String {
    match a {
        Attr::Custom(i) => engine.custom_names.get(usize::from(i)).cloned().unwrap_or_else(|| format!("custom{i}")),
        a => BUILTIN_ATTRS.iter().find(|(x, ..)| *x == a).map_or("?", |(_, n, ..)| *n).to_string(),
    }
}

impl Engine {
    /// A plan in rule syntax.
    fn render(&self, plan: &Plan) -> String {
        let r = |p: &Plan| self.render(p);
        match plan {
            Plan::Const(x) => number(*x),
            Plan::Bool(b) => b.to_string(),
            Plan::Metric(slot) => self.metrics.get(*slot).map_or("?".into(), |m| describe_metric(&m.metric)),
            Plan::Attr(a) => attr_name(self, *a),
            Plan::TextIn { read, codes, negated } => {
                let (name, values): (String, Vec<String>) = match read {
                    TextRead::Attr(a) => {
                        (attr_name(self, *a), codes.iter().map(|&c| self.attrs.code_text(*a, c).unwrap_or("?").to_string()).collect())
                    }
                    TextRead::Tier(m) => {
                        let model = &self.catalog.models[*m];
                        (
                            format!("tier(\"{}\")", model.key()),
                            codes.iter().map(|&c| model.tiers.get(c as usize).map_or("?".into(), |t| t.name.clone())).collect(),
                        )
                    }
                };
                let list: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
                format!("{name} {}in [{}]", if *negated { "not " } else { "" }, list.join(", "))
            }
            Plan::HasTag(code) => format!("has_tag(\"{}\")", code.and_then(|c| self.attrs.tag_text(c)).unwrap_or("?")),
            Plan::Neg(x) => format!("-{}", r(x)),
            Plan::Arith(op, a, b) => {
                let s = match op {
                    Arith::Add => "+",
                    Arith::Sub => "-",
                    Arith::Mul => "*",
                    Arith::Div => "/",
                };
                format!("({} {s} {})", r(a), r(b))
            }
            Plan::DivOr(a, b, c) => format!("div({}, {}, {})", r(a), r(b), r(c)),
            Plan::Cmp(op, a, b) => format!("{} {} {}", r(a), op.symbol(), r(b)),
            Plan::NumIn { value, values, negated } => {
                let list: Vec<String> = values.iter().map(|v| number(*v)).collect();
                format!("{} {}in [{}]", r(value), if *negated { "not " } else { "" }, list.join(", "))
            }
            Plan::And(a, b) => format!("{} and {}", r(a), r(b)),
            Plan::Or(a, b) => format!("({} or {})", r(a), r(b)),
            Plan::Not(x) => format!("not ({})", r(x)),
            Plan::Percentile { inner, .. } => format!("percentile({})", r(inner)),
        }
    }

    /// The leaf conditions of `plan` for position `p`.
    fn checks(&self, facts: &Facts<'_>, plan: &Plan, p: usize, out: &mut Vec<Check>) {
        match plan {
            Plan::And(a, b) | Plan::Or(a, b) => {
                self.checks(facts, a, p, out);
                self.checks(facts, b, p, out);
            }
            Plan::Not(x) => self.checks(facts, x, p, out),
            leaf => {
                let t = facts.condition_at(leaf, p);
                let holds = match t {
                    TRUE => "yes",
                    FALSE => "no",
                    _ => "unknown",
                };
                let (value, short_by) = match leaf {
                    Plan::Cmp(op, a, b) => {
                        let (va, vb) = (facts.number_at(a, p), facts.number_at(b, p));
                        let short = match (op, a.as_ref(), t) {
                            (Cmp::Gt | Cmp::Ge, Plan::Metric(_), FALSE) if !va.is_nan() && !vb.is_nan() => {
                                let step = if *op == Cmp::Gt && vb.fract() == 0.0 && va.fract() == 0.0 { 1.0 } else { 0.0 };
                                Some(vb - va + step)
                            }
                            _ => None,
                        };
                        (number(va), short)
                    }
                    Plan::NumIn { value, .. } => (number(facts.number_at(value, p)), None),
                    Plan::TextIn { read: TextRead::Attr(a), .. } => (self.attrs.text_at(*a, p).unwrap_or("missing").to_string(), None),
                    Plan::TextIn { read: TextRead::Tier(m), .. } => {
                        let tier =
                            self.tiers.get(*m).and_then(|t| t.get(p)).and_then(|&t| self.catalog.models[*m].tiers.get(usize::from(t)));
                        (tier.map_or("none".into(), |t| t.name.clone()), None)
                    }
                    _ => (holds.into(), None),
                };
                out.push(Check { condition: self.render(leaf), value, holds, short_by });
            }
        }
    }

    /// Explains model `m`'s tier for the customer at `position`.
    pub fn explain(&self, m: usize, position: u32) -> Option<Explanation> {
        let model = self.catalog.models.get(m)?;
        let p = position as usize;
        let current = *self.tiers.get(m)?.get(p)?;
        let tier = model.tiers.get(usize::from(current)).cloned();
        let state = &self.states[m];
        let facts = Facts { scales: &state.calibration.scales, ..self.facts() };
        let mut to_move_up = Vec::new();
        let detail = match &model.body {
            Body::Ladder { default, .. } => {
                let mut steps = Vec::new();
                // The next better tier: the one above a matched rule, else the last rule.
                let matched_rule = usize::from(current) < state.plans.len();
                let target = if matched_rule { usize::from(current).checked_sub(1) } else { state.plans.len().checked_sub(1) };
                for (i, plan) in state.plans.iter().enumerate() {
                    let t = facts.condition_at(plan, p);
                    let mut checks = Vec::new();
                    self.checks(&facts, plan, p, &mut checks);
                    let result = match t {
                        TRUE => "matched",
                        FALSE => "failed",
                        _ => "unknown",
                    };
                    if Some(i) == target {
                        let gaps: Vec<Gap> = checks
                            .iter()
                            .filter(|c| c.holds != "yes")
                            .map(|c| Gap { condition: c.condition.clone(), now: c.value.clone(), short_by: c.short_by })
                            .collect();
                        if !gaps.is_empty() {
                            to_move_up.push(MoveUp::Conditions { tier: model.tiers[i].clone(), gaps });
                        }
                    }
                    steps.push(LadderStep { tier: model.tiers[i].clone(), result, checks });
                    if t == TRUE {
                        break;
                    }
                }
                if let Some(d) = default.filter(|&d| d == current) {
                    steps.push(LadderStep { tier: model.tiers[usize::from(d)].clone(), result: "default", checks: Vec::new() });
                }
                Detail::Ladder { steps }
            }
            Body::Score { dimensions, by_min } => {
                let mut parts = Vec::new();
                for ((d, plan), (scale, spec)) in
                    dimensions.iter().zip(&state.plans).zip(state.calibration.scales.iter().zip(&model.spec.dimensions))
                {
                    let x = facts.number_at(plan, p);
                    let points = scale.points(d, x);
                    parts.push(DimensionPart {
                        key: spec.key.clone(),
                        name: spec.name.clone(),
                        value: (!x.is_nan()).then_some(x),
                        points,
                        weight: d.share,
                        contribution: points * d.share,
                    });
                }
                let score = f64::from(state.scores.get(p).copied().unwrap_or(0.0));
                if let Some((min, t)) = by_min.iter().rev().find(|(min, _)| *min > score + 1e-9) {
                    let mut room: Vec<&DimensionPart> = parts.iter().filter(|d| d.points < 100.0).collect();
                    room.sort_by(|a, b| ((100.0 - b.points) * b.weight).total_cmp(&((100.0 - a.points) * a.weight)));
                    let room: Vec<Room> =
                        room.iter().take(2).map(|d| Room { dimension: d.name.clone(), up_to: (100.0 - d.points) * d.weight }).collect();
                    to_move_up.push(MoveUp::Points { tier: model.tiers[usize::from(*t)].clone(), points: min - score, room });
                }
                Detail::Score { score, dimensions: parts }
            }
            Body::Rfm { .. } => {
                let v = state.rfm.as_ref()?;
                let scores = state.calibration.rfm.as_ref().and_then(|c| c.scores(v, p));
                if let (Some(s), Some(cuts)) = (scores, &state.calibration.rfm) {
                    for (d, (score, letter)) in Dimension::ALL.iter().zip(s.iter().zip([RfmLetter::R, RfmLetter::F, RfmLetter::M])) {
                        let cut = cuts.of(*d).get(usize::from(*score).saturating_sub(1));
                        if let Some(cut) = cut {
                            let key = v.key(*d, p).value;
                            let gap = cut.value - key + i64::from(cut.position < position);
                            let need = match d {
                                Dimension::Recency => RfmNeed::OrderWithin { days: -cut.value },
                                Dimension::Frequency => RfmNeed::Orders { count: gap.max(1) },
                                Dimension::Monetary => RfmNeed::Amount { amount: gap.max(1) as f64 / 100.0 },
                            };
                            to_move_up.push(MoveUp::Rfm { dimension: letter, from: *score, need });
                        }
                    }
                }
                Detail::Rfm {
                    recency_days: (v.frequency[p] > 0).then(|| i64::from(v.recency[p])),
                    frequency: v.frequency[p],
                    monetary: v.monetary[p] as f64 / 100.0,
                    scores,
                }
            }
        };
        if !model.spec.ranked {
            to_move_up.clear();
        }
        Some(Explanation { model: model.key().to_string(), tier, detail, to_move_up })
    }
}
