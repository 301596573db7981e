//! A checked rule bound to the engine's state: metrics mapped to shared metric columns, text
//! values resolved to dictionary codes, tier names to tier indices, tags to tag codes. A plan
//! is evaluated a block of customers at a time (see `eval.rs`).

use super::attributes::Attributes;
use crate::{
    rules::{
        program::{Arith, Cmp, Node, Program, TextSource},
        schema::{Attr, ModelRef},
    },
    tiering::TierLabel,
};

/// What a text membership test reads.
#[derive(Debug, Clone, PartialEq)]
pub enum TextRead {
    Attr(Attr),
    /// A model's current tier (index into the engine's models).
    Tier(usize),
}

/// A bound expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Const(f64),
    Bool(bool),
    /// Index into the engine's shared metric columns.
    Metric(usize),
    Attr(Attr),
    /// Text membership with the codes (sorted) the listed values stand for.
    TextIn {
        read: TextRead,
        codes: Vec<u32>,
        negated: bool,
    },
    HasTag(Option<u32>),
    Neg(Box<Plan>),
    Arith(Arith, Box<Plan>, Box<Plan>),
    DivOr(Box<Plan>, Box<Plan>, Box<Plan>),
    Cmp(Cmp, Box<Plan>, Box<Plan>),
    NumIn {
        value: Box<Plan>,
        values: Vec<f64>,
        negated: bool,
    },
    And(Box<Plan>, Box<Plan>),
    Or(Box<Plan>, Box<Plan>),
    Not(Box<Plan>),
    /// Percentile rank of `inner` against scale `k` of the model's calibration.
    Percentile {
        inner: Box<Plan>,
        k: usize,
    },
}

/// What binding needs: where each of the program's metrics lives, the attribute dictionaries,
/// the tiers of models the rule may read, and today as a day number.
pub struct Binding<'a> {
    /// `slots[i]` is the shared column of `program.metrics[i]`.
    pub slots: &'a [usize],
    pub attrs: &'a Attributes,
    pub models: &'a [ModelRef],
    pub today: f64,
    /// Numbers the model's `percentile(…)` calls in order (scale k of its calibration).
    pub percentiles: &'a std::cell::Cell<usize>,
}

fn tier_codes(tiers: &[TierLabel], values: &[String]) -> Vec<u32> {
    let mut codes: Vec<u32> = values.iter().filter_map(|v| tiers.iter().position(|t| t.is_named(v)).map(|i| i as u32)).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

impl Plan {
    /// Binds a checked program.
    pub fn bind(program: &Program, b: &Binding<'_>) -> Plan {
        Plan::node(&program.root, b)
    }

    fn node(n: &Node, b: &Binding<'_>) -> Plan {
        let bx = |n: &Node| Box::new(Plan::node(n, b));
        match n {
            Node::Const(x) => Plan::Const(*x),
            Node::Bool(v) => Plan::Bool(*v),
            Node::Metric(i) => Plan::Metric(b.slots.get(*i).copied().unwrap_or(usize::MAX)),
            Node::Attr(a) => Plan::Attr(*a),
            Node::Today => Plan::Const(b.today),
            Node::TextIn { source, values, negated } => {
                let (read, codes) = match source {
                    TextSource::Attr(a) => {
                        let mut codes: Vec<u32> = values.iter().flat_map(|v| b.attrs.codes_of(*a, v)).collect();
                        codes.sort_unstable();
                        codes.dedup();
                        (TextRead::Attr(*a), codes)
                    }
                    TextSource::Tier(m) => (TextRead::Tier(*m), b.models.get(*m).map_or(Vec::new(), |r| tier_codes(&r.tiers, values))),
                };
                Plan::TextIn { read, codes, negated: *negated }
            }
            Node::HasTag(t) => Plan::HasTag(b.attrs.tag_code(t)),
            Node::Neg(x) => Plan::Neg(bx(x)),
            Node::Arith(op, x, y) => Plan::Arith(*op, bx(x), bx(y)),
            Node::DivOr(x, y, z) => Plan::DivOr(bx(x), bx(y), bx(z)),
            Node::Cmp(op, x, y) => Plan::Cmp(*op, bx(x), bx(y)),
            Node::NumIn { value, values, negated } => Plan::NumIn { value: bx(value), values: values.clone(), negated: *negated },
            Node::And(x, y) => Plan::And(bx(x), bx(y)),
            Node::Or(x, y) => Plan::Or(bx(x), bx(y)),
            Node::Not(x) => Plan::Not(bx(x)),
            Node::Percentile(x) => {
                let k = b.percentiles.get();
                b.percentiles.set(k + 1);
                Plan::Percentile { inner: bx(x), k }
            }
        }
    }

    /// The `percentile(…)` calls in this plan as (scale index, inner plan).
    pub fn percentiles<'p>(&'p self, out: &mut Vec<(usize, &'p Plan)>) {
        match self {
            Plan::Percentile { inner, k } => out.push((*k, inner)),
            Plan::Neg(x) | Plan::Not(x) => x.percentiles(out),
            Plan::Arith(_, a, b) | Plan::Cmp(_, a, b) | Plan::And(a, b) | Plan::Or(a, b) => {
                a.percentiles(out);
                b.percentiles(out);
            }
            Plan::DivOr(a, b, c) => {
                a.percentiles(out);
                b.percentiles(out);
                c.percentiles(out);
            }
            Plan::NumIn { value, .. } => value.percentiles(out),
            _ => {}
        }
    }

    /// Whether the plan is a condition (evaluates to true/false/unknown).
    pub fn is_condition(&self) -> bool {
        matches!(
            self,
            Plan::Bool(_)
                | Plan::TextIn { .. }
                | Plan::HasTag(_)
                | Plan::Cmp(..)
                | Plan::NumIn { .. }
                | Plan::And(..)
                | Plan::Or(..)
                | Plan::Not(_)
        )
    }
}
