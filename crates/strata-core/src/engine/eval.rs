//! Evaluating bound plans over a block of customer positions at a time: numbers as f64 with NaN
//! for missing, conditions in three-valued logic (false < unknown < true, so `and` is min and
//! `or` is max). Evaluation cannot fail: every name and type was settled by the checker.

use super::{
    attributes::{Attributes, CodesAt},
    plan::{Plan, TextRead},
};
use std::borrow::Cow;

use crate::rules::program::{Arith, Cmp};

pub const FALSE: u8 = 0;
pub const UNKNOWN: u8 = 1;
pub const TRUE: u8 = 2;

/// Positions evaluated together (fits the working columns in cache).
pub const BLOCK: usize = 2048;

/// The state plans read: shared metric columns, attributes and the current tier of every
/// model (`u16::MAX` = none).
#[derive(Clone, Copy)]
pub struct Facts<'a> {
    pub metrics: &'a [Vec<f64>],
    pub attrs: &'a Attributes,
    pub tiers: &'a [Vec<u16>],
    /// The evaluated model's calibrated scales (for `percentile(…)`).
    pub scales: &'a [super::calibration::Scale],
}

fn tri(b: bool) -> u8 {
    if b {
        TRUE
    } else {
        FALSE
    }
}

impl<'a> Facts<'a> {
    /// A numeric plan over positions `lo..hi` (a metric's column slice is lent, not copied).
    pub fn numbers(&self, plan: &Plan, lo: usize, hi: usize) -> Cow<'a, [f64]> {
        let n = hi - lo;
        match plan {
            Plan::Const(x) => Cow::Owned(vec![*x; n]),
            Plan::Metric(slot) => match self.metrics.get(*slot) {
                Some(col) if col.len() >= hi => Cow::Borrowed(&col[lo..hi]),
                Some(col) => Cow::Owned((lo..hi).map(|p| col.get(p).copied().unwrap_or(f64::NAN)).collect()),
                None => Cow::Owned(vec![f64::NAN; n]),
            },
            Plan::Attr(a) => Cow::Owned((lo..hi).map(|p| self.attrs.number(*a, p)).collect()),
            Plan::Neg(x) => {
                let mut v = self.numbers(x, lo, hi).into_owned();
                v.iter_mut().for_each(|x| *x = -*x);
                Cow::Owned(v)
            }
            Plan::Arith(op, x, y) => {
                let (mut a, b) = (self.numbers(x, lo, hi).into_owned(), self.numbers(y, lo, hi));
                for (a, &b) in a.iter_mut().zip(b.iter()) {
                    *a = match op {
                        Arith::Add => *a + b,
                        Arith::Sub => *a - b,
                        Arith::Mul => *a * b,
                        Arith::Div => *a / b,
                    };
                }
                Cow::Owned(a)
            }
            Plan::DivOr(x, y, z) => {
                let (mut a, b, c) = (self.numbers(x, lo, hi).into_owned(), self.numbers(y, lo, hi), self.numbers(z, lo, hi));
                for ((a, &b), &c) in a.iter_mut().zip(b.iter()).zip(c.iter()) {
                    *a = if b == 0.0 { c } else { *a / b };
                }
                Cow::Owned(a)
            }
            Plan::Percentile { inner, k } => {
                let mut v = self.numbers(inner, lo, hi).into_owned();
                match self.scales.get(*k) {
                    Some(super::calibration::Scale::Percentile { points }) if points.len() >= 2 => {
                        v.iter_mut().filter(|x| !x.is_nan()).for_each(|x| *x = super::calibration::percentile_rank(points, *x) / 100.0)
                    }
                    _ => v.fill(f64::NAN),
                }
                Cow::Owned(v)
            }
            // A condition used as a number (e.g. compared with `= true`): 1, 0 or missing.
            cond => Cow::Owned(
                self.conditions(cond, lo, hi)
                    .into_iter()
                    .map(|t| match t {
                        TRUE => 1.0,
                        FALSE => 0.0,
                        _ => f64::NAN,
                    })
                    .collect(),
            ),
        }
    }

    /// A numeric plan over positions `0..n`: a metric's own column when the plan is one.
    pub fn column(&self, plan: &Plan, n: usize) -> Cow<'a, [f64]> {
        if let Plan::Metric(slot) = plan {
            if let Some(col) = self.metrics.get(*slot).filter(|c| c.len() >= n) {
                return Cow::Borrowed(&col[..n]);
            }
        }
        let mut out = Vec::with_capacity(n);
        for (lo, hi) in blocks(n) {
            out.extend_from_slice(&self.numbers(plan, lo, hi));
        }
        Cow::Owned(out)
    }

    /// A condition over positions `lo..hi`: `FALSE`, `UNKNOWN` or `TRUE` per position.
    pub fn conditions(&self, plan: &Plan, lo: usize, hi: usize) -> Vec<u8> {
        let n = hi - lo;
        match plan {
            Plan::Bool(b) => vec![tri(*b); n],
            Plan::Cmp(op, x, y) => match (&**x, &**y) {
                // A metric against a constant (the common rule) compares in place.
                (_, Plan::Const(c)) => compare(*op, Sides::ColumnConst(&self.numbers(x, lo, hi), *c)),
                (Plan::Const(c), _) => compare(*op, Sides::ConstColumn(*c, &self.numbers(y, lo, hi))),
                _ => compare(*op, Sides::Columns(&self.numbers(x, lo, hi), &self.numbers(y, lo, hi))),
            },
            Plan::NumIn { value, values, negated } => self
                .numbers(value, lo, hi)
                .iter()
                .map(|&x| if x.is_nan() { UNKNOWN } else { tri(values.contains(&x) != *negated) })
                .collect(),
            Plan::TextIn { read, codes, negated } => (lo..hi).map(|p| self.text_in(read, codes, *negated, p)).collect(),
            Plan::HasTag(code) => (lo..hi).map(|p| tri(self.attrs.has_tag(p, *code))).collect(),
            Plan::And(x, y) => {
                let mut a = self.conditions(x, lo, hi);
                if a.iter().all(|&t| t == FALSE) {
                    return a;
                }
                let b = self.conditions(y, lo, hi);
                a.iter_mut().zip(b).for_each(|(a, b)| *a = (*a).min(b));
                a
            }
            Plan::Or(x, y) => {
                let mut a = self.conditions(x, lo, hi);
                if a.iter().all(|&t| t == TRUE) {
                    return a;
                }
                let b = self.conditions(y, lo, hi);
                a.iter_mut().zip(b).for_each(|(a, b)| *a = (*a).max(b));
                a
            }
            Plan::Not(x) => {
                let mut a = self.conditions(x, lo, hi);
                a.iter_mut().for_each(|t| *t = TRUE - *t);
                a
            }
            // A number used as a condition (a yes/no custom field): missing is unknown.
            num => self.numbers(num, lo, hi).iter().map(|&x| if x.is_nan() { UNKNOWN } else { tri(x != 0.0) }).collect(),
        }
    }

    fn text_in(&self, read: &TextRead, codes: &[u32], negated: bool, p: usize) -> u8 {
        let hit = match read {
            TextRead::Attr(a) => match self.attrs.codes_at(*a, p) {
                CodesAt::One(0) => return UNKNOWN,
                CodesAt::One(c) => codes.binary_search(&c).is_ok(),
                CodesAt::Many([]) => return UNKNOWN,
                CodesAt::Many(cs) => cs.iter().any(|c| codes.binary_search(c).is_ok()),
            },
            TextRead::Tier(m) => match self.tiers.get(*m).and_then(|t| t.get(p)) {
                None | Some(&u16::MAX) => return UNKNOWN,
                Some(&t) => codes.binary_search(&u32::from(t)).is_ok(),
            },
        };
        tri(hit != negated)
    }

    /// One condition for one position.
    pub fn condition_at(&self, plan: &Plan, p: usize) -> u8 {
        self.conditions(plan, p, p + 1)[0]
    }

    /// One number for one position.
    pub fn number_at(&self, plan: &Plan, p: usize) -> f64 {
        self.numbers(plan, p, p + 1)[0]
    }
}

