//! The type-checked form of a rule: every name resolved, every type known, text comparisons
//! turned into membership tests, divisions guarded. Evaluating it cannot fail.

use super::{
    schema::{Attr, EventField, ValueType},
    syntax::End,
};
use crate::metrics::{EventKind, Window};

/// How a metric aggregates a customer's events in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Aggregate {
    Count,
    Sum(usize),
    Avg(usize),
    Min(usize),
    Max(usize),
    Distinct(EventField),
    DaysSince(End),
    /// A prediction from the purchase models in force (orders only).
    Predicted(crate::predict::Prediction),
}

/// A per-customer number computed from events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Metric {
    pub kind: EventKind,
    pub aggregate: Aggregate,
    pub window: Window,
    /// Growth: this window against the previous period, as a ratio (0.2 = +20%).
    pub growth: bool,
}

impl Metric {
    /// Whether the metric can be missing (no events, or no previous period for growth).
    pub fn nullable(&self) -> bool {
        self.growth
            || matches!(
                self.aggregate,
                Aggregate::Avg(_) | Aggregate::Min(_) | Aggregate::Max(_) | Aggregate::DaysSince(_) | Aggregate::Predicted(_)
            )
    }
}

/// Where a text value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSource {
    Attr(Attr),
    /// Index into `Schema::models`.
    Tier(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Eq => "=",
            Cmp::Ne => "!=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }

    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
        }
    }
}

/// A checked expression. Dates evaluate as day numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Const(f64),
    Bool(bool),
    /// Index into `Program::metrics`.
    Metric(usize),
    /// A number, date or bool attribute.
    Attr(Attr),
    Today,
    /// Text membership: value in `values` (or not, when `negated`). Missing text is unknown.
    TextIn {
        source: TextSource,
        values: Vec<String>,
        negated: bool,
    },
    HasTag(String),
    Neg(Box<Node>),
    Arith(Arith, Box<Node>, Box<Node>),
    /// a / b, or `fallback` when b is 0.
    DivOr(Box<Node>, Box<Node>, Box<Node>),
    Cmp(Cmp, Box<Node>, Box<Node>),
    NumIn {
        value: Box<Node>,
        values: Vec<f64>,
        negated: bool,
    },
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    /// The value's percentile rank (0–1) in the population the model was calibrated on.
    Percentile(Box<Node>),
}

impl Node {
    /// Whether a `percentile(…)` occurs in this expression.
    pub fn has_percentile(&self) -> bool {
        match self {
            Node::Percentile(_) => true,
            Node::Neg(x) | Node::Not(x) => x.has_percentile(),
            Node::Arith(_, a, b) | Node::Cmp(_, a, b) | Node::And(a, b) | Node::Or(a, b) => a.has_percentile() || b.has_percentile(),
            Node::DivOr(a, b, c) => a.has_percentile() || b.has_percentile() || c.has_percentile(),
            Node::NumIn { value, .. } => value.has_percentile(),
            _ => false,
        }
    }
}

/// A checked rule: its root, the metrics it needs and its type.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub root: Node,
    pub metrics: Vec<Metric>,
    pub ty: ValueType,
    /// Models whose tiers the rule reads (indices into `Schema::models`), for cycle checks.
    pub reads_models: Vec<usize>,
    /// Estimated evaluation cost per customer (for the cost limit).
    pub cost: u64,
}