/// The two sides of a comparison over a block.
#[derive(Clone, Copy)]
enum Sides<'s> {
    ColumnConst(&'s [f64], f64),
    ConstColumn(f64, &'s [f64]),
    Columns(&'s [f64], &'s [f64]),
}

/// A comparison in three-valued logic (missing on either side: unknown), with one loop per
/// operator and shape so that each runs without a branch per position.
fn compare(op: Cmp, sides: Sides<'_>) -> Vec<u8> {
    fn each(sides: Sides<'_>, holds: impl Fn(f64, f64) -> bool) -> Vec<u8> {
        let tri = |x: f64, y: f64| if x.is_nan() | y.is_nan() { UNKNOWN } else { u8::from(holds(x, y)) * TRUE };
        match sides {
            Sides::ColumnConst(xs, c) => xs.iter().map(|&x| tri(x, c)).collect(),
            Sides::ConstColumn(c, ys) => ys.iter().map(|&y| tri(c, y)).collect(),
            Sides::Columns(xs, ys) => xs.iter().zip(ys).map(|(&x, &y)| tri(x, y)).collect(),
        }
    }
    match op {
        Cmp::Eq => each(sides, |x, y| x == y),
        Cmp::Ne => each(sides, |x, y| x != y),
        Cmp::Lt => each(sides, |x, y| x < y),
        Cmp::Le => each(sides, |x, y| x <= y),
        Cmp::Gt => each(sides, |x, y| x > y),
        Cmp::Ge => each(sides, |x, y| x >= y),
    }
}

/// Splits `0..n` into blocks.
pub fn blocks(n: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n).step_by(BLOCK).map(move |lo| (lo, (lo + BLOCK).min(n)))
}
